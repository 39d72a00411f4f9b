package pathtest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	echo4 "github.com/labstack/echo/v4"
	echo5 "github.com/labstack/echo/v5"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
	"github.com/tokenguard/tokenguard/middleware/echo5guard"
	"github.com/tokenguard/tokenguard/middleware/echoguard"
	"github.com/tokenguard/tokenguard/middleware/ginguard"
)

// BenchmarkMiddleware times a request with a valid token through each
// framework's middleware beside its parts: path=verify is the bare Verifier on
// the same token (the verified-token cache on, as by default), path=router the
// same router without the middleware. For each framework, middleware - verify
// - router is the middleware's own cost; benchstat -col /path lines them up.
func BenchmarkMiddleware(b *testing.B) {
	iss := jwttest.Start(b, jwttest.Options{})
	v, err := jwtverify.New(b.Context(), jwtverify.Config{Issuer: iss.URL, Audiences: []string{audience}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(v.Close)
	tok := iss.Mint(b, map[string]any{"aud": audience, "sub": "alice", "scope": "orders:read"})
	g, err := middleware.NewGuard(v, middleware.Config{})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)

	b.Run("path=verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Verify(req.Context(), tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, fw := range []struct {
		name string
		// router returns a router serving GET /me, behind v's middleware
		// when guarded.
		router func(guarded bool) http.Handler
	}{
		{"nethttp", func(guarded bool) http.Handler {
			mux := http.NewServeMux()
			mux.HandleFunc("GET /me", func(http.ResponseWriter, *http.Request) {})
			if guarded {
				return g.Handler(mux)
			}
			return mux
		}},
		{"chi", func(guarded bool) http.Handler {
			r := chi.NewRouter()
			if guarded {
				r.Use(g.Handler)
			}
			r.Get("/me", func(http.ResponseWriter, *http.Request) {})
			return r
		}},
		{"gin", func(guarded bool) http.Handler {
			r := gin.New()
			if guarded {
				r.Use(ginguard.Middleware(g))
			}
			r.GET("/me", func(*gin.Context) {})
			return r
		}},
		{"echo-v4", func(guarded bool) http.Handler {
			e := echo4.New()
			if guarded {
				e.Use(echoguard.Middleware(g))
			}
			e.GET("/me", func(echo4.Context) error { return nil })
			return e
		}},
		{"echo-v5", func(guarded bool) http.Handler {
			e := echo5.New()
			if guarded {
				e.Use(echo5guard.Middleware(g))
			}
			e.GET("/me", func(*echo5.Context) error { return nil })
			return e
		}},
	} {
		for _, p := range []struct {
			name    string
			guarded bool
		}{{"router", false}, {"middleware", true}} {
			h := fw.router(p.guarded)
			b.Run("framework="+fw.name+"/path="+p.name, func(b *testing.B) {
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
	}
}
