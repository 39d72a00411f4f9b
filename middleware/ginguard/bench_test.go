package ginguard_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware/ginguard"
)

// BenchmarkGin times a request with a valid token through the middleware
// beside its parts: verify is the bare Verifier on the same token (the
// verified-token cache on, as by default), router the same router without
// the middleware. middleware - verify - router is the adapter's own cost.
func BenchmarkGin(b *testing.B) {
	iss := jwttest.Start(b, jwttest.Options{})
	v, err := jwtverify.New(b.Context(), jwtverify.Config{Issuer: iss.URL, Audiences: []string{"https://api.test"}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(v.Close)
	tok := iss.Mint(b, map[string]any{"aud": "https://api.test", "sub": "alice", "scope": "orders:read"})

	gin.SetMode(gin.TestMode)
	bare := gin.New()
	bare.GET("/me", func(*gin.Context) {})
	guarded := gin.New()
	guarded.Use(ginguard.New(v))
	guarded.GET("/me", func(*gin.Context) {})
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
	run("router", bare)
	run("middleware", guarded)
}
