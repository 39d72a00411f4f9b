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
	"strings"
	"testing"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
)

// serve runs req through g in front of a handler that reports the claims it
// saw and the form value "note", and returns the recorder and the error of
// the rejection, if any.
func serve(t *testing.T, g *middleware.Guard, req *http.Request) (*httptest.ResponseRecorder, error) {
	t.Helper()
	var rejected error
	rec := new(recorder)
	req = req.WithContext(context.WithValue(req.Context(), recorderKey{}, rec))
	h := g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := jwtverify.ClaimsFromContext(r.Context())
		sub := "-"
		if ok {
			sub = c.Subject
		}
		fmt.Fprintf(w, "sub=%s note=%s", sub, r.PostFormValue("note"))
	}))
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
			w, err := serve(t, middleware.NewGuard(f.verifier, tc.cfg), tc.req)
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
			g := middleware.NewGuard(a, middleware.Config{
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
	g := middleware.NewGuard(f.verifier, middleware.Config{
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
	g := middleware.NewGuard(down, middleware.Config{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
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

// TestRejectWithoutGuard: route checks used without a Guard answer with the
// defaults.
func TestRejectWithoutGuard(t *testing.T) {
	w := httptest.NewRecorder()
	middleware.RequireScopes("a")(http.NotFoundHandler()).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if w.Code != 401 || w.Header().Get("WWW-Authenticate") != `Bearer realm="api"` {
		t.Errorf("answer = %d %q, want 401 Bearer realm=\"api\"", w.Code, w.Header().Get("WWW-Authenticate"))
	}
}

func TestPanics(t *testing.T) {
	a := middleware.AuthenticatorFunc(func(context.Context, string) (*jwtverify.Claims, error) { return nil, nil })
	for name, f := range map[string]func(){
		"nil Authenticator":    func() { middleware.New(nil) },
		"realm with a quote":   func() { middleware.NewGuard(a, middleware.Config{Realm: `a"b`}) },
		"negative limit":       func() { middleware.NewGuard(a, middleware.Config{MaxTokenBytes: -1}) },
		"bad cookie name":      func() { middleware.NewGuard(a, middleware.Config{CookieName: "a b"}) },
		"no scope":             func() { middleware.RequireScopes() },
		"scope with a space":   func() { middleware.RequireAnyScope("a b") },
		"nil check":            func() { middleware.Require(nil) },
		"nil next":             func() { middleware.New(a)(nil) },
		"scope with a quote":   func() { middleware.RequireScopes(`a"`) },
		"empty scope":          func() { middleware.RequireScopes("") },
		"scope with non-ASCII": func() { middleware.RequireScopes("é") },
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
