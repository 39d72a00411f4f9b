// Package conformance is a test kit that checks one entry point of
// tokenguard — the net/http middleware of package middleware, or one of its
// framework adapters — against the contract that package middleware
// documents, the way testing/slogtest checks a slog.Handler. Each entry
// point's own tests run it with their router:
//
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, func(rt *conformance.Routes) http.Handler {
//			... mount rt's routes on the router under test ...
//		})
//	}
//
// [Run] builds the Guards and rules of [Routes] over a real in-process
// issuer and Verifier, asks the test to mount them, serves the result with
// a real httptest.Server, and sends one table of requests, covering every
// answer the middleware gives. Each answer is checked for its status,
// WWW-Authenticate challenge, headers and JSON body, the hooks the Guard
// called, and the claims the handler saw, through the framework's own
// accessor and through the request context.
//
// The package imports net/http, testing and tokenguard's own packages, never
// a web framework: the core packages' tests import it, and no core package
// nor any of its test files may import a framework (the dependency rule of
// DESIGN.md). It is not API: it lives under internal/.
package conformance

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
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/introspect"
	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
)

// Routes holds what the router under test mounts. Every route answers GET
// and ends in a handler that calls [Reply]:
//
//	path           in front of the handler               the route is
//	/api/me        API                                    for any valid token
//	/api/healthz   API (it excludes this path)            public
//	/api/orders    API, then API's Require(Orders)        scoped
//	/api/admin     API, then API's Require(Admin)         for any one of two scopes
//	/api/alice     API, then API's Require(Alice)         behind a custom rule
//	/api/mfa       API, then API's Require(MFA)           for a strong login (RFC 9470 acr)
//	/api/recent    API, then API's Require(Recent)        for a recent login (RFC 9470 max_age)
//	/opt/me        Optional                               optional authentication
//	/opt/orders    Optional, then Optional's Require(Orders)
//	/down/me       Down                                   behind a key source that is down
//	/dpop/me       DPoP                                   Bearer or DPoP tokens, JWT or opaque
//	/dpop/orders   DPoP, then DPoP's Require(Orders)
//	/dpop/mfa      DPoP, then DPoP's Require(MFA)
//	/nonce/me      Nonce                                  DPoP only, with server nonces
//	/mtls/me       MTLS                                   certificate-bound tokens only
//
// and, for each Guard g of Published, g.MetadataPath() answers GET with
// g.MetadataHandler(), outside every Guard (RFC 9728 protected resource
// metadata):
//
//	for _, g := range rt.Published {
//		mux.Handle("GET "+g.MetadataPath(), g.MetadataHandler())
//	}
//
// "API" stands for the entry point's form of the Guard's middleware
// (Guard.Handler, ginguard.Middleware(g), ...) and "API's Require(rule)" for
// its form of the route rule (Guard.Require, ginguard.Require(g, rule),
// ...), given the same Guard. Route groups, per-route middleware or nested
// routers: any way the router offers will do, as long as each path gets its
// middleware in the order shown.
//
// The server is a real TLS server that asks for (and does not verify)
// client certificates, as a resource server taking certificate-bound
// tokens (RFC 8705) does.
type Routes struct {
	// API requires a token on /api/ routes, except on /api/healthz,
	// which it excludes (Config.ExcludePaths). Its realm is "api-test".
	// It checks certificate-bound tokens (the default) and has DPoP off.
	// It publishes metadata, with the resource <server>/api.
	API *middleware.Guard
	// Optional lets requests without a token through on /opt/ routes.
	// Its realm is "opt-test".
	Optional *middleware.Guard
	// Down guards /down/me with a Verifier whose key source is
	// unreachable. Its realm is "down-test".
	Down *middleware.Guard
	// DPoP guards /dpop/ routes with DPoPAllowed, proof algorithms
	// ES256, EdDSA and PS256, and both JWTs and opaque tokens (through
	// an introspection endpoint of the kit). Its realm is "dpop-test". It
	// publishes metadata, with the resource <server>/dpop.
	DPoP *middleware.Guard
	// Nonce guards /nonce/me with DPoPRequired and server nonces. Its
	// realm is "nonce-test". It publishes metadata, with the resource
	// <server>/nonce.
	Nonce *middleware.Guard
	// MTLS guards /mtls/me with RequireCertificateBinding. Its realm is
	// "mtls-test". It publishes metadata, with the resource
	// <server>/mtls.
	MTLS *middleware.Guard
	// Published are the Guards with Config.Metadata (API, DPoP, Nonce and
	// MTLS), whose metadata documents the router serves.
	Published []*middleware.Guard

	// Orders is middleware.Scopes("orders:read").
	Orders middleware.Rule
	// Admin is middleware.AnyScope("admin", "root").
	Admin middleware.Rule
	// Alice is a custom rule that lets the subject "alice" through and
	// refuses everyone else with an error of no category.
	Alice middleware.Rule
	// MFA is middleware.ACR("urn:example:mfa", "phr").
	MFA middleware.Rule
	// Recent is middleware.MaxAge(5 * time.Minute).
	Recent middleware.Rule
}

