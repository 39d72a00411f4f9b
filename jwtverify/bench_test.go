package jwtverify_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

var benchAlgs = []string{"RS256", "ES256", "EdDSA"}

// benchSetup returns a verifier (cache on or off) and one valid token per alg.
func benchSetup(b *testing.B, cacheSize int) (*jwtverify.Verifier, *jwttest.Issuer, map[string]string) {
	b.Helper()
	iss := jwttest.Start(b, jwttest.Options{Algorithms: benchAlgs})
	v := newBenchVerifier(b, iss, cacheSize)
	toks := map[string]string{}
	for _, alg := range benchAlgs {
		toks[alg] = iss.MintWith(b, jwttest.Token{Alg: alg, Claims: map[string]any{
			"aud": "api", "sub": "user-1234", "client_id": "client-1", "scope": "orders:read orders:write",
		}})
	}
	return v, iss, toks
}

func newBenchVerifier(b *testing.B, iss *jwttest.Issuer, cacheSize int) *jwtverify.Verifier {
	v, err := jwtverify.New(b.Context(), jwtverify.Config{Issuer: iss.URL, Audiences: []string{"api"}, CacheSize: cacheSize})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(v.Close)
	return v
}

// floor is the raw crypto cost of a token: split, decode the signature,
// hash the signing input and verify with the standard library. Nothing of
// this package runs in it.
func floor(b *testing.B, alg, token string, pub crypto.PublicKey) {
	dot := strings.LastIndexByte(token, '.')
	sig, err := base64.RawURLEncoding.DecodeString(token[dot+1:])
	if err != nil {
		b.Fatal(err)
	}
	input := []byte(token[:dot])
	switch alg {
	case "RS256":
		d := sha256.Sum256(input)
		if rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, d[:], sig) != nil {
			b.Fatal("floor: RS256 does not verify")
		}
	case "ES256":
		d := sha256.Sum256(input)
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(pub.(*ecdsa.PublicKey), d[:], r, s) {
			b.Fatal("floor: ES256 does not verify")
		}
	case "EdDSA":
		if !ed25519.Verify(pub.(ed25519.PublicKey), input, sig) {
			b.Fatal("floor: EdDSA does not verify")
		}
	}
}

// BenchmarkVerify measures, per algorithm and side by side so that drift
// of the machine hits all three alike:
//
//   - path=floor: the raw crypto cost (split, decode the signature, hash,
//     verify with the standard library), none of this package's code;
//   - path=first-sight: Verify of a token never seen before (cache off:
//     every call parses and checks the signature);
//   - path=cached: Verify of a token seen before (cache on).
//
// benchstat -col /path shows first-sight and cached as ratios of the floor.
func BenchmarkVerify(b *testing.B) {
	first, iss, toks := benchSetup(b, -1)
	cached := newBenchVerifier(b, iss, 0)
	for _, alg := range benchAlgs {
		tok, pub := toks[alg], iss.PublicKey(iss.KeyID(alg))
		b.Run("alg="+alg+"/path=floor", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				floor(b, alg, tok, pub)
			}
		})
		for _, p := range []struct {
			name string
			v    *jwtverify.Verifier
		}{{"first-sight", first}, {"cached", cached}} {
			b.Run("alg="+alg+"/path="+p.name, func(b *testing.B) {
				if _, err := p.v.Verify(b.Context(), tok); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := p.v.Verify(b.Context(), tok); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkVerifyParallel runs both paths on every core, with a pool of 64
// distinct tokens (a service sees many clients) and with a single token
// shared by all goroutines (the worst case for the cache). Run it with
// -cpu 1,2 and compare: throughput should scale with the cores.
func BenchmarkVerifyParallel(b *testing.B) {
	iss := jwttest.Start(b, jwttest.Options{Algorithms: []string{"RS256"}})
	pool := make([]string, 64)
	for i := range pool {
		pool[i] = iss.Mint(b, map[string]any{"aud": "api", "sub": fmt.Sprint("user-", i), "scope": "orders:read"})
	}
	for _, mode := range []struct {
		name string
		size int
	}{{"first-sight", -1}, {"cached", 0}} {
		v := newBenchVerifier(b, iss, mode.size)
		for _, tokens := range []int{64, 1} {
			b.Run(fmt.Sprintf("path=%s/tokens=%d", mode.name, tokens), func(b *testing.B) {
				for _, tok := range pool[:tokens] {
					if _, err := v.Verify(b.Context(), tok); err != nil {
						b.Fatal(err)
					}
				}
				var next atomic.Int64
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					i := int(next.Add(1))
					for pb.Next() {
						i++
						if _, err := v.Verify(b.Context(), pool[i%tokens]); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}
