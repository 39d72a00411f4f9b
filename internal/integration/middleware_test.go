package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	echo4 "github.com/labstack/echo/v4"
	echo5 "github.com/labstack/echo/v5"

	"github.com/tokenguard/tokenguard/introspect"
	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
	"github.com/tokenguard/tokenguard/middleware/echo5guard"
	"github.com/tokenguard/tokenguard/middleware/echoguard"
	"github.com/tokenguard/tokenguard/middleware/ginguard"
)

// The API every entry point serves: GET /orders needs orders:read, which
// the client has; GET /admin needs orders:admin, which it may not get.
const (
	readScope  = "orders:read"
	adminScope = "orders:admin"
)

// apiAnswer is what the handlers answer: read from the claims on the
// request's context.
type apiAnswer struct {
	ClientID string   `json:"client_id"`
	Audience []string `json:"aud"`
	Scopes   []string `json:"scopes"`
}

func answer(c *jwtverify.Claims, ok bool) (int, apiAnswer) {
	if !ok || c == nil {
		return http.StatusInternalServerError, apiAnswer{}
	}
	return http.StatusOK, apiAnswer{ClientID: c.ClientID, Audience: c.Audience, Scopes: c.Scopes}
}

// entryPoints are the ways to put tokenguard in front of an API.
var entryPoints = []struct {
	name  string
	build func(g *middleware.Guard) http.Handler
}{
	{"net/http", func(g *middleware.Guard) http.Handler {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			status, body := answer(jwtverify.ClaimsFromContext(r.Context()))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(body)
		})
		mux := http.NewServeMux()
		mux.Handle("GET /orders", g.Require(middleware.Scopes(readScope))(h))
		mux.Handle("GET /admin", g.Require(middleware.Scopes(adminScope))(h))
		return g.Handler(mux)
	}},
	{"chi", func(g *middleware.Guard) http.Handler {
		h := func(w http.ResponseWriter, r *http.Request) {
			status, body := answer(jwtverify.ClaimsFromContext(r.Context()))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(body)
		}
		r := chi.NewRouter()
		r.Use(g.Handler)
		r.With(g.Require(middleware.Scopes(readScope))).Get("/orders", h)
		r.With(g.Require(middleware.Scopes(adminScope))).Get("/admin", h)
		return r
	}},
	{"gin", func(g *middleware.Guard) http.Handler {
		h := func(c *gin.Context) { c.JSON(answer(ginguard.Claims(c))) }
		r := gin.New()
		r.Use(ginguard.Middleware(g))
		r.GET("/orders", ginguard.Require(g, middleware.Scopes(readScope)), h)
		r.GET("/admin", ginguard.Require(g, middleware.Scopes(adminScope)), h)
		return r
	}},
	{"echo v4", func(g *middleware.Guard) http.Handler {
		h := func(c echo4.Context) error { return c.JSON(answer(echoguard.Claims(c))) }
		e := echo4.New()
		e.Use(echoguard.Middleware(g))
		e.GET("/orders", h, echoguard.Require(g, middleware.Scopes(readScope)))
		e.GET("/admin", h, echoguard.Require(g, middleware.Scopes(adminScope)))
		return e
	}},
	{"echo v5", func(g *middleware.Guard) http.Handler {
		h := func(c *echo5.Context) error { return c.JSON(answer(echo5guard.Claims(c))) }
		e := echo5.New()
		e.Use(echo5guard.Middleware(g))
		e.GET("/orders", h, echo5guard.Require(g, middleware.Scopes(readScope)))
		e.GET("/admin", h, echo5guard.Require(g, middleware.Scopes(adminScope)))
		return e
	}},
}