// Reply writes the answer of every handler of [Routes]: what it saw. c and
// ok are what the entry point's own claims accessor returned
// (ginguard.Claims(c), jwtverify.ClaimsFromContext(r.Context()), ...); r is
// the request the handler got.
func Reply(w http.ResponseWriter, r *http.Request, c *jwtverify.Claims, ok bool) {
	fromCtx, ctxOK := jwtverify.ClaimsFromContext(r.Context())
	s := seen{Handler: true, Claims: ok, Agree: ok == ctxOK && c == fromCtx}
	if ok && c != nil {
		s.Subject = c.Subject
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	json.NewEncoder(w).Encode(s)
}

// seen is what the handler reports having seen.
type seen struct {
	Handler bool   `json:"handler"`
	Claims  bool   `json:"claims"`
	Subject string `json:"sub"`
	Agree   bool   `json:"agree"` // the accessor returned the context's claims
}

// Run checks the entry point that mount builds: it makes the [Routes], calls
// mount once to get the router holding them, serves it over a real HTTP
// server, and runs each request of its table as a subtest of t.
func Run(t *testing.T, mount func(rt *Routes) http.Handler) {
	t.Helper()
	h := start(t, mount)
	for _, tc := range h.cases() {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range h.check(t.Context(), tc) {
				t.Error(p)
			}
		})
	}
}

const audience = "https://api.test"

// tokens are the access tokens of the table, signed by a real issuer.
type tokens struct {
	valid    string // alice, scopes orders:read profile
	bob      string // bob, scopes orders:read
	profile  string // alice, scope profile only
	root     string // carol, scope root
	expired  string
	otherAud string
	tampered string // alice's token with mallory's payload
	down     string // for the Down Guard: signed by a key its Verifier has never fetched

	dpop        string // erin, scope profile, bound to the key dpopKey (cnf.jkt)
	opaque      string // an opaque token of dana, bound to dpopKey, known to the introspection endpoint
	certBound   string // frank, bound to the certificate certA (cnf.x5t#S256)
	unsupported string // alice, with a cnf of a method nothing checks (jwk)

	mfa     string // alice, acr urn:example:mfa, logged in a minute ago
	weak    string // alice, acr pwd, logged in two hours ago
	dpopMFA string // erin, like dpop, with acr phr
}

// harness is a router under test, served, with the tokens, keys,
// certificates and clock its requests need, and the record of hook calls.
type harness struct {
	srv    *httptest.Server
	tok    tokens
	hook   *record
	issuer string // the issuer of the tokens, the authorization server the metadata names

	clock   *clock
	dpopKey *jwttest.ProofKey // the key of tok.dpop and tok.opaque
	other   *jwttest.ProofKey // a key no token is bound to
	certA   tls.Certificate   // the certificate of tok.certBound
	certB   tls.Certificate
	// lastNonce is the nonce the last withNonce sender used.
	lastNonce string
}

// clock is the DPoP Guards' clock: frozen, and moved on only by the
// table, so that whether a nonce is due never depends on when tests run.
type clock struct {
	base time.Time
	off  atomic.Int64
}

func (c *clock) now() time.Time              { return c.base.Add(time.Duration(c.off.Load())) }
func (c *clock) advance(d time.Duration)     { c.off.Add(int64(d)) }
func newClock(base time.Time) *clock         { return &clock{base: base} }
func thumbprint(cert tls.Certificate) string { return hash(string(cert.Certificate[0])) }

// hash is the unpadded base64url SHA-256 of s: a proof's ath, a
// certificate's x5t#S256.
func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// nonceLife is the Nonce Guard's NonceLifetime.
const nonceLife = 10 * time.Second

