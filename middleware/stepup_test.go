package middleware_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
)

// TestStepUp: the ACR and MaxAge rules let through tokens whose user
// authentication satisfies them, and answer the others 401
// insufficient_user_authentication with acr_values or max_age in the
// challenge, the body and the Rejection (RFC 9470 §3); a token without the
// claim fails the rule.
func TestStepUp(t *testing.T) {
	f := newFixture(t)
	now := time.Now()
	tok := func(claims map[string]any) string {
		claims["aud"], claims["sub"] = audience, "alice"
		return f.iss.Mint(t, claims)
	}
	mfa := []middleware.Rule{middleware.ACR("urn:example:mfa", "phr")}
	recent := []middleware.Rule{middleware.MaxAge(5 * time.Minute)}
	type want struct {
		status    int
		acrValues string
		maxAge    string // the challenge's max_age; "" for none
	}
	ok := want{status: 200}
	weak := want{status: 401, acrValues: "urn:example:mfa phr"}
	old := want{status: 401, maxAge: "300"}
	for _, tc := range []struct {
		name  string
		token string
		rules []middleware.Rule
		want  want
	}{
		{"acr listed first", tok(map[string]any{"acr": "urn:example:mfa"}), mfa, ok},
		{"acr listed second", tok(map[string]any{"acr": "phr"}), mfa, ok},
		{"acr not listed", tok(map[string]any{"acr": "pwd"}), mfa, weak},
		{"acr differs in case", tok(map[string]any{"acr": "PHR"}), mfa, weak},
		{"no acr", tok(map[string]any{}), mfa, weak},
		{"fresh login", tok(map[string]any{"auth_time": now.Add(-time.Minute).Unix()}), recent, ok},
		{"login at the limit", tok(map[string]any{"auth_time": now.Add(-5*time.Minute + 10*time.Second).Unix()}), recent, ok},
		{"old login", tok(map[string]any{"auth_time": now.Add(-2 * time.Hour).Unix()}), recent, old},
		{"login just past the limit", tok(map[string]any{"auth_time": now.Add(-5*time.Minute - 10*time.Second).Unix()}), recent, old},
		{"no auth_time", tok(map[string]any{}), recent, old},
		{"both rules, both met", tok(map[string]any{"acr": "phr", "auth_time": now.Unix()}), append(mfa, recent...), ok},
		{"both rules, acr fails first", tok(map[string]any{"acr": "pwd", "auth_time": 1}), append(mfa, recent...), weak},
		{"both rules, max_age fails", tok(map[string]any{"acr": "phr", "auth_time": 1}), append(mfa, recent...), old},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []middleware.Rejection
			g := guard(t, f.verifier, middleware.Config{Realm: "shop", Hooks: middleware.Hooks{
				Rejected: func(_ context.Context, rej middleware.Rejection) { got = append(got, rej) }}})
			req := httptest.NewRequest(http.MethodGet, "/transfers", nil)
			req.Header.Set("Authorization", "Bearer "+tc.token)
			w := httptest.NewRecorder()
			g.Handler(g.Require(tc.rules...)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))).ServeHTTP(w, req)
			if w.Code != tc.want.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tc.want.status, w.Body)
			}
			if tc.want.status == 200 {
				return
			}
			if len(got) != 1 {
				t.Fatalf("Hooks.Rejected called %d times, want 1", len(got))
			}
			rej := got[0]
			if !errors.Is(rej.Err, middleware.ErrInsufficientUserAuthentication) || errors.Is(rej.Err, jwtverify.ErrInvalidToken) {
				t.Errorf("Rejection.Err = %v, want ErrInsufficientUserAuthentication (and not ErrInvalidToken)", rej.Err)
			}
			wantAge := time.Duration(0)
			if tc.want.maxAge != "" {
				wantAge = 5 * time.Minute
			}
			if rej.Code != "insufficient_user_authentication" || rej.Reason != "insufficient_user_authentication" ||
				rej.ACRValues != tc.want.acrValues || rej.MaxAge != wantAge {
				t.Errorf("Rejection = {Code %q, Reason %q, ACRValues %q, MaxAge %v}, want {insufficient_user_authentication, insufficient_user_authentication, %q, %v}",
					rej.Code, rej.Reason, rej.ACRValues, rej.MaxAge, tc.want.acrValues, wantAge)
			}
			challenge := `Bearer realm="shop", error="insufficient_user_authentication", error_description="` + rej.Description + `"`
			if tc.want.acrValues != "" {
				challenge += `, acr_values="` + tc.want.acrValues + `"`
			}
			if tc.want.maxAge != "" {
				challenge += `, max_age="` + tc.want.maxAge + `"`
			}
			if h := w.Header().Values("WWW-Authenticate"); len(h) != 1 || h[0] != challenge || h[0] != rej.Challenge {
				t.Errorf("WWW-Authenticate = %q (Rejection.Challenge %q), want %q", h, rej.Challenge, challenge)
			}
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			wantBody := map[string]any{"error": "insufficient_user_authentication", "error_description": rej.Description}
			if tc.want.acrValues != "" {
				wantBody["acr_values"] = tc.want.acrValues
			}
			if tc.want.maxAge != "" {
				wantBody["max_age"] = float64(300)
			}
			if len(body) != len(wantBody) {
				t.Errorf("body = %v, want %v", body, wantBody)
			}
			for k, v := range wantBody {
				if body[k] != v {
					t.Errorf("body[%q] = %v, want %v", k, body[k], v)
				}
			}
			if strings.Contains(rej.Err.Error(), rej.Description) {
				t.Errorf("description %q is taken from the error %q", rej.Description, rej.Err)
			}
		})
	}
}

// TestStepUpCustomRule: a Rule of one's own that returns the bare sentinel
// is answered insufficient_user_authentication without requirements.
func TestStepUpCustomRule(t *testing.T) {
	f := newFixture(t)
	g := guard(t, f.verifier, middleware.Config{Hooks: recordingHooks()})
	rule := func(*http.Request, *jwtverify.Claims) error {
		return fmt.Errorf("login by a device we do not trust: %w", middleware.ErrInsufficientUserAuthentication)
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+f.valid)
	w, err := serve(t, g, req, rule)
	if w.Code != 401 || !errors.Is(err, middleware.ErrInsufficientUserAuthentication) || errors.Is(err, middleware.ErrForbidden) {
		t.Fatalf("status %d, error %v; want 401 and ErrInsufficientUserAuthentication, not ErrForbidden", w.Code, err)
	}
	h := w.Header().Get("WWW-Authenticate")
	if !strings.Contains(h, `error="insufficient_user_authentication"`) || strings.Contains(h, "acr_values") || strings.Contains(h, "max_age") {
		t.Errorf("WWW-Authenticate = %q, want insufficient_user_authentication without acr_values or max_age", h)
	}
}

// TestStepUpPanics: the rules' arguments are literals of the program.
func TestStepUpPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"ACR without values":      func() { middleware.ACR() },
		"ACR empty value":         func() { middleware.ACR("mfa", "") },
		"ACR value with space":    func() { middleware.ACR("a b") },
		"ACR value with a quote":  func() { middleware.ACR(`a"`) },
		"ACR non-ASCII":           func() { middleware.ACR("é") },
		"MaxAge zero":             func() { middleware.MaxAge(0) },
		"MaxAge negative":         func() { middleware.MaxAge(-time.Minute) },
		"MaxAge fraction":         func() { middleware.MaxAge(1500 * time.Millisecond) },
		"MaxAge under one second": func() { middleware.MaxAge(time.Millisecond) },
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
