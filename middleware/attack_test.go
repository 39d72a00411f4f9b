package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
)

// TestHTTPAttacks sends hostile requests through a real server and checks
// that none reaches the Authenticator or the handler. Oversized tokens are
// refused as invalid_token (401) before any parsing; malformed requests are
// invalid_request (400).
func TestHTTPAttacks(t *testing.T) {
	var authCalls, handled atomic.Int64
	auth := middleware.AuthenticatorFunc(func(context.Context, string) (*jwtverify.Claims, error) {
		authCalls.Add(1)
		return nil, jwtverify.ErrInvalidToken
	})
	srv := httptest.NewServer(guard(t, auth, middleware.Config{InsecureQueryToken: true}).Handler(
		http.HandlerFunc(func(http.ResponseWriter, *http.Request) { handled.Add(1) })))
	defer srv.Close()

	for _, tc := range []struct {
		name    string
		headers []string
		query   string
		status  int
	}{
		{"Authorization header of 1 MiB", []string{"Bearer " + strings.Repeat("a", 1<<20)}, "", http.StatusUnauthorized},
		{"Authorization header of 64 KiB", []string{"Bearer " + strings.Repeat("a", 64<<10)}, "", http.StatusUnauthorized},
		{"non-ASCII in the token", []string{"Bearer t\u00f6k\u00e9n"}, "", http.StatusBadRequest},
		{"two Authorization headers", []string{"Bearer a", "Bearer b"}, "", http.StatusBadRequest},
		{"token in query and header at once", []string{"Bearer a"}, "access_token=a", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/?"+tc.query, nil)
			for _, h := range tc.headers {
				req.Header.Add("Authorization", h)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
	if authCalls.Load() != 0 || handled.Load() != 0 {
		t.Errorf("Authenticator calls = %d, handler runs = %d; want none", authCalls.Load(), handled.Load())
	}
}