func start(t testing.TB, mount func(rt *Routes) http.Handler) *harness {
	t.Helper()
	iss := jwttest.Start(t, jwttest.Options{})
	v, err := jwtverify.New(t.Context(), jwtverify.Config{Issuer: iss.URL, Audiences: []string{audience}})
	if err != nil {
		t.Fatalf("conformance: jwtverify.New: %v", err)
	}
	t.Cleanup(v.Close)
	now := time.Now()
	h := &harness{hook: &record{byCase: map[string]*calls{}}, clock: newClock(now)}
	h.dpopKey, h.other = proofKey(t, "ES256"), proofKey(t, "EdDSA")
	h.certA, h.certB = certificate(t, "client-a"), certificate(t, "client-b")
	h.tok = tokens{
		valid:   iss.Mint(t, map[string]any{"aud": audience, "sub": "alice", "scope": "orders:read profile"}),
		bob:     iss.Mint(t, map[string]any{"aud": audience, "sub": "bob", "scope": "orders:read"}),
		profile: iss.Mint(t, map[string]any{"aud": audience, "sub": "alice", "scope": "profile"}),
		root:    iss.Mint(t, map[string]any{"aud": audience, "sub": "carol", "scope": "root"}),
		expired: iss.Mint(t, map[string]any{"aud": audience, "sub": "alice",
			"iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()}),
		otherAud: iss.Mint(t, map[string]any{"aud": "https://other.test", "sub": "alice"}),
		dpop: iss.Mint(t, map[string]any{"aud": audience, "sub": "erin", "scope": "profile",
			"cnf": map[string]any{"jkt": h.dpopKey.Thumbprint()}}),
		opaque: "opaque-dana-" + strconv.FormatInt(now.UnixNano(), 36),
		certBound: iss.Mint(t, map[string]any{"aud": audience, "sub": "frank",
			"cnf": map[string]any{"x5t#S256": thumbprint(h.certA)}}),
		unsupported: iss.Mint(t, map[string]any{"aud": audience, "sub": "alice",
			"cnf": map[string]any{"jwk": h.other.JWK()}}),
		mfa: iss.Mint(t, map[string]any{"aud": audience, "sub": "alice", "acr": "urn:example:mfa",
			"auth_time": now.Add(-time.Minute).Unix()}),
		weak: iss.Mint(t, map[string]any{"aud": audience, "sub": "alice", "acr": "pwd",
			"auth_time": now.Add(-2 * time.Hour).Unix()}),
		dpopMFA: iss.Mint(t, map[string]any{"aud": audience, "sub": "erin", "acr": "phr",
			"cnf": map[string]any{"jkt": h.dpopKey.Thumbprint()}}),
	}
	h.issuer = iss.URL
	mallory := iss.Mint(t, map[string]any{"aud": audience, "sub": "mallory", "scope": "orders:read"})
	parts, other := strings.Split(h.tok.valid, "."), strings.Split(mallory, ".")
	h.tok.tampered = parts[0] + "." + other[1] + "." + parts[2]

	down, downToken := downVerifier(t)
	h.tok.down = downToken
	opaque := introspector(t, h.tok.opaque, map[string]any{"active": true, "sub": "dana", "aud": audience,
		"exp": now.Add(time.Hour).Unix(), "token_type": "DPoP", "cnf": map[string]any{"jkt": h.dpopKey.Thumbprint()}})
	hooks := h.hook.hooks()
	// The server listens from here on, so that the Guards' metadata can
	// name its URL; it serves once the router is mounted.
	h.srv = httptest.NewUnstartedServer(nil)
	base := "https://" + h.srv.Listener.Addr().String()
	published := func(path string) *middleware.ResourceMetadata {
		return &middleware.ResourceMetadata{Resource: base + path, AuthorizationServers: []string{iss.URL},
			ScopesSupported: []string{"orders:read", "profile"}, ResourceName: "conformance " + path[1:]}
	}
	rt := &Routes{
		API: newGuard(t, v, middleware.Config{Realm: "api-test", ExcludePaths: []string{"/api/healthz"}, Hooks: hooks,
			Metadata: published("/api")}),
		Optional: newGuard(t, v, middleware.Config{Realm: "opt-test", Optional: true, Hooks: hooks}),
		Down:     newGuard(t, down, middleware.Config{Realm: "down-test", Hooks: hooks}),
		DPoP: newGuard(t, middleware.Chain(v, opaque), middleware.Config{Realm: "dpop-test", Hooks: hooks, Metadata: published("/dpop"),
			DPoP: middleware.DPoPConfig{Mode: middleware.DPoPAllowed, Algorithms: []string{"PS256", "ES256", "EdDSA"}, Now: h.clock.now}}),
		Nonce: newGuard(t, v, middleware.Config{Realm: "nonce-test", Hooks: hooks, Metadata: published("/nonce"),
			DPoP: middleware.DPoPConfig{Mode: middleware.DPoPRequired, Now: h.clock.now,
				Algorithms:   []string{"RS256", "ES256"},
				NonceSecrets: [][]byte{[]byte("conformance nonce secret, 32 bytes or more")}, NonceLifetime: nonceLife}}),
		MTLS: newGuard(t, v, middleware.Config{Realm: "mtls-test", RequireCertificateBinding: true, Hooks: hooks,
			Metadata: published("/mtls")}),
		Orders: middleware.Scopes("orders:read"),
		Admin:  middleware.AnyScope("admin", "root"),
		Alice:  onlyAlice,
		MFA:    middleware.ACR("urn:example:mfa", "phr"),
		Recent: middleware.MaxAge(5 * time.Minute),
	}
	rt.Published = []*middleware.Guard{rt.API, rt.DPoP, rt.Nonce, rt.MTLS}
	router := mount(rt)
	if router == nil {
		h.srv.Close()
		t.Fatal("conformance: mount returned a nil handler")
	}
	h.srv.Config.Handler = withCase(router)
	h.srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	h.srv.StartTLS()
	t.Cleanup(h.srv.Close)
	return h
}

// client returns a client of the server that presents cert, if not nil.
func (h *harness) client(cert *tls.Certificate) *http.Client {
	c := h.srv.Client()
	if cert == nil {
		return c
	}
	tr := c.Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
	return &http.Client{Transport: tr}
}

// proof signs a DPoP proof with key for a request of method to target on
// the server, for token (ath) and nonce (when not empty), issued now on the
// Guards' clock.
func (h *harness) proof(key *jwttest.ProofKey, method, target, token, nonce string) (string, error) {
	claims := map[string]any{"htm": method, "htu": h.srv.URL + target, "iat": h.clock.now().Unix()}
	if token != "" {
		claims["ath"] = hash(token)
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	return key.SignProof(nil, claims)
}

func proofKey(t testing.TB, alg string) *jwttest.ProofKey {
	t.Helper()
	k, err := jwttest.NewProofKey(alg)
	if err != nil {
		t.Fatalf("conformance: jwttest.NewProofKey(%q): %v", alg, err)
	}
	return k
}

// certificate makes a self-signed client certificate.
func certificate(t testing.TB, name string) tls.Certificate {
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
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// introspector returns an introspection client of an RFC 7662 endpoint
// that knows one active token, answered with active, and no other.
func introspector(t testing.TB, token string, active map[string]any) middleware.Authenticator {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		answer := map[string]any{"active": false}
		if r.PostForm.Get("token") == token {
			answer = active
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(answer)
	}))
	t.Cleanup(srv.Close)
	c, err := introspect.New(t.Context(), introspect.Config{Endpoint: srv.URL, Audiences: []string{audience},
		ClientID: "conformance", ClientSecret: "conformance-secret"})
	if err != nil {
		t.Fatalf("conformance: introspect.New: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

func newGuard(t testing.TB, a middleware.Authenticator, cfg middleware.Config) *middleware.Guard {
	t.Helper()
	g, err := middleware.NewGuard(a, cfg)
	if err != nil {
		t.Fatalf("conformance: middleware.NewGuard: %v", err)
	}
	return g
}

// downVerifier returns a Verifier whose issuer has gone away, and a token
// signed by a key it has not fetched: verifying it needs the key set, which
// cannot be had.
func downVerifier(t testing.TB) (*jwtverify.Verifier, string) {
	t.Helper()
	iss, err := jwttest.NewIssuer(jwttest.Options{})
	if err != nil {
		t.Fatalf("conformance: jwttest.NewIssuer: %v", err)
	}
	v, err := jwtverify.New(t.Context(), jwtverify.Config{Issuer: iss.URL, Audiences: []string{audience}})
	if err != nil {
		iss.Close()
		t.Fatalf("conformance: jwtverify.New: %v", err)
	}
	t.Cleanup(v.Close)
	if _, err := iss.Rotate("RS256"); err != nil {
		iss.Close()
		t.Fatalf("conformance: Rotate: %v", err)
	}
	tok, err := iss.Sign(jwttest.Token{Claims: map[string]any{"aud": audience, "sub": "alice"}})
	iss.Close()
	if err != nil {
		t.Fatalf("conformance: Sign: %v", err)
	}
	return v, tok
}

func onlyAlice(_ *http.Request, c *jwtverify.Claims) error {
	if c.Subject != "alice" {
		return errors.New("conformance: only alice may")
	}
	return nil
}

// The client names each request in caseHeader; withCase puts that name on
// the request context, where the hooks find it.
const caseHeader = "X-Conformance-Case"

type caseKey struct{}

func withCase(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), caseKey{}, r.Header.Get(caseHeader))))
	})
}

