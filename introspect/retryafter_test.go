package introspect_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/introspect"
	"github.com/tokenguard/tokenguard/jwtverify"
)

// TestEndpointErrorRetryAfter: an endpoint that answers 503 or 429 with
// Retry-After says, through EndpointError.RetryAfter, how long clients should
// wait; the hint is bounded to 1s..5m and read strictly; without one (or on
// another status) RetryAfter is zero: unknown.
func TestEndpointErrorRetryAfter(t *testing.T) {
	for i, tt := range []struct {
		name       string
		status     int
		retryAfter []string
		want       time.Duration
	}{
		{"503, seconds", http.StatusServiceUnavailable, []string{"120"}, 2 * time.Minute},
		{"429, seconds", http.StatusTooManyRequests, []string{"7"}, 7 * time.Second},
		{"503, HTTP-date", http.StatusServiceUnavailable, []string{t0.Add(90 * time.Second).UTC().Format(http.TimeFormat)}, 90 * time.Second},
		{"503, HTTP-date in the past", http.StatusServiceUnavailable, []string{t0.Add(-time.Hour).UTC().Format(http.TimeFormat)}, time.Second},
		{"503, a day", http.StatusServiceUnavailable, []string{"86400"}, 5 * time.Minute},
		{"503, zero", http.StatusServiceUnavailable, []string{"0"}, time.Second},
		{"503, none", http.StatusServiceUnavailable, nil, 0},
		{"503, malformed", http.StatusServiceUnavailable, []string{"soon"}, 0},
		{"503, negative", http.StatusServiceUnavailable, []string{"-10"}, 0},
		{"503, two", http.StatusServiceUnavailable, []string{"10", "20"}, 0},
		{"500 with Retry-After", http.StatusInternalServerError, []string{"10"}, 0},
		{"502 with Retry-After", http.StatusBadGateway, []string{"10"}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ep := &endpoint{handle: func(w http.ResponseWriter, _ *http.Request, _ string) {
				for _, v := range tt.retryAfter {
					w.Header().Add("Retry-After", v)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				w.Write([]byte(`{"error":"temporarily_unavailable"}`))
			}}
			c := newClient(t, baseConfig(ep.serve(t), newClock()))
			claims, err := c.Authenticate(t.Context(), "opaque-"+strings.Repeat("r", i))
			checkErr(t, "Authenticate", claims, err, introspect.ErrEndpoint)
			var ee *introspect.EndpointError
			if !errors.As(err, &ee) {
				t.Fatalf("Authenticate = %v, want an *EndpointError", err)
			}
			if got := ee.RetryAfter(); got != tt.want {
				t.Errorf("RetryAfter() = %v, want %v (Retry-After %q, status %d)", got, tt.want, tt.retryAfter, tt.status)
			}
			var hint interface{ RetryAfter() time.Duration }
			if !errors.As(err, &hint) || hint.RetryAfter() != tt.want {
				t.Errorf("errors.As(err, RetryAfter interface) did not find the hint")
			}
		})
	}
}

// TestEndpointErrorRetryAfterUnknown: failures that carry no hint say zero.
func TestEndpointErrorRetryAfterUnknown(t *testing.T) {
	ep := &endpoint{}
	url := ep.serve(t)
	cfg := baseConfig(url, newClock())
	cfg.HTTPClient = &http.Client{Transport: failingTransport{}}
	c := newClient(t, cfg)
	_, err := c.Authenticate(t.Context(), "opaque-network")
	var ee *introspect.EndpointError
	if !errors.As(err, &ee) || !errors.Is(err, jwtverify.ErrUnavailable) {
		t.Fatalf("Authenticate(network down) = %v, want an *EndpointError", err)
	}
	if d := ee.RetryAfter(); d != 0 {
		t.Errorf("RetryAfter() = %v for a network failure, want 0 (unknown)", d)
	}
	if d := (&introspect.EndpointError{Endpoint: url}).RetryAfter(); d != 0 {
		t.Errorf("RetryAfter() of a hand-made EndpointError = %v, want 0", d)
	}
}

type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("connection refused")
}
