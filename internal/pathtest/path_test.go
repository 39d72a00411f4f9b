package pathtest

import (
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	echo4 "github.com/labstack/echo/v4"
	echo5 "github.com/labstack/echo/v5"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
	"github.com/tokenguard/tokenguard/middleware/echo5guard"
	"github.com/tokenguard/tokenguard/middleware/echoguard"
	"github.com/tokenguard/tokenguard/middleware/ginguard"
)

// The two handlers every router serves: /healthz is public, everything else
// (a parameter route and a catch-all) is protected.
func public(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set(handlerHeader, "public")
	w.WriteHeader(http.StatusOK)
}

func protected(w http.ResponseWriter, r *http.Request) {
	_, ok := jwtverify.ClaimsFromContext(r.Context())
	w.Header().Set(handlerHeader, "protected")
	if ok {
		w.Header().Set(claimsHeader, "true")
	}
	w.WriteHeader(http.StatusOK)
}

// ginMode sets one of gin's path modes on an engine.
type ginMode func(*gin.Engine)

func ginRouter(mode ginMode) func(g *middleware.Guard) http.Handler {
	return func(g *middleware.Guard) http.Handler {
		r := gin.New()
		mode(r)
		r.Use(ginguard.Middleware(g))
		r.GET("/healthz", func(c *gin.Context) { public(c.Writer, c.Request) })
		r.GET("/:name", func(c *gin.Context) { protected(c.Writer, c.Request) })
		// gin refuses a catch-all beside /:name at the same level, so
		// its catch-all is the NoRoute handler, which runs the global
		// middleware too.
		r.NoRoute(func(c *gin.Context) { protected(c.Writer, c.Request) })
		return r
	}
}

// routers are the routers under test. Each has a public GET /healthz, a
// protected parameter route GET /{name} and a protected catch-all, with
// tokenguard's adapter for that router in front.
var routers = []struct {
	name  string
	build func(g *middleware.Guard) http.Handler
}{
	{"net/http ServeMux", func(g *middleware.Guard) http.Handler {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /healthz", public)
		mux.HandleFunc("GET /{name}", protected)
		mux.HandleFunc("GET /", protected)
		return g.Handler(mux)
	}},
	{"chi", func(g *middleware.Guard) http.Handler {
		r := chi.NewRouter()
		r.Use(g.Handler)
		r.Get("/healthz", public)
		r.Get("/{name}", protected)
		r.Get("/*", protected)
		return r
	}},
	{"gin default (URL.Path)", ginRouter(func(*gin.Engine) {})},
	{"gin UseRawPath", ginRouter(func(e *gin.Engine) { e.UseRawPath = true })},
	{"gin UseRawPath, UnescapePathValues off", ginRouter(func(e *gin.Engine) {
		e.UseRawPath, e.UnescapePathValues = true, false
	})},
	{"gin UseEscapedPath", ginRouter(func(e *gin.Engine) { e.UseEscapedPath = true })},
	{"gin RemoveExtraSlash", ginRouter(func(e *gin.Engine) { e.RemoveExtraSlash = true })},
	{"echo v4", func(g *middleware.Guard) http.Handler {
		e := echo4.New()
		e.Use(echoguard.Middleware(g))
		e.GET("/healthz", func(c echo4.Context) error { public(c.Response(), c.Request()); return nil })
		e.GET("/:name", func(c echo4.Context) error { protected(c.Response(), c.Request()); return nil })
		e.GET("/*", func(c echo4.Context) error { protected(c.Response(), c.Request()); return nil })
		return e
	}},
	{"echo v5", func(g *middleware.Guard) http.Handler {
		e := echo5.New()
		e.Use(echo5guard.Middleware(g))
		e.GET("/healthz", func(c *echo5.Context) error { public(c.Response(), c.Request()); return nil })
		e.GET("/:name", func(c *echo5.Context) error { protected(c.Response(), c.Request()); return nil })
		e.GET("/*", func(c *echo5.Context) error { protected(c.Response(), c.Request()); return nil })
		return e
	}},
}

// TestExcludedPathIsTheRoutedPath sends variants of an excluded path through
// each router, as raw request lines, with and without a valid token. The rule
// each case checks: the middleware decides on the same path the router
// routes, so a protected handler never runs without a valid token, while the
// public handler may.
func TestExcludedPathIsTheRoutedPath(t *testing.T) {
	iss, v := newVerifier(t)
	valid := "Bearer " + iss.Mint(t, map[string]any{"aud": audience, "sub": "alice"})

	cases := []struct {
		name, target string
		// public: the public handler must answer without a token (the
		// exclusion works at all); protected: a protected handler must
		// answer with the token (the protected routes are reachable).
		public, protected bool
	}{
		{name: "exact", target: "/healthz", public: true},
		{name: "exact with a query", target: "/healthz?verbose=1", public: true},
		{name: "another path (control)", target: "/orders", protected: true},
		{name: "encoded letter", target: "/health%7a"},
		{name: "encoded letter, upper-case hex", target: "/health%7A"},
		{name: "encoded first letter", target: "/%68ealthz"},
		{name: "encoded trailing slash", target: "/healthz%2F"},
		{name: "encoded leading slash", target: "/%2Fhealthz"},
		{name: "encoded space", target: "/healthz%20"},
		{name: "encoded NUL", target: "/healthz%00"},
		{name: "double slash", target: "//healthz"},
		{name: "dot-dot segment", target: "/x/../healthz"},
		{name: "encoded dot-dot segment", target: "/x/%2e%2e/healthz"},
		{name: "dot segment", target: "/./healthz"},
		{name: "trailing slash", target: "/healthz/"},
		{name: "upper case", target: "/HEALTHZ"},
		{name: "semicolon", target: "/healthz;x"},
		{name: "absolute form", target: "http://pathtest/healthz", public: true},
		{name: "absolute form, encoded letter", target: "http://pathtest/health%7a"},
		{name: "absolute form, double slash", target: "http://pathtest//healthz"},
	}

	for _, rt := range routers {
		t.Run(rt.name, func(t *testing.T) {
			g, err := middleware.NewGuard(v, middleware.Config{ExcludePaths: []string{"/healthz"}})
			if err != nil {
				t.Fatal(err)
			}
			srv := serve(t, rt.build(g))
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					without := rawGet(t, srv, tc.target, "")
					with := rawGet(t, srv, tc.target, valid)
					t.Logf("GET %s: without a token %v; with one %v", tc.target, without, with)

					if without.handler == "protected" {
						t.Errorf("GET %s without a token: a protected handler ran (%v); the middleware excluded a path the router routes elsewhere", tc.target, without)
					}
					if with.handler == "protected" && !with.claims {
						t.Errorf("GET %s with a valid token: the protected handler ran without claims", tc.target)
					}
					if tc.public && without.handler != "public" {
						t.Errorf("GET %s without a token = %v, want the public handler", tc.target, without)
					}
					if tc.protected && with.handler != "protected" {
						t.Errorf("GET %s with a valid token = %v, want a protected handler", tc.target, with)
					}
				})
			}
		})
	}
}