// record collects the hook calls of every Guard, per request.
type record struct {
	mu     sync.Mutex
	byCase map[string]*calls
	n      atomic.Int64 // names the requests
}

type calls struct {
	authenticated []*jwtverify.Claims
	rejected      []middleware.Rejection
}

func (rec *record) hooks() middleware.Hooks {
	at := func(ctx context.Context) *calls {
		name, _ := ctx.Value(caseKey{}).(string)
		c := rec.byCase[name]
		if c == nil {
			c = new(calls)
			rec.byCase[name] = c
		}
		return c
	}
	return middleware.Hooks{
		Authenticated: func(ctx context.Context, c *jwtverify.Claims) {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			at(ctx).authenticated = append(at(ctx).authenticated, c)
		},
		Rejected: func(ctx context.Context, rej middleware.Rejection) {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			at(ctx).rejected = append(at(ctx).rejected, rej)
		},
	}
}

func (rec *record) of(name string) calls {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if c := rec.byCase[name]; c != nil {
		return *c
	}
	return calls{}
}

// want is the expected answer to a request.
type want struct {
	status int
	code   string // the error code of the body (and of the challenge, if any); "" for none
	scope  string // the scope of a 403 (body and challenge)
	err    error  // the rejection's category (errors.Is); nil: served
	// authenticated is whether the Guard accepted a token
	// (Hooks.Authenticated called once).
	authenticated bool
	subject       string // the handler saw claims of this subject; "": no claims
	// on is the scheme whose challenge carries the error, for Guards that
	// accept two; "" for the first.
	on string
	// nonce is whether the answer carries a DPoP-Nonce header (with
	// Cache-Control: no-store).
	nonce bool
	// acrValues and maxAge are the requirements of an
	// insufficient_user_authentication answer (body, challenge and
	// Rejection); maxAge in seconds.
	acrValues string
	maxAge    int64
	// retryAfter is whether a 503 carries Retry-After.
	retryAfter bool
	// metadata, if set, makes the case that of an RFC 9728 client
	// (followMetadata) that expects this document.
	metadata map[string]any
}

// A sender prepares tc's request beyond its Authorization headers (a DPoP
// proof, an Origin) and returns the client to send it with (one with a
// client certificate, say). It may send requests of its own first, without
// a case name, through h.
type sender func(h *harness, req *http.Request) (*http.Client, error)

type testCase struct {
	name   string
	target string
	auth   func(tokens) []string // Authorization header values; nil for none
	send   sender                // nil: the request as auth makes it, from a client without certificate
	want   want
}

