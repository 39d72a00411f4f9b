package middleware_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
)

// TestNewGuardRefusesDPoPMistakes: every contradiction or bad value of the
// sender-constraint settings is an error from NewGuard matching
// jwtverify.ErrConfig; the sound settings are accepted.
func TestNewGuardRefusesDPoPMistakes(t *testing.T) {
	f := newFixture(t)
	secret := []byte(strings.Repeat("s", 32))
	for _, tc := range []struct {
		name string
		cfg  middleware.Config
		ok   bool
	}{
		{"zero", middleware.Config{}, true},
		{"allowed, defaults", middleware.Config{DPoP: middleware.DPoPConfig{Mode: middleware.DPoPAllowed}}, true},
		{"required with nonces", middleware.Config{DPoP: middleware.DPoPConfig{Mode: middleware.DPoPRequired, NonceSecrets: [][]byte{secret}}}, true},
		{"allowed with a cookie source", middleware.Config{CookieName: "at", DPoP: middleware.DPoPConfig{Mode: middleware.DPoPAllowed}}, true},
		{"external URL", middleware.Config{DPoP: middleware.DPoPConfig{Mode: middleware.DPoPAllowed, ExternalURL: "https://api.example.com/v1"}}, true},
		{"certificate binding required", middleware.Config{RequireCertificateBinding: true}, true},
		{"unknown mode", middleware.Config{DPoP: middleware.DPoPConfig{Mode: 3}}, false},
		{"negative mode", middleware.Config{DPoP: middleware.DPoPConfig{Mode: -1}}, false},
		{"HMAC proof algorithm", middleware.Config{DPoP: middleware.DPoPConfig{Mode: middleware.DPoPAllowed, Algorithms: []string{"HS256"}}}, false},
		{"none proof algorithm", middleware.Config{DPoP: middleware.DPoPConfig{Mode: middleware.DPoPAllowed, Algorithms: []string{"none"}}}, false},
		{"unknown proof algorithm", middleware.Config{DPoP: middleware.DPoPConfig{Mode: middleware.DPoPAllowed, Algorithms: []string{"ES256", "ES999"}}}, false},
		{"short nonce secret", middleware.Config{DPoP: middleware.DPoPConfig{Mode: middleware.DPoPAllowed, NonceSecrets: [][]byte{secret, secret[:31]}}}, false},
		{"nonce lifetime under 1s", middleware.Config{DPoP: middleware.DPoPConfig{Mode: middleware.DPoPAllowed, NonceSecrets: [][]byte{secret}, NonceLifetime: time.Millisecond}}, false},
		{"negative proof window", middleware.Config{DPoP: middleware.DPoPConfig{Mode: middleware.DPoPAllowed, ProofWindow: -time.Second}}, false},
		{"external URL with a query", middleware.Config{DPoP: middleware.DPoPConfig{Mode: middleware.DPoPAllowed, ExternalURL: "https://api.example.com/?a=b"}}, false},
		{"external URL not absolute", middleware.Config{DPoP: middleware.DPoPConfig{Mode: middleware.DPoPAllowed, ExternalURL: "api.example.com"}}, false},
		{"off with nonce secrets", middleware.Config{DPoP: middleware.DPoPConfig{NonceSecrets: [][]byte{secret}}}, false},
		{"off with a replay store", middleware.Config{DPoP: middleware.DPoPConfig{Replay: storeFunc(nil)}}, false},
		{"off with forwarded headers", middleware.Config{DPoP: middleware.DPoPConfig{TrustForwardedHeaders: true}}, false},
		{"required with a form source", middleware.Config{FormToken: true, DPoP: middleware.DPoPConfig{Mode: middleware.DPoPRequired}}, false},
		{"required with a query source", middleware.Config{InsecureQueryToken: true, DPoP: middleware.DPoPConfig{Mode: middleware.DPoPRequired}}, false},
		{"required with a cookie source", middleware.Config{CookieName: "at", DPoP: middleware.DPoPConfig{Mode: middleware.DPoPRequired}}, false},
		{"certificate binding required and skipped", middleware.Config{RequireCertificateBinding: true, InsecureSkipCertificateBinding: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := middleware.NewGuard(f.verifier, tc.cfg)
			if tc.ok && err != nil {
				t.Fatalf("NewGuard = %v, want no error", err)
			}
			if !tc.ok && !errors.Is(err, jwtverify.ErrConfig) {
				t.Fatalf("NewGuard = %v, want an error matching jwtverify.ErrConfig", err)
			}
		})
	}
}

type storeFunc func(key string, until time.Time) (bool, error)

func (f storeFunc) Claim(_ context.Context, key string, until time.Time) (bool, error) {
	return f(key, until)
}

// bareWriter is a ResponseWriter with nothing but the three methods: no
// Flusher, no Hijacker, as the recording writer of a gRPC interceptor.
type bareWriter struct {
	h      http.Header
	status int
	body   strings.Builder
}

