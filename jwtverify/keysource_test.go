package jwtverify_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tokenguard/tokenguard/internal/discovery"
	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

// ksLogs is a slog.Handler that keeps every record.
type ksLogs struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *ksLogs) Enabled(context.Context, slog.Level) bool { return true }
func (l *ksLogs) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *ksLogs) WithGroup(string) slog.Handler            { return l }
func (l *ksLogs) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.recs = append(l.recs, r.Clone())
	l.mu.Unlock()
	return nil
}

// errorsFor returns the Error records whose url attribute is url.
func (l *ksLogs) errorsFor(url string) []slog.Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []slog.Record
	for _, r := range l.recs {
		if r.Level < slog.LevelError {
			continue
		}
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "url" && a.Value.String() == url {
				out = append(out, r)
				return false
			}
			return true
		})
	}
	return out
}

// ksServer is a key and metadata server written in the test: it serves the
// JWK Set body (replaceable at any time) at /jwks, and metadata documents by
// path; anything else is 404. It counts requests.
type ksServer struct {
	*httptest.Server
	hits atomic.Int64
	mu   sync.Mutex
	body []byte
	docs map[string]any
}

func newKSServer(t *testing.T) *ksServer {
	t.Helper()
	s := &ksServer{body: []byte(`{"keys":[]}`), docs: map[string]any{}}
	s.Server = httptest.NewServer(s)
	t.Cleanup(s.Close)
	return s
}

func (s *ksServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.hits.Add(1)
	s.mu.Lock()
	body, doc, ok := s.body, s.docs[r.URL.Path], r.URL.Path == "/jwks"
	s.mu.Unlock()
	switch {
	case ok:
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	case doc != nil:
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(doc)
	default:
		http.NotFound(w, r)
	}
}

func (s *ksServer) serve(body []byte) {
	s.mu.Lock()
	s.body = body
	s.mu.Unlock()
}

func (s *ksServer) metadata(path string, doc map[string]any) {
	s.mu.Lock()
	s.docs[path] = doc
	s.mu.Unlock()
}

// countingTransport counts the requests it is asked to make and refuses them.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	c.n.Add(1)
	return nil, errors.New("countingTransport: no network in this test")
}

