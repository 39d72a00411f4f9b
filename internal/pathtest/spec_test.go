package pathtest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// fixture is what the spec table's requests need: tokens signed by a real
// issuer and verified by a real Verifier.
type fixture struct {
	verifier *jwtverify.Verifier
	valid    string // alice, scopes orders:read profile
	bob      string // bob, scopes orders:read
	profile  string // alice, scope profile only
	expired  string
	otherAud string
	tampered string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	iss, v := newVerifier(t)
	now := time.Now()
	f := &fixture{
		verifier: v,
		valid:    iss.Mint(t, map[string]any{"aud": audience, "sub": "alice", "scope": "orders:read profile"}),
		bob:      iss.Mint(t, map[string]any{"aud": audience, "sub": "bob", "scope": "orders:read"}),
		profile:  iss.Mint(t, map[string]any{"aud": audience, "sub": "alice", "scope": "profile"}),
		expired: iss.Mint(t, map[string]any{"aud": audience, "sub": "alice",
			"iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()}),
		otherAud: iss.Mint(t, map[string]any{"aud": "https://other.test", "sub": "alice"}),
	}
	other := iss.Mint(t, map[string]any{"aud": audience, "sub": "mallory", "scope": "orders:read"})
	parts, otherParts := strings.Split(f.valid, "."), strings.Split(other, ".")
	f.tampered = parts[0] + "." + otherParts[1] + "." + parts[2] // same issuer, payload swapped
	return f
}

// downAuthenticator returns a Verifier whose issuer has gone away, and a token
// signed by a key it has not fetched: verifying it needs the key set, which
// cannot be had. Each call makes a fresh pair, so that the key cache's
// back-off after a failed fetch never changes the answer.
func downAuthenticator(t *testing.T) (*jwtverify.Verifier, string) {
	t.Helper()
	iss, err := jwttest.NewIssuer(jwttest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := jwtverify.New(t.Context(), jwtverify.Config{Issuer: iss.URL, Audiences: []string{audience}})
	if err != nil {
		t.Fatalf("jwtverify.New: %v", err)
	}
	t.Cleanup(v.Close)
	if _, err := iss.Rotate("RS256"); err != nil {
		t.Fatal(err)
	}
	tok := iss.Mint(t, map[string]any{"aud": audience, "sub": "alice"})
	iss.Close()
	return v, tok
}

// seen is what the test handler reports having seen.
type seen struct {
	Handler bool   `json:"handler"`
	Claims  bool   `json:"claims"`
	Subject string `json:"sub"`
	Agree   bool   `json:"agree"` // the framework accessor returned the context's claims
}

func reply(w http.ResponseWriter, r *http.Request, c *jwtverify.Claims, ok bool) {
	fromCtx, ctxOK := jwtverify.ClaimsFromContext(r.Context())
	s := seen{Handler: true, Claims: ok, Agree: ok == ctxOK && c == fromCtx}
	if ok {
		s.Subject = c.Subject
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(s)
}

// rejections collects what the Guards' Rejected hooks report, per request:
// the client names each request in the caseHeader, and the server puts that
// name on the request context for the hook to find.
type rejections struct {
	mu     sync.Mutex
	byCase map[string][]middleware.Rejection
}

const caseHeader = "X-Pathtest-Case"

type caseKey struct{}

func (rs *rejections) hooks() middleware.Hooks {
	return middleware.Hooks{Rejected: func(ctx context.Context, rej middleware.Rejection) {
		name, _ := ctx.Value(caseKey{}).(string)
		rs.mu.Lock()
		defer rs.mu.Unlock()
		rs.byCase[name] = append(rs.byCase[name], rej)
	}}
}

func (rs *rejections) of(name string) []middleware.Rejection {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.byCase[name]
}

// withCase puts the request's case name on its context.
func withCase(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), caseKey{}, r.Header.Get(caseHeader))))
	})
}

func onlyAlice(_ *http.Request, c *jwtverify.Claims) error {
	if c.Subject != "alice" {
		return errors.New("only alice may")
	}
	return nil
}

// guards are the three Guards every router mounts.
type guards struct {
	api, opt, down *middleware.Guard
}