func (h *harness) cases() []testCase {
	bearer := func(pick func(tokens) string) func(tokens) []string {
		return func(tk tokens) []string { return []string{"Bearer " + pick(tk)} }
	}
	raw := func(v ...string) func(tokens) []string { return func(tokens) []string { return v } }
	valid := func(tk tokens) string { return tk.valid }
	served := func(sub string) want { return want{status: 200, authenticated: true, subject: sub} }
	plain := []struct {
		name   string
		target string
		auth   func(tokens) []string
		want   want
	}{
		{"no header", "/api/me", nil,
			want{status: 401, err: middleware.ErrNoToken}},
		{"two Authorization headers", "/api/me", func(tk tokens) []string { return []string{"Bearer " + tk.valid, "Bearer " + tk.valid} },
			want{status: 400, code: "invalid_request", err: middleware.ErrInvalidRequest}},
		{"Basic scheme", "/api/me", raw("Basic YWxpY2U6c2VjcmV0"),
			want{status: 401, err: middleware.ErrNoToken}},
		{"bearer lower case", "/api/me", func(tk tokens) []string { return []string{"bearer " + tk.valid} }, served("alice")},
		{"BEARER upper case", "/api/me", func(tk tokens) []string { return []string{"BEARER " + tk.valid} }, served("alice")},
		{"several spaces (1*SP)", "/api/me", func(tk tokens) []string { return []string{"Bearer   " + tk.valid} }, served("alice")},
		{"tab instead of space", "/api/me", func(tk tokens) []string { return []string{"Bearer\t" + tk.valid} },
			want{status: 400, code: "invalid_request", err: middleware.ErrInvalidRequest}},
		{"space inside the token", "/api/me", func(tk tokens) []string { return []string{"Bearer " + tk.valid[:10] + " " + tk.valid[10:]} },
			want{status: 400, code: "invalid_request", err: middleware.ErrInvalidRequest}},
		{"Bearer without token", "/api/me", raw("Bearer"),
			want{status: 400, code: "invalid_request", err: middleware.ErrInvalidRequest}},
		{"token outside b64token syntax", "/api/me", raw("Bearer a,b"),
			want{status: 400, code: "invalid_request", err: middleware.ErrInvalidRequest}},
		{"token in query when disabled", "/api/me?access_token=" + h.tok.valid, nil,
			want{status: 401, err: middleware.ErrNoToken}},
		{"token over 16 KiB", "/api/me", raw("Bearer " + strings.Repeat("a", 16<<10+1)),
			want{status: 401, code: "invalid_token", err: jwtverify.ErrMalformed}},
		{"valid token", "/api/me", bearer(valid), served("alice")},
		{"expired token", "/api/me", bearer(func(tk tokens) string { return tk.expired }),
			want{status: 401, code: "invalid_token", err: jwtverify.ErrExpired}},
		{"wrong audience", "/api/me", bearer(func(tk tokens) string { return tk.otherAud }),
			want{status: 401, code: "invalid_token", err: jwtverify.ErrAudience}},
		{"tampered payload", "/api/me", bearer(func(tk tokens) string { return tk.tampered }),
			want{status: 401, code: "invalid_token", err: jwtverify.ErrSignature}},
		{"scope granted", "/api/orders", bearer(valid), served("alice")},
		{"missing scope", "/api/orders", bearer(func(tk tokens) string { return tk.profile }),
			want{status: 403, code: "insufficient_scope", scope: "orders:read", err: middleware.ErrInsufficientScope, authenticated: true}},
		{"one of the scopes", "/api/admin", bearer(func(tk tokens) string { return tk.root }), served("carol")},
		{"none of the scopes", "/api/admin", bearer(valid),
			want{status: 403, code: "insufficient_scope", scope: "admin root", err: middleware.ErrInsufficientScope, authenticated: true}},
		{"custom rule passes", "/api/alice", bearer(valid), served("alice")},
		{"custom rule refuses", "/api/alice", bearer(func(tk tokens) string { return tk.bob }),
			want{status: 403, code: "insufficient_scope", err: middleware.ErrForbidden, authenticated: true}},
		{"excluded route without token", "/api/healthz", nil,
			want{status: 200}},
		{"excluded route with bad token", "/api/healthz", bearer(func(tk tokens) string { return tk.expired }),
			want{status: 200}},
		{"excluded route, encoded", "/api/health%7a", nil,
			want{status: 401, err: middleware.ErrNoToken}},
		{"optional: no token", "/opt/me", nil,
			want{status: 200}},
		{"optional: valid token", "/opt/me", bearer(valid), served("alice")},
		{"optional: expired token", "/opt/me", bearer(func(tk tokens) string { return tk.expired }),
			want{status: 401, code: "invalid_token", err: jwtverify.ErrExpired}},
		{"optional: Basic scheme", "/opt/me", raw("Basic YWxpY2U6c2VjcmV0"),
			want{status: 401, err: middleware.ErrNoToken}},
		{"optional: scoped route without token", "/opt/orders", nil,
			want{status: 401, err: middleware.ErrNoToken}},
		{"optional: scoped route with the scope", "/opt/orders", bearer(valid), served("alice")},
		{"optional: scoped route without the scope", "/opt/orders", bearer(func(tk tokens) string { return tk.profile }),
			want{status: 403, code: "insufficient_scope", scope: "orders:read", err: middleware.ErrInsufficientScope, authenticated: true}},
		{"key source down", "/down/me", bearer(func(tk tokens) string { return tk.down }),
			want{status: 503, code: "temporarily_unavailable", err: jwtverify.ErrUnavailable, retryAfter: true}},

		{"step-up: strong login", "/api/mfa", bearer(func(tk tokens) string { return tk.mfa }), served("alice")},
		{"step-up: weak login", "/api/mfa", bearer(func(tk tokens) string { return tk.weak }),
			want{status: 401, code: "insufficient_user_authentication", err: middleware.ErrInsufficientUserAuthentication,
				authenticated: true, acrValues: "urn:example:mfa phr"}},
		{"step-up: no acr", "/api/mfa", bearer(valid),
			want{status: 401, code: "insufficient_user_authentication", err: middleware.ErrInsufficientUserAuthentication,
				authenticated: true, acrValues: "urn:example:mfa phr"}},
		{"step-up: recent login", "/api/recent", bearer(func(tk tokens) string { return tk.mfa }), served("alice")},
		{"step-up: old login", "/api/recent", bearer(func(tk tokens) string { return tk.weak }),
			want{status: 401, code: "insufficient_user_authentication", err: middleware.ErrInsufficientUserAuthentication,
				authenticated: true, maxAge: 300}},
		{"step-up: no auth_time", "/api/recent", bearer(valid),
			want{status: 401, code: "insufficient_user_authentication", err: middleware.ErrInsufficientUserAuthentication,
				authenticated: true, maxAge: 300}},
		{"step-up: expired token is invalid_token first", "/api/mfa", bearer(func(tk tokens) string { return tk.expired }),
			want{status: 401, code: "invalid_token", err: jwtverify.ErrExpired}},
	}
	cases := make([]testCase, 0, len(plain)+40)
	for _, c := range plain {
		cases = append(cases, testCase{name: c.name, target: c.target, auth: c.auth, want: c.want})
	}
	cases = append(cases, h.boundCases()...)
	return append(cases, h.metadataCases()...)
}

