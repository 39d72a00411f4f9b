package introspect_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/introspect"
	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

// signingServer is an authorization server written for these tests: it
// publishes metadata (issuer, jwks_uri, introspection_endpoint) and the key
// set of a jwttest issuer, and answers introspection requests with signed
// answers (RFC 9701) made with that issuer's keys, unless answer says
// otherwise.
type signingServer struct {
	URL      string
	keys     *jwttest.Issuer
	clk      *clock
	calls    atomic.Int64
	keysDown atomic.Bool
	noJWKS   bool
	accept   atomic.Value // the Accept header of the last introspection request
	// answers holds the introspection response of each token
	// ({"active":false} for others).
	answers map[string]string
	// answer, when set, makes the HTTP answer from the response JSON.
	answer func(s *signingServer, response string) (contentType, body string)
}

func startSigningServer(t *testing.T, clk *clock) *signingServer {
	t.Helper()
	s := &signingServer{keys: jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256", "RS256"}, Now: clk.Now}), clk: clk, answers: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		m := map[string]any{"issuer": s.URL, "jwks_uri": s.URL + "/jwks", "introspection_endpoint": s.URL + "/introspect"}
		if s.noJWKS {
			delete(m, "jwks_uri")
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(m)
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		if s.keysDown.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Write(s.keys.JWKS())
	})
	mux.HandleFunc("POST /introspect", func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		s.accept.Store(r.Header.Get("Accept"))
		id, secret, _ := r.BasicAuth()
		if id != url.QueryEscape(testClientID) || secret != url.QueryEscape(testClientSecret) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		response, ok := s.answers[r.PostFormValue("token")]
		if !ok {
			response = `{"active":false}`
		}
		answer := s.answer
		if answer == nil {
			answer = (*signingServer).signed
		}
		ct, body := answer(s, response)
		w.Header().Set("Content-Type", ct)
		w.Write([]byte(body))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// signed is the answer of a well-behaved server (oidc-provider's shape).
func (s *signingServer) signed(response string) (string, string) {
	return "application/token-introspection+jwt", s.sign(jwttest.Token{}, response)
}

// sign signs response as a signed answer; tok's header and claims are
// added to (or, nil, remove) the well-behaved ones.
func (s *signingServer) sign(tok jwttest.Token, response string) string {
	header := map[string]any{"typ": "token-introspection+jwt"}
	claims := map[string]any{"iss": s.URL, "aud": testClientID, "iat": s.clk.Now().Unix(),
		"exp": nil, "jti": nil, "token_introspection": json.RawMessage(response)}
	for k, v := range tok.Header {
		header[k] = v
	}
	for k, v := range tok.Claims {
		claims[k] = v
	}
	tok.Header, tok.Claims = header, claims
	jws, err := s.keys.Sign(tok)
	if err != nil {
		panic(err)
	}
	return jws
}

// deleted removes a member in signingServer.sign (jwttest drops members
// whose value is nil).
var deleted any

func (s *signingServer) config() introspect.Config {
	return introspect.Config{
		Issuer:          s.URL,
		Audiences:       []string{testAudience},
		ClientID:        testClientID,
		ClientSecret:    testClientSecret,
		SignedResponses: true,
		Now:             s.clk.Now,
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// TestSignedResponses: a signed answer is accepted only when all of it is
// right; anything wrong with it is an endpoint failure (503), never an
// inactive token (401).
func TestSignedResponses(t *testing.T) {
	clk := newClock()
	s := startSigningServer(t, clk)
	other := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}, Now: clk.Now})
	active := activeJSON(t0, map[string]any{"iss": nil, "acr": "mfa", "auth_time": t0.Unix() - 60})
	withClaims := func(claims map[string]any) func(*signingServer, string) (string, string) {
		return func(s *signingServer, r string) (string, string) {
			return mediaJWT, s.sign(jwttest.Token{Claims: claims}, r)
		}
	}
	withHeader := func(header map[string]any) func(*signingServer, string) (string, string) {
		return func(s *signingServer, r string) (string, string) {
			return mediaJWT, s.sign(jwttest.Token{Header: header}, r)
		}
	}
	for i, tt := range []struct {
		name     string
		response string
		answer   func(s *signingServer, response string) (contentType, body string)
		want     error // nil: accepted
	}{
		{name: "active", response: active},
		{name: "inactive", response: `{"active":false}`, want: introspect.ErrInactive},
		{name: "active for another audience", response: activeJSON(t0, map[string]any{"iss": nil, "aud": "https://other.example"}), want: jwtverify.ErrAudience},
		{name: "RS256", response: active, answer: func(s *signingServer, r string) (string, string) {
			return mediaJWT, s.sign(jwttest.Token{Alg: "RS256"}, r)
		}},
		{name: "typ with application/ prefix, other case", response: active, answer: withHeader(map[string]any{"typ": "Application/Token-Introspection+JWT"})},
		{name: "aud array naming the client", response: active, answer: withClaims(map[string]any{"aud": []string{"other", testClientID}})},
		{name: "iat within leeway", response: active, answer: withClaims(map[string]any{"iat": t0.Unix() - 50})},
		{name: "exp in the future", response: active, answer: withClaims(map[string]any{"exp": t0.Unix() + 60})},
		{name: "content type with parameters", response: active, answer: func(s *signingServer, r string) (string, string) {
			return mediaJWT + "; charset=utf-8", s.sign(jwttest.Token{}, r)
		}},

		{name: "tampered payload", response: `{"active":false}`, want: introspect.ErrEndpoint, answer: func(s *signingServer, r string) (string, string) {
			parts := strings.Split(s.sign(jwttest.Token{}, r), ".")
			payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
			parts[1] = b64(strings.Replace(string(payload), `{"active":false}`, active, 1))
			return mediaJWT, strings.Join(parts, ".")
		}},
		{name: "re-signed with another key under the server's kid", response: active, want: introspect.ErrEndpoint, answer: func(s *signingServer, r string) (string, string) {
			parts := strings.Split(s.sign(jwttest.Token{}, r), ".")
			forged := other.MintWith(t, jwttest.Token{Header: map[string]any{"kid": s.keys.KeyID("ES256"), "typ": "token-introspection+jwt"},
				Claims: map[string]any{"iss": s.URL, "aud": testClientID, "exp": nil, "jti": nil, "token_introspection": json.RawMessage(r)}})
			return mediaJWT, parts[0] + "." + parts[1] + "." + strings.Split(forged, ".")[2]
		}},
		{name: "signed by another server's key, its own kid", response: active, want: introspect.ErrEndpoint, answer: func(s *signingServer, r string) (string, string) {
			return mediaJWT, other.MintWith(t, jwttest.Token{Header: map[string]any{"typ": "token-introspection+jwt", "kid": "foreign-key"},
				Claims: map[string]any{"iss": s.URL, "aud": testClientID, "exp": nil, "jti": nil, "token_introspection": json.RawMessage(r)}})
		}},
		{name: "alg none, empty signature", response: active, want: introspect.ErrEndpoint, answer: func(s *signingServer, r string) (string, string) {
			parts := strings.Split(s.sign(jwttest.Token{}, r), ".")
			return mediaJWT, b64(`{"alg":"none","typ":"token-introspection+jwt"}`) + "." + parts[1] + "."
		}},
		{name: "alg none, a signature", response: active, want: introspect.ErrEndpoint, answer: func(s *signingServer, r string) (string, string) {
			parts := strings.Split(s.sign(jwttest.Token{}, r), ".")
			return mediaJWT, b64(`{"alg":"none","typ":"token-introspection+jwt"}`) + "." + parts[1] + "." + parts[2]
		}},
		{name: "HS256 keyed with the client secret", response: active, want: introspect.ErrEndpoint, answer: func(s *signingServer, r string) (string, string) {
			parts := strings.Split(s.sign(jwttest.Token{}, r), ".")
			return mediaJWT, b64(`{"alg":"HS256","typ":"token-introspection+jwt"}`) + "." + parts[1] + "." + parts[2]
		}},
		{name: "typ at+jwt", response: active, want: introspect.ErrEndpoint, answer: withHeader(map[string]any{"typ": "at+jwt"})},
		{name: "typ JWT", response: active, want: introspect.ErrEndpoint, answer: withHeader(map[string]any{"typ": "JWT"})},
		{name: "no typ", response: active, want: introspect.ErrEndpoint, answer: withHeader(map[string]any{"typ": deleted})},
		{name: "wrong aud", response: active, want: introspect.ErrEndpoint, answer: withClaims(map[string]any{"aud": "another-client"})},
		{name: "no aud", response: active, want: introspect.ErrEndpoint, answer: withClaims(map[string]any{"aud": deleted})},
		{name: "wrong iss", response: active, want: introspect.ErrEndpoint, answer: withClaims(map[string]any{"iss": "https://evil.example"})},
		{name: "iss with a trailing slash", response: active, want: introspect.ErrEndpoint, answer: func(s *signingServer, r string) (string, string) {
			return mediaJWT, s.sign(jwttest.Token{Claims: map[string]any{"iss": s.URL + "/"}}, r)
		}},
		{name: "no iat", response: active, want: introspect.ErrEndpoint, answer: withClaims(map[string]any{"iat": deleted})},
		{name: "stale iat: a replayed answer", response: active, want: introspect.ErrEndpoint, answer: withClaims(map[string]any{"iat": t0.Unix() - 120})},
		{name: "iat in the future", response: active, want: introspect.ErrEndpoint, answer: withClaims(map[string]any{"iat": t0.Unix() + 120})},
		{name: "iat a string", response: active, want: introspect.ErrEndpoint, answer: withClaims(map[string]any{"iat": "now"})},
		{name: "expired", response: active, want: introspect.ErrEndpoint, answer: withClaims(map[string]any{"exp": t0.Unix() - 120})},
		{name: "no token_introspection", response: active, want: introspect.ErrEndpoint, answer: withClaims(map[string]any{"token_introspection": deleted, "active": true})},
		{name: "token_introspection a string", response: active, want: introspect.ErrEndpoint, answer: withClaims(map[string]any{"token_introspection": active})},
		{name: "token_introspection malformed inside", response: `{"active":true,"exp":"soon"}`, want: introspect.ErrEndpoint},
		{name: "plain JSON answer", response: active, want: introspect.ErrEndpoint, answer: func(_ *signingServer, r string) (string, string) {
			return "application/json", r
		}},
		{name: "signed answer labelled JSON", response: active, want: introspect.ErrEndpoint, answer: func(s *signingServer, r string) (string, string) {
			return "application/json", s.sign(jwttest.Token{}, r)
		}},
		{name: "signed answer labelled application/jwt", response: active, want: introspect.ErrEndpoint, answer: func(s *signingServer, r string) (string, string) {
			return "application/jwt", s.sign(jwttest.Token{}, r)
		}},
		{name: "encrypted answer (JWE)", response: active, want: introspect.ErrEndpoint, answer: func(_ *signingServer, _ string) (string, string) {
			return mediaJWT, b64(`{"alg":"RSA-OAEP","enc":"A256GCM"}`) + ".a.b.c.d"
		}},
		{name: "trailing newline", response: active, want: introspect.ErrEndpoint, answer: func(s *signingServer, r string) (string, string) {
			return mediaJWT, s.sign(jwttest.Token{}, r) + "\n"
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			token := "opaque-signed-" + strings.Repeat("s", i)
			s.answers[token], s.answer = tt.response, tt.answer
			c := newClient(t, s.config())
			claims, err := c.Authenticate(t.Context(), token)
			checkErr(t, "Authenticate", claims, err, tt.want)
			if got := s.accept.Load(); got != mediaJWT {
				t.Errorf("Accept = %q, want %s", got, mediaJWT)
			}
			if tt.want == nil && (claims.Subject != "alice" || claims.ACR != "mfa" || !claims.AuthTime.Equal(t0.Add(-time.Minute))) {
				t.Errorf("Authenticate claims = %+v, want those of token_introspection", claims)
			}
		})
	}
}

const mediaJWT = "application/token-introspection+jwt"

// TestSignedResponsesCached: a verified answer is cached as an unsigned one
// is; its key set is fetched once.
func TestSignedResponsesCached(t *testing.T) {
	clk := newClock()
	s := startSigningServer(t, clk)
	s.answers["opaque-cached"] = activeJSON(t0, map[string]any{"iss": nil})
	c := newClient(t, s.config())
	for range 3 {
		if _, err := c.Authenticate(t.Context(), "opaque-cached"); err != nil {
			t.Fatalf("Authenticate = %v, want nil", err)
		}
	}
	if n := s.calls.Load(); n != 1 {
		t.Errorf("introspection calls = %d, want 1 (cached)", n)
	}
	if n := s.keys.JWKSRequests(); n != 0 {
		t.Errorf("the jwttest issuer served %d key sets; the test server serves them", n)
	}
}

// TestSignedResponsesKeysUnavailable: an answer signed with a key that
// cannot be fetched (the key set is down) is an endpoint failure whose
// RetryAfter follows the key set's backoff.
func TestSignedResponsesKeysUnavailable(t *testing.T) {
	clk := newClock()
	s := startSigningServer(t, clk)
	s.answers["opaque-rotated"] = activeJSON(t0, map[string]any{"iss": nil})
	c := newClient(t, s.config())
	if _, err := s.keys.Rotate("ES256"); err != nil { // signs with a kid the client has not seen
		t.Fatal(err)
	}
	s.keysDown.Store(true)
	claims, err := c.Authenticate(t.Context(), "opaque-rotated")
	checkErr(t, "Authenticate(keys down)", claims, err, introspect.ErrEndpoint)
	var ee *introspect.EndpointError
	if !errors.As(err, &ee) {
		t.Fatalf("Authenticate = %v, want an *EndpointError", err)
	}
	if d := ee.RetryAfter(); d < time.Second || d > 5*time.Minute {
		t.Errorf("RetryAfter = %v, want the key set's backoff (1s..5m)", d)
	}
}

func TestSignedResponsesConfig(t *testing.T) {
	clk := newClock()
	s := startSigningServer(t, clk)
	noJWKS := startSigningServer(t, clk)
	noJWKS.noJWKS = true
	for _, tt := range []struct {
		name string
		cfg  func(*introspect.Config)
		want error
	}{
		{"discovered keys and endpoint", func(*introspect.Config) {}, nil},
		{"configured JWKSURL and endpoint", func(c *introspect.Config) { c.Endpoint, c.JWKSURL = s.URL+"/introspect", s.URL+"/jwks" }, nil},
		{"no Issuer", func(c *introspect.Config) { c.Endpoint, c.JWKSURL, c.Issuer = s.URL+"/introspect", s.URL+"/jwks", "" }, jwtverify.ErrConfig},
		{"bearer authentication: no ClientID", func(c *introspect.Config) {
			c.AuthMethod, c.ClientID, c.ClientSecret, c.BearerToken = introspect.AuthBearer, "", "", "rs-token"
		}, jwtverify.ErrConfig},
		{"no authentication: no ClientID", func(c *introspect.Config) {
			c.AuthMethod, c.ClientID, c.ClientSecret = introspect.AuthNone, "", ""
		}, jwtverify.ErrConfig},
		{"JWKSURL without SignedResponses", func(c *introspect.Config) { c.SignedResponses, c.JWKSURL = false, s.URL+"/jwks" }, jwtverify.ErrConfig},
		{"JWKSURL over plain HTTP", func(c *introspect.Config) { c.JWKSURL = "http://keys.example/jwks" }, jwtverify.ErrConfig},
		{"metadata without jwks_uri", func(c *introspect.Config) { c.Issuer = noJWKS.URL }, jwtverify.ErrConfig},
		{"key set down", func(c *introspect.Config) { c.JWKSURL = s.URL + "/nowhere" }, introspect.ErrEndpoint},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := s.config()
			tt.cfg(&cfg)
			c, err := introspect.New(t.Context(), cfg)
			if c != nil {
				c.Close()
			}
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("New = %v, want %v", err, tt.want)
			}
		})
	}
}
