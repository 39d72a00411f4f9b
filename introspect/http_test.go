package introspect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/introspect"
	"github.com/tokenguard/tokenguard/jwtverify"
)

func TestRedirect_NotFollowed(t *testing.T) {
	var targetHits atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		targetHits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"active":true}`))
	}))
	t.Cleanup(target.Close)

	for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			ep := &endpoint{handle: func(w http.ResponseWriter, r *http.Request, _ string) {
				http.Redirect(w, r, target.URL+"/steal", status)
			}}
			// A caller's client that would follow anything: it is
			// copied, its policy replaced in the copy, itself untouched.
			var callerPolicyCalls atomic.Int64
			hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
				callerPolicyCalls.Add(1)
				return nil
			}}
			cfg := baseConfig(ep.serve(t), newClock())
			cfg.HTTPClient = hc
			c := newClient(t, cfg)
			claims, err := c.Authenticate(t.Context(), "opaque-token")
			checkErr(t, "Authenticate(redirecting endpoint)", claims, err, introspect.ErrEndpoint)
			var ee *introspect.EndpointError
			if !errors.As(err, &ee) || ee.Status != status {
				t.Errorf("Authenticate = %v, want *EndpointError with status %d", err, status)
			}
			if n := targetHits.Load(); n != 0 {
				t.Errorf("redirect target received %d requests, want 0", n)
			}
			if hc.CheckRedirect == nil || hc.Timeout != 0 || callerPolicyCalls.Load() != 0 {
				t.Errorf("caller's http.Client was modified or its redirect policy used")
			}
		})
	}
}

// countingTransport counts the requests of a caller's client.
type countingTransport struct {
	n    atomic.Int64
	base http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

func TestHTTPClient_Honoured(t *testing.T) {
	ep := &endpoint{}
	ep.answer("opaque", activeJSON(t0, nil))
	tr := &countingTransport{base: http.DefaultTransport}
	cfg := baseConfig(ep.serve(t), newClock())
	cfg.HTTPClient = &http.Client{Transport: tr, Timeout: time.Hour}
	c := newClient(t, cfg)
	mustAuth(t, c, "opaque")
	if tr.n.Load() != 1 {
		t.Errorf("caller's transport carried %d requests, want 1", tr.n.Load())
	}
	if cfg.HTTPClient.Timeout != time.Hour {
		t.Errorf("caller's client timeout changed to %v", cfg.HTTPClient.Timeout)
	}
}

// metadataServer serves OpenID Connect metadata for its own URL, with the
// introspection endpoint of ep (when withEndpoint).
func metadataServer(t *testing.T, ep *endpoint, withEndpoint bool) string {
	t.Helper()
	return metadataServerWith(t, ep, func(_ string, m map[string]any) {
		if !withEndpoint {
			delete(m, "introspection_endpoint")
		}
	})
}

// metadataServerWith serves OpenID Connect metadata for its own URL, with the
// introspection endpoint of ep, after edit changed it.
func metadataServerWith(t *testing.T, ep *endpoint, edit func(base string, m map[string]any)) string {
	t.Helper()
	mux := http.NewServeMux()
	var base string
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		m := map[string]any{
			"issuer":                 base,
			"jwks_uri":               base + "/jwks",
			"token_endpoint":         base + "/token",
			"introspection_endpoint": base + "/introspect",
		}
		edit(base, m)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(m)
	})
	mux.Handle("POST /introspect", ep)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { ep.checkClean(t) })
	base = srv.URL
	return base
}

func TestDiscovery(t *testing.T) {
	ep := &endpoint{}
	iss := metadataServer(t, ep, true)
	ep.answer("opaque", activeJSON(t0, map[string]any{"iss": iss}))
	ep.answer("other-issuer", activeJSON(t0, nil)) // iss is testIssuer
	cfg := baseConfig("", newClock())
	cfg.Issuer = iss
	c := newClient(t, cfg)
	mustAuth(t, c, "opaque")
	if n := ep.calls.Load(); n != 1 {
		t.Errorf("discovered endpoint calls = %d, want 1", n)
	}
	_, err := c.Authenticate(t.Context(), "other-issuer")
	if !errors.Is(err, jwtverify.ErrIssuer) {
		t.Errorf("Authenticate(iss of another issuer) = %v, want ErrIssuer", err)
	}
}

func TestDiscovery_AssertionAudienceIsIssuer(t *testing.T) {
	_, key := newEd25519(t)
	ep := &endpoint{authorize: func(r *http.Request, _ url.Values) bool { return true }}
	iss := metadataServer(t, ep, true)
	ep.answer("opaque", activeJSON(t0, map[string]any{"iss": iss}))
	cfg := baseConfig("", newClock())
	cfg.Issuer, cfg.ClientSecret, cfg.AuthMethod, cfg.PrivateKey = iss, "", introspect.AuthPrivateKeyJWT, key
	c := newClient(t, cfg)
	mustAuth(t, c, "opaque")
	_, form := ep.lastRequest()
	_, claims := verifyAssertion(t, form.Get("client_assertion"), key.Public())
	if aud, ok := claims["aud"].(string); !ok || aud != iss {
		t.Errorf("assertion aud = %#v, want the issuer %q as one string (not the token endpoint)", claims["aud"], iss)
	}
}

// TestDiscovery_Failures checks that a mistake in the configuration or in the
// server's metadata is a configuration error (ErrConfig) that names the URL
// once, and that a server that cannot be reached is an outage
// (ErrUnavailable).
func TestDiscovery_Failures(t *testing.T) {
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)
	tests := []struct {
		name   string
		issuer func(t *testing.T) string
		want   error
	}{
		{
			name:   "http issuer off loopback",
			issuer: func(*testing.T) string { return "http://auth.example.com" },
			want:   jwtverify.ErrConfig,
		},
		{
			name: "metadata names another issuer",
			issuer: func(t *testing.T) string {
				return metadataServerWith(t, &endpoint{}, func(_ string, m map[string]any) { m["issuer"] = "https://evil.example.com" })
			},
			want: jwtverify.ErrConfig,
		},
		{
			name: "http introspection_endpoint off loopback",
			issuer: func(t *testing.T) string {
				return metadataServerWith(t, &endpoint{}, func(_ string, m map[string]any) {
					m["introspection_endpoint"] = "http://auth.example.com/introspect"
				})
			},
			want: jwtverify.ErrConfig,
		},
		{
			name: "http jwks_uri off loopback",
			issuer: func(t *testing.T) string {
				return metadataServerWith(t, &endpoint{}, func(_ string, m map[string]any) { m["jwks_uri"] = "http://auth.example.com/jwks" })
			},
			want: jwtverify.ErrConfig,
		},
		{
			name:   "no introspection_endpoint",
			issuer: func(t *testing.T) string { return metadataServer(t, &endpoint{}, false) },
			want:   jwtverify.ErrConfig,
		},
		{
			name:   "metadata not found",
			issuer: func(*testing.T) string { return notFound.URL },
			want:   jwtverify.ErrUnavailable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iss := tt.issuer(t)
			cfg := baseConfig("", newClock())
			cfg.Issuer = iss
			c, err := introspect.New(t.Context(), cfg)
			if err == nil {
				c.Close()
				t.Fatalf("New(%s) = nil error, want %v", tt.name, tt.want)
			}
			t.Log(err)
			if !errors.Is(err, tt.want) {
				t.Fatalf("New(%s) = %v, want %v", tt.name, err, tt.want)
			}
			other := jwtverify.ErrUnavailable
			if tt.want == jwtverify.ErrUnavailable {
				other = jwtverify.ErrConfig
			}
			if errors.Is(err, other) {
				t.Errorf("New(%s) = %v, also matches %v", tt.name, err, other)
			}
			if tt.want == jwtverify.ErrConfig {
				if !strings.HasPrefix(err.Error(), "introspect: invalid configuration: ") {
					t.Errorf("New(%s) = %q, want the prefix introspect: invalid configuration:", tt.name, err)
				}
				if n := strings.Count(err.Error(), iss); n != 1 {
					t.Errorf("New(%s) = %q names the issuer %d times, want once", tt.name, err, n)
				}
			}
		})
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestNoSecretsInLogs drives every logged path and checks that no log
// record, error, hook argument or printed value contains a token or a
// credential.
func TestNoSecretsInLogs(t *testing.T) {
	const (
		goodToken   = "opaque-GOOD-secret-token-value"
		badToken    = "opaque-BAD-secret-token-value"
		brokenToken = "opaque-BROKEN-secret-token-value"
		wrongAud    = "opaque-WRONGAUD-secret-token-value"
	)
	ep := &endpoint{}
	ep.handle = func(w http.ResponseWriter, r *http.Request, token string) {
		w.Header().Set("Content-Type", "application/json")
		switch token {
		case goodToken:
			w.Write([]byte(activeJSON(t0, nil)))
		case wrongAud:
			w.Write([]byte(activeJSON(t0, map[string]any{"aud": "other"})))
		case brokenToken: // a server that echoes the token into its error
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"invalid_request","error_description":"bad token ` + token + `"}`))
		default:
			w.Write([]byte(`{"active":false,"debug":"` + token + `"}`))
		}
	}
	var logs lockedBuffer
	var hookArgs []string
	var hookMu sync.Mutex
	cfg := baseConfig(ep.serve(t), newClock())
	cfg.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Hooks.Introspected = func(ci introspect.CallInfo) {
		hookMu.Lock()
		defer hookMu.Unlock()
		hookArgs = append(hookArgs, fmt.Sprintf("%+v", ci))
	}
	c := newClient(t, cfg)

	var errs []string
	for _, tok := range []string{goodToken, badToken, brokenToken, wrongAud, badToken} {
		if _, err := c.Authenticate(t.Context(), tok); err != nil {
			errs = append(errs, err.Error())
		}
	}
	cfg.Logger.Info("config", "config", cfg, "client", c)
	printed := fmt.Sprintf("%v %+v %#v %v %+v %#v", cfg, cfg, cfg, c, c, c)

	everything := logs.String() + strings.Join(errs, "\n") + strings.Join(hookArgs, "\n") + printed
	for _, secret := range []string{goodToken, badToken, brokenToken, wrongAud, testClientSecret, "SECRET-token-value"} {
		if strings.Contains(everything, secret) {
			t.Errorf("logs, errors, hooks or printed values contain %q:\n%s", secret, everything)
		}
	}
	for _, want := range []string{`"level":"DEBUG"`, `"level":"WARN"`, `"status":400`, `"client_secret":"REDACTED"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs.String())
		}
	}
	if len(hookArgs) != 4 { // the second badToken is a cache hit
		t.Errorf("hook calls = %d, want 4", len(hookArgs))
	}
}

func TestHooks(t *testing.T) {
	ep := &endpoint{}
	ep.answer("good", activeJSON(t0, nil))
	var got []introspect.CallInfo
	cfg := baseConfig(ep.serve(t), newClock())
	cfg.Hooks.Introspected = func(ci introspect.CallInfo) { got = append(got, ci) }
	c := newClient(t, cfg)
	mustAuth(t, c, "good")
	c.Authenticate(t.Context(), "bad")
	mustAuth(t, c, "good") // cached: no call
	if len(got) != 2 || !got[0].Active || got[0].Status != 200 || got[0].Err != nil ||
		got[1].Active || got[1].Status != 200 || got[1].Err != nil || got[0].Endpoint != cfg.Endpoint {
		t.Errorf("Introspected calls = %+v, want active then inactive, both 200", got)
	}
}

func TestClient_ConcurrentUse(t *testing.T) {
	// A mixed load under -race: hits, misses, rejections, failures.
	ep := &endpoint{}
	for i := range 8 {
		ep.answer(fmt.Sprint("good-", i), activeJSON(t0, nil))
	}
	c := newClient(t, baseConfig(ep.serve(t), newClock()))
	var wg sync.WaitGroup
	for i := range 64 {
		wg.Go(func() {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if i%7 == 0 {
				cancel()
			}
			claims, err := c.Authenticate(ctx, fmt.Sprint("good-", i%10))
			switch {
			case i%7 == 0: // cancelled: a cache hit may still answer
			case i%10 >= 8 && !errors.Is(err, introspect.ErrInactive):
				t.Errorf("caller %d: Authenticate(unknown token) = %v, want ErrInactive", i, err)
			case i%10 < 8 && err != nil:
				t.Errorf("caller %d: Authenticate(active token) = %v", i, err)
			}
			if err == nil {
				if slices.Contains(claims.Scopes, "mine") {
					t.Errorf("caller %d got scopes another caller added: %v", i, claims.Scopes)
				}
				claims.Scopes = append(claims.Scopes, "mine")
			}
		})
	}
	wg.Wait()
}
