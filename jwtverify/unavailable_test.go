package jwtverify_test

import (
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

type flaky struct{ down atomic.Bool }

func (f *flaky) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.down.Load() {
		return nil, errors.New("connection refused")
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestUnknownKidDuringBackoffIsUnavailable: after a failed key-set fetch, a
// token signed by a newly published key must be ErrUnavailable (503: "retry")
// until the backoff ends, never ErrInvalidToken (401: "throw your token
// away").
func TestUnknownKidDuringBackoffIsUnavailable(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{})
	tr := &flaky{}
	v, err := jwtverify.New(t.Context(), jwtverify.Config{Issuer: iss.URL, Audiences: []string{"api"},
		HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()

	tr.down.Store(true) // the AS is briefly unreachable (a restart, say)
	bogus := iss.MintWith(t, jwttest.Token{Header: map[string]any{"kid": "not-published"}, Claims: map[string]any{"aud": "api"}})
	if _, err = v.Verify(t.Context(), bogus); !errors.Is(err, jwtverify.ErrUnavailable) {
		t.Errorf("Verify(new kid, key source down) = %v, want ErrUnavailable", err)
	}

	tr.down.Store(false) // back, with a rotated key
	if _, err := iss.Rotate("RS256"); err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(t.Context(), iss.Mint(t, map[string]any{"aud": "api"}))
	// nil if the backoff already ended on a slow machine; never a 401.
	if err != nil && (!errors.Is(err, jwtverify.ErrUnavailable) || errors.Is(err, jwtverify.ErrInvalidToken)) {
		t.Errorf("Verify(valid token, new kid, during backoff) = %v: ErrInvalidToken (401), want nil or ErrUnavailable (503)", err)
	}
}
