package middleware_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
)

// serve runs req through g and g.Require(rules...) in front of a handler that reports the claims it
// saw and the form value "note", and returns the recorder and the error of
// the rejection, if any.
func serve(t *testing.T, g *middleware.Guard, req *http.Request, rules ...middleware.Rule) (*httptest.ResponseRecorder, error) {
	t.Helper()
	var rejected error
	rec := new(recorder)
	req = req.WithContext(context.WithValue(req.Context(), recorderKey{}, rec))
	h := g.Handler(g.Require(rules...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := jwtverify.ClaimsFromContext(r.Context())
		sub := "-"
		if ok {
			sub = c.Subject
		}
		fmt.Fprintf(w, "sub=%s note=%s", sub, r.PostFormValue("note"))
	})))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if len(rec.rej) > 0 {
		rejected = rec.rej[0].Err
	}
	return w, rejected
}

// TestSources covers the token sources that are off by default.
func TestSources(t *testing.T) {
	f := newFixture(t)
	all := middleware.Config{FormToken: true, InsecureQueryToken: true, CookieName: "at", Hooks: recordingHooks()}
	form := func(method string, v url.Values) *http.Request {
		r := httptest.NewRequest(method, "/", strings.NewReader(v.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		return r
	}
	withAuth := func(r *http.Request, tok string) *http.Request {
		r.Header.Set("Authorization", "Bearer "+tok)
		return r
	}
	withCookie := func(r *http.Request, vals ...string) *http.Request {
		for _, v := range vals {
			r.AddCookie(&http.Cookie{Name: "at", Value: v})
		}
		return r
	}
	get := func(target string) *http.Request { return httptest.NewRequest(http.MethodGet, target, nil) }

	cases := []struct {
		name   string
		cfg    middleware.Config
		req    *http.Request
		status int
		body   string // prefix of the handler's answer
		err    error
	}{
		{"form token", all, form("POST", url.Values{"access_token": {f.valid}, "note": {"hi"}}), 200, "sub=alice note=hi", nil},
		{"form token with PUT", all, form("PUT", url.Values{"access_token": {f.valid}}), 200, "sub=alice", nil},
		{"form token ignored on GET", all, form("GET", url.Values{"access_token": {f.valid}}), 401, "", middleware.ErrNoToken},
		{"form token off by default", middleware.Config{Hooks: recordingHooks()}, form("POST", url.Values{"access_token": {f.valid}}), 401, "", middleware.ErrNoToken},
		{"form token and header", all, withAuth(form("POST", url.Values{"access_token": {f.valid}}), f.valid), 400, "", middleware.ErrInvalidRequest},
		{"two form tokens", all, form("POST", url.Values{"access_token": {f.valid, f.valid}}), 400, "", middleware.ErrInvalidRequest},
		{"form too large", middleware.Config{FormToken: true, MaxFormBytes: 64, Hooks: recordingHooks()},
			form("POST", url.Values{"access_token": {f.valid}}), 400, "", middleware.ErrInvalidRequest},
		{"header with form body without token", all, withAuth(form("POST", url.Values{"note": {"hi"}}), f.valid), 200, "sub=alice note=hi", nil},
		{"query token", all, get("/?access_token=" + f.valid), 200, "sub=alice", nil},
		{"two query tokens", all, get("/?access_token=" + f.valid + "&access_token=" + f.valid), 400, "", middleware.ErrInvalidRequest},
		{"query token and header", all, withAuth(get("/?access_token="+f.valid), f.valid), 400, "", middleware.ErrInvalidRequest},
		{"empty query token", all, get("/?access_token="), 400, "", middleware.ErrInvalidRequest},
		{"cookie token", all, withCookie(get("/"), f.valid), 200, "sub=alice", nil},
		{"two cookies", all, withCookie(get("/"), f.valid, f.valid), 400, "", middleware.ErrInvalidRequest},
		{"cookie and header", all, withAuth(withCookie(get("/"), f.valid), f.valid), 400, "", middleware.ErrInvalidRequest},
		{"cookie with expired token", all, withCookie(get("/"), f.expired), 401, "", jwtverify.ErrExpired},
		{"header over MaxTokenBytes", middleware.Config{MaxTokenBytes: 64, Hooks: recordingHooks()}, withAuth(get("/"), f.valid), 401, "", jwtverify.ErrMalformed},
		{"query over MaxTokenBytes", middleware.Config{InsecureQueryToken: true, MaxTokenBytes: 64, Hooks: recordingHooks()}, get("/?access_token=" + f.valid), 401, "", jwtverify.ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, err := serve(t, guard(t, f.verifier, tc.cfg), tc.req)
			if w.Code != tc.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tc.status, w.Body)
			}
			if tc.err == nil {
				if err != nil || !strings.HasPrefix(w.Body.String(), tc.body) {
					t.Errorf("body = %q, rejection %v; want %q", w.Body, err, tc.body)
				}
				return
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("rejection = %v, want %v", err, tc.err)
			}
		})
	}
}