// The same routes on each entry point:
//
//	/api/*   Guard api (required; /api/healthz excluded)
//	  /api/me, /api/healthz      handler
//	  /api/orders                RequireScopes("orders:read")
//	  /api/admin                 RequireAnyScope("admin", "root")
//	  /api/alice                 Require(onlyAlice)
//	/opt/*   Guard opt (optional)
//	  /opt/me                    handler
//	  /opt/orders                RequireScopes("orders:read")
//	/down/me Guard down (key source unreachable)
var entryPoints = []struct {
	name  string
	build func(g guards) http.Handler
}{
	{"net/http", func(g guards) http.Handler {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, ok := jwtverify.ClaimsFromContext(r.Context())
			reply(w, r, c, ok)
		})
		api := http.NewServeMux()
		api.Handle("GET /api/me", h)
		api.Handle("GET /api/healthz", h)
		api.Handle("GET /api/orders", middleware.RequireScopes("orders:read")(h))
		api.Handle("GET /api/admin", middleware.RequireAnyScope("admin", "root")(h))
		api.Handle("GET /api/alice", middleware.Require(onlyAlice)(h))
		opt := http.NewServeMux()
		opt.Handle("GET /opt/me", h)
		opt.Handle("GET /opt/orders", middleware.RequireScopes("orders:read")(h))
		mux := http.NewServeMux()
		mux.Handle("/api/", g.api.Handler(api))
		mux.Handle("/opt/", g.opt.Handler(opt))
		mux.Handle("GET /down/me", g.down.Handler(h))
		return mux
	}},
	{"chi", func(g guards) http.Handler {
		h := func(w http.ResponseWriter, r *http.Request) {
			c, ok := jwtverify.ClaimsFromContext(r.Context())
			reply(w, r, c, ok)
		}
		r := chi.NewRouter()
		r.Route("/api", func(r chi.Router) {
			r.Use(g.api.Handler)
			r.Get("/me", h)
			r.Get("/healthz", h)
			r.With(middleware.RequireScopes("orders:read")).Get("/orders", h)
			r.With(middleware.RequireAnyScope("admin", "root")).Get("/admin", h)
			r.With(middleware.Require(onlyAlice)).Get("/alice", h)
		})
		r.Route("/opt", func(r chi.Router) {
			r.Use(g.opt.Handler)
			r.Get("/me", h)
			r.With(middleware.RequireScopes("orders:read")).Get("/orders", h)
		})
		r.With(g.down.Handler).Get("/down/me", h)
		return r
	}},
	{"gin", func(g guards) http.Handler {
		h := func(c *gin.Context) {
			cl, ok := ginguard.Claims(c)
			reply(c.Writer, c.Request, cl, ok)
		}
		r := gin.New()
		api := r.Group("/api", ginguard.Middleware(g.api))
		api.GET("/me", h)
		api.GET("/healthz", h)
		api.GET("/orders", ginguard.RequireScopes("orders:read"), h)
		api.GET("/admin", ginguard.RequireAnyScope("admin", "root"), h)
		api.GET("/alice", ginguard.Require(onlyAlice), h)
		opt := r.Group("/opt", ginguard.Middleware(g.opt))
		opt.GET("/me", h)
		opt.GET("/orders", ginguard.RequireScopes("orders:read"), h)
		r.GET("/down/me", ginguard.Middleware(g.down), h)
		return r
	}},
	{"echo v4", func(g guards) http.Handler {
		h := func(c echo4.Context) error {
			cl, ok := echoguard.Claims(c)
			reply(c.Response(), c.Request(), cl, ok)
			return nil
		}
		e := echo4.New()
		api := e.Group("/api", echoguard.Middleware(g.api))
		api.GET("/me", h)
		api.GET("/healthz", h)
		api.GET("/orders", h, echoguard.RequireScopes("orders:read"))
		api.GET("/admin", h, echoguard.RequireAnyScope("admin", "root"))
		api.GET("/alice", h, echoguard.Require(onlyAlice))
		opt := e.Group("/opt", echoguard.Middleware(g.opt))
		opt.GET("/me", h)
		opt.GET("/orders", h, echoguard.RequireScopes("orders:read"))
		e.GET("/down/me", h, echoguard.Middleware(g.down))
		return e
	}},
	{"echo v5", func(g guards) http.Handler {
		h := func(c *echo5.Context) error {
			cl, ok := echo5guard.Claims(c)
			reply(c.Response(), c.Request(), cl, ok)
			return nil
		}
		e := echo5.New()
		api := e.Group("/api", echo5guard.Middleware(g.api))
		api.GET("/me", h)
		api.GET("/healthz", h)
		api.GET("/orders", h, echo5guard.RequireScopes("orders:read"))
		api.GET("/admin", h, echo5guard.RequireAnyScope("admin", "root"))
		api.GET("/alice", h, echo5guard.Require(onlyAlice))
		opt := e.Group("/opt", echo5guard.Middleware(g.opt))
		opt.GET("/me", h)
		opt.GET("/orders", h, echo5guard.RequireScopes("orders:read"))
		e.GET("/down/me", h, echo5guard.Middleware(g.down))
		return e
	}},
}