// guardInfo is what the challenges of the Guard that answers for a target
// hold.
type guardInfo struct {
	realm   string
	schemes []string // in the order of the WWW-Authenticate value
	algs    string   // the DPoP challenge's algs
	// metadata is the path of the Guard's metadata, which every
	// challenge names in resource_metadata; "" for a Guard without.
	metadata string
}

// guardOf returns the challenges' contents of the Guard that answers for
// target.
func guardOf(target string) guardInfo {
	switch {
	case strings.HasPrefix(target, "/opt/"):
		return guardInfo{realm: "opt-test", schemes: []string{"Bearer"}}
	case strings.HasPrefix(target, "/down/"):
		return guardInfo{realm: "down-test", schemes: []string{"Bearer"}}
	case strings.HasPrefix(target, "/dpop/"):
		return guardInfo{realm: "dpop-test", schemes: []string{"Bearer", "DPoP"}, algs: "ES256 EdDSA PS256", metadata: wellKnown + "/dpop"}
	case strings.HasPrefix(target, "/nonce/"):
		return guardInfo{realm: "nonce-test", schemes: []string{"DPoP"}, algs: "ES256 RS256", metadata: wellKnown + "/nonce"}
	case strings.HasPrefix(target, "/mtls/"):
		return guardInfo{realm: "mtls-test", schemes: []string{"Bearer"}, metadata: wellKnown + "/mtls"}
	}
	return guardInfo{realm: "api-test", schemes: []string{"Bearer"}, metadata: wellKnown + "/api"}
}