// TestCategories checks the mapping of errors from custom Authenticators.
func TestCategories(t *testing.T) {
	claims, err := jwtverify.ParseClaims([]byte(`{"sub":"alice"}`))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		ret    error
		nilC   bool
		status int
		reason string
	}{
		{"unknown error fails closed", errors.New("database on fire xyzzy"), false, 401, "unrecognized_error"},
		{"neither claims nor error", nil, true, 401, "unrecognized_error"},
		{"invalid token", fmt.Errorf("opaque token: %w", jwtverify.ErrInvalidToken), false, 401, "invalid_token"},
		{"expired", &jwtverify.ExpiredError{}, false, 401, "expired"},
		{"unavailable", &jwtverify.KeySourceError{Issuer: "x", Err: errors.New("dial: xyzzy")}, false, 503, "unavailable"},
		{"validator wrapping unavailable", &jwtverify.ValidatorError{Err: fmt.Errorf("tenant db: %w", jwtverify.ErrUnavailable)}, false, 503, "unavailable"},
		{"validator refusing", &jwtverify.ValidatorError{Err: errors.New("tenant suspended xyzzy")}, false, 401, "validator"},
		{"deadline", fmt.Errorf("introspect: %w", context.DeadlineExceeded), false, 503, "unavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got middleware.Rejection
			a := middleware.AuthenticatorFunc(func(context.Context, string) (*jwtverify.Claims, error) {
				if tc.ret == nil && !tc.nilC {
					return claims, nil
				}
				return nil, tc.ret
			})
			g := guard(t, a, middleware.Config{
				Hooks: middleware.Hooks{Rejected: func(_ context.Context, rej middleware.Rejection) { got = rej }},
			})
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("Authorization", "Bearer abc")
			w := httptest.NewRecorder()
			g.Handler(http.NotFoundHandler()).ServeHTTP(w, req)
			if w.Code != tc.status || got.Reason != tc.reason {
				t.Errorf("status, reason = %d, %q; want %d, %q", w.Code, got.Reason, tc.status, tc.reason)
			}
			if tc.ret != nil && !errors.Is(got.Err, tc.ret) {
				t.Errorf("Rejection.Err = %v, want %v", got.Err, tc.ret)
			}
			if strings.Contains(w.Body.String(), "xyzzy") {
				t.Errorf("body %q leaks the error text", w.Body)
			}
			if w.Code == 503 && w.Header().Get("WWW-Authenticate") != "" {
				t.Errorf("503 with WWW-Authenticate %q", w.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

// TestCheckDoesNotModifyRequest: the Guard derives a request, never edits
// the caller's.
func TestCheckDoesNotModifyRequest(t *testing.T) {
	f := newFixture(t)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+f.valid)
	before := req.Context()
	var inner *http.Request
	middleware.New(f.verifier)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { inner = r })).
		ServeHTTP(httptest.NewRecorder(), req)
	if inner == nil || inner == req {
		t.Fatalf("handler got %p, caller's request is %p: want a derived request", inner, req)
	}
	if req.Context() != before {
		t.Error("the caller's request context changed")
	}
	if _, ok := jwtverify.ClaimsFromContext(req.Context()); ok {
		t.Error("claims on the caller's request")
	}
	if got := req.Header.Get("Authorization"); got != "Bearer "+f.valid {
		t.Error("the caller's Authorization header changed")
	}
}

// TestErrorHandlerAndLogging: a custom renderer gets the Rejection; the log
// has the reason and never the token.
func TestErrorHandlerAndLogging(t *testing.T) {
	f := newFixture(t)
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var got middleware.Rejection
	g := guard(t, f.verifier, middleware.Config{
		Realm:  "orders",
		Logger: logger,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, rej middleware.Rejection) {
			got = rej
			w.Header().Set("WWW-Authenticate", rej.Challenge)
			w.WriteHeader(rej.Status)
			fmt.Fprintf(w, "<problem code=%q/>", rej.Code)
		},
	})
	req := httptest.NewRequest(http.MethodGet, "/orders", nil)
	req.Header.Set("Authorization", "Bearer "+f.expired)
	w := httptest.NewRecorder()
	g.Handler(http.NotFoundHandler()).ServeHTTP(w, req)

	if w.Code != 401 || w.Body.String() != `<problem code="invalid_token"/>` {
		t.Errorf("answer = %d %q, want the custom renderer's", w.Code, w.Body)
	}
	if !errors.Is(got.Err, jwtverify.ErrExpired) || got.Reason != "expired" {
		t.Errorf("Rejection = %+v, want an expired token", got)
	}
	want := `Bearer realm="orders", error="invalid_token", error_description="the access token expired"`
	if got.Challenge != want {
		t.Errorf("Challenge = %q, want %q", got.Challenge, want)
	}
	log := buf.String()
	for _, s := range []string{`"level":"DEBUG"`, `"reason":"expired"`, `"status":401`, `"path":"/orders"`} {
		if !strings.Contains(log, s) {
			t.Errorf("log %s lacks %s", log, s)
		}
	}
	parts := strings.Split(f.expired, ".")
	for _, secret := range append(parts, "Bearer", "Authorization") {
		if strings.Contains(log, secret) {
			t.Errorf("log %s contains %q", log, secret)
		}
	}
}

