package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	grpcmd "google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
	"github.com/tokenguard/tokenguard/middleware/grpcguard"
)

// TestGRPC presents a real token of each algorithm the server signs with
// to a gRPC server on loopback behind grpcguard's interceptors, over TLS:
// a unary call and a bidi stream with the scope they need, a unary call
// needing a scope the token lacks, and calls without a token or with a
// token for another resource.
func TestGRPC(t *testing.T) {
	srv := sharedServer(t)
	srv.logOnFailure(t)
	for _, tc := range []struct{ alg, resource string }{
		{"RS256", resRS256},
		{"PS256", resPS256},
		{"ES256", resES256},
		{"EdDSA", resEdDSA},
	} {
		t.Run(tc.alg, func(t *testing.T) {
			t.Parallel()
			token := srv.token(t, tc.resource, "orders:read")
			if alg, _, _ := joseHeader(t, token); alg != tc.alg {
				t.Fatalf("server sent alg %q, want %q", alg, tc.alg)
			}
			foreign := srv.token(t, resOther, "orders:read")
			v := newVerifier(t, srv, jwtverify.Config{Audiences: []string{tc.resource}, Algorithms: []string{tc.alg}})
			g, err := middleware.NewGuard(v, middleware.Config{})
			if err != nil {
				t.Fatal(err)
			}
			gg, err := grpcguard.New(g, grpcguard.Config{Rules: map[string][]middleware.Rule{
				testpb.TestService_UnaryCall_FullMethodName:      {middleware.Scopes("orders:read")},
				testpb.TestService_FullDuplexCall_FullMethodName: {middleware.Scopes("orders:read")},
				testpb.TestService_EmptyCall_FullMethodName:      {middleware.Scopes("orders:write")},
			}})
			if err != nil {
				t.Fatal(err)
			}
			c := grpcClient(t, gg)
			bearer := func(tok string) context.Context {
				return grpcmd.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+tok)
			}

			var header, trailer grpcmd.MD
			_, err = c.UnaryCall(bearer(token), &testpb.SimpleRequest{}, grpc.Header(&header))
			if err != nil || !isOne(header.Get(seenSubject), apiClientID) {
				t.Errorf("UnaryCall(%s token) = %v, handler saw subject %q; want OK and %q", tc.alg, err, header.Get(seenSubject), apiClientID)
			}
			s, err := c.FullDuplexCall(bearer(token))
			if err == nil {
				err = s.Send(&testpb.StreamingOutputCallRequest{})
			}
			if err == nil {
				s.CloseSend()
				for err == nil {
					_, err = s.Recv()
				}
			}
			if h, _ := s.Header(); !errors.Is(err, io.EOF) || !isOne(h.Get(seenSubject), apiClientID) {
				t.Errorf("FullDuplexCall(%s token) ended with %v, handler saw subject %q; want io.EOF and %q", tc.alg, err, h.Get(seenSubject), apiClientID)
			}
			_, err = c.EmptyCall(bearer(token), &testpb.Empty{}, grpc.Trailer(&trailer))
			if status.Code(err) != codes.PermissionDenied || len(trailer.Get("www-authenticate")) != 1 {
				t.Errorf("EmptyCall(token without orders:write) = %v, www-authenticate %q; want PermissionDenied and a challenge", err, trailer.Get("www-authenticate"))
			}
			if _, err := c.UnaryCall(t.Context(), &testpb.SimpleRequest{}); status.Code(err) != codes.Unauthenticated {
				t.Errorf("UnaryCall(no token) = %v, want Unauthenticated", err)
			}
			if _, err := c.UnaryCall(bearer(foreign), &testpb.SimpleRequest{}); status.Code(err) != codes.Unauthenticated {
				t.Errorf("UnaryCall(token for %s) = %v, want Unauthenticated", resOther, err)
			}
		})
	}
}

const seenSubject = "x-seen-sub"

// isOne reports whether got is the one value want.
func isOne(got []string, want string) bool { return len(got) == 1 && got[0] == want }

// grpcService reports, in the header metadata, the subject of the claims
// its handlers see.
type grpcService struct {
	testpb.UnimplementedTestServiceServer
}

func grpcSeen(ctx context.Context) grpcmd.MD {
	sub := "-"
	if c, ok := jwtverify.ClaimsFromContext(ctx); ok {
		sub = c.Subject
	}
	return grpcmd.Pairs(seenSubject, sub)
}

func (grpcService) EmptyCall(ctx context.Context, _ *testpb.Empty) (*testpb.Empty, error) {
	return &testpb.Empty{}, grpc.SetHeader(ctx, grpcSeen(ctx))
}

func (grpcService) UnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	return &testpb.SimpleResponse{}, grpc.SetHeader(ctx, grpcSeen(ctx))
}

func (grpcService) FullDuplexCall(s testpb.TestService_FullDuplexCallServer) error {
	if err := s.SendHeader(grpcSeen(s.Context())); err != nil {
		return err
	}
	for {
		if _, err := s.Recv(); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if err := s.Send(&testpb.StreamingOutputCallResponse{}); err != nil {
			return err
		}
	}
}

// grpcClient serves the test service behind gg's interceptors over TLS on
// a loopback port, and returns a client of it.
func grpcClient(t *testing.T, gg *grpcguard.Guard) testpb.TestServiceClient {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(
		grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})),
		grpc.ChainUnaryInterceptor(gg.UnaryServerInterceptor()),
		grpc.ChainStreamInterceptor(gg.StreamServerInterceptor()))
	testpb.RegisterTestServiceServer(s, grpcService{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.Serve(lis) // returns when Stop closes the listener
	}()
	t.Cleanup(func() {
		s.Stop()
		wg.Wait()
	})
	conn, err := grpc.NewClient("passthrough:///"+lis.Addr().String(),
		grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: roots})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return testpb.NewTestServiceClient(conn)
}