// check sends tc's request and returns what is wrong with the answer.
func (h *harness) check(ctx context.Context, tc testCase) []string {
	if tc.want.metadata != nil {
		return h.followMetadata(ctx, tc.target, tc.want.metadata)
	}
	name := strconv.FormatInt(h.hook.n.Add(1), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.srv.URL+tc.target, nil)
	if err != nil {
		return []string{err.Error()}
	}
	req.Header.Set(caseHeader, name)
	if tc.auth != nil {
		req.Header["Authorization"] = tc.auth(h.tok)
	}
	client := h.client(nil)
	if tc.send != nil {
		if client, err = tc.send(h, req); err != nil {
			return []string{fmt.Sprintf("GET %s: preparing the request: %v", tc.target, err)}
		}
	}
	res, err := client.Do(req)
	if err != nil {
		return []string{fmt.Sprintf("GET %s: %v", tc.target, err)}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(http.MaxBytesReader(nil, res.Body, 1<<16))
	if err != nil {
		return []string{fmt.Sprintf("GET %s: reading the body: %v", tc.target, err)}
	}
	if res.StatusCode != tc.want.status {
		return []string{fmt.Sprintf("GET %s: status = %d, want %d; body %s", tc.target, res.StatusCode, tc.want.status, body)}
	}

	var p problems
	hooks := h.hook.of(name)
	if n, want := len(hooks.authenticated), b2i(tc.want.authenticated); n != want {
		p.add("Hooks.Authenticated called %d times, want %d", n, want)
	}
	if tc.want.err == nil {
		if len(hooks.rejected) != 0 {
			p.add("Hooks.Rejected called with %+v on a served request", hooks.rejected)
		}
		checkServed(&p, res, body, tc.want.subject)
		checkNonce(&p, res, req, tc.want.nonce, "")
		if tc.want.nonce && res.Header.Get("DPoP-Nonce") == h.lastNonce {
			p.add("DPoP-Nonce = %q, the nonce the proof used; want a fresh one", h.lastNonce)
		}
		return p
	}
	if len(hooks.rejected) != 1 {
		p.add("Hooks.Rejected called %d times, want 1", len(hooks.rejected))
		return p
	}
	rej := hooks.rejected[0]
	if !errors.Is(rej.Err, tc.want.err) {
		p.add("rejection error = %v, want %v", rej.Err, tc.want.err)
	}
	if rej.Status != res.StatusCode || rej.Code != tc.want.code || rej.Scope != tc.want.scope ||
		rej.ACRValues != tc.want.acrValues || rej.MaxAge != time.Duration(tc.want.maxAge)*time.Second {
		p.add("Rejection = {Status %d, Code %q, Scope %q, ACRValues %q, MaxAge %v}, want {%d, %q, %q, %q, %v}",
			rej.Status, rej.Code, rej.Scope, rej.ACRValues, rej.MaxAge,
			res.StatusCode, tc.want.code, tc.want.scope, tc.want.acrValues, time.Duration(tc.want.maxAge)*time.Second)
	}
	checkRejected(&p, res, body, h.srv.URL, guardOf(tc.target), tc.want.on, rej)
	checkRetryAfter(&p, res, tc.want.retryAfter, rej)
	checkNonce(&p, res, req, tc.want.nonce, rej.DPoPNonce)
	return p
}

// checkNonce checks the DPoP-Nonce header of an answer: there (with
// Cache-Control: no-store) when want says so, the one of the Rejection
// (rejNonce) on a refusal, and exposed to scripts on a CORS request.
func checkNonce(p *problems, res *http.Response, req *http.Request, want bool, rejNonce string) {
	got := res.Header.Values("DPoP-Nonce")
	switch {
	case !want && len(got) != 0:
		p.add("DPoP-Nonce = %q, want none", got)
	case want && (len(got) != 1 || got[0] == ""):
		p.add("DPoP-Nonce = %q, want one nonce", got)
	case want:
		if cc := res.Header.Values("Cache-Control"); len(cc) != 1 || cc[0] != "no-store" {
			p.add("Cache-Control = %q with a DPoP-Nonce, want no-store", cc)
		}
		if res.StatusCode != http.StatusOK && rejNonce != got[0] {
			p.add("Rejection.DPoPNonce = %q, the header %q", rejNonce, got[0])
		}
	}
	exposed := map[string]bool{}
	for _, v := range res.Header.Values("Access-Control-Expose-Headers") {
		for _, name := range strings.Split(v, ",") {
			exposed[http.CanonicalHeaderKey(strings.TrimSpace(name))] = true
		}
	}
	for _, name := range []string{"WWW-Authenticate", "DPoP-Nonce"} {
		if res.Header.Get(name) == "" {
			continue
		}
		if cors := req.Header.Get("Origin") != ""; cors != exposed[http.CanonicalHeaderKey(name)] {
			p.add("Access-Control-Expose-Headers = %q with %s on a request with Origin %q", res.Header.Values("Access-Control-Expose-Headers"), name, req.Header.Get("Origin"))
		}
	}
}

// problems collects what is wrong with one answer.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func checkServed(p *problems, res *http.Response, body []byte, subject string) {
	var s seen
	if err := json.Unmarshal(body, &s); err != nil || !s.Handler {
		p.add("the handler did not answer: body %q (%v)", body, err)
		return
	}
	claims := subject != ""
	if s.Claims != claims || s.Subject != subject || !s.Agree {
		p.add("the handler saw claims=%v sub=%q agree=%v, want claims=%v sub=%q agree=true", s.Claims, s.Subject, s.Agree, claims, subject)
	}
	if h := res.Header.Values("WWW-Authenticate"); len(h) != 0 {
		p.add("WWW-Authenticate = %q on a served request", h)
	}
}

