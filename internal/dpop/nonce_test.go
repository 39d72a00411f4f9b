package dpop_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/internal/dpop"
)

var (
	secretA = bytes.Repeat([]byte("a"), 32)
	secretB = bytes.Repeat([]byte("b"), 32)
)

// TestNonces walks a client through the life of server nonces on a fake
// clock: use_dpop_nonce without one, acceptance, a fresh nonce when the one
// used is from the previous step, expiry after two steps, and refusal of
// nonces this server did not issue.
func TestNonces(t *testing.T) {
	const life = 5 * time.Minute
	clk := newClock()
	clk.Add(-time.Duration(epoch.UnixNano() % int64(life))) // at the start of a step
	k := proofKey(t, "ES256")
	c := newChecker(t, dpop.Config{Now: clk.Now, NonceSecrets: [][]byte{secretA}, NonceLifetime: life})
	check := func(nonce any) (dpop.Result, error) {
		t.Helper()
		claims := map[string]any{"nonce": nonce}
		return c.Check(t.Context(), sign(t, k, clk.Now(), nil, claims), request(k))
	}
	wantNonceErr := func(err error, reason string) string {
		t.Helper()
		var ne *dpop.NonceError
		if !errors.As(err, &ne) || !errors.Is(err, dpop.ErrUseNonce) || ne.Reason != reason || ne.Nonce != c.Nonce() {
			t.Fatalf("Check = %v, want a *NonceError (%s) carrying the current nonce %q", err, reason, c.Nonce())
		}
		if errors.Is(err, dpop.ErrInvalidProof) {
			t.Fatalf("Check = %v matches ErrInvalidProof too", err)
		}
		return ne.Nonce
	}

	_, err := check(nil)
	first := wantNonceErr(err, "missing")
	if len(first) != 22 {
		t.Errorf("nonce %q is %d characters, want 22 (16 bytes, base64url)", first, len(first))
	}
	res, err := check(first)
	if err != nil || res.Nonce != "" {
		t.Fatalf("Check(current nonce) = %+v, %v; want accepted without a fresh nonce", res, err)
	}
	clk.Add(life - time.Second) // the end of the same step
	if res, err = check(first); err != nil || res.Nonce != "" {
		t.Fatalf("Check(current nonce, end of step) = %+v, %v; want accepted without a fresh nonce", res, err)
	}
	clk.Add(time.Second) // the next step: first is from the previous one
	res, err = check(first)
	if err != nil || res.Nonce == "" || res.Nonce == first || res.Nonce != c.Nonce() {
		t.Fatalf("Check(previous step's nonce) = %+v, %v; want accepted with the fresh nonce %q", res, err, c.Nonce())
	}
	second := res.Nonce
	clk.Add(life - time.Second) // the last second of the step after first's
	if _, err = check(first); err != nil {
		t.Fatalf("Check(previous step's nonce, its last second) = %v, want accepted", err)
	}
	clk.Add(time.Second) // two steps after first's
	_, err = check(first)
	wantNonceErr(err, "expired")
	if res, err = check(second); err != nil || res.Nonce != c.Nonce() {
		t.Fatalf("Check(second, now from the previous step) = %+v, %v; want accepted with a fresh nonce", res, err)
	}
	for _, bad := range []any{"AAAAAAAAAAAAAAAAAAAAAA", "", first + "x", second[:21], 7} {
		_, err = check(bad)
		if _, isString := bad.(string); !isString {
			checkErr(t, err, dpop.ErrMalformed)
			continue
		}
		wantNonceErr(err, "invalid")
	}
	clk.Add(10 * life) // long idle: the client's nonce is far gone
	_, err = check(second)
	wantNonceErr(err, "invalid")
}

// TestNonceRotationAndFleet: instances sharing secrets accept each other's
// nonces; a new first secret issues new nonces while the old one's stay
// valid (with a fresh nonce in the answer); another server's nonce is
// refused.
func TestNonceRotationAndFleet(t *testing.T) {
	clk := newClock()
	k := proofKey(t, "ES256")
	old := newChecker(t, dpop.Config{Now: clk.Now, NonceSecrets: [][]byte{secretA}})
	peer := newChecker(t, dpop.Config{Now: clk.Now, NonceSecrets: [][]byte{secretA}})
	rotated := newChecker(t, dpop.Config{Now: clk.Now, NonceSecrets: [][]byte{secretB, secretA}})
	stranger := newChecker(t, dpop.Config{Now: clk.Now, NonceSecrets: [][]byte{secretB}})
	if old.Nonce() != peer.Nonce() || old.Nonce() == rotated.Nonce() || rotated.Nonce() != stranger.Nonce() {
		t.Fatalf("nonces: old %q peer %q rotated %q stranger %q; want old = peer, rotated = stranger, old ≠ rotated",
			old.Nonce(), peer.Nonce(), rotated.Nonce(), stranger.Nonce())
	}
	proof := func() string {
		return sign(t, k, clk.Now(), nil, map[string]any{"nonce": old.Nonce()})
	}
	if res, err := peer.Check(t.Context(), proof(), request(k)); err != nil || res.Nonce != "" {
		t.Errorf("peer.Check(old's nonce) = %+v, %v; want accepted as current", res, err)
	}
	if res, err := rotated.Check(t.Context(), proof(), request(k)); err != nil || res.Nonce != rotated.Nonce() {
		t.Errorf("rotated.Check(old secret's nonce) = %+v, %v; want accepted with the new secret's nonce", res, err)
	}
	var ne *dpop.NonceError
	if _, err := stranger.Check(t.Context(), proof(), request(k)); !errors.As(err, &ne) || ne.Reason != "invalid" {
		t.Errorf("stranger.Check(another secret's nonce) = %v, want an invalid nonce", err)
	}
	if off := newChecker(t, dpop.Config{Now: clk.Now}); off.Nonce() != "" {
		t.Errorf("Nonce() with nonces off = %q, want empty", off.Nonce())
	}
}

// TestNonceCheckedBeforeReplay: a proof refused for its nonce is not
// remembered, so the client's retry with the nonce is no replay of it.
func TestNonceCheckedBeforeReplay(t *testing.T) {
	clk := newClock()
	k := proofKey(t, "ES256")
	store := &recordingStore{}
	c := newChecker(t, dpop.Config{Now: clk.Now, NonceSecrets: [][]byte{secretA}, Replay: store})
	p := sign(t, k, clk.Now(), nil, map[string]any{"jti": "retry"})
	if _, err := c.Check(t.Context(), p, request(k)); !errors.Is(err, dpop.ErrUseNonce) {
		t.Fatalf("Check(no nonce) = %v, want ErrUseNonce", err)
	}
	if len(store.keys) != 0 {
		t.Fatalf("a proof refused for its nonce took %d replay entries, want 0", len(store.keys))
	}
	p = sign(t, k, clk.Now(), nil, map[string]any{"jti": "retry", "nonce": c.Nonce()})
	if _, err := c.Check(t.Context(), p, request(k)); err != nil {
		t.Fatalf("Check(retry with nonce) = %v, want nil", err)
	}
}