// TestUnavailableLogsWarn: a key source that is down is worth a warning.
func TestUnavailableLogsWarn(t *testing.T) {
	down, tok := downAuthenticator(t)
	var buf bytes.Buffer
	g := guard(t, down, middleware.Config{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	g.Handler(http.NotFoundHandler()).ServeHTTP(w, req)
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d, want 503", w.Code)
	}
	if !strings.Contains(buf.String(), "level=WARN") || !strings.Contains(buf.String(), "reason=unavailable") {
		t.Errorf("log = %q, want a warning with reason=unavailable", buf.String())
	}
}

// TestRequireAnswersThroughItsGuard: a route rule answers with the realm,
// hooks and error handler of the Guard it belongs to, found by the code and
// not on the request context: also when that Guard did not run first, and
// when another Guard did.
func TestRequireAnswersThroughItsGuard(t *testing.T) {
	f := newFixture(t)
	var shopRejected, otherRejected int
	shop := guard(t, f.verifier, middleware.Config{Realm: "shop", Hooks: middleware.Hooks{
		Rejected: func(context.Context, middleware.Rejection) { shopRejected++ },
	}})
	other := guard(t, f.verifier, middleware.Config{Realm: "other", Hooks: middleware.Hooks{
		Rejected: func(context.Context, middleware.Rejection) { otherRejected++ },
	}})
	orders := shop.Require(middleware.Scopes("orders:read"))(http.NotFoundHandler())
	cases := []struct {
		name      string
		h         http.Handler
		token     string
		status    int
		challenge string
	}{
		{"no Guard in front, no claims", orders, "", 401, `Bearer realm="shop"`},
		{"another Guard in front, no token", other.Handler(orders), "", 401, `Bearer realm="other"`},
		{"another Guard in front, scope missing", other.Handler(orders), f.profile, 403,
			`Bearer realm="shop", error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders:read"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			shopRejected, otherRejected = 0, 0
			req := httptest.NewRequest(http.MethodGet, "/orders", nil)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			w := httptest.NewRecorder()
			tc.h.ServeHTTP(w, req)
			if w.Code != tc.status || w.Header().Get("WWW-Authenticate") != tc.challenge {
				t.Errorf("answer = %d %q, want %d %q", w.Code, w.Header().Get("WWW-Authenticate"), tc.status, tc.challenge)
			}
			wantShop := 1
			if strings.Contains(tc.challenge, `"other"`) {
				wantShop = 0
			}
			if shopRejected != wantShop || otherRejected != 1-wantShop {
				t.Errorf("Rejected hooks called: shop %d, other %d; want %d, %d", shopRejected, otherRejected, wantShop, 1-wantShop)
			}
		})
	}
}

// TestContextCarriesClaimsOnly: the Guard puts the claims on the request
// context and nothing else; a request it lets through without claims
// reaches the handler as it came.
func TestContextCarriesClaimsOnly(t *testing.T) {
	f := newFixture(t)
	g := guard(t, f.verifier, middleware.Config{Realm: "shop", Optional: true, Hooks: recordingHooks()})
	var inner *http.Request
	h := g.Handler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { inner = r }))

	req := httptest.NewRequest(http.MethodGet, "/", nil)
	h.ServeHTTP(httptest.NewRecorder(), req)
	if inner != req {
		t.Errorf("without a token the handler got a derived request (%p, sent %p); want the request as sent", inner, req)
	}

	req = httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+f.valid)
	h.ServeHTTP(httptest.NewRecorder(), req)
	c, ok := jwtverify.ClaimsFromContext(inner.Context())
	if !ok || c.Subject != "alice" {
		t.Fatalf("handler's claims = %v, %v; want alice's", c, ok)
	}
	if want := jwtverify.ContextWithClaims(req.Context(), c); fmt.Sprint(inner.Context()) != fmt.Sprint(want) {
		t.Errorf("handler's context = %v, want the request's with the claims only: %v", inner.Context(), want)
	}
}

// TestRequire covers the rules of Guard.Require and Guard.Authorize.
func TestRequire(t *testing.T) {
	f := newFixture(t)
	errTenant := errors.New("token of another tenant")
	var ran []string
	rule := func(name string, err error) middleware.Rule {
		return func(*http.Request, *jwtverify.Claims) error {
			ran = append(ran, name)
			return err
		}
	}
	cases := []struct {
		name     string
		optional bool
		token    string
		rules    []middleware.Rule
		status   int
		err      error    // the rejection's category; nil when served
		ran      []string // the rules that ran, in order
	}{
		{"no rules, token", false, f.valid, nil, 200, nil, nil},
		{"no rules, optional Guard, no token", true, "", nil, 401, middleware.ErrNoToken, nil},
		{"rules without claims run none", true, "", []middleware.Rule{rule("a", nil)}, 401, middleware.ErrNoToken, nil},
		{"all pass, in order", false, f.valid, []middleware.Rule{rule("a", nil), rule("b", nil)}, 200, nil, []string{"a", "b"}},
		{"first refusal stops", false, f.valid, []middleware.Rule{rule("a", errTenant), rule("b", nil)}, 403, middleware.ErrForbidden, []string{"a"}},
		{"uncategorized error keeps its identity", false, f.valid, []middleware.Rule{rule("a", errTenant)}, 403, errTenant, []string{"a"}},
		{"categorized error answered as such", false, f.valid,
			[]middleware.Rule{rule("a", fmt.Errorf("tenant db: %w", jwtverify.ErrUnavailable))}, 503, jwtverify.ErrUnavailable, []string{"a"}},
		{"Scopes granted", false, f.valid, []middleware.Rule{middleware.Scopes("orders:read", "profile")}, 200, nil, nil},
		{"Scopes lacking one", false, f.bob, []middleware.Rule{middleware.Scopes("orders:read", "profile")}, 403, middleware.ErrInsufficientScope, nil},
		{"AnyScope with one", false, f.bob, []middleware.Rule{middleware.AnyScope("profile", "orders:read")}, 200, nil, nil},
		{"AnyScope with none", false, f.bob, []middleware.Rule{middleware.AnyScope("admin", "root")}, 403, middleware.ErrInsufficientScope, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ran = nil
			g := guard(t, f.verifier, middleware.Config{Optional: tc.optional, Hooks: recordingHooks()})
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			w, err := serve(t, g, req, tc.rules...)
			if w.Code != tc.status || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Errorf("answer = %d, rejection %v; want %d, %v", w.Code, err, tc.status, tc.err)
			}
			if !slices.Equal(ran, tc.ran) {
				t.Errorf("rules ran %q, want %q", ran, tc.ran)
			}
		})
	}

	t.Run("Scopes and AnyScope report what they need", func(t *testing.T) {
		c, err := jwtverify.ParseClaims([]byte(`{"scope":"profile"}`))
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		for _, tc := range []struct {
			rule middleware.Rule
			any  bool
		}{{middleware.Scopes("a", "b"), false}, {middleware.AnyScope("a", "b"), true}} {
			var se *middleware.ScopeError
			if err := tc.rule(r, c); !errors.As(err, &se) || !slices.Equal(se.Scopes, []string{"a", "b"}) || se.Any != tc.any {
				t.Errorf("rule error = %v (%+v), want a ScopeError for a, b with Any %v", err, se, tc.any)
			}
		}
	})

	t.Run("rules are copied", func(t *testing.T) {
		rules := []middleware.Rule{middleware.Scopes("orders:read")}
		g := guard(t, f.verifier, middleware.Config{})
		h := g.Handler(g.Require(rules...)(http.NotFoundHandler()))
		rules[0] = middleware.Scopes("admin")
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Authorization", "Bearer "+f.bob)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusNotFound {
			t.Errorf("status = %d, want 404: a later change to the caller's slice changed the rules", w.Code)
		}
	})
}

// TestNewGuardConfig: every invalid setting is an error that matches
// jwtverify.ErrConfig and names the field; valid ones are accepted.
func TestNewGuardConfig(t *testing.T) {
	a := middleware.AuthenticatorFunc(func(context.Context, string) (*jwtverify.Claims, error) { return nil, nil })
	for _, tc := range []struct {
		name  string
		cfg   middleware.Config
		field string // "" when valid
	}{
		{"zero", middleware.Config{}, ""},
		{"every field set", middleware.Config{Realm: "shop api", Optional: true, ExcludePaths: []string{"/healthz", "/"},
			FormToken: true, MaxFormBytes: 1, InsecureQueryToken: true, CookieName: "__Host-at", MaxTokenBytes: 1}, ""},
		{"realm with a quote", middleware.Config{Realm: `a"b`}, "Config.Realm"},
		{"realm with a backslash", middleware.Config{Realm: `a\b`}, "Config.Realm"},
		{"realm with a newline", middleware.Config{Realm: "a\nb"}, "Config.Realm"},
		{"realm with non-ASCII", middleware.Config{Realm: "café"}, "Config.Realm"},
		{"realm with invalid UTF-8", middleware.Config{Realm: "a\xffb"}, "Config.Realm"},
		{"negative MaxFormBytes", middleware.Config{MaxFormBytes: -1}, "Config.MaxFormBytes"},
		{"negative MaxTokenBytes", middleware.Config{MaxTokenBytes: -1}, "Config.MaxTokenBytes"},
		{"cookie name with a space", middleware.Config{CookieName: "a b"}, "Config.CookieName"},
		{"cookie name with '='", middleware.Config{CookieName: "a=b"}, "Config.CookieName"},
		{"excluded path without slash", middleware.Config{ExcludePaths: []string{"/ok", "healthz"}}, "Config.ExcludePaths[1]"},
		{"excluded path with an escape", middleware.Config{ExcludePaths: []string{"/health%7a"}}, "Config.ExcludePaths[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := middleware.NewGuard(a, tc.cfg)
			if tc.field == "" {
				if err != nil || g == nil {
					t.Fatalf("NewGuard = %v, %v; want a Guard", g, err)
				}
				return
			}
			if !errors.Is(err, jwtverify.ErrConfig) || g != nil {
				t.Fatalf("NewGuard = %v, %v; want an error matching jwtverify.ErrConfig", g, err)
			}
			if prefix := "middleware: invalid configuration: " + tc.field + " "; !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q does not begin with %q", err, prefix)
			}
		})
	}
}

