package dpop_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/internal/dpop"
	"github.com/tokenguard/tokenguard/jwtverify"
)

// forgetful is a replay store that never remembers, so that the fuzzer can
// see a proof accepted every time it tries it.
type forgetful struct{}

func (forgetful) Claim(context.Context, string, time.Time) (bool, error) { return true, nil }

// FuzzParseProof checks arbitrary proofs against one request, with nonces
// off and on: Check must never panic, must answer with exactly one error
// category, and must accept only a proof whose header and claims jwttest
// signed for that request (the seeds added here; the fuzzer cannot sign).
// Seeds under testdata were signed by keys of earlier runs, so they reach
// every check but the signature.
func FuzzParseProof(f *testing.F) {
	k := proofKey(f, "ES256")
	now := epoch
	clk := func() time.Time { return now }
	off, err := dpop.New(dpop.Config{Now: clk, Replay: forgetful{}})
	if err != nil {
		f.Fatal(err)
	}
	on, err := dpop.New(dpop.Config{Now: clk, Replay: forgetful{}, NonceSecrets: [][]byte{secretA}})
	if err != nil {
		f.Fatal(err)
	}
	req := request(k)
	// The signing inputs of the proofs made for req, with nonces off and on.
	signed := map[*dpop.Checker]map[string]bool{off: {}, on: {}}
	add := func(validOff, validOn bool, header, claims map[string]any) {
		p := sign(f, k, now, header, claims)
		signed[off][p[:strings.LastIndexByte(p, '.')]] = validOff
		signed[on][p[:strings.LastIndexByte(p, '.')]] = validOn
		f.Add(p)
	}
	add(true, false, nil, nil)
	add(true, true, nil, map[string]any{"nonce": on.Nonce()})
	add(true, true, map[string]any{"typ": "application/dpop+jwt", "kid": "k"}, map[string]any{"htu": "HTTPS://api.example.com:443/x/../orders?q", "nonce": on.Nonce()})
	add(true, false, nil, map[string]any{"iat": now.Unix() - 60, "jti": strings.Repeat("j", 256)})
	add(true, false, nil, map[string]any{"nonce": "AAAAAAAAAAAAAAAAAAAAAA"})
	add(false, false, nil, map[string]any{"htu": "https://api.example.com/admin"})
	add(false, false, nil, map[string]any{"htm": "POST"})
	add(false, false, nil, map[string]any{"ath": ath("other")})
	add(false, false, nil, map[string]any{"iat": now.Unix() + 61})
	add(false, false, map[string]any{"alg": "none"}, nil)
	add(false, false, map[string]any{"typ": "JWT"}, nil)
	f.Add("")
	f.Add("a.b.c")
	f.Add("eyJ9.eyJ9.AA")
	f.Fuzz(func(t *testing.T, proof string) {
		for _, c := range []*dpop.Checker{off, on} {
			res, err := c.Check(t.Context(), proof, req)
			if err == nil {
				if i := strings.LastIndexByte(proof, '.'); i < 0 || !signed[c][proof[:i]] {
					t.Fatalf("Check accepted %q, which jwttest did not sign for the request", proof)
				}
				if res.Thumbprint != k.Thumbprint() {
					t.Fatalf("Check(%q).Thumbprint = %s, want %s", proof, res.Thumbprint, k.Thumbprint())
				}
				continue
			}
			var pe *dpop.ProofError
			var ne *dpop.NonceError
			invalid, nonce := errors.Is(err, dpop.ErrInvalidProof), errors.Is(err, dpop.ErrUseNonce)
			switch {
			case errors.Is(err, jwtverify.ErrUnavailable):
				t.Fatalf("Check(%q) = %v: unavailable with a store that never fails", proof, err)
			case invalid == nonce:
				t.Fatalf("Check(%q) = %v: want exactly one of ErrInvalidProof and ErrUseNonce", proof, err)
			case invalid && !errors.As(err, &pe), nonce && (!errors.As(err, &ne) || ne.Nonce != on.Nonce()):
				t.Fatalf("Check(%q) = %v (%T): want a *ProofError or a *NonceError with the nonce", proof, err, err)
			case len(err.Error()) > 600:
				t.Fatalf("Check(%q) error is %d bytes: quote less of the proof", proof, len(err.Error()))
			}
		}
	})
}
