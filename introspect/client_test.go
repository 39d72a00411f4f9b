package introspect_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/introspect"
	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
)

func TestAuthenticate_Active(t *testing.T) {
	ep := &endpoint{}
	url := ep.serve(t)
	clk := newClock()
	ep.answer("opaque-good", activeJSON(t0, nil))
	c := newClient(t, baseConfig(url, clk))

	got, err := c.Authenticate(t.Context(), "opaque-good")
	if err != nil {
		t.Fatalf("Authenticate(active) = %v, want nil", err)
	}
	want := jwtverify.Claims{
		Issuer:    testIssuer,
		Subject:   "alice",
		Audience:  []string{testAudience},
		Expiry:    t0.Add(time.Hour),
		IssuedAt:  t0.Add(-time.Minute),
		ID:        "jti-1",
		ClientID:  "web-app",
		Scopes:    []string{"orders:read", "orders:write"},
		Username:  "alice@example.com",
		TokenType: "Bearer",
	}
	if got.Issuer != want.Issuer || got.Subject != want.Subject || !slices.Equal(got.Audience, want.Audience) ||
		!got.Expiry.Equal(want.Expiry) || !got.IssuedAt.Equal(want.IssuedAt) || !got.NotBefore.IsZero() ||
		got.ID != want.ID || got.ClientID != want.ClientID || !slices.Equal(got.Scopes, want.Scopes) ||
		got.Username != want.Username || got.TokenType != want.TokenType {
		t.Errorf("Authenticate(active) claims = %+v, want %+v", *got, want)
	}
	var custom struct {
		Tenant string `json:"tenant"`
	}
	if err := got.Decode(&custom); err != nil || custom.Tenant != "acme" {
		t.Errorf("Decode = %v, tenant %q; want nil, \"acme\"", err, custom.Tenant)
	}
	if !got.HasAllScopes("orders:read", "orders:write") {
		t.Errorf("HasAllScopes(orders:read, orders:write) = false, want true")
	}
	if n := ep.calls.Load(); n != 1 {
		t.Errorf("endpoint calls = %d, want 1", n)
	}
}

