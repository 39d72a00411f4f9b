package grpcguard_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
	"github.com/tokenguard/tokenguard/middleware/grpcguard"
)

const audience = "https://api.test"

// The methods of the test service, and what the servers of the tests make
// of them.
const (
	methodPublic = "/grpc.testing.TestService/CacheableUnaryCall"  // unary, public
	methodEmpty  = "/grpc.testing.TestService/EmptyCall"           // unary, token only
	methodUnary  = "/grpc.testing.TestService/UnaryCall"           // unary, orders:read
	methodServer = "/grpc.testing.TestService/StreamingOutputCall" // server streaming, token only
	methodClient = "/grpc.testing.TestService/StreamingInputCall"  // client streaming, token only
	methodBidi   = "/grpc.testing.TestService/FullDuplexCall"      // bidi streaming, orders:read
)

// testConfig is the grpcguard.Config of every server of the tests.
func testConfig() grpcguard.Config {
	return grpcguard.Config{
		Rules: map[string][]middleware.Rule{
			methodUnary: {middleware.Scopes("orders:read")},
			methodBidi:  {middleware.Scopes("orders:read")},
		},
		Public: []string{methodPublic},
	}
}

// subjectKey is the header metadata key in which every handler of the test
// service reports the subject of the claims it saw ("-" for none).
const subjectKey = "x-seen-sub"

// caseKey is the metadata key in which the client names the case, for the
// hooks: they find it on the request's context, which is the call's.
const caseKey = "x-case"

// service is the test service: every method reports the claims it saw.
type service struct {
	testpb.UnimplementedTestServiceServer
}

func seen(ctx context.Context) metadata.MD {
	if c, ok := jwtverify.ClaimsFromContext(ctx); ok {
		return metadata.Pairs(subjectKey, c.Subject)
	}
	return metadata.Pairs(subjectKey, "-")
}

func (service) EmptyCall(ctx context.Context, _ *testpb.Empty) (*testpb.Empty, error) {
	return &testpb.Empty{}, grpc.SetHeader(ctx, seen(ctx))
}

func (service) UnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	return &testpb.SimpleResponse{}, grpc.SetHeader(ctx, seen(ctx))
}

func (service) CacheableUnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	return &testpb.SimpleResponse{}, grpc.SetHeader(ctx, seen(ctx))
}

func (service) StreamingOutputCall(_ *testpb.StreamingOutputCallRequest, s testpb.TestService_StreamingOutputCallServer) error {
	if err := s.SendHeader(seen(s.Context())); err != nil {
		return err
	}
	return s.Send(&testpb.StreamingOutputCallResponse{})
}

func (service) StreamingInputCall(s testpb.TestService_StreamingInputCallServer) error {
	if err := s.SendHeader(seen(s.Context())); err != nil {
		return err
	}
	for {
		if _, err := s.Recv(); errors.Is(err, io.EOF) {
			return s.SendAndClose(&testpb.StreamingInputCallResponse{})
		} else if err != nil {
			return err
		}
	}
}

func (service) FullDuplexCall(s testpb.TestService_FullDuplexCallServer) error {
	if err := s.SendHeader(seen(s.Context())); err != nil {
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

// pki is the server's certificate, the pool that trusts it, and two client
// certificates.
type pki struct {
	server       tls.Certificate
	roots        *x509.CertPool
	certA, certB tls.Certificate
}

func newPKI(t testing.TB) *pki {
	t.Helper()
	p := &pki{roots: x509.NewCertPool()}
	var leaf *x509.Certificate
	p.server, leaf = certificate(t, "server", true)
	p.roots.AddCert(leaf)
	p.certA, _ = certificate(t, "client-a", false)
	p.certB, _ = certificate(t, "client-b", false)
	return p
}

// certificate makes a self-signed certificate: a server's for 127.0.0.1,
// or a client's.
func certificate(t testing.TB, name string, server bool) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf
}

// thumbprint is the x5t#S256 of a certificate.
func thumbprint(c tls.Certificate) string {
	sum := sha256.Sum256(c.Certificate[0])
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// serve starts a gRPC server of the test service behind gg's interceptors
// on a loopback TCP port, over TLS that asks for (and does not verify)
// client certificates, and returns its address.
func serve(t testing.TB, p *pki, gg *grpcguard.Guard) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	creds := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{p.server}, ClientAuth: tls.RequestClientCert})
	srv := grpc.NewServer(grpc.Creds(creds),
		grpc.ChainUnaryInterceptor(gg.UnaryServerInterceptor()),
		grpc.ChainStreamInterceptor(gg.StreamServerInterceptor()))
	testpb.RegisterTestServiceServer(srv, service{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		srv.Serve(lis) // returns when Stop closes the listener
	}()
	t.Cleanup(func() {
		srv.Stop()
		wg.Wait()
	})
	return lis.Addr().String()
}

