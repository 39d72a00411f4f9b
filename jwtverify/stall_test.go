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

// stallingJWKS serves iss's key set once, then hangs every later request
// until release is closed.
type stallingJWKS struct {
	iss     *jwttest.Issuer
	served  atomic.Int64
	release chan struct{}
	hung    chan struct{} // closed when the first request starts hanging
	once    sync.Once
}

func newStallingJWKS(iss *jwttest.Issuer) *stallingJWKS {
	return &stallingJWKS{iss: iss, release: make(chan struct{}), hung: make(chan struct{})}
}

func (s *stallingJWKS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.served.Add(1) > 1 {
		s.once.Do(func() { close(s.hung) })
		select {
		case <-s.release:
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(s.iss.JWKS())
}

type inMemory struct{ h http.Handler }

func (t inMemory) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// TestVerifyDoesNotWaitForRefresh: while a refresh hangs, tokens of known
// keys verify at once (no fake time passes), and only the caller that needs
// the new key waits, no longer than the fetch timeout.
func TestVerifyDoesNotWaitForRefresh(t *testing.T) {
	iss, err := jwttest.NewIssuer(jwttest.Options{Algorithms: []string{"ES256"}})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	oldKid := iss.KeyID("ES256")
	synctest.Test(t, func(t *testing.T) {
		js := newStallingJWKS(iss)
		v, err := jwtverify.New(t.Context(), jwtverify.Config{
			Issuer: iss.URL, JWKSURL: "http://127.0.0.1/jwks", Audiences: []string{"api"}, CacheSize: -1,
			HTTPClient: &http.Client{Transport: inMemory{js}, Timeout: 3 * time.Second},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		iss.Rotate("ES256")
		unknown := iss.Mint(t, map[string]any{"aud": "api", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
		known := iss.MintWith(t, jwttest.Token{KeyID: oldKid, Claims: map[string]any{"aud": "api", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}})

		waited := make(chan time.Duration)
		go func() {
			start := time.Now()
			v.Verify(t.Context(), unknown) // triggers the refresh that hangs
			waited <- time.Since(start)
		}()
		synctest.Wait() // the refresh is in flight and hanging
		start := time.Now()
		for range 100 {
			if _, err := v.Verify(t.Context(), known); err != nil {
				t.Fatalf("Verify(known kid) during a hanging refresh = %v", err)
			}
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("Verify(known kid) waited %v during a hanging refresh, want 0", d)
		}
		if d := <-waited; d > 3*time.Second {
			t.Errorf("Verify(new kid) waited %v, want at most the 3s timeout", d)
		}
	})
}

// BenchmarkRefreshStall verifies a token of a known key (ES256, cache off)
// with the key set idle and while a refresh of it hangs: benchstat
// -col /refresh shows the cost of the hanging refresh, which should be none.
func BenchmarkRefreshStall(b *testing.B) {
	iss := jwttest.Start(b, jwttest.Options{Algorithms: []string{"ES256"}})
	js := newStallingJWKS(iss)
	srv := httptest.NewServer(js)
	b.Cleanup(srv.Close)
	b.Cleanup(func() { close(js.release) })
	newV := func(url string) *jwtverify.Verifier {
		v, err := jwtverify.New(b.Context(), jwtverify.Config{Issuer: iss.URL, JWKSURL: url, Audiences: []string{"api"}, CacheSize: -1,
			HTTPClient: &http.Client{Timeout: time.Hour}})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(v.Close)
		return v
	}
	idle, stalled := newV(iss.JWKSURL), newV(srv.URL)
	known := iss.Mint(b, map[string]any{"aud": "api"})
	iss.Rotate("ES256")
	go stalled.Verify(b.Context(), iss.Mint(b, map[string]any{"aud": "api"})) // hangs for the whole run
	<-js.hung
	for _, c := range []struct {
		name string
		v    *jwtverify.Verifier
	}{{"idle", idle}, {"hanging", stalled}} {
		b.Run("refresh="+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.v.Verify(b.Context(), known); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestCloseDuringVerify closes a verifier while verifications and a hanging
// refresh are in flight: every call returns, nothing panics, and (synctest)
// no goroutine outlives Close.
func TestCloseDuringVerify(t *testing.T) {
	iss, err := jwttest.NewIssuer(jwttest.Options{Algorithms: []string{"ES256"}})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	synctest.Test(t, func(t *testing.T) {
		js := newStallingJWKS(iss)
		v, err := jwtverify.New(t.Context(), jwtverify.Config{
			Issuer: iss.URL, JWKSURL: "http://127.0.0.1/jwks", Audiences: []string{"api"},
			HTTPClient: &http.Client{Transport: inMemory{js}, Timeout: time.Hour},
		})
		if err != nil {
			t.Fatal(err)
		}
		known := iss.Mint(t, map[string]any{"aud": "api", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
		iss.Rotate("ES256")
		unknown := iss.Mint(t, map[string]any{"aud": "api", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
		var wg sync.WaitGroup
		var unavailable atomic.Int64
		for i := range 50 {
			wg.Go(func() {
				tok := known
				if i%2 == 0 {
					tok = unknown
				}
				if _, err := v.Verify(t.Context(), tok); errors.Is(err, jwtverify.ErrUnavailable) {
					unavailable.Add(1)
				}
			})
		}
		synctest.Wait() // unknown-kid callers wait on the hanging refresh
		v.Close()
		wg.Wait()
		if unavailable.Load() == 0 {
			t.Error("no caller waiting on the refresh saw ErrUnavailable after Close")
		}
		v.Close()
	})
}