func TestAuthenticate_Responses(t *testing.T) {
	tests := []struct {
		name string
		json string
		cfg  func(*introspect.Config)
		want error // nil: accepted
	}{
		{name: "active", json: activeJSON(t0, nil)},
		{name: "active without exp", json: activeJSON(t0, map[string]any{"exp": nil})},
		{name: "active without iss", json: activeJSON(t0, map[string]any{"iss": nil})},
		{name: "active, aud array", json: activeJSON(t0, map[string]any{"aud": []string{"other", testAudience}})},
		{name: "exp within leeway", json: activeJSON(t0, map[string]any{"exp": t0.Add(-30 * time.Second).Unix()})},
		{name: "no aud check with InsecureSkipAudienceCheck", json: activeJSON(t0, map[string]any{"aud": "https://other.example.com"}),
			cfg: func(c *introspect.Config) { c.Audiences, c.InsecureSkipAudienceCheck = nil, true }},
		{name: "no aud with InsecureSkipAudienceCheck", json: activeJSON(t0, map[string]any{"aud": nil}),
			cfg: func(c *introspect.Config) { c.Audiences, c.InsecureSkipAudienceCheck = nil, true }},

		{name: "inactive", json: `{"active":false}`, want: introspect.ErrInactive},
		{name: "active is the string true", json: `{"active":"true","sub":"alice","aud":"` + testAudience + `"}`, want: introspect.ErrInactive},
		{name: "active missing", json: `{"sub":"alice","aud":"` + testAudience + `"}`, want: introspect.ErrInactive},
		{name: "active is 1", json: `{"active":1,"aud":"` + testAudience + `"}`, want: introspect.ErrInactive},
		{name: "active is null", json: `{"active":null}`, want: introspect.ErrInactive},
		{name: "active is an object", json: `{"active":{"value":true}}`, want: introspect.ErrInactive},
		{name: "expired", json: activeJSON(t0, map[string]any{"exp": t0.Add(-2 * time.Minute).Unix()}), want: jwtverify.ErrExpired},
		{name: "not yet valid", json: activeJSON(t0, map[string]any{"nbf": t0.Add(5 * time.Minute).Unix()}), want: jwtverify.ErrNotYetValid},
		{name: "wrong aud", json: activeJSON(t0, map[string]any{"aud": "https://other.example.com"}), want: jwtverify.ErrAudience},
		{name: "missing aud", json: activeJSON(t0, map[string]any{"aud": nil}), want: jwtverify.ErrMissingClaim},
		{name: "wrong iss", json: activeJSON(t0, map[string]any{"iss": "https://evil.example.com/"}), want: jwtverify.ErrIssuer},
		{name: "missing iss with RequireIssuer", json: activeJSON(t0, map[string]any{"iss": nil}), want: jwtverify.ErrMissingClaim,
			cfg: func(c *introspect.Config) { c.RequireIssuer = true }},

		{name: "not JSON", json: `active=true`, want: introspect.ErrEndpoint},
		{name: "truncated JSON", json: `{"active":true,"sub":"al`, want: introspect.ErrEndpoint},
		{name: "JSON array", json: `[{"active":true}]`, want: introspect.ErrEndpoint},
		{name: "duplicate active", json: `{"active":false,"active":true}`, want: introspect.ErrEndpoint},
		{name: "duplicate active, other case", json: `{"active":true,"ACTIVE":false}`, want: introspect.ErrEndpoint},
		{name: "exp is a string", json: `{"active":true,"exp":"tomorrow","aud":"` + testAudience + `"}`, want: introspect.ErrEndpoint},
		{name: "aud is a number", json: `{"active":true,"aud":7}`, want: introspect.ErrEndpoint},
	}
	ep := &endpoint{}
	url := ep.serve(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := "opaque-" + strings.Repeat("x", i)
			ep.answer(token, tt.json)
			cfg := baseConfig(url, newClock())
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			c := newClient(t, cfg)
			claims, err := c.Authenticate(t.Context(), token)
			checkErr(t, "Authenticate", claims, err, tt.want)
		})
	}
}

