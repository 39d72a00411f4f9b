// Command grpc protects a gRPC service with OAuth 2.0 access tokens, in one
// process: a server, a client and a test authorization server.
//
// The server offers the standard health service, public, and a method
// /orders.v1.Orders/List that needs the scope orders:read. The interceptors
// of package grpcguard run the same middleware.Guard an HTTP service uses,
// so a call without a token is refused (Unauthenticated), a token without
// the scope too (PermissionDenied), and a call with the scope reaches the
// handler, which reads the claims from its context.
//
// The program prints each call and its outcome, and exits with status 1 if
// any outcome differs from the one it prints.
//
//	go run ./examples/grpc
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
	"github.com/tokenguard/tokenguard/middleware/grpcguard"
)

const audience = "https://api.example.com"

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "grpc:", err)
		os.Exit(1)
	}
}

func run(out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// The authorization server (in production: yours) and a verifier for
	// its tokens, as in examples/quickstart.
	issuer, err := jwttest.NewIssuer(jwttest.Options{})
	if err != nil {
		return err
	}
	defer issuer.Close()
	verifier, err := jwtverify.New(ctx, jwtverify.Config{Issuer: issuer.URL, Audiences: []string{audience}})
	if err != nil {
		return err
	}
	defer verifier.Close()

	// The Guard is the one an HTTP service would use; grpcguard says which
	// methods are public and which need scopes. Every other method needs a
	// valid token.
	guard, err := middleware.NewGuard(verifier, middleware.Config{})
	if err != nil {
		return err
	}
	interceptors, err := grpcguard.New(guard, grpcguard.Config{
		Public: []string{"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch"},
		Rules: map[string][]middleware.Rule{
			"/orders.v1.Orders/List": {middleware.Scopes("orders:read")},
		},
	})
	if err != nil {
		return err
	}

	// The server, over TLS on a loopback port: tokens never travel in the
	// clear.
	cert, roots, err := selfSigned()
	if err != nil {
		return err
	}
	srv := grpc.NewServer(
		grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}})),
		grpc.ChainUnaryInterceptor(interceptors.UnaryServerInterceptor()),
		grpc.ChainStreamInterceptor(interceptors.StreamServerInterceptor()))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	srv.RegisterService(&ordersService, orders{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	defer func() {
		srv.Stop()
		<-served
	}()

	// The client.
	conn, err := grpc.NewClient(lis.Addr().String(),
		grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: roots})))
	if err != nil {
		return err
	}
	defer conn.Close()
	withToken := func(scope string) (context.Context, error) {
		tok, err := issuer.Sign(jwttest.Token{Claims: map[string]any{"aud": audience, "sub": "alice", "scope": scope}})
		if err != nil {
			return nil, err
		}
		return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok), nil
	}
	noScope, err := withToken("profile")
	if err != nil {
		return err
	}
	scoped, err := withToken("orders:read")
	if err != nil {
		return err
	}

	// Each call, the outcome it must have, and what to print.
	check := func(what string, want codes.Code, err error, detail string) error {
		got := status.Code(err)
		fmt.Fprintf(out, "%-44s %-17v %s\n", what, got, detail)
		if got != want {
			return fmt.Errorf("%s: got %v (%v), want %v", what, got, err, want)
		}
		return nil
	}
	h, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err := check("health check, no token", codes.OK, err, h.GetStatus().String()); err != nil {
		return err
	}
	var trailer metadata.MD
	reply := new(wrapperspb.StringValue)
	err = conn.Invoke(ctx, "/orders.v1.Orders/List", wrapperspb.String(""), reply, grpc.Trailer(&trailer))
	if err := check("orders, no token", codes.Unauthenticated, err, fmt.Sprint(trailer.Get("www-authenticate"))); err != nil {
		return err
	}
	err = conn.Invoke(noScope, "/orders.v1.Orders/List", wrapperspb.String(""), reply)
	if err := check("orders, token without orders:read", codes.PermissionDenied, err, status.Convert(err).Message()); err != nil {
		return err
	}
	err = conn.Invoke(scoped, "/orders.v1.Orders/List", wrapperspb.String(""), reply)
	if err := check("orders, token with orders:read", codes.OK, err, reply.GetValue()); err != nil {
		return err
	}
	if want := "orders of alice"; reply.GetValue() != want {
		return fmt.Errorf("orders answered %q, want %q", reply.GetValue(), want)
	}
	return nil
}

// orders is the service /orders.v1.Orders, written out by hand so that the
// example needs no generated code; protoc-gen-go-grpc writes the same
// ServiceDesc from a .proto file.
type orders struct{}

type ordersServer interface {
	List(ctx context.Context, req *wrapperspb.StringValue) (*wrapperspb.StringValue, error)
}

// List answers with the subject of the token, which the interceptor put on
// the context.
func (orders) List(ctx context.Context, _ *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
	claims, ok := jwtverify.ClaimsFromContext(ctx)
	if !ok {
		return nil, status.Error(codes.Internal, "no claims") // cannot happen behind the interceptor
	}
	return wrapperspb.String("orders of " + claims.Subject), nil
}

var ordersService = grpc.ServiceDesc{
	ServiceName: "orders.v1.Orders",
	HandlerType: (*ordersServer)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "List",
		Handler: func(srv any, ctx context.Context, dec func(any) error, in grpc.UnaryServerInterceptor) (any, error) {
			req := new(wrapperspb.StringValue)
			if err := dec(req); err != nil {
				return nil, err
			}
			call := func(ctx context.Context, req any) (any, error) {
				return srv.(ordersServer).List(ctx, req.(*wrapperspb.StringValue))
			}
			if in == nil {
				return call(ctx, req)
			}
			return in(ctx, req, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/orders.v1.Orders/List"}, call)
		},
	}},
}

// selfSigned makes the server's certificate, for 127.0.0.1, and a pool of
// roots that trusts it. A real server loads its own.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:             time.Now().Add(-time.Minute),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots, nil
}
