package jwtverify_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

// keyServer serves a JWK Set in memory (no network, so it works in a
// testing/synctest bubble), fails while down, and records when it was asked.
type keyServer struct {
	jwks []byte
	down atomic.Bool

	mu    sync.Mutex
	times []time.Time
}

func (k *keyServer) RoundTrip(r *http.Request) (*http.Response, error) {
	k.mu.Lock()
	k.times = append(k.times, time.Now())
	k.mu.Unlock()
	rec := httptest.NewRecorder()
	if k.down.Load() {
		rec.WriteHeader(http.StatusServiceUnavailable)
	} else {
		rec.Header().Set("Content-Type", "application/jwk-set+json")
		rec.Write(k.jwks)
	}
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

func (k *keyServer) requests() []time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]time.Time(nil), k.times...)
}

// TestKeySourceErrorRetryAfter: while the key set cannot be fetched, the
// KeySourceError of every Verify says, in RetryAfter, how long until the set
// is fetched again: the next fetch comes within that time (and within its
// last second, as RetryAfter is rounded up to whole seconds), through a
// backoff that doubles up to 5 minutes. On a fake clock, without sleeping.
func TestKeySourceErrorRetryAfter(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}})
	synctest.Test(t, func(t *testing.T) {
		ks := &keyServer{jwks: iss.JWKS()}
		v, err := jwtverify.New(t.Context(), jwtverify.Config{Issuer: iss.URL, JWKSURL: "https://keys.example/jwks",
			Audiences: []string{"api"}, HTTPClient: &http.Client{Transport: ks}})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		// A kid the set does not hold makes Verify fetch the set.
		tok := iss.MintWith(t, jwttest.Token{Header: map[string]any{"kid": "rotated-in"}, Claims: map[string]any{"aud": "api"}})
		ks.down.Store(true)
		var last time.Duration
		for i := range 12 {
			_, err := v.Verify(t.Context(), tok)
			var kse *jwtverify.KeySourceError
			if !errors.As(err, &kse) {
				t.Fatalf("attempt %d: Verify(key set down) = %v, want a *KeySourceError", i, err)
			}
			d := kse.RetryAfter()
			if d < time.Second || d > 5*time.Minute || d%time.Second != 0 {
				t.Fatalf("attempt %d: RetryAfter = %v, want whole seconds from 1s to 5m", i, d)
			}
			last = d
			made, before := time.Now(), len(ks.requests())
			time.Sleep(d) // the fake clock of the bubble
			synctest.Wait()
			reqs := ks.requests()[before:]
			if len(reqs) != 1 {
				t.Fatalf("attempt %d: %d fetches in the %v RetryAfter announced, want exactly 1", i, len(reqs), d)
			}
			if at := reqs[0].Sub(made); at <= d-time.Second {
				t.Errorf("attempt %d: the next fetch came %v after the error, RetryAfter said %v (rounded up to seconds)", i, at, d)
			}
		}
		if last < 150*time.Second {
			t.Errorf("RetryAfter after 12 failures = %v, want the 5m ceiling less its jitter (at least 2m30s)", last)
		}
		// Back up: the next fetch (within RetryAfter) brings the keys back.
		ks.down.Store(false)
		_, err = v.Verify(t.Context(), tok)
		var kse *jwtverify.KeySourceError
		if !errors.As(err, &kse) {
			t.Fatalf("Verify during backoff = %v, want a *KeySourceError", err)
		}
		time.Sleep(kse.RetryAfter())
		synctest.Wait()
		if _, err := v.Verify(t.Context(), iss.Mint(t, map[string]any{"aud": "api"})); err != nil {
			t.Errorf("Verify after RetryAfter, key set back = %v, want nil", err)
		}
	})
}

// TestKeySourceErrorRetryAfterUnknown: a KeySourceError that carries no
// backoff (built by hand, or by a caller that gave up waiting) says zero:
// unknown.
func TestKeySourceErrorRetryAfterUnknown(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  *jwtverify.KeySourceError
	}{
		{"built by hand", &jwtverify.KeySourceError{Issuer: "https://issuer.example", Err: errors.New("down")}},
		{"nil cause", &jwtverify.KeySourceError{Issuer: "https://issuer.example"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if d := tt.err.RetryAfter(); d != 0 {
				t.Errorf("RetryAfter = %v, want 0", d)
			}
		})
	}
}