// TestNewReportsConfigurationMistakes: every mistake in the Config, including
// a URL that may not be fetched and issuer metadata that contradicts the
// Config, is an error matching ErrConfig, never ErrUnavailable: retrying does
// not help, the configuration must change. The messages are logged so that a
// reviewer can read what a developer would see.
func TestNewReportsConfigurationMistakes(t *testing.T) {
	srv := newKSServer(t)
	srv.metadata("/other/.well-known/openid-configuration", map[string]any{"issuer": "https://other.example", "jwks_uri": srv.URL + "/jwks"})
	srv.metadata("/slash/.well-known/openid-configuration", map[string]any{"issuer": srv.URL + "/slash", "jwks_uri": srv.URL + "/jwks"})
	srv.metadata("/insecure/.well-known/openid-configuration", map[string]any{"issuer": srv.URL + "/insecure", "jwks_uri": "http://keys.example.com/jwks"})
	srv.metadata("/nojwks/.well-known/openid-configuration", map[string]any{"issuer": srv.URL + "/nojwks", "introspection_endpoint": srv.URL + "/introspect"})
	good := srv.URL + "/jwks"
	api := []string{"api"}
	resolver := func(context.Context, string) (string, error) { return "", nil }

	tests := []struct {
		name      string
		cfg       jwtverify.Config
		offline   bool // New must fail before any request
		mismatch  bool // the error carries a *discovery.IssuerMismatchError
		wantInMsg string
	}{
		{name: "no issuer", cfg: jwtverify.Config{Audiences: api}, offline: true, wantInMsg: "Config.Issuer"},
		{name: "JWKSURL without Issuer", cfg: jwtverify.Config{JWKSURL: good, Audiences: api}, offline: true, wantInMsg: "Config.Issuer"},
		{name: "no audience", cfg: jwtverify.Config{Issuer: "https://auth.example.com", JWKSURL: good}, offline: true, wantInMsg: "Config.Audiences"},
		{name: "empty audience", cfg: jwtverify.Config{Issuer: "https://auth.example.com", JWKSURL: good, Audiences: []string{"api", ""}}, offline: true, wantInMsg: "Config.Audiences"},
		{name: "HMAC algorithm", cfg: jwtverify.Config{Issuer: "https://auth.example.com", JWKSURL: good, Audiences: api, Algorithms: []string{"RS256", "HS256"}}, offline: true, wantInMsg: "Config.Algorithms"},
		{name: "none algorithm", cfg: jwtverify.Config{Issuer: "https://auth.example.com", JWKSURL: good, Audiences: api, Algorithms: []string{"none"}}, offline: true, wantInMsg: "Config.Algorithms"},
		{name: "negative Leeway", cfg: jwtverify.Config{Issuer: "https://auth.example.com", JWKSURL: good, Audiences: api, Leeway: -time.Second}, offline: true, wantInMsg: "Config.Leeway"},
		{name: "negative MaxTokenBytes", cfg: jwtverify.Config{Issuer: "https://auth.example.com", JWKSURL: good, Audiences: api, MaxTokenBytes: -1}, offline: true, wantInMsg: "Config.MaxTokenBytes"},
		{name: "negative MaxIssuers", cfg: jwtverify.Config{IssuerResolver: resolver, Audiences: api, MaxIssuers: -1}, offline: true, wantInMsg: "Config.MaxIssuers"},
		{name: "negative RefreshInterval", cfg: jwtverify.Config{Issuer: "https://auth.example.com", JWKSURL: good, Audiences: api, RefreshInterval: -time.Minute}, offline: true, wantInMsg: "Config.RefreshInterval"},
		{name: "negative MaxStale", cfg: jwtverify.Config{Issuer: "https://auth.example.com", JWKSURL: good, Audiences: api, MaxStale: -time.Hour}, offline: true, wantInMsg: "Config.MaxStale"},
		{name: "empty required claim", cfg: jwtverify.Config{Issuer: "https://auth.example.com", JWKSURL: good, Audiences: api, RequiredClaims: []string{"tid", ""}}, offline: true, wantInMsg: "Config.RequiredClaims[1]"},
		{name: "nil validator", cfg: jwtverify.Config{Issuer: "https://auth.example.com", JWKSURL: good, Audiences: api, Validators: []func(context.Context, *jwtverify.Claims) error{nil}}, offline: true, wantInMsg: "Config.Validators"},
		{name: "empty issuer in Issuers", cfg: jwtverify.Config{Issuer: "https://auth.example.com", JWKSURL: good, Audiences: api, Issuers: []jwtverify.IssuerConfig{{JWKSURL: good}}}, offline: true, wantInMsg: "Config.Issuers[0]"},
		{name: "issuer configured twice", cfg: jwtverify.Config{Issuer: "https://auth.example.com", JWKSURL: good, Audiences: api, Issuers: []jwtverify.IssuerConfig{{Issuer: "https://auth.example.com", JWKSURL: good}}}, offline: true, wantInMsg: "https://auth.example.com"},

		{name: "http issuer on a public host", cfg: jwtverify.Config{Issuer: "http://auth.example.com", Audiences: api}, offline: true, wantInMsg: "http://auth.example.com"},
		{name: "issuer that is not a URL", cfg: jwtverify.Config{Issuer: "auth.example.com", Audiences: api}, offline: true, wantInMsg: "auth.example.com"},
		{name: "issuer with user info", cfg: jwtverify.Config{Issuer: "https://user:pw@auth.example.com", Audiences: api}, offline: true, wantInMsg: "Config.Issuer"},
		{name: "http JWKSURL on a public host", cfg: jwtverify.Config{Issuer: "https://auth.example.com", JWKSURL: "http://auth.example.com/jwks", Audiences: api}, offline: true, wantInMsg: "http://auth.example.com/jwks"},
		{name: "http JWKSURL in Issuers", cfg: jwtverify.Config{Issuer: "https://auth.example.com", JWKSURL: good, Audiences: api, Issuers: []jwtverify.IssuerConfig{{Issuer: "https://b.example.com", JWKSURL: "http://b.example.com/jwks"}}}, offline: true, wantInMsg: "Config.Issuers[0].JWKSURL"},
		{name: "http issuer in Issuers", cfg: jwtverify.Config{Issuer: "https://auth.example.com", JWKSURL: good, Audiences: api, Issuers: []jwtverify.IssuerConfig{{Issuer: "http://b.example.com"}}}, offline: true, wantInMsg: "Config.Issuers[0].Issuer"},

		{name: "metadata names another issuer", cfg: jwtverify.Config{Issuer: srv.URL + "/other", Audiences: api}, mismatch: true, wantInMsg: "https://other.example"},
		{name: "metadata differs by a trailing slash", cfg: jwtverify.Config{Issuer: srv.URL + "/slash/", Audiences: api}, mismatch: true, wantInMsg: "trailing slash"},
		{name: "metadata names an http jwks_uri", cfg: jwtverify.Config{Issuer: srv.URL + "/insecure", Audiences: api}, wantInMsg: "http://keys.example.com/jwks"},
		{name: "metadata without jwks_uri", cfg: jwtverify.Config{Issuer: srv.URL + "/nojwks", Audiences: api}, wantInMsg: "Config.JWKSURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &countingTransport{}
			if tt.offline {
				tt.cfg.HTTPClient = &http.Client{Transport: tr}
			}
			v, err := jwtverify.New(t.Context(), tt.cfg)
			if err == nil {
				v.Close()
				t.Fatalf("New(%s) = nil error, want ErrConfig", tt.name)
			}
			t.Logf("New(%s) = %v", tt.name, err)
			if !errors.Is(err, jwtverify.ErrConfig) || errors.Is(err, jwtverify.ErrUnavailable) || errors.Is(err, jwtverify.ErrInvalidToken) {
				t.Errorf("New(%s) = %v, want ErrConfig (and neither ErrUnavailable nor ErrInvalidToken)", tt.name, err)
			}
			var mm *discovery.IssuerMismatchError
			if got := errors.As(err, &mm); got != tt.mismatch {
				t.Errorf("errors.As(New(%s), *discovery.IssuerMismatchError) = %v, want %v", tt.name, got, tt.mismatch)
			}
			// One line, the offending value named, and said once.
			msg := err.Error()
			if strings.Contains(msg, "\n") || !strings.Contains(msg, tt.wantInMsg) {
				t.Errorf("New(%s) error %q: want one line that names %q", tt.name, msg, tt.wantInMsg)
			}
			if u := tt.cfg.Issuer; strings.Contains(u, "://") && strings.Count(msg, u) > 1 && !strings.HasPrefix(tt.name, "issuer configured twice") {
				t.Errorf("New(%s) error %q names the URL %q more than once", tt.name, msg, u)
			}
			if n := tr.n.Load(); n != 0 {
				t.Errorf("New(%s) made %d requests before reporting a configuration mistake, want 0", tt.name, n)
			}
		})
	}
}

