package jwks_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tokenguard/tokenguard/internal/discovery"
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
			c := newCache(t, jwks.Config{})
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
		c := newCache(t, jwks.Config{})
		defer c.Close()
		var mm *discovery.IssuerMismatchError
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
		c := newCache(t, jwks.Config{HTTPClient: &http.Client{Transport: handlerTransport{h}}})
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
				c := newCache(t, jwks.Config{HTTPClient: withTimeout(as.client(), 2*time.Second)})
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

// TestDiscoverSharesOneRead: concurrent callers for one issuer share one
// metadata read; a caller whose context ends leaves alone, and the read goes
// on for the others.
func TestDiscoverSharesOneRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var hits atomic.Int64
		release := make(chan struct{})
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			<-release
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"issuer":"http://127.0.0.1","jwks_uri":"http://127.0.0.1/jwks"}`))
		})
		c := newCache(t, jwks.Config{HTTPClient: &http.Client{Transport: handlerTransport{h}}})
		defer c.Close()
		ctx, cancel := context.WithCancel(t.Context())
		left := make(chan error, 1)
		go func() {
			_, err := c.Discover(ctx, "http://127.0.0.1")
			left <- err
		}()
		const n = 50
		got := make(chan error, n)
		for range n {
			go func() {
				m, err := c.Discover(t.Context(), "http://127.0.0.1")
				if err == nil && m.JWKSURI != "http://127.0.0.1/jwks" {
					err = fmt.Errorf("jwks_uri %q", m.JWKSURI)
				}
				got <- err
			}()
		}
		synctest.Wait() // every caller waits on the read
		cancel()
		if err := <-left; !errors.Is(err, context.Canceled) {
			t.Errorf("Discover(cancelled caller) = %v, want context.Canceled", err)
		}
		close(release)
		for range n {
			if err := <-got; err != nil {
				t.Errorf("Discover = %v, want the shared read's metadata", err)
			}
		}
		if n := hits.Load(); n != 1 {
			t.Errorf("metadata requests = %d, want 1 for all callers", n)
		}
	})
}
