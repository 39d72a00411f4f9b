package dpop_test

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/internal/dpop"
	"github.com/tokenguard/tokenguard/jwtverify"
)

// TestReplay: a proof is accepted once; the same jti for another URL is
// another proof (RFC 9449 §11.1 keys jti by the target URI); the store
// sees neither jti nor URL, and keeps each proof until iat + ProofWindow.
func TestReplay(t *testing.T) {
	clk := newClock()
	k := proofKey(t, "ES256")
	store := &recordingStore{}
	c := newChecker(t, dpop.Config{Now: clk.Now, Replay: store})
	p := sign(t, k, clk.Now(), nil, map[string]any{"jti": "jti-1"})
	if _, err := c.Check(t.Context(), p, request(k)); err != nil {
		t.Fatalf("Check(first) = %v, want nil", err)
	}
	_, err := c.Check(t.Context(), p, request(k))
	checkErr(t, err, dpop.ErrReplay)

	// The same jti, iat 10s later: the same proof as far as replay goes.
	later := sign(t, k, clk.Now().Add(10*time.Second), nil, map[string]any{"jti": "jti-1"})
	_, err = c.Check(t.Context(), later, request(k))
	checkErr(t, err, dpop.ErrReplay)

	// The same jti for another URL, and for the same URL written otherwise.
	other := sign(t, k, clk.Now(), nil, map[string]any{"jti": "jti-1", "htu": "https://api.example.com/invoices"})
	req := request(k)
	req.URL = "https://api.example.com/invoices"
	if _, err := c.Check(t.Context(), other, req); err != nil {
		t.Fatalf("Check(same jti, another URL) = %v, want nil", err)
	}
	same := sign(t, k, clk.Now(), nil, map[string]any{"jti": "jti-1", "htu": "HTTPS://api.example.com:443/x/../orders"})
	_, err = c.Check(t.Context(), same, request(k))
	checkErr(t, err, dpop.ErrReplay)

	if len(store.keys) != 5 {
		t.Fatalf("store got %d claims, want 5", len(store.keys))
	}
	for i, key := range store.keys {
		if len(key) != 43 || strings.Contains(key, "jti-1") || strings.Contains(key, "example") {
			t.Errorf("store key %q: want 43 characters of hash, neither jti nor URL", key)
		}
		if i == 0 && !store.untils[0].Equal(clk.Now().Add(60*time.Second)) {
			t.Errorf("store until = %v, want iat + 60s = %v", store.untils[0], clk.Now().Add(60*time.Second))
		}
	}
	if store.keys[0] != store.keys[1] || store.keys[0] != store.keys[2] || store.keys[0] == store.keys[3] || store.keys[0] != store.keys[4] {
		t.Errorf("store keys %q: want one per (normalised URL, jti)", store.keys)
	}
}

// TestReplayOnlyAfterEveryOtherCheck: a proof that fails any other check
// takes no room in the store, so a client without a valid token and key
// cannot fill it.
func TestReplayOnlyAfterEveryOtherCheck(t *testing.T) {
	clk := newClock()
	k := proofKey(t, "ES256")
	other := proofKey(t, "ES256-other")
	store := &recordingStore{}
	c := newChecker(t, dpop.Config{Now: clk.Now, Replay: store})
	for name, p := range map[string]string{
		"own key, token bound to another": sign(t, k, clk.Now(), nil, nil),
		"bad signature":                   sign(t, k, clk.Now(), map[string]any{"jwk": other.JWK()}, nil),
		"old":                             sign(t, k, clk.Now().Add(-time.Hour), nil, nil),
		"another token":                   sign(t, k, clk.Now(), nil, map[string]any{"ath": ath("x")}),
	} {
		req := request(k)
		if strings.HasPrefix(name, "own key") {
			req.KeyThumbprint = other.Thumbprint()
		}
		if _, err := c.Check(t.Context(), p, req); !errors.Is(err, dpop.ErrInvalidProof) {
			t.Errorf("Check(%s) = %v, want ErrInvalidProof", name, err)
		}
	}
	if len(store.keys) != 0 {
		t.Errorf("refused proofs took %d replay entries, want 0", len(store.keys))
	}
}

// TestReplayStoreFailsClosed: a store error refuses the proof as
// unavailable (503), not as invalid.
func TestReplayStoreFailsClosed(t *testing.T) {
	clk := newClock()
	k := proofKey(t, "ES256")
	down := errors.New("redis: connection refused")
	c := newChecker(t, dpop.Config{Now: clk.Now, Replay: &recordingStore{err: down}})
	_, err := c.Check(t.Context(), sign(t, k, clk.Now(), nil, nil), request(k))
	var se *dpop.StoreError
	if !errors.As(err, &se) || !errors.Is(err, jwtverify.ErrUnavailable) || !errors.Is(err, down) || errors.Is(err, dpop.ErrInvalidProof) {
		t.Fatalf("Check(store down) = %v, want a *StoreError matching jwtverify.ErrUnavailable and the cause only", err)
	}
}

// TestReplayDefaultStore runs replay through the default in-memory store:
// the proof is refused as long as its iat allows it, and a proof whose iat
// lies at the far edge of the window is remembered as long as it is
// accepted.
func TestReplayDefaultStore(t *testing.T) {
	clk := newClock()
	k := proofKey(t, "ES256")
	c := newChecker(t, dpop.Config{Now: clk.Now})
	ahead := sign(t, k, clk.Now().Add(60*time.Second), nil, nil) // iat at the future edge
	if _, err := c.Check(t.Context(), ahead, request(k)); err != nil {
		t.Fatalf("Check = %v, want nil", err)
	}
	for _, d := range []time.Duration{0, 60 * time.Second, 59 * time.Second} { // to iat + 119s
		clk.Add(d)
		_, err := c.Check(t.Context(), ahead, request(k))
		checkErr(t, err, dpop.ErrReplay)
	}
	clk.Add(time.Second) // iat + 60s: the last moment the iat check accepts it
	_, err := c.Check(t.Context(), ahead, request(k))
	checkErr(t, err, dpop.ErrReplay)
	clk.Add(time.Second)
	_, err = c.Check(t.Context(), ahead, request(k))
	checkErr(t, err, dpop.ErrTime)
}

// TestReplayConcurrent: the same proof presented by many goroutines at once
// is accepted exactly once.
func TestReplayConcurrent(t *testing.T) {
	clk := newClock()
	k := proofKey(t, "ES256")
	c := newChecker(t, dpop.Config{Now: clk.Now})
	p := sign(t, k, clk.Now(), nil, nil)
	var accepted, replayed atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			_, err := c.Check(t.Context(), p, request(k))
			switch {
			case err == nil:
				accepted.Add(1)
			case errors.Is(err, dpop.ErrReplay):
				replayed.Add(1)
			default:
				t.Errorf("Check = %v", err)
			}
		})
	}
	wg.Wait()
	if accepted.Load() != 1 || replayed.Load() != 15 {
		t.Errorf("16 concurrent presentations: %d accepted, %d replayed; want 1 and 15", accepted.Load(), replayed.Load())
	}
}