// TestMiddlewareEntryPoints runs one table of requests, with tokens from the
// real server, through net/http, chi, gin, echo v4 and echo v5. The
// Authenticator verifies JWTs locally and introspects opaque tokens.
func TestMiddlewareEntryPoints(t *testing.T) {
	srv := sharedServer(t)
	srv.logOnFailure(t)
	gin.SetMode(gin.TestMode) // once, before any engine exists

	verifier := newVerifier(t, srv, jwtverify.Config{Audiences: []string{resRS256, resPS256, resES256, resEdDSA}})
	auth := middleware.Chain(verifier, newIntrospector(t, srv, introspect.Config{}))
	g, err := middleware.NewGuard(auth, middleware.Config{})
	if err != nil {
		t.Fatal(err)
	}

	revoked := srv.token(t, resOpaque, readScope)
	srv.revoke(t, revoked)
	type want struct {
		status int
		code   string // RFC 6750 error code; "" for none
		scope  string // scope of a 403 challenge
		aud    string // audience the handler saw, for 200
	}
	cases := []struct {
		name, path, authorization string
		want                      want
	}{
		{"RS256 JWT", "/orders", "Bearer " + srv.token(t, resRS256, readScope), want{status: 200, aud: resRS256}},
		{"PS256 JWT", "/orders", "Bearer " + srv.token(t, resPS256, readScope), want{status: 200, aud: resPS256}},
		{"ES256 JWT", "/orders", "Bearer " + srv.token(t, resES256, clientScopes), want{status: 200, aud: resES256}},
		{"EdDSA JWT", "/orders", "Bearer " + srv.token(t, resEdDSA, readScope), want{status: 200, aud: resEdDSA}},
		{"opaque token, introspected", "/orders", "Bearer " + srv.token(t, resOpaque, readScope), want{status: 200, aud: resOpaque}},
		{"revoked opaque token", "/orders", "Bearer " + revoked, want{status: 401, code: "invalid_token"}},
		{"JWT for another resource", "/orders", "Bearer " + srv.token(t, resOther, readScope), want{status: 401, code: "invalid_token"}},
		{"scope the client lacks", "/admin", "Bearer " + srv.token(t, resES256, clientScopes), want{status: 403, code: "insufficient_scope", scope: adminScope}},
		{"opaque token, scope the client lacks", "/admin", "Bearer " + srv.token(t, resOpaque, clientScopes), want{status: 403, code: "insufficient_scope", scope: adminScope}},
		{"no token", "/orders", "", want{status: 401}},
		{"malformed Authorization", "/orders", "Bearer two words", want{status: 400, code: "invalid_request"}},
	}

	for _, ep := range entryPoints {
		t.Run(ep.name, func(t *testing.T) {
			api := httptest.NewServer(ep.build(g))
			t.Cleanup(api.Close)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, api.URL+tc.path, nil)
					if err != nil {
						t.Fatal(err)
					}
					if tc.authorization != "" {
						req.Header.Set("Authorization", tc.authorization)
					}
					resp, err := api.Client().Do(req)
					if err != nil {
						t.Fatalf("GET %s: %v", tc.path, err)
					}
					defer resp.Body.Close()
					body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
					if err != nil {
						t.Fatal(err)
					}
					if resp.StatusCode != tc.want.status {
						t.Fatalf("GET %s: status %d, want %d; WWW-Authenticate %q; body %s",
							tc.path, resp.StatusCode, tc.want.status, resp.Header.Get("WWW-Authenticate"), body)
					}
					if tc.want.status == http.StatusOK {
						var got apiAnswer
						if err := json.Unmarshal(body, &got); err != nil {
							t.Fatalf("GET %s: body %s: %v", tc.path, body, err)
						}
						if got.ClientID != apiClientID || len(got.Audience) != 1 || got.Audience[0] != tc.want.aud {
							t.Errorf("handler saw client_id %q, aud %q; want %q, [%s]", got.ClientID, got.Audience, apiClientID, tc.want.aud)
						}
						return
					}
					checkRejection(t, resp, body, tc.want.code, tc.want.scope)
				})
			}
		})
	}
}

// checkRejection checks an RFC 6750 answer as the middleware documents it:
// no-store; a JSON body with "error" when a code applies (all but the
// no-token 401), "error_description" always and "scope" for
// insufficient_scope, nothing else; a Bearer challenge with the same error
// and scope, and no error information at all on the no-token 401.
func checkRejection(t *testing.T, resp *http.Response, body []byte, code, scope string) {
	t.Helper()
	challenge := resp.Header.Get("WWW-Authenticate")
	if !strings.HasPrefix(challenge, "Bearer ") {
		t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", challenge)
	}
	for _, param := range []struct{ name, want string }{{"error", code}, {"scope", scope}} {
		has := strings.Contains(challenge, param.name+`="`)
		if has != (param.want != "") || (has && !strings.Contains(challenge, param.name+`="`+param.want+`"`)) {
			t.Errorf("WWW-Authenticate = %q, want %s %q", challenge, param.name, param.want)
		}
	}
	if has := strings.Contains(challenge, "error_description="); has != (code != "") {
		t.Errorf("WWW-Authenticate = %q: error_description present = %v, want %v", challenge, has, code != "")
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	var got map[string]string
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("body %s is not a JSON object of strings: %v", body, err)
	}
	if got["error_description"] == "" {
		t.Errorf("body = %s, want an error_description", body)
	}
	delete(got, "error_description")
	want := map[string]string{}
	if code != "" {
		want["error"] = code
	}
	if scope != "" {
		want["scope"] = scope
	}
	if len(got) != len(want) || got["error"] != want["error"] || got["scope"] != want["scope"] {
		t.Errorf("body = %s, want error %q, scope %q and a description, nothing else", body, code, scope)
	}
}
