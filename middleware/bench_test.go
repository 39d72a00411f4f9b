package middleware_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
)

// BenchmarkNetHTTP times a request with a valid token through the middleware
// beside its parts: verify is the bare Verifier on the same token (the
// verified-token cache on, as by default), router the same mux without the
// middleware. middleware - verify - router is the middleware's own cost.
func BenchmarkNetHTTP(b *testing.B) {
	iss := jwttest.Start(b, jwttest.Options{})
	v, err := jwtverify.New(b.Context(), jwtverify.Config{Issuer: iss.URL, Audiences: []string{audience}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(v.Close)
	tok := iss.Mint(b, map[string]any{"aud": audience, "sub": "alice", "scope": "orders:read"})

	mux := http.NewServeMux()
	mux.HandleFunc("GET /me", func(http.ResponseWriter, *http.Request) {})
	req := httptest.NewRequest(http.MethodGet, "/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)

	b.Run("verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(req.Context(), tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	run := func(name string, h http.Handler) {
		b.Run(name, func(b *testing.B) {
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, req)
			}
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		})
	}
	run("router", mux)
	run("middleware", middleware.New(v)(mux))
}
