package jwks_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tokenguard/tokenguard/internal/jwks"
)

// metadataServer serves metadata documents by path; anything else is 404.
func metadataServer(t *testing.T, docs map[string]func(base string) any) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		doc, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(doc(srv.URL))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestDiscoverOpenIDConfiguration(t *testing.T) {
	srv, _ := metadataServer(t, map[string]func(string) any{
		"/tenant/.well-known/openid-configuration": func(base string) any {
			return map[string]any{"issuer": base + "/tenant", "jwks_uri": base + "/keys", "introspection_endpoint": base + "/introspect"}
		},
	})
	c := jwks.New(jwks.Config{})
	defer c.Close()
	m, err := c.Discover(t.Context(), srv.URL+"/tenant")
	if err != nil {
		t.Fatalf("Discover = %v", err)
	}
	if m.JWKSURI != srv.URL+"/keys" || m.IntrospectionEndpoint != srv.URL+"/introspect" {
		t.Errorf("Discover = %+v, want jwks_uri and introspection_endpoint of the document", m)
	}
}

func TestDiscoverFallsBackToRFC8414(t *testing.T) {
	srv, _ := metadataServer(t, map[string]func(string) any{
		"/.well-known/oauth-authorization-server/tenant": func(base string) any {
			return map[string]any{"issuer": base + "/tenant", "jwks_uri": base + "/keys"}
		},
	})
	c := jwks.New(jwks.Config{})
	defer c.Close()
	m, err := c.Discover(t.Context(), srv.URL+"/tenant")
	if err != nil || m.JWKSURI != srv.URL+"/keys" {
		t.Fatalf("Discover = %+v, %v; want the RFC 8414 document", m, err)
	}
}

func TestDiscoverRejects(t *testing.T) {
	for name, doc := range map[string]func(string) any{
		"issuer mismatch": func(base string) any {
			return map[string]any{"issuer": "https://evil.example", "jwks_uri": base + "/keys"}
		},
		"trailing slash": func(base string) any { return map[string]any{"issuer": base + "/", "jwks_uri": base + "/keys"} },

		"insecure jwks_uri": func(base string) any { return map[string]any{"issuer": base, "jwks_uri": "http://example.com/keys"} },
	} {
		t.Run(name, func(t *testing.T) {
			srv, _ := metadataServer(t, map[string]func(string) any{"/.well-known/openid-configuration": doc})
			c := jwks.New(jwks.Config{})
			defer c.Close()
			if _, err := c.Discover(t.Context(), srv.URL); !errors.Is(err, jwks.ErrFetch) {
				t.Errorf("Discover = %v, want ErrFetch", err)
			}
		})
	}
	t.Run("issuer mismatch is typed", func(t *testing.T) {
		srv, _ := metadataServer(t, map[string]func(string) any{"/.well-known/openid-configuration": func(string) any {
			return map[string]any{"issuer": "https://evil.example", "jwks_uri": "https://evil.example/keys"}
		}})
		c := jwks.New(jwks.Config{})
		defer c.Close()
		var mm *jwks.IssuerMismatchError
		if _, err := c.Discover(t.Context(), srv.URL); !errors.As(err, &mm) || mm.Got != "https://evil.example" {
			t.Errorf("Discover = %v, want *IssuerMismatchError naming the served issuer", err)
		}
	})
}

func TestDiscoverFailureBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var hits atomic.Int64
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			http.Error(w, "down", http.StatusServiceUnavailable)
		})
		c := jwks.New(jwks.Config{HTTPClient: &http.Client{Transport: handlerTransport{h}}})
		defer c.Close()
		for range 100 {
			if _, err := c.Discover(t.Context(), "http://127.0.0.1"); !errors.Is(err, jwks.ErrFetch) {
				t.Fatalf("Discover = %v, want ErrFetch", err)
			}
		}
		if n := hits.Load(); n != 1 {
			t.Errorf("metadata requests for 100 calls during backoff = %d, want 1", n)
		}
		time.Sleep(2 * time.Second)
		c.Discover(t.Context(), "http://127.0.0.1")
		if n := hits.Load(); n != 2 {
			t.Errorf("metadata requests after backoff = %d, want 2", n)
		}
	})
}

func TestDiscoverFaults(t *testing.T) {
	for _, mode := range []string{"refuse", "reset", "slow", "hang", "redirect", "404", "500", "html", "garbage", "huge"} {
		t.Run(mode, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				as := newFakeAS(t)
				as.setMode(mode)
				c := jwks.New(jwks.Config{HTTPClient: as.client(), Timeout: 2 * time.Second})
				defer c.Close()
				start := time.Now()
				if _, err := c.Discover(t.Context(), "http://127.0.0.1"); !errors.Is(err, jwks.ErrFetch) {
					t.Errorf("Discover with endpoint %s = %v, want ErrFetch", mode, err)
				}
				// Two well-known addresses may be tried, each within the timeout.
				if d := time.Since(start); d > 4*time.Second {
					t.Errorf("Discover waited %v, want at most 2 × the 2s timeout", d)
				}
			})
		})
	}
}