// checkErr asserts that err matches want (nil: no error) and exactly one of
// the two top-level categories.
func checkErr(t *testing.T, call string, claims *jwtverify.Claims, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil || claims == nil {
			t.Fatalf("%s = %v, %v; want claims, nil", call, claims, err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s = %v, want %v", call, err, want)
	}
	if claims != nil {
		t.Errorf("%s returned claims with error %v", call, err)
	}
	invalid, unavailable := errors.Is(err, jwtverify.ErrInvalidToken), errors.Is(err, jwtverify.ErrUnavailable)
	if invalid == unavailable {
		t.Errorf("%s = %v: matches ErrInvalidToken %v and ErrUnavailable %v, want exactly one", call, err, invalid, unavailable)
	}
}

func TestAuthenticate_TypedErrors(t *testing.T) {
	ep := &endpoint{}
	url := ep.serve(t)
	exp := t0.Add(-2 * time.Minute).Truncate(time.Second)
	ep.answer("expired", activeJSON(t0, map[string]any{"exp": exp.Unix()}))
	ep.answer("wrong-aud", activeJSON(t0, map[string]any{"aud": []string{"a", "b"}}))
	ep.answer("string-true", `{"active":"true"}`)
	ep.answer("early", activeJSON(t0, map[string]any{"nbf": t0.Add(time.Hour).Unix()}))
	ep.answer("other-iss", activeJSON(t0, map[string]any{"iss": testIssuer + "/"}))
	c := newClient(t, baseConfig(url, newClock()))

	// Each error names what came and what was expected (issue 11).
	_, err := c.Authenticate(t.Context(), "expired")
	var ee *jwtverify.ExpiredError
	if !errors.As(err, &ee) || !ee.Expiry.Equal(exp) || !ee.Now.Equal(t0) || ee.Leeway != time.Minute {
		t.Errorf("Authenticate(expired) = %#v, want *jwtverify.ExpiredError at %v, now %v, leeway 1m", err, exp, t0)
	}
	_, err = c.Authenticate(t.Context(), "early")
	var ne *jwtverify.NotYetValidError
	if !errors.As(err, &ne) || ne.Claim != "nbf" || !ne.Now.Equal(t0) || ne.Leeway != time.Minute {
		t.Errorf("Authenticate(nbf in an hour) = %#v, want *jwtverify.NotYetValidError with now and leeway", err)
	}
	_, err = c.Authenticate(t.Context(), "wrong-aud")
	var ae *jwtverify.AudienceError
	if !errors.As(err, &ae) || !slices.Equal(ae.Got, []string{"a", "b"}) || !slices.Equal(ae.Want, []string{testAudience}) {
		t.Errorf("Authenticate(wrong aud) = %v, want *jwtverify.AudienceError [a b], want [%s]", err, testAudience)
	}
	_, err = c.Authenticate(t.Context(), "other-iss")
	var ie2 *jwtverify.IssuerError
	if !errors.As(err, &ie2) || !slices.Equal(ie2.Want, []string{testIssuer}) || !strings.Contains(err.Error(), "slash") {
		t.Errorf("Authenticate(iss with a trailing slash) = %v, want *jwtverify.IssuerError wanting %q with a trailing-slash hint", err, testIssuer)
	}
	_, err = c.Authenticate(t.Context(), "string-true")
	var ie *introspect.InactiveError
	if !errors.As(err, &ie) || ie.Reason != "active is not the JSON boolean true" {
		t.Errorf("Authenticate(active \"true\") = %v, want *introspect.InactiveError about the type", err)
	}
}

func TestAuthenticate_BadTokens(t *testing.T) {
	ep := &endpoint{}
	c := newClient(t, baseConfig(ep.serve(t), newClock()))
	for name, token := range map[string]string{
		"empty":     "",
		"oversized": strings.Repeat("a", defaultMaxTokenBytes+1),
	} {
		t.Run(name, func(t *testing.T) {
			claims, err := c.Authenticate(t.Context(), token)
			checkErr(t, "Authenticate", claims, err, jwtverify.ErrMalformed)
		})
	}
	if n := ep.calls.Load(); n != 0 {
		t.Errorf("endpoint calls = %d, want 0 (refused before any call)", n)
	}
}

func TestAuthenticate_EndpointFailures(t *testing.T) {
	tests := []struct {
		name    string
		handle  func(w http.ResponseWriter, r *http.Request, token string)
		cfg     func(*introspect.Config)
		status  int
		code    string
		wantErr func(error) bool
	}{
		{
			name: "500",
			handle: func(w http.ResponseWriter, _ *http.Request, token string) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusInternalServerError)
				w.Write([]byte(`{"error":"server_error","error_description":"cannot check ` + token + `"}`))
			},
			status: 500, code: "server_error",
		},
		{
			name: "503 HTML",
			handle: func(w http.ResponseWriter, _ *http.Request, _ string) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusServiceUnavailable)
				w.Write([]byte(`<html>down</html>`))
			},
			status: 503,
		},
		{
			name:   "wrong client credentials",
			cfg:    func(c *introspect.Config) { c.ClientSecret = "wrong" },
			status: 401, code: "invalid_client",
		},
		{
			name: "HTML content type",
			handle: func(w http.ResponseWriter, _ *http.Request, _ string) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Write([]byte(`{"active":true}`))
			},
			status: 200,
		},
		{
			name: "no content type",
			handle: func(w http.ResponseWriter, _ *http.Request, _ string) {
				w.Header()["Content-Type"] = nil
				w.Write([]byte(`{"active":true}`))
			},
			status: 200,
		},
		{
			name: "oversized body",
			handle: func(w http.ResponseWriter, _ *http.Request, _ string) {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(activeJSON(t0, map[string]any{"pad": strings.Repeat("x", 2048)})))
			},
			cfg:    func(c *introspect.Config) { c.MaxBodyBytes = 1024 },
			status: 200,
			wantErr: func(err error) bool {
				var mbe *http.MaxBytesError
				return errors.As(err, &mbe) && mbe.Limit == 1024
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := &endpoint{handle: tt.handle}
			cfg := baseConfig(ep.serve(t), newClock())
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			c := newClient(t, cfg)
			const token = "opaque-token-value"
			claims, err := c.Authenticate(t.Context(), token)
			checkErr(t, "Authenticate", claims, err, introspect.ErrEndpoint)
			var ee *introspect.EndpointError
			if !errors.As(err, &ee) || ee.Status != tt.status || ee.Code != tt.code {
				t.Errorf("Authenticate = %#v, want *EndpointError with status %d, code %q", err, tt.status, tt.code)
			}
			if tt.wantErr != nil && !tt.wantErr(err) {
				t.Errorf("Authenticate = %v, does not carry the expected cause", err)
			}
			if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "cannot check") {
				t.Errorf("error %q quotes the token or the response body", err)
			}
			// Failures are not cached: the next request asks again.
			c.Authenticate(t.Context(), token)
			if n := ep.calls.Load(); n != 2 {
				t.Errorf("endpoint calls after two failed requests = %d, want 2", n)
			}
		})
	}
}