// TestConfigIsCopied: NewGuard keeps its own copy of the Config.
func TestConfigIsCopied(t *testing.T) {
	f := newFixture(t)
	cfg := middleware.Config{ExcludePaths: []string{"/healthz"}}
	g := guard(t, f.verifier, cfg)
	cfg.ExcludePaths[0] = "/orders"
	for target, want := range map[string]int{"/healthz": 200, "/orders": 401} {
		w := httptest.NewRecorder()
		g.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})).ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
		if w.Code != want {
			t.Errorf("GET %s = %d, want %d", target, w.Code, want)
		}
	}
}

func TestPanics(t *testing.T) {
	a := middleware.AuthenticatorFunc(func(context.Context, string) (*jwtverify.Claims, error) { return nil, nil })
	g := guard(t, a, middleware.Config{})
	for name, f := range map[string]func(){
		"nil Authenticator":    func() { middleware.New(nil) },
		"NewGuard nil":         func() { middleware.NewGuard(nil, middleware.Config{}) },
		"no scope":             func() { middleware.Scopes() },
		"no any-scope":         func() { middleware.AnyScope() },
		"scope with a space":   func() { middleware.AnyScope("a b") },
		"nil rule":             func() { g.Require(middleware.Scopes("a"), nil) },
		"nil next":             func() { middleware.New(a)(nil) },
		"nil next of Require":  func() { g.Require()(nil) },
		"scope with a quote":   func() { middleware.Scopes(`a"`) },
		"empty scope":          func() { middleware.Scopes("") },
		"scope with non-ASCII": func() { middleware.Scopes("é") },
		"Chain nil jwt":        func() { middleware.Chain(nil, a) },
		"Chain nil opaque":     func() { middleware.Chain(a, nil) },
		"Both nil first":       func() { middleware.Both(nil, a) },
		"Both nil second":      func() { middleware.Both(a, nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			f()
		})
	}
}
