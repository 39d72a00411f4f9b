package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
)

// hintError is an error of a custom Authenticator that says when to retry.
type hintError struct {
	after time.Duration
	cat   error
}

func (e *hintError) Error() string             { return "backend down" }
func (e *hintError) Unwrap() error             { return e.cat }
func (e *hintError) RetryAfter() time.Duration { return e.after }
func failing(err error) middleware.Authenticator {
	return middleware.AuthenticatorFunc(func(context.Context, string) (*jwtverify.Claims, error) { return nil, err })
}

// TestRetryAfter: a 503 whose error carries a retry hint (found with
// errors.As, however deep) has a Retry-After header of whole seconds,
// rounded up, and Rejection.RetryAfter the same; no hint, a zero hint or a
// hint on another status gives none.
func TestRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		want   string // the header; "" for none
	}{
		{"whole seconds", &hintError{3 * time.Second, jwtverify.ErrUnavailable}, 503, "3"},
		{"rounded up", &hintError{1500 * time.Millisecond, jwtverify.ErrUnavailable}, 503, "2"},
		{"under a second", &hintError{time.Millisecond, jwtverify.ErrUnavailable}, 503, "1"},
		{"wrapped", fmt.Errorf("chain: %w", &hintError{5 * time.Minute, jwtverify.ErrUnavailable}), 503, "300"},
		{"zero hint", &hintError{0, jwtverify.ErrUnavailable}, 503, ""},
		{"negative hint", &hintError{-time.Second, jwtverify.ErrUnavailable}, 503, ""},
		{"no hint", fmt.Errorf("down: %w", jwtverify.ErrUnavailable), 503, ""},
		{"deadline", context.DeadlineExceeded, 503, ""},
		{"hint on invalid_token", &hintError{3 * time.Second, jwtverify.ErrInvalidToken}, 401, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rej []middleware.Rejection
			g := guard(t, failing(tc.err), middleware.Config{Hooks: middleware.Hooks{
				Rejected: func(_ context.Context, r middleware.Rejection) { rej = append(rej, r) }}})
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("Authorization", "Bearer abc")
			req.Header.Set("Origin", "https://app.example")
			w := httptest.NewRecorder()
			g.Handler(http.NotFoundHandler()).ServeHTTP(w, req)
			if w.Code != tc.status || len(rej) != 1 {
				t.Fatalf("status = %d with %d rejections, want %d and 1", w.Code, len(rej), tc.status)
			}
			if got := w.Header().Values("Retry-After"); tc.want == "" && len(got) != 0 || tc.want != "" && (len(got) != 1 || got[0] != tc.want) {
				t.Errorf("Retry-After = %q, want %q", got, tc.want)
			}
			wantDur := time.Duration(0)
			if tc.want != "" {
				n, _ := strconv.Atoi(tc.want)
				wantDur = time.Duration(n) * time.Second
			}
			if rej[0].RetryAfter != wantDur {
				t.Errorf("Rejection.RetryAfter = %v, want %v", rej[0].RetryAfter, wantDur)
			}
			exposed := w.Header().Values("Access-Control-Expose-Headers")
			if tc.want != "" && (len(exposed) != 1 || exposed[0] != "Retry-After") {
				t.Errorf("Access-Control-Expose-Headers = %q on a cross-origin 503 with Retry-After, want Retry-After", exposed)
			}
		})
	}
}

// TestRetryAfterKeySource: a real Verifier whose key server is gone answers
// 503 with the Retry-After of its key set's backoff.
func TestRetryAfterKeySource(t *testing.T) {
	v, tok := downAuthenticator(t)
	var rej middleware.Rejection
	g := guard(t, v, middleware.Config{ErrorHandler: func(w http.ResponseWriter, r *http.Request, got middleware.Rejection) {
		rej = got
		w.WriteHeader(got.Status)
	}})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	g.Handler(http.NotFoundHandler()).ServeHTTP(w, req)
	var kse *jwtverify.KeySourceError
	if w.Code != 503 || !errors.As(rej.Err, &kse) {
		t.Fatalf("status = %d, error %v; want 503 and a *jwtverify.KeySourceError", w.Code, rej.Err)
	}
	if rej.RetryAfter < time.Second || rej.RetryAfter > 5*time.Minute || rej.RetryAfter%time.Second != 0 {
		t.Errorf("Rejection.RetryAfter = %v, want whole seconds from 1s to 5m", rej.RetryAfter)
	}
}
