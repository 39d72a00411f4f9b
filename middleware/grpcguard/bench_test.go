package grpcguard_test

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
	"github.com/tokenguard/tokenguard/middleware/grpcguard"
)

// BenchmarkUnary times a unary call with a valid token (the Verifier's
// verified-token cache on, as by default) beside its parts, as
// internal/pathtest's BenchmarkMiddleware does for HTTP: path=verify is the
// bare Verifier on the same token, path=interceptor the unary interceptor
// alone (called directly, handler empty), path=bare a unary call over an
// in-memory connection to a server without the interceptor, path=guarded
// the same call through it. guarded - bare is what the interceptor adds to
// a call; interceptor - verify, its own cost beside the Verifier's.
func BenchmarkUnary(b *testing.B) {
	iss := jwttest.Start(b, jwttest.Options{})
	v, err := jwtverify.New(b.Context(), jwtverify.Config{Issuer: iss.URL, Audiences: []string{audience}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(v.Close)
	tok := iss.Mint(b, map[string]any{"aud": audience, "sub": "alice", "scope": "orders:read"})
	g, err := middleware.NewGuard(v, middleware.Config{})
	if err != nil {
		b.Fatal(err)
	}
	gg, err := grpcguard.New(g, testConfig())
	if err != nil {
		b.Fatal(err)
	}
	md := metadata.Pairs("authorization", "Bearer "+tok)

	b.Run("path=verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(b.Context(), tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("path=interceptor", func(b *testing.B) {
		ctx := metadata.NewIncomingContext(b.Context(), md)
		info := &grpc.UnaryServerInfo{FullMethod: methodEmpty}
		handler := func(context.Context, any) (any, error) { return nil, nil }
		in := gg.UnaryServerInterceptor()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := in(ctx, nil, info, handler); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, guarded := range []bool{false, true} {
		name := "path=bare"
		if guarded {
			name = "path=guarded"
		}
		b.Run(name, func(b *testing.B) {
			var opts []grpc.ServerOption
			if guarded {
				opts = append(opts, grpc.ChainUnaryInterceptor(gg.UnaryServerInterceptor()))
			}
			c := memServer(b, opts...)
			ctx := metadata.NewOutgoingContext(b.Context(), md)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.EmptyCall(ctx, &testpb.Empty{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// memServer serves the test service over an in-memory connection and
// returns a client of it.
func memServer(b *testing.B, opts ...grpc.ServerOption) testpb.TestServiceClient {
	b.Helper()
	srv := grpc.NewServer(opts...)
	testpb.RegisterTestServiceServer(srv, service{})
	lis := bufconn.Listen(1 << 20)
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(lis)
	}()
	b.Cleanup(func() {
		srv.Stop()
		<-done
	})
	conn, err := grpc.NewClient("passthrough:///bench",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return testpb.NewTestServiceClient(conn)
}