// checkRejected checks a refused request's answer against the contract of
// package middleware:
//
//   - Cache-Control: no-store, Content-Type: application/json and
//     X-Content-Type-Options: nosniff;
//   - a JSON body with "error" when an error code applies (all but the
//     401 for a missing token), "error_description" always, "scope" for
//     insufficient_scope from a scope rule, and nothing else;
//   - a WWW-Authenticate challenge with the realm of the Guard that
//     answers and the same error, error_description and scope as the body,
//     except on a 401 for a missing token (the realm only, RFC 6750 §3.1)
//     and on a 503 (none); resource_metadata in each challenge of a Guard
//     that publishes metadata; for a Guard that takes DPoP tokens, a DPoP
//     challenge with the realm and the proof algorithms (algs), after the
//     Bearer one when both schemes are accepted, the error on the scheme
//     the client used (on).
func checkRejected(p *problems, res *http.Response, body []byte, base string, g guardInfo, on string, rej middleware.Rejection) {
	for _, h := range [...]struct{ name, value string }{
		{"Cache-Control", "no-store"},
		{"Content-Type", "application/json"},
		{"X-Content-Type-Options", "nosniff"},
	} {
		if got := res.Header.Values(h.name); len(got) != 1 || got[0] != h.value {
			p.add("%s = %q, want %q", h.name, got, h.value)
		}
	}

	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		p.add("body %q is not a JSON object: %v", body, err)
	}
	if rej.Description == "" {
		p.add("Rejection.Description is empty")
	}
	// want holds the error params of the challenge; the body has the same,
	// with max_age a number.
	want := map[string]string{"error_description": rej.Description}
	wantBody := map[string]any{"error_description": rej.Description}
	if rej.Code != "" {
		want["error"], wantBody["error"] = rej.Code, rej.Code
	}
	if rej.Scope != "" {
		want["scope"], wantBody["scope"] = rej.Scope, rej.Scope
	}
	if rej.ACRValues != "" {
		want["acr_values"], wantBody["acr_values"] = rej.ACRValues, rej.ACRValues
	}
	if rej.MaxAge != 0 {
		want["max_age"] = strconv.FormatInt(int64(rej.MaxAge/time.Second), 10)
		wantBody["max_age"] = float64(rej.MaxAge / time.Second)
	}
	if got != nil && !reflect.DeepEqual(got, wantBody) {
		p.add("body = %v, want %v", got, wantBody)
	}
	// The description is a fixed phrase, not the error's text (except for
	// invalid_request, whose descriptions are such phrases).
	if rej.Code != "invalid_request" && rej.Err != nil && strings.Contains(rej.Err.Error(), rej.Description) {
		p.add("description %q looks taken from the error text %q", rej.Description, rej.Err)
	}

	values := res.Header.Values("WWW-Authenticate")
	if res.StatusCode == http.StatusServiceUnavailable {
		if len(values) != 0 {
			p.add("WWW-Authenticate = %q on a 503, want none", values)
		}
		return
	}
	if len(values) != 1 {
		p.add("WWW-Authenticate = %q, want one", values)
		return
	}
	challenges, order, err := parseChallenges(values[0])
	if err != nil {
		p.add("WWW-Authenticate %q: %v", values[0], err)
		return
	}
	if strings.Join(order, " ") != strings.Join(g.schemes, " ") {
		p.add("challenge %q has the schemes %q, want %q", values[0], order, g.schemes)
		return
	}
	if on == "" {
		on = g.schemes[0]
	}
	for _, scheme := range g.schemes {
		wantParams := map[string]string{"realm": g.realm}
		if scheme == "DPoP" {
			wantParams["algs"] = g.algs
		}
		if g.metadata != "" {
			wantParams["resource_metadata"] = base + g.metadata
		}
		if rej.Code != "" && scheme == on {
			for k, v := range want {
				wantParams[k] = v
			}
		}
		if !sameMap(challenges[scheme], wantParams) {
			p.add("challenge %q has for %s %v, want %v", values[0], scheme, challenges[scheme], wantParams)
		}
	}
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// parseChallenges parses a WWW-Authenticate value strictly: a
// comma-separated list of challenges, each a scheme followed by quoted
// auth-params without escapes (RFC 6750 §3 and RFC 9449 §7.1 allow none in
// their values). It returns each scheme's params and the schemes in order.
func parseChallenges(h string) (map[string]map[string]string, []string, error) {
	out := map[string]map[string]string{}
	var order []string
	var cur map[string]string
	rest := h
	for {
		n := 0
		for n < len(rest) && strings.IndexByte("!#$%&'*+-.^_`|~", rest[n]) >= 0 || n < len(rest) &&
			('a' <= rest[n] && rest[n] <= 'z' || 'A' <= rest[n] && rest[n] <= 'Z' || '0' <= rest[n] && rest[n] <= '9') {
			n++
		}
		if n == 0 {
			return nil, nil, errors.New("expected a scheme or an auth-param name")
		}
		name := rest[:n]
		rest = rest[n:]
		if after, ok := strings.CutPrefix(rest, `="`); ok {
			if cur == nil {
				return nil, nil, errors.New("auth-param before any scheme")
			}
			value, tail, ok := strings.Cut(after, `"`)
			if !ok {
				return nil, nil, errors.New("unterminated quoted value")
			}
			if _, dup := cur[name]; dup {
				return nil, nil, errors.New("duplicate auth-param " + name)
			}
			cur[name], rest = value, tail
		} else {
			if _, dup := out[name]; dup {
				return nil, nil, errors.New("duplicate scheme " + name)
			}
			cur = map[string]string{}
			out[name] = cur
			order = append(order, name)
			if after, ok := strings.CutPrefix(rest, " "); ok {
				rest = after
				continue
			}
		}
		if rest == "" {
			return out, order, nil
		}
		var ok bool
		if rest, ok = strings.CutPrefix(rest, ", "); !ok {
			return nil, nil, errors.New("malformed list")
		}
	}
}

// checkRetryAfter checks the Retry-After header: on a 503 when want says
// so, whole seconds from 1 up, and the same as Rejection.RetryAfter; never
// on another answer, nor on a 503 whose error carries no hint.
func checkRetryAfter(p *problems, res *http.Response, want bool, rej middleware.Rejection) {
	got := res.Header.Values("Retry-After")
	if !want {
		if len(got) != 0 || rej.RetryAfter != 0 {
			p.add("Retry-After = %q, Rejection.RetryAfter = %v; want none", got, rej.RetryAfter)
		}
		return
	}
	if len(got) != 1 {
		p.add("Retry-After = %q on a 503 whose error says when to retry, want one value", got)
		return
	}
	n, err := strconv.ParseInt(got[0], 10, 64)
	if err != nil || n < 1 || got[0] != strconv.FormatInt(n, 10) {
		p.add("Retry-After = %q, want whole seconds, at least 1", got[0])
		return
	}
	if rej.RetryAfter != time.Duration(n)*time.Second {
		p.add("Rejection.RetryAfter = %v, the header %q", rej.RetryAfter, got[0])
	}
}
