package middleware_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	echo4 "github.com/labstack/echo/v4"
	echo5 "github.com/labstack/echo/v5"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
	"github.com/tokenguard/tokenguard/middleware/echo5guard"
	"github.com/tokenguard/tokenguard/middleware/echoguard"
	"github.com/tokenguard/tokenguard/middleware/ginguard"
)

const audience = "https://api.test"

// fixture is what the table's requests need: tokens signed by a real issuer
// and verified by a real Verifier.
type fixture struct {
	iss       *jwttest.Issuer
	verifier  *jwtverify.Verifier
	valid     string // alice, scopes orders:read profile
	bob       string // bob, scopes orders:read
	profile   string // alice, scope profile only
	expired   string
	otherAud  string
	tampered  string
	downToken string // signed by a key the down verifier has never seen
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	iss := jwttest.Start(t, jwttest.Options{})
	v, err := jwtverify.New(t.Context(), jwtverify.Config{Issuer: iss.URL, Audiences: []string{audience}})
	if err != nil {
		t.Fatalf("jwtverify.New: %v", err)
	}
	t.Cleanup(v.Close)
	now := time.Now()
	f := &fixture{
		iss:      iss,
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

// recorder collects what the Guard's hooks report for one request; the hook
// finds it on the request context.
type recorder struct {
	mu  sync.Mutex
	rej []middleware.Rejection
}

type recorderKey struct{}

func recordingHooks() middleware.Hooks {
	return middleware.Hooks{Rejected: func(ctx context.Context, rej middleware.Rejection) {
		if rec, ok := ctx.Value(recorderKey{}).(*recorder); ok {
			rec.mu.Lock()
			rec.rej = append(rec.rej, rej)
			rec.mu.Unlock()
		}
	}}
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

func newGuards(t *testing.T, f *fixture) (guards, string) {
	down, downToken := downAuthenticator(t)
	hooks := recordingHooks()
	return guards{
		api:  middleware.NewGuard(f.verifier, middleware.Config{Realm: "test", Exclude: middleware.ExcludePaths("/api/healthz"), Hooks: hooks}),
		opt:  middleware.NewGuard(f.verifier, middleware.Config{Realm: "test", Optional: true, Hooks: hooks}),
		down: middleware.NewGuard(down, middleware.Config{Realm: "test", Hooks: hooks}),
	}, downToken
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
	{"gin", func(g guards) http.Handler {
		gin.SetMode(gin.TestMode)
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

// TestSpec runs one table of requests through every entry point.
func TestSpec(t *testing.T) {
	f := newFixture(t)
	bearer := func(tok string) []string { return []string{"Bearer " + tok} }

	type want struct {
		status    int
		challenge map[string]string // parsed WWW-Authenticate params; nil: no header
		err       error             // the rejection's category (errors.Is); nil: not rejected
		subject   string            // the handler ran and saw these claims ("" with claims == false)
		claims    bool
	}
	cases := []struct {
		name   string
		target string
		auth   func(downToken string) []string // Authorization header values
		want   want
	}{
		{"no header", "/api/me", nil,
			want{status: 401, challenge: map[string]string{"realm": "test"}, err: middleware.ErrNoToken}},
		{"two Authorization headers", "/api/me", func(string) []string { return []string{"Bearer " + f.valid, "Bearer " + f.valid} },
			want{status: 400, challenge: map[string]string{"realm": "test", "error": "invalid_request"}, err: middleware.ErrInvalidRequest}},
		{"Basic scheme", "/api/me", func(string) []string { return []string{"Basic YWxpY2U6c2VjcmV0"} },
			want{status: 401, challenge: map[string]string{"realm": "test"}, err: middleware.ErrNoToken}},
		{"bearer lower case", "/api/me", func(string) []string { return []string{"bearer " + f.valid} },
			want{status: 200, subject: "alice", claims: true}},
		{"BEARER upper case", "/api/me", func(string) []string { return []string{"BEARER " + f.valid} },
			want{status: 200, subject: "alice", claims: true}},
		{"several spaces (1*SP)", "/api/me", func(string) []string { return []string{"Bearer   " + f.valid} },
			want{status: 200, subject: "alice", claims: true}},
		{"tab instead of space", "/api/me", func(string) []string { return []string{"Bearer\t" + f.valid} },
			want{status: 400, challenge: map[string]string{"realm": "test", "error": "invalid_request"}, err: middleware.ErrInvalidRequest}},
		{"space inside the token", "/api/me", func(string) []string { return []string{"Bearer " + f.valid[:10] + " " + f.valid[10:]} },
			want{status: 400, challenge: map[string]string{"realm": "test", "error": "invalid_request"}, err: middleware.ErrInvalidRequest}},
		{"Bearer without token", "/api/me", func(string) []string { return []string{"Bearer"} },
			want{status: 400, challenge: map[string]string{"realm": "test", "error": "invalid_request"}, err: middleware.ErrInvalidRequest}},
		{"token outside b64token syntax", "/api/me", func(string) []string { return []string{"Bearer a,b"} },
			want{status: 400, challenge: map[string]string{"realm": "test", "error": "invalid_request"}, err: middleware.ErrInvalidRequest}},
		{"token in query when disabled", "/api/me?access_token=" + f.valid, nil,
			want{status: 401, challenge: map[string]string{"realm": "test"}, err: middleware.ErrNoToken}},
		{"valid token", "/api/me", func(string) []string { return bearer(f.valid) },
			want{status: 200, subject: "alice", claims: true}},
		{"expired token", "/api/me", func(string) []string { return bearer(f.expired) },
			want{status: 401, challenge: map[string]string{"realm": "test", "error": "invalid_token"}, err: jwtverify.ErrExpired}},
		{"wrong audience", "/api/me", func(string) []string { return bearer(f.otherAud) },
			want{status: 401, challenge: map[string]string{"realm": "test", "error": "invalid_token"}, err: jwtverify.ErrAudience}},
		{"tampered payload", "/api/me", func(string) []string { return bearer(f.tampered) },
			want{status: 401, challenge: map[string]string{"realm": "test", "error": "invalid_token"}, err: jwtverify.ErrSignature}},
		{"scope granted", "/api/orders", func(string) []string { return bearer(f.valid) },
			want{status: 200, subject: "alice", claims: true}},
		{"missing scope", "/api/orders", func(string) []string { return bearer(f.profile) },
			want{status: 403, challenge: map[string]string{"realm": "test", "error": "insufficient_scope", "scope": "orders:read"}, err: middleware.ErrInsufficientScope}},
		{"missing any scope", "/api/admin", func(string) []string { return bearer(f.valid) },
			want{status: 403, challenge: map[string]string{"realm": "test", "error": "insufficient_scope", "scope": "admin root"}, err: middleware.ErrInsufficientScope}},
		{"custom check passes", "/api/alice", func(string) []string { return bearer(f.valid) },
			want{status: 200, subject: "alice", claims: true}},
		{"custom check refuses", "/api/alice", func(string) []string { return bearer(f.bob) },
			want{status: 403, challenge: map[string]string{"realm": "test", "error": "insufficient_scope"}, err: middleware.ErrForbidden}},
		{"excluded route without token", "/api/healthz", nil,
			want{status: 200}},
		{"excluded route with bad token", "/api/healthz", func(string) []string { return bearer(f.expired) },
			want{status: 200}},
		{"optional: no token", "/opt/me", nil,
			want{status: 200}},
		{"optional: valid token", "/opt/me", func(string) []string { return bearer(f.valid) },
			want{status: 200, subject: "alice", claims: true}},
		{"optional: expired token", "/opt/me", func(string) []string { return bearer(f.expired) },
			want{status: 401, challenge: map[string]string{"realm": "test", "error": "invalid_token"}, err: jwtverify.ErrExpired}},
		{"optional: Basic scheme", "/opt/me", func(string) []string { return []string{"Basic YWxpY2U6c2VjcmV0"} },
			want{status: 401, challenge: map[string]string{"realm": "test"}, err: middleware.ErrNoToken}},
		{"optional: scoped route without token", "/opt/orders", nil,
			want{status: 401, challenge: map[string]string{"realm": "test"}, err: middleware.ErrNoToken}},
		{"key source down", "/down/me", func(down string) []string { return bearer(down) },
			want{status: 503, err: jwtverify.ErrUnavailable}},
	}

	for _, ep := range entryPoints {
		t.Run(ep.name, func(t *testing.T) {
			g, downToken := newGuards(t, f)
			router := ep.build(g)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					rec := new(recorder)
					ctx := context.WithValue(t.Context(), recorderKey{}, rec)
					req := httptest.NewRequestWithContext(ctx, http.MethodGet, tc.target, nil)
					if tc.auth != nil {
						req.Header["Authorization"] = tc.auth(downToken)
					}
					w := httptest.NewRecorder()
					router.ServeHTTP(w, req)
					res := w.Result()

					if res.StatusCode != tc.want.status {
						t.Fatalf("GET %s: status = %d, want %d; body %s", tc.target, res.StatusCode, tc.want.status, w.Body)
					}
					if tc.want.err == nil {
						checkServed(t, w, rec, tc.want.subject, tc.want.claims)
						return
					}
					checkRejected(t, w, rec, tc.want.err, tc.want.challenge)
				})
			}
		})
	}
}

func checkServed(t *testing.T, w *httptest.ResponseRecorder, rec *recorder, subject string, claims bool) {
	t.Helper()
	var s seen
	if err := json.Unmarshal(w.Body.Bytes(), &s); err != nil || !s.Handler {
		t.Fatalf("handler did not answer: body %q (%v)", w.Body, err)
	}
	if s.Claims != claims || s.Subject != subject || !s.Agree {
		t.Errorf("handler saw claims=%v sub=%q agree=%v, want claims=%v sub=%q agree=true", s.Claims, s.Subject, s.Agree, claims, subject)
	}
	if len(rec.rej) != 0 {
		t.Errorf("Hooks.Rejected called with %+v on a served request", rec.rej)
	}
	if h := w.Header().Get("WWW-Authenticate"); h != "" {
		t.Errorf("WWW-Authenticate = %q on a served request", h)
	}
}

func checkRejected(t *testing.T, w *httptest.ResponseRecorder, rec *recorder, wantErr error, wantChallenge map[string]string) {
	t.Helper()
	if len(rec.rej) != 1 {
		t.Fatalf("Hooks.Rejected called %d times, want 1", len(rec.rej))
	}
	rej := rec.rej[0]
	if !errors.Is(rej.Err, wantErr) {
		t.Errorf("rejection error = %v, want %v", rej.Err, wantErr)
	}
	if rej.Status != w.Code {
		t.Errorf("Rejection.Status = %d, answered %d", rej.Status, w.Code)
	}
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}

	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q is not a JSON object of strings: %v", w.Body, err)
	}
	if body["error"] != rej.Code || body["error_description"] == "" || body["error_description"] != rej.Description {
		t.Errorf("body = %v, want error %q and error_description %q", body, rej.Code, rej.Description)
	}
	if _, handler := body["handler"]; handler {
		t.Errorf("handler ran on a rejected request")
	}
	// The description is a fixed phrase, not the error's text (except for
	// invalid_request, whose RequestError.Reason is such a phrase).
	if rej.Code != "invalid_request" && strings.Contains(rej.Err.Error(), rej.Description) {
		t.Errorf("description %q looks taken from the error text %q", rej.Description, rej.Err)
	}

	values := w.Header().Values("WWW-Authenticate")
	if wantChallenge == nil {
		if len(values) != 0 {
			t.Errorf("WWW-Authenticate = %q, want none", values)
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
	if code := wantChallenge["error"]; code != "" {
		if params["error_description"] != body["error_description"] {
			t.Errorf("challenge error_description = %q, body has %q", params["error_description"], body["error_description"])
		}
		delete(params, "error_description")
	} else if _, ok := params["error_description"]; ok {
		t.Errorf("challenge %q has error_description without an error", values[0])
	}
	if body["scope"] != wantChallenge["scope"] {
		t.Errorf("body scope = %q, want %q", body["scope"], wantChallenge["scope"])
	}
	if len(params) != len(wantChallenge) {
		t.Errorf("challenge params = %v, want %v", params, wantChallenge)
	}
	for k, v := range wantChallenge {
		if params[k] != v {
			t.Errorf("challenge %s = %q, want %q (header %q)", k, params[k], v, values[0])
		}
	}
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