// TestNewReportsOutagesAsUnavailable: a key source that exists but does not
// answer well is an outage, not a configuration mistake.
func TestNewReportsOutagesAsUnavailable(t *testing.T) {
	srv := newKSServer(t)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for name, cfg := range map[string]jwtverify.Config{
		"no metadata (404)":      {Issuer: srv.URL + "/nothing"},
		"metadata answers 503":   {Issuer: down.URL},
		"key set answers 503":    {Issuer: "https://auth.example.com", JWKSURL: down.URL + "/jwks"},
		"key set host refuses":   {Issuer: "https://auth.example.com", JWKSURL: closed.URL + "/jwks"},
		"key set is not a JWKS":  {Issuer: "https://auth.example.com", JWKSURL: srv.URL + "/nothing"},
		"metadata host refuses":  {Issuer: closed.URL},
		"key set of Issuers 503": {Issuer: "https://auth.example.com", JWKSURL: srv.URL + "/jwks", Issuers: []jwtverify.IssuerConfig{{Issuer: "https://b.example.com", JWKSURL: down.URL + "/jwks"}}},
	} {
		t.Run(name, func(t *testing.T) {
			cfg.Audiences = []string{"api"}
			v, err := jwtverify.New(t.Context(), cfg)
			if err == nil {
				v.Close()
				t.Fatalf("New(%s) = nil error, want ErrUnavailable", name)
			}
			t.Logf("New(%s) = %v", name, err)
			var kse *jwtverify.KeySourceError
			if !errors.Is(err, jwtverify.ErrUnavailable) || !errors.As(err, &kse) || errors.Is(err, jwtverify.ErrConfig) {
				t.Errorf("New(%s) = %v, want a KeySourceError matching ErrUnavailable and not ErrConfig", name, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("New(%s) error %q spans several lines, want one", name, err)
			}
		})
	}
}

// TestWithdrawnKeysStopVerifying: an issuer that withdraws its keys (a 200
// answer with an empty set, say after a compromise) is obeyed at the next
// refresh. Tokens of the withdrawn keys fail as unknown keys at once,
// including tokens the verified-token cache holds, and the withdrawal is
// logged at Error level.
func TestWithdrawnKeysStopVerifying(t *testing.T) {
	for _, cacheSize := range []int{0, -1} {
		t.Run(fmt.Sprintf("CacheSize %d", cacheSize), func(t *testing.T) {
			iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}})
			srv := newKSServer(t)
			srv.serve(iss.JWKS())
			logs := &ksLogs{}
			v := newVerifier(t, jwtverify.Config{Issuer: iss.URL, JWKSURL: srv.URL + "/jwks", Audiences: []string{"api"},
				CacheSize: cacheSize, Logger: slog.New(logs)})
			tok := iss.Mint(t, map[string]any{"aud": "api"})
			for range 2 { // the second one is a cache hit when the cache is on
				if _, err := v.Verify(t.Context(), tok); err != nil {
					t.Fatalf("Verify(token of a published key) = %v", err)
				}
			}

			srv.serve([]byte(`{"keys":[]}`))
			// A token that names a kid the verifier has not seen makes it
			// refresh now (no waiting for the background refresh).
			probe := iss.MintWith(t, jwttest.Token{Header: map[string]any{"kid": "probe"}, Claims: map[string]any{"aud": "api"}})
			if _, err := v.Verify(t.Context(), probe); !errors.Is(err, jwtverify.ErrUnknownKey) {
				t.Errorf("Verify(token of an unknown kid, key set now empty) = %v, want ErrUnknownKey", err)
			}
			_, err := v.Verify(t.Context(), tok)
			if !errors.Is(err, jwtverify.ErrUnknownKey) || errors.Is(err, jwtverify.ErrUnavailable) {
				t.Errorf("Verify(token of a withdrawn key) = %v, want ErrUnknownKey (and not ErrUnavailable)", err)
			}
			if n := len(logs.errorsFor(srv.URL + "/jwks")); n != 1 {
				t.Errorf("Error records naming the key set = %d, want 1", n)
			}
		})
	}
}