func (w *bareWriter) Header() http.Header { return w.h }
func (w *bareWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}
func (w *bareWriter) WriteHeader(status int) { w.status = status }

// dpopRequest makes a request to url whose DPoP token tok comes with a
// proof by key issued at iat, carrying nonce when not empty.
func dpopRequest(t *testing.T, key *jwttest.ProofKey, url, tok, nonce string, iat time.Time) *http.Request {
	t.Helper()
	sum := sha256.Sum256([]byte(tok))
	claims := map[string]any{"htm": http.MethodGet, "htu": url, "iat": iat.Unix(), "ath": base64.RawURLEncoding.EncodeToString(sum[:])}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	p, err := key.SignProof(nil, claims)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, url, nil)
	r.Header.Set("Authorization", "DPoP "+tok)
	r.Header.Set("DPoP", p)
	return r
}

// TestAdmitNonceRoundTrip runs Guard.Admit over a bare ResponseWriter: a
// proof without nonce gets 401 use_dpop_nonce with the nonce (header and
// Rejection), a proof with it passes with nothing added, and one with the
// nonce of the previous time step passes with a fresh nonce and no-store.
func TestAdmitNonceRoundTrip(t *testing.T) {
	f := newFixture(t)
	key, err := jwttest.NewProofKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	tok := f.iss.Mint(t, map[string]any{"aud": audience, "sub": "alice", "cnf": map[string]any{"jkt": key.Thumbprint()}})
	now := time.Now()
	clock := func() time.Time { return now }
	var rejections []middleware.Rejection
	g := guard(t, f.verifier, middleware.Config{
		DPoP: middleware.DPoPConfig{Mode: middleware.DPoPRequired, Now: clock, NonceLifetime: time.Minute,
			NonceSecrets: [][]byte{[]byte(strings.Repeat("k", 32))}},
		Hooks: middleware.Hooks{Rejected: func(_ context.Context, rej middleware.Rejection) { rejections = append(rejections, rej) }},
	})
	const url = "https://api.example.com/orders"

	w := &bareWriter{h: http.Header{}}
	if _, ok := g.Admit(w, dpopRequest(t, key, url, tok, "", now)); ok {
		t.Fatal("Admit(no nonce) = true, want false")
	}
	nonce := w.h.Get("DPoP-Nonce")
	if w.status != 401 || nonce == "" || len(rejections) != 1 || rejections[0].DPoPNonce != nonce ||
		!errors.Is(rejections[0].Err, middleware.ErrUseDPoPNonce) || rejections[0].Reason != "use_dpop_nonce" {
		t.Fatalf("Admit(no nonce): status %d, DPoP-Nonce %q, rejections %+v; want 401, a nonce, one use_dpop_nonce rejection with it", w.status, nonce, rejections)
	}
	if got := w.h.Get("WWW-Authenticate"); !strings.HasPrefix(got, `DPoP realm="api", error="use_dpop_nonce"`) {
		t.Errorf("WWW-Authenticate = %q, want the DPoP challenge with use_dpop_nonce", got)
	}

	w = &bareWriter{h: http.Header{}}
	r, ok := g.Admit(w, dpopRequest(t, key, url, tok, nonce, now))
	if !ok || w.status != 0 || len(w.h) != 0 {
		t.Fatalf("Admit(current nonce) = %v, status %d, headers %v; want true and nothing written", ok, w.status, w.h)
	}
	if c, ok := jwtverify.ClaimsFromContext(r.Context()); !ok || c.Subject != "alice" {
		t.Errorf("Admit(current nonce) returned a request without alice's claims")
	}

	now = now.Add(time.Minute) // the nonce is now of the previous step
	w = &bareWriter{h: http.Header{}}
	if _, ok := g.Admit(w, dpopRequest(t, key, url, tok, nonce, now)); !ok {
		t.Fatalf("Admit(previous nonce) = false (status %d, %v), want true", w.status, rejections[len(rejections)-1].Err)
	}
	if fresh := w.h.Get("DPoP-Nonce"); fresh == "" || fresh == nonce || w.h.Get("Cache-Control") != "no-store" || w.status != 0 {
		t.Errorf("Admit(previous nonce): DPoP-Nonce %q (was %q), Cache-Control %q, status %d; want a fresh nonce, no-store, nothing written",
			fresh, nonce, w.h.Get("Cache-Control"), w.status)
	}
}

