package introspect_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
)

// TestFaultsFailClosedThroughMiddleware breaks the introspection endpoint in
// every way on the list of the hardening issue and checks that each one is
// refused with ErrUnavailable within the timeout, answered 503 by the
// middleware, and never lets the request through.
func TestFaultsFailClosedThroughMiddleware(t *testing.T) {
	const timeout = 300 * time.Millisecond
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the redirect target was contacted")
	}))
	defer other.Close()
	faults := map[string]http.HandlerFunc{
		"reset mid-body": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "100")
			w.Write([]byte(`{"active":tr`))
			conn, _, _ := http.NewResponseController(w).Hijack()
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0) // RST, not FIN
			}
			conn.Close()
		},
		"slow, byte by byte": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{`))
			http.NewResponseController(w).Flush()
			<-r.Context().Done() // the next byte never comes in time
		},
		"hang": func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
		"redirect to another host": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1), http.StatusTemporaryRedirect)
		},
		"404": http.NotFound,
		"500": func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) },
		"200 with HTML": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(`<html>sign in</html>`))
		},
		"truncated JSON": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"active":true,"scope":"a`))
		},
		"body over the limit": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"active":true,"pad":"` + strings.Repeat("x", defaultMaxBodyBytes) + `"}`))
		},
	}
	refused := httptest.NewServer(http.NotFoundHandler())
	refusedURL := refused.URL
	refused.Close() // connections to it are refused from now on

	run := func(t *testing.T, endpoint string) {
		cfg := baseConfig(endpoint, newClock())
		cfg.Timeout = timeout
		c := newClient(t, cfg)
		start := time.Now()
		_, err := c.Authenticate(t.Context(), "opaque-token")
		if !errors.Is(err, jwtverify.ErrUnavailable) || errors.Is(err, jwtverify.ErrInvalidToken) {
			t.Errorf("Authenticate = %v, want ErrUnavailable only", err)
		}
		if d := time.Since(start); d > timeout+time.Second {
			t.Errorf("Authenticate took %v, want about the %v timeout", d, timeout)
		}
		ran := false
		h := middleware.New(c)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran = true }))
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/orders", nil)
		req.Header.Set("Authorization", "Bearer opaque-token")
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusServiceUnavailable || ran {
			t.Errorf("through middleware: status %d, handler ran %v; want 503 and not run", rec.Code, ran)
		}
	}
	t.Run("connection refused", func(t *testing.T) { run(t, refusedURL) })
	for name, h := range faults {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// Read the form first, as a real server does: until then net/http
				// does not watch the connection, and a hanging handler would
				// never see the client give up.
				io.Copy(io.Discard, r.Body)
				h(w, r)
			}))
			defer srv.Close()
			run(t, srv.URL)
		})
	}
}
