package grpcguard_test

import (
	"context"
	"fmt"
	"log"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
	"github.com/tokenguard/tokenguard/middleware/grpcguard"
)

// The health service's Check is public; its List, which names every
// service of the server, needs the scope "health:list"; any other method
// would need a valid token.
func Example() {
	// An in-process test issuer stands in for the authorization server.
	iss, err := jwttest.NewIssuer(jwttest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer iss.Close()
	v, err := jwtverify.New(context.Background(), jwtverify.Config{
		Issuer:    iss.URL,
		Audiences: []string{"https://api.example.com"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	g, err := middleware.NewGuard(v, middleware.Config{})
	if err != nil {
		log.Fatal(err)
	}
	gg, err := grpcguard.New(g, grpcguard.Config{
		Public: []string{"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch"},
		Rules: map[string][]middleware.Rule{
			"/grpc.health.v1.Health/List": {middleware.Scopes("health:list")},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	// A real server listens over TLS (grpc.Creds); the example keeps to
	// memory.
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(gg.UnaryServerInterceptor()),
		grpc.ChainStreamInterceptor(gg.StreamServerInterceptor()))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	lis := bufconn.Listen(1 << 20)
	go srv.Serve(lis)
	defer srv.Stop()

	conn, err := grpc.NewClient("passthrough:///example",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	client := healthpb.NewHealthClient(conn)

	// withToken returns a context whose calls carry a token with scope.
	withToken := func(scope string) context.Context {
		tok, err := iss.Sign(jwttest.Token{Claims: map[string]any{"aud": "https://api.example.com", "sub": "alice", "scope": scope}})
		if err != nil {
			log.Fatal(err)
		}
		return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+tok)
	}
	ctx := context.Background()

	check, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
	fmt.Println("Check without token:", check.GetStatus(), status.Code(err))
	var trailer metadata.MD
	_, err = client.List(ctx, &healthpb.HealthListRequest{}, grpc.Trailer(&trailer))
	fmt.Println("List without token:", status.Code(err), status.Convert(err).Message(), trailer.Get("www-authenticate"))
	_, err = client.List(withToken("profile"), &healthpb.HealthListRequest{})
	fmt.Println("List without the scope:", status.Code(err), status.Convert(err).Message())
	list, err := client.List(withToken("health:list"), &healthpb.HealthListRequest{})
	fmt.Println("List with the scope:", len(list.GetStatuses()), "service(s),", status.Code(err))
	// Output:
	// Check without token: SERVING OK
	// List without token: Unauthenticated the request carries no access token [Bearer realm="api"]
	// List without the scope: PermissionDenied the access token lacks a required scope
	// List with the scope: 1 service(s), OK
}