func TestAuthenticate_Timeout(t *testing.T) {
	stop := make(chan struct{})
	ep := &endpoint{handle: func(w http.ResponseWriter, r *http.Request, _ string) {
		select { // a server that never answers
		case <-r.Context().Done():
		case <-stop:
		}
	}}
	cfg := baseConfig(ep.serve(t), newClock())
	t.Cleanup(func() { close(stop) }) // runs before the server's Close
	const timeout = 100 * time.Millisecond
	cfg.Timeout = timeout
	c := newClient(t, cfg)

	start := time.Now()
	claims, err := c.Authenticate(t.Context(), "opaque-slow")
	elapsed := time.Since(start)
	checkErr(t, "Authenticate(slow endpoint)", claims, err, introspect.ErrEndpoint)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Authenticate(slow endpoint) = %v, want context.DeadlineExceeded in the chain", err)
	}
	if elapsed < timeout || elapsed > timeout+2*time.Second {
		t.Errorf("Authenticate(slow endpoint) took %v, want about %v", elapsed, timeout)
	}
}

func TestAuthenticate_CallerContext(t *testing.T) {
	ep := &endpoint{}
	ep.answer("opaque-good", activeJSON(t0, nil))
	c := newClient(t, baseConfig(ep.serve(t), newClock()))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	claims, err := c.Authenticate(ctx, "opaque-good")
	checkErr(t, "Authenticate(cancelled ctx)", claims, err, jwtverify.ErrUnavailable)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Authenticate(cancelled ctx) = %v, want context.Canceled in the chain", err)
	}
}