// TestNewWithEmptyKeySet: a key source that answers, but with no usable key,
// is reachable: New succeeds (the service starts and rejects every token as
// signed by an unknown key), logs the empty set at Error level, and picks up
// the first key the issuer publishes.
func TestNewWithEmptyKeySet(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}})
	srv := newKSServer(t)
	logs := &ksLogs{}
	v, err := jwtverify.New(t.Context(), jwtverify.Config{Issuer: iss.URL, JWKSURL: srv.URL + "/jwks", Audiences: []string{"api"}, Logger: slog.New(logs)})
	if err != nil {
		t.Fatalf("New(key set with no key) = %v, want nil", err)
	}
	defer v.Close()
	if n := len(logs.errorsFor(srv.URL + "/jwks")); n != 1 {
		t.Errorf("Error records naming the empty key set = %d, want 1", n)
	}
	tok := iss.Mint(t, map[string]any{"aud": "api"})
	if _, err := v.Verify(t.Context(), tok); !errors.Is(err, jwtverify.ErrUnknownKey) {
		t.Errorf("Verify(any token, empty key set) = %v, want ErrUnknownKey", err)
	}
	kid, _ := iss.Rotate("ES256") // a kid the verifier has not asked for yet
	srv.serve(iss.JWKS())
	if _, err := v.Verify(t.Context(), iss.Mint(t, map[string]any{"aud": "api"})); err != nil {
		t.Errorf("Verify(token of key %s, published after New) = %v, want nil", kid, err)
	}
}