// dial returns a client of the server at addr, that presents cert if not
// nil.
func dial(t testing.TB, p *pki, addr string, cert *tls.Certificate) testpb.TestServiceClient {
	t.Helper()
	cfg := &tls.Config{RootCAs: p.roots}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return testpb.NewTestServiceClient(conn)
}

// answer is what a client got from a call.
type answer struct {
	err             error
	header, trailer metadata.MD
}

// call calls method on c with the outgoing metadata md and runs the
// method's whole exchange: one request message, every response message.
func call(ctx context.Context, c testpb.TestServiceClient, method string, md metadata.MD) answer {
	ctx = metadata.NewOutgoingContext(ctx, md)
	var a answer
	switch method {
	case methodPublic:
		_, a.err = c.CacheableUnaryCall(ctx, &testpb.SimpleRequest{}, grpc.Header(&a.header), grpc.Trailer(&a.trailer))
	case methodEmpty:
		_, a.err = c.EmptyCall(ctx, &testpb.Empty{}, grpc.Header(&a.header), grpc.Trailer(&a.trailer))
	case methodUnary:
		_, a.err = c.UnaryCall(ctx, &testpb.SimpleRequest{}, grpc.Header(&a.header), grpc.Trailer(&a.trailer))
	case methodServer:
		s, err := c.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{})
		if err != nil {
			return answer{err: err}
		}
		a.err = drain(s.RecvMsg)
		a.header, _ = s.Header()
		a.trailer = s.Trailer()
	case methodClient:
		s, err := c.StreamingInputCall(ctx)
		if err != nil {
			return answer{err: err}
		}
		s.Send(&testpb.StreamingInputCallRequest{}) // an error shows in CloseAndRecv
		_, a.err = s.CloseAndRecv()
		a.header, _ = s.Header()
		a.trailer = s.Trailer()
	case methodBidi:
		s, err := c.FullDuplexCall(ctx)
		if err != nil {
			return answer{err: err}
		}
		s.Send(&testpb.StreamingOutputCallRequest{}) // an error shows in Recv
		s.CloseSend()
		a.err = drain(s.RecvMsg)
		a.header, _ = s.Header()
		a.trailer = s.Trailer()
	default:
		panic("call: no such method " + method)
	}
	return a
}

// drain receives messages until the stream ends, and returns nil at its
// normal end or the error that ended it.
func drain(recv func(any) error) error {
	for {
		err := recv(new(testpb.StreamingOutputCallResponse))
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// hookRecord collects the rejections the Guards report, by case name.
type hookRecord struct {
	mu       sync.Mutex
	rejected map[string][]middleware.Rejection
	accepted map[string][]*jwtverify.Claims
}

func (h *hookRecord) hooks() middleware.Hooks {
	name := func(ctx context.Context) string {
		md, _ := metadata.FromIncomingContext(ctx)
		if v := md.Get(caseKey); len(v) == 1 {
			return v[0]
		}
		return ""
	}
	return middleware.Hooks{
		Rejected: func(ctx context.Context, rej middleware.Rejection) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.rejected[name(ctx)] = append(h.rejected[name(ctx)], rej)
		},
		Authenticated: func(ctx context.Context, c *jwtverify.Claims) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.accepted[name(ctx)] = append(h.accepted[name(ctx)], c)
		},
	}
}

func (h *hookRecord) of(name string) ([]middleware.Rejection, []*jwtverify.Claims) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rejected[name], h.accepted[name]
}

// downVerifier returns a Verifier whose issuer has gone away, and a token
// signed by a key it has not fetched: verifying it needs the key set, which
// cannot be had.
func downVerifier(t testing.TB) (*jwtverify.Verifier, string) {
	t.Helper()
	iss, err := jwttest.NewIssuer(jwttest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := jwtverify.New(t.Context(), jwtverify.Config{Issuer: iss.URL, Audiences: []string{audience}})
	if err != nil {
		iss.Close()
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	if _, err := iss.Rotate("RS256"); err != nil {
		iss.Close()
		t.Fatal(err)
	}
	tok, err := iss.Sign(jwttest.Token{Claims: map[string]any{"aud": audience, "sub": "alice"}})
	iss.Close()
	if err != nil {
		t.Fatal(err)
	}
	return v, tok
}