// TestSpec runs one table of requests, one or more for every answer the
// middleware gives, through every entry point over a real server, and checks
// each answer against the documented contract (see checkRejected).
func TestSpec(t *testing.T) {
	f := newFixture(t)
	bearer := func(tok string) []string { return []string{"Bearer " + tok} }

	type want struct {
		status  int
		code    string // the error code of the body (and of the challenge, if it has one); "" for none
		scope   string // the scope of a 403 (body and challenge)
		err     error  // the rejection's category (errors.Is); nil: not rejected
		subject string // the handler ran and saw these claims ("" with claims == false)
		claims  bool
	}
	cases := []struct {
		name   string
		target string
		auth   func(downToken string) []string // Authorization header values
		want   want
	}{
		{"no header", "/api/me", nil,
			want{status: 401, err: middleware.ErrNoToken}},
		{"two Authorization headers", "/api/me", func(string) []string { return []string{"Bearer " + f.valid, "Bearer " + f.valid} },
			want{status: 400, code: "invalid_request", err: middleware.ErrInvalidRequest}},
		{"Basic scheme", "/api/me", func(string) []string { return []string{"Basic YWxpY2U6c2VjcmV0"} },
			want{status: 401, err: middleware.ErrNoToken}},
		{"bearer lower case", "/api/me", func(string) []string { return []string{"bearer " + f.valid} },
			want{status: 200, subject: "alice", claims: true}},
		{"BEARER upper case", "/api/me", func(string) []string { return []string{"BEARER " + f.valid} },
			want{status: 200, subject: "alice", claims: true}},
		{"several spaces (1*SP)", "/api/me", func(string) []string { return []string{"Bearer   " + f.valid} },
			want{status: 200, subject: "alice", claims: true}},
		{"tab instead of space", "/api/me", func(string) []string { return []string{"Bearer\t" + f.valid} },
			want{status: 400, code: "invalid_request", err: middleware.ErrInvalidRequest}},
		{"space inside the token", "/api/me", func(string) []string { return []string{"Bearer " + f.valid[:10] + " " + f.valid[10:]} },
			want{status: 400, code: "invalid_request", err: middleware.ErrInvalidRequest}},
		{"Bearer without token", "/api/me", func(string) []string { return []string{"Bearer"} },
			want{status: 400, code: "invalid_request", err: middleware.ErrInvalidRequest}},
		{"token outside b64token syntax", "/api/me", func(string) []string { return []string{"Bearer a,b"} },
			want{status: 400, code: "invalid_request", err: middleware.ErrInvalidRequest}},
		{"token in query when disabled", "/api/me?access_token=" + f.valid, nil,
			want{status: 401, err: middleware.ErrNoToken}},
		{"valid token", "/api/me", func(string) []string { return bearer(f.valid) },
			want{status: 200, subject: "alice", claims: true}},
		{"expired token", "/api/me", func(string) []string { return bearer(f.expired) },
			want{status: 401, code: "invalid_token", err: jwtverify.ErrExpired}},
		{"wrong audience", "/api/me", func(string) []string { return bearer(f.otherAud) },
			want{status: 401, code: "invalid_token", err: jwtverify.ErrAudience}},
		{"tampered payload", "/api/me", func(string) []string { return bearer(f.tampered) },
			want{status: 401, code: "invalid_token", err: jwtverify.ErrSignature}},
		{"scope granted", "/api/orders", func(string) []string { return bearer(f.valid) },
			want{status: 200, subject: "alice", claims: true}},
		{"missing scope", "/api/orders", func(string) []string { return bearer(f.profile) },
			want{status: 403, code: "insufficient_scope", scope: "orders:read", err: middleware.ErrInsufficientScope}},
		{"missing any scope", "/api/admin", func(string) []string { return bearer(f.valid) },
			want{status: 403, code: "insufficient_scope", scope: "admin root", err: middleware.ErrInsufficientScope}},
		{"custom check passes", "/api/alice", func(string) []string { return bearer(f.valid) },
			want{status: 200, subject: "alice", claims: true}},
		{"custom check refuses", "/api/alice", func(string) []string { return bearer(f.bob) },
			want{status: 403, code: "insufficient_scope", err: middleware.ErrForbidden}},
		{"excluded route without token", "/api/healthz", nil,
			want{status: 200}},
		{"excluded route with bad token", "/api/healthz", func(string) []string { return bearer(f.expired) },
			want{status: 200}},
		{"excluded route, encoded", "/api/health%7a", nil,
			want{status: 401, err: middleware.ErrNoToken}},
		{"optional: no token", "/opt/me", nil,
			want{status: 200}},
		{"optional: valid token", "/opt/me", func(string) []string { return bearer(f.valid) },
			want{status: 200, subject: "alice", claims: true}},
		{"optional: expired token", "/opt/me", func(string) []string { return bearer(f.expired) },
			want{status: 401, code: "invalid_token", err: jwtverify.ErrExpired}},
		{"optional: Basic scheme", "/opt/me", func(string) []string { return []string{"Basic YWxpY2U6c2VjcmV0"} },
			want{status: 401, err: middleware.ErrNoToken}},
		{"optional: scoped route without token", "/opt/orders", nil,
			want{status: 401, err: middleware.ErrNoToken}},
		{"key source down", "/down/me", func(down string) []string { return bearer(down) },
			want{status: 503, code: "temporarily_unavailable", err: jwtverify.ErrUnavailable}},
	}

	for _, ep := range entryPoints {
		t.Run(ep.name, func(t *testing.T) {
			rs := &rejections{byCase: map[string][]middleware.Rejection{}}
			down, downToken := downAuthenticator(t)
			hooks := rs.hooks()
			g := guards{
				api:  middleware.NewGuard(f.verifier, middleware.Config{Realm: "test", Exclude: middleware.ExcludePaths("/api/healthz"), Hooks: hooks}),
				opt:  middleware.NewGuard(f.verifier, middleware.Config{Realm: "test", Optional: true, Hooks: hooks}),
				down: middleware.NewGuard(down, middleware.Config{Realm: "test", Hooks: hooks}),
			}
			srv := httptest.NewServer(withCase(ep.build(g)))
			t.Cleanup(srv.Close)
			var n atomic.Int64
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					name := strconv.FormatInt(n.Add(1), 10)
					req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+tc.target, nil)
					if err != nil {
						t.Fatal(err)
					}
					req.Header.Set(caseHeader, name)
					if tc.auth != nil {
						req.Header["Authorization"] = tc.auth(downToken)
					}
					res, err := srv.Client().Do(req)
					if err != nil {
						t.Fatalf("GET %s: %v", tc.target, err)
					}
					body := readBody(t, res)

					if res.StatusCode != tc.want.status {
						t.Fatalf("GET %s: status = %d, want %d; body %s", tc.target, res.StatusCode, tc.want.status, body)
					}
					if tc.want.err == nil {
						checkServed(t, res, body, rs.of(name), tc.want.subject, tc.want.claims)
						return
					}
					rej := rs.of(name)
					if len(rej) != 1 {
						t.Fatalf("Hooks.Rejected called %d times, want 1", len(rej))
					}
					if !errors.Is(rej[0].Err, tc.want.err) {
						t.Errorf("rejection error = %v, want %v", rej[0].Err, tc.want.err)
					}
					if rej[0].Status != res.StatusCode || rej[0].Code != tc.want.code || rej[0].Scope != tc.want.scope {
						t.Errorf("Rejection = {Status %d, Code %q, Scope %q}, want {%d, %q, %q}",
							rej[0].Status, rej[0].Code, rej[0].Scope, res.StatusCode, tc.want.code, tc.want.scope)
					}
					checkRejected(t, res, body, "test", rej[0])
				})
			}
		})
	}
}