// negativeSerialCert returns a self-signed certificate for key whose serial
// number is negative (x509.CreateCertificate refuses to make one, so the sign
// bit of a distinctive serial is flipped in the DER).
func negativeSerialCert(t *testing.T, key *rsa.PrivateKey) []byte {
	t.Helper()
	serial := []byte{0x5e, 0x71, 0xa1, 0x0c, 0x3d, 0x29, 0x4b, 0x17}
	tmpl := &x509.Certificate{SerialNumber: new(big.Int).SetBytes(serial), Subject: pkix.Name{CommonName: "signing key"},
		NotBefore: time.Unix(1_700_000_000, 0), NotAfter: time.Unix(1_900_000_000, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(der, append([]byte{0x02, byte(len(serial))}, serial...))
	if i < 0 {
		t.Fatal("serial number not found in the certificate DER")
	}
	der[i+2] |= 0x80
	if _, err := x509.ParseCertificate(der); err == nil {
		t.Fatal("x509.ParseCertificate accepted a negative serial: the test no longer tests anything")
	}
	return der
}

// TestKeyWithUnparsableX5CVerifies: an issuer whose only key carries an x5c
// certificate that Go's x509 refuses (a negative serial number, which other
// stacks accept) keeps working: x5c is never used, so it must not cost the
// key, and with it every token of the issuer.
func TestKeyWithUnparsableX5CVerifies(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der := negativeSerialCert(t, key)
	jwk := jwttest.PublicJWK(&key.PublicKey, "adfs-1", "RS256")
	jwk["x5c"] = []string{base64.StdEncoding.EncodeToString(der)}
	srv := newKSServer(t)
	body, _ := json.Marshal(map[string]any{"keys": []any{jwk}})
	srv.serve(body)
	v := newVerifier(t, jwtverify.Config{Issuer: srv.URL, JWKSURL: srv.URL + "/jwks", Audiences: []string{"api"}})

	now := time.Now().Unix()
	header := `{"alg":"RS256","kid":"adfs-1","typ":"JWT"}`
	claims := fmt.Sprintf(`{"iss":%q,"aud":"api","sub":"alice","iat":%d,"exp":%d}`, srv.URL, now, now+300)
	input := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(claims))
	sig, err := jwttest.SignRaw("RS256", key, []byte(input))
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(t.Context(), input+"."+base64.RawURLEncoding.EncodeToString(sig))
	if err != nil || c.Subject != "alice" {
		t.Errorf("Verify(token of a key whose x5c has a negative serial) = %+v, %v; want alice's claims", c, err)
	}
}

// memServer routes requests by path to handlers, in memory, so that tests
// can run in a synctest bubble.
type memServer struct {
	mu     sync.Mutex
	routes map[string]http.HandlerFunc
}

func (m *memServer) route(path string, h http.HandlerFunc) {
	m.mu.Lock()
	m.routes[path] = h
	m.mu.Unlock()
}

func (m *memServer) RoundTrip(r *http.Request) (*http.Response, error) {
	m.mu.Lock()
	h := m.routes[r.URL.Path]
	m.mu.Unlock()
	if h == nil {
		h = http.NotFound
	}
	rec := httptest.NewRecorder()
	h(rec, r)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

func jsonHandler(v func() any) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v())
	}
}

// TestVerifierFollowsMovedJWKSURI: an issuer whose metadata moves its
// jwks_uri to a new key set is followed without a restart: after the next
// refresh, tokens of the new set verify and tokens of keys that only the old
// set held no longer do, cached or not.
func TestVerifierFollowsMovedJWKSURI(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const issuer = "http://127.0.0.1"
		a, err := jwttest.NewIssuer(jwttest.Options{Algorithms: []string{"ES256"}})
		if err != nil {
			t.Fatal(err)
		}
		a.Close() // only its keys are used
		b, err := jwttest.NewIssuer(jwttest.Options{Algorithms: []string{"ES256"}})
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
		first := b.KeyID("ES256") // the same kid as a's: give b another
		if _, err := b.Rotate("ES256"); err != nil {
			t.Fatal(err)
		}
		b.Remove(first)
		var jwksURI atomic.Value
		jwksURI.Store(issuer + "/keys-a")
		as := &memServer{routes: map[string]http.HandlerFunc{}}
		as.route("/.well-known/openid-configuration", jsonHandler(func() any {
			return map[string]any{"issuer": issuer, "jwks_uri": jwksURI.Load()}
		}))
		as.route("/keys-a", jsonHandler(func() any { return json.RawMessage(a.JWKS()) }))
		as.route("/keys-b", jsonHandler(func() any { return json.RawMessage(b.JWKS()) }))

		v, err := jwtverify.New(t.Context(), jwtverify.Config{Issuer: issuer, Audiences: []string{"api"}, HTTPClient: &http.Client{Transport: as}})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		claims := map[string]any{"iss": issuer, "aud": "api"}
		tokA := a.MintWith(t, jwttest.Token{Claims: claims})
		tokB := b.MintWith(t, jwttest.Token{Claims: claims})
		if _, err := v.Verify(t.Context(), tokA); err != nil {
			t.Fatalf("Verify(token of the first key set) = %v", err)
		}

		jwksURI.Store(issuer + "/keys-b")
		time.Sleep(10*time.Minute + time.Second) // the default refresh interval
		synctest.Wait()

		if _, err := v.Verify(t.Context(), tokB); err != nil {
			t.Errorf("Verify(token of the key set the metadata moved to) = %v, want nil", err)
		}
		if _, err := v.Verify(t.Context(), tokA); !errors.Is(err, jwtverify.ErrUnknownKey) {
			t.Errorf("Verify(token of the key set the metadata left) = %v, want ErrUnknownKey", err)
		}
	})
}