// TestDefaultProofAlgorithms: a zero DPoPConfig.Algorithms announces every
// supported asymmetric algorithm, sorted, and no HMAC.
func TestDefaultProofAlgorithms(t *testing.T) {
	f := newFixture(t)
	g := guard(t, f.verifier, middleware.Config{DPoP: middleware.DPoPConfig{Mode: middleware.DPoPRequired}})
	w := httptest.NewRecorder()
	g.Handler(http.NotFoundHandler()).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	const want = `DPoP realm="api", algs="ES256 ES384 ES512 Ed25519 EdDSA PS256 PS384 PS512 RS256 RS384 RS512"`
	if got := w.Header().Get("WWW-Authenticate"); w.Code != 401 || got != want {
		t.Errorf("no token: %d %q, want 401 %q", w.Code, got, want)
	}
}

// TestClientCertificateFunc: Config.ClientCertificate supplies the
// certificate a proxy forwards; its errors fail closed, as 503 when they
// say the certificate cannot be had now, else 401 invalid_token.
func TestClientCertificateFunc(t *testing.T) {
	f := newFixture(t)
	cert := selfSigned(t)
	sum := sha256.Sum256(cert.Raw)
	tok := f.iss.Mint(t, map[string]any{"aud": audience, "sub": "alice",
		"cnf": map[string]any{"x5t#S256": base64.RawURLEncoding.EncodeToString(sum[:])}})
	errProxy := errors.New("forwarded certificate header is not PEM")
	for _, tc := range []struct {
		name   string
		fn     func(*http.Request) (*x509.Certificate, error)
		status int
		reason string
		err    error
	}{
		{"the bound certificate", func(*http.Request) (*x509.Certificate, error) { return cert, nil }, 200, "", nil},
		{"another certificate", func(*http.Request) (*x509.Certificate, error) { return selfSigned(t), nil }, 401, "certificate_binding", jwtverify.ErrInvalidToken},
		{"no certificate", func(*http.Request) (*x509.Certificate, error) { return nil, nil }, 401, "certificate_binding", jwtverify.ErrInvalidToken},
		{"unreadable certificate", func(*http.Request) (*x509.Certificate, error) { return nil, errProxy }, 401, "certificate_binding", errProxy},
		{"certificate source down", func(*http.Request) (*x509.Certificate, error) {
			return nil, fmt.Errorf("certificate store: %w", jwtverify.ErrUnavailable)
		}, 503, "unavailable", jwtverify.ErrUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rej *middleware.Rejection
			g := guard(t, f.verifier, middleware.Config{ClientCertificate: tc.fn,
				Hooks: middleware.Hooks{Rejected: func(_ context.Context, r middleware.Rejection) { rej = &r }}})
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})).ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d", w.Code, tc.status)
			}
			if tc.err == nil {
				return
			}
			if rej == nil || rej.Reason != tc.reason || !errors.Is(rej.Err, tc.err) {
				t.Fatalf("rejection = %+v, want reason %q and an error matching %v", rej, tc.reason, tc.err)
			}
		})
	}
}

func selfSigned(t *testing.T) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBoundTokenAdvice: the description a client gets for a DPoP-bound
// token sent as Bearer, or for a scheme the Guard does not take, tells it
// what this Guard accepts, so that following the advice can succeed: a
// Guard with DPoP off must not tell the client to use DPoP, and one that
// requires DPoP must not ask for a Bearer token.
func TestBoundTokenAdvice(t *testing.T) {
	f := newFixture(t)
	key, err := jwttest.NewProofKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	bound := f.iss.Mint(t, map[string]any{"aud": audience, "sub": "alice", "cnf": map[string]any{"jkt": key.Thumbprint()}})
	plain := f.iss.Mint(t, map[string]any{"aud": audience, "sub": "alice"})
	for _, tc := range []struct {
		name          string
		mode          middleware.DPoPMode
		token         string
		reason, descr string
	}{
		{"DPoP off, bound token", middleware.DPoPOff, bound, "unsupported_binding", "the access token is DPoP-bound, which this resource does not support"},
		{"DPoP allowed, bound token", middleware.DPoPAllowed, bound, "bearer_downgrade", "the access token is DPoP-bound and must be sent with the DPoP scheme"},
		{"DPoP required, Bearer token", middleware.DPoPRequired, plain, "unsupported_scheme", "the request carries no access token in a scheme this resource accepts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got middleware.Rejection
			g := guard(t, f.verifier, middleware.Config{
				DPoP:  middleware.DPoPConfig{Mode: tc.mode},
				Hooks: middleware.Hooks{Rejected: func(_ context.Context, rej middleware.Rejection) { got = rej }},
			})
			r := httptest.NewRequest("GET", "https://api.example.com/orders", nil)
			r.Header.Set("Authorization", "Bearer "+tc.token)
			w := &bareWriter{h: http.Header{}}
			if _, ok := g.Admit(w, r); ok {
				t.Fatal("Admit = true, want false")
			}
			if w.status != 401 || got.Reason != tc.reason || got.Description != tc.descr {
				t.Errorf("status %d, reason %q, description %q; want 401, %q, %q", w.status, got.Reason, got.Description, tc.reason, tc.descr)
			}
		})
	}
}