// TestAuthenticate_TokenKinds checks that only access tokens are accepted:
// token_type (RFC 7662 §2.2, an RFC 6749 §7.1 access token type), token_use
// (Ory Hydra) and typ (Keycloak) must each, when present, name an access
// token. The responses are shaped as the named servers send them.
func TestAuthenticate_TokenKinds(t *testing.T) {
	tests := []struct {
		name  string
		extra map[string]any
		want  error // nil: accepted
	}{
		{name: "token_type Bearer (oidc-provider, Okta, Zitadel)", extra: map[string]any{"token_type": "Bearer"}},
		{name: "token_type bearer (Ory Hydra)", extra: map[string]any{"token_type": "bearer", "token_use": "access_token"}},
		{name: "token_type DPoP (RFC 9449)", extra: map[string]any{"token_type": "DPoP"}},
		{name: "token_type dpop", extra: map[string]any{"token_type": "dpop"}},
		{name: "token_type access_token (Duende IdentityServer)", extra: map[string]any{"token_type": "access_token"}},
		{name: "token_type absent", extra: map[string]any{"token_type": nil}},
		{name: "Keycloak access token", extra: map[string]any{"token_type": "Bearer", "typ": "Bearer"}},
		{name: "older Keycloak access token, typ only", extra: map[string]any{"token_type": nil, "typ": "Bearer"}},

		{name: "token_type refresh_token (Duende IdentityServer)", extra: map[string]any{"token_type": "refresh_token"}, want: jwtverify.ErrType},
		{name: "token_type id_token", extra: map[string]any{"token_type": "id_token"}, want: jwtverify.ErrType},
		{name: "token_type N_A (RFC 8693)", extra: map[string]any{"token_type": "N_A"}, want: jwtverify.ErrType},
		{name: "token_type empty", extra: map[string]any{"token_type": ""}, want: jwtverify.ErrType},
		{name: "token_type with spaces", extra: map[string]any{"token_type": " Bearer"}, want: jwtverify.ErrType},
		{name: "Ory Hydra refresh token", extra: map[string]any{"token_type": nil, "token_use": "refresh_token"}, want: jwtverify.ErrType},
		{name: "token_use id_token", extra: map[string]any{"token_type": nil, "token_use": "id_token"}, want: jwtverify.ErrType},
		{name: "token_use not a string", extra: map[string]any{"token_use": 1}, want: jwtverify.ErrType},
		{name: "Keycloak refresh token", extra: map[string]any{"token_type": "Refresh", "typ": "Refresh"}, want: jwtverify.ErrType},
		{name: "older Keycloak refresh token, typ only", extra: map[string]any{"token_type": nil, "typ": "Refresh"}, want: jwtverify.ErrType},
		{name: "older Keycloak offline token, typ only", extra: map[string]any{"token_type": nil, "typ": "Offline"}, want: jwtverify.ErrType},
		{name: "Bearer token_type but refresh token_use", extra: map[string]any{"token_type": "Bearer", "token_use": "refresh_token"}, want: jwtverify.ErrType},
	}
	ep := &endpoint{}
	url := ep.serve(t)
	for _, skipAud := range []bool{false, true} {
		for i, tt := range tests {
			t.Run(fmt.Sprintf("%s/InsecureSkipAudienceCheck=%v", tt.name, skipAud), func(t *testing.T) {
				token := fmt.Sprintf("opaque-kind-%v-%d", skipAud, i)
				ep.answer(token, activeJSON(t0, tt.extra))
				cfg := baseConfig(url, newClock())
				if skipAud {
					cfg.Audiences, cfg.InsecureSkipAudienceCheck = nil, true
				}
				c := newClient(t, cfg)
				claims, err := c.Authenticate(t.Context(), token)
				checkErr(t, "Authenticate", claims, err, tt.want)
			})
		}
	}
}

// TestTokenKind_ThroughMiddleware checks that a refresh token, active at the
// server, is answered 401 invalid_token and never reaches the handler.
func TestTokenKind_ThroughMiddleware(t *testing.T) {
	ep := &endpoint{}
	ep.answer("refresh", activeJSON(t0, map[string]any{"token_type": nil, "token_use": "refresh_token"}))
	ep.answer("access", activeJSON(t0, map[string]any{"token_type": "bearer", "token_use": "access_token"}))
	c := newClient(t, baseConfig(ep.serve(t), newClock()))
	for token, want := range map[string]int{"refresh": http.StatusUnauthorized, "access": http.StatusOK} {
		ran := false
		h := middleware.New(c)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran = true }))
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/orders", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		h.ServeHTTP(rec, req)
		if rec.Code != want || ran != (want == http.StatusOK) {
			t.Errorf("%s token through middleware: status %d, handler ran %v; want %d", token, rec.Code, ran, want)
		}
		if want == http.StatusUnauthorized && !strings.Contains(rec.Header().Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("%s token: WWW-Authenticate %q, want error=\"invalid_token\"", token, rec.Header().Get("WWW-Authenticate"))
		}
	}
}