func readBody(t *testing.T, res *http.Response) []byte {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(http.MaxBytesReader(nil, res.Body, 1<<16))
	if err != nil {
		t.Fatalf("reading the body: %v", err)
	}
	return b
}

func checkServed(t *testing.T, res *http.Response, body []byte, rej []middleware.Rejection, subject string, claims bool) {
	t.Helper()
	var s seen
	if err := json.Unmarshal(body, &s); err != nil || !s.Handler {
		t.Fatalf("handler did not answer: body %q (%v)", body, err)
	}
	if s.Claims != claims || s.Subject != subject || !s.Agree {
		t.Errorf("handler saw claims=%v sub=%q agree=%v, want claims=%v sub=%q agree=true", s.Claims, s.Subject, s.Agree, claims, subject)
	}
	if len(rej) != 0 {
		t.Errorf("Hooks.Rejected called with %+v on a served request", rej)
	}
	if h := res.Header.Values("WWW-Authenticate"); len(h) != 0 {
		t.Errorf("WWW-Authenticate = %q on a served request", h)
	}
}

// checkRejected checks a refused request's answer against the contract that
// middleware's package doc states:
//
//   - Cache-Control: no-store, Content-Type: application/json and
//     X-Content-Type-Options: nosniff;
//   - a JSON body with "error" when an error code applies (all but the
//     401 for a missing token), "error_description" always, "scope" for
//     insufficient_scope from a scope rule, and nothing else;
//   - a WWW-Authenticate challenge with the realm and the same error,
//     error_description and scope as the body, except on a 401 for a
//     missing token (the realm only, RFC 6750 §3.1) and on a 503 (none).
func checkRejected(t *testing.T, res *http.Response, body []byte, realm string, rej middleware.Rejection) {
	t.Helper()
	for k, v := range map[string]string{
		"Cache-Control":          "no-store",
		"Content-Type":           "application/json",
		"X-Content-Type-Options": "nosniff",
	} {
		if got := res.Header.Values(k); len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}

	var got map[string]string
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("body %q is not a JSON object of strings: %v", body, err)
	}
	want := map[string]string{"error_description": rej.Description}
	if rej.Description == "" {
		t.Errorf("Rejection.Description is empty")
	}
	if rej.Code != "" {
		want["error"] = rej.Code
	}
	if rej.Scope != "" {
		want["scope"] = rej.Scope
	}
	if !sameMap(got, want) {
		t.Errorf("body = %v, want %v", got, want)
	}
	// The description is a fixed phrase, not the error's text (except for
	// invalid_request, whose RequestError.Reason is such a phrase).
	if rej.Code != "invalid_request" && strings.Contains(rej.Err.Error(), rej.Description) {
		t.Errorf("description %q looks taken from the error text %q", rej.Description, rej.Err)
	}

	values := res.Header.Values("WWW-Authenticate")
	if res.StatusCode == http.StatusServiceUnavailable {
		if len(values) != 0 {
			t.Errorf("WWW-Authenticate = %q on a 503, want none", values)
		}
		return
	}
	if len(values) != 1 {
		t.Fatalf("WWW-Authenticate = %q, want one", values)
	}
	params, err := parseChallenge(values[0])
	if err != nil {
		t.Fatalf("WWW-Authenticate %q: %v", values[0], err)
	}
	wantParams := map[string]string{"realm": realm}
	if rej.Code != "" {
		for k, v := range want {
			wantParams[k] = v
		}
	}
	if !sameMap(params, wantParams) {
		t.Errorf("challenge %q has %v, want %v", values[0], params, wantParams)
	}
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// parseChallenge parses `Bearer k="v", k2="v2"` strictly: the Bearer scheme,
// then comma-separated quoted auth-params without escapes (RFC 6750 §3
// allows none in its values).
func parseChallenge(h string) (map[string]string, error) {
	rest, ok := strings.CutPrefix(h, "Bearer")
	if !ok {
		return nil, errors.New("scheme is not Bearer")
	}
	params := map[string]string{}
	if rest == "" {
		return params, nil
	}
	rest, ok = strings.CutPrefix(rest, " ")
	for ok && rest != "" {
		var name, value string
		name, rest, ok = strings.Cut(rest, `="`)
		if !ok || name == "" || strings.ContainsAny(name, " ,\"") {
			return nil, errors.New("bad auth-param name")
		}
		value, rest, ok = strings.Cut(rest, `"`)
		if !ok {
			return nil, errors.New("unterminated quoted value")
		}
		if _, dup := params[name]; dup {
			return nil, errors.New("duplicate auth-param " + name)
		}
		params[name] = value
		if rest == "" {
			return params, nil
		}
		rest, ok = strings.CutPrefix(rest, ", ")
	}
	return nil, errors.New("malformed auth-params")
}
