package jwtverify_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

var benchAlgs = []string{"RS256", "ES256", "EdDSA"}

// benchSetup returns a verifier (cache on or off) and one valid token per alg.
func benchSetup(b *testing.B, cacheSize int) (*jwtverify.Verifier, *jwttest.Issuer, map[string]string) {
	b.Helper()
	iss := jwttest.Start(b, jwttest.Options{Algorithms: benchAlgs})
	v, err := jwtverify.New(b.Context(), jwtverify.Config{Issuer: iss.URL, Audiences: []string{"api"}, CacheSize: cacheSize})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(v.Close)
	toks := map[string]string{}
	for _, alg := range benchAlgs {
		toks[alg] = iss.MintWith(b, jwttest.Token{Alg: alg, Claims: map[string]any{
			"aud": "api", "sub": "user-1234", "client_id": "client-1", "scope": "orders:read orders:write",
		}})
	}
	return v, iss, toks
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

// BenchmarkFloor is the crypto floor that the Verify benchmarks are compared
// with: benchstat shows Verify/first-sight as a ratio of it.
func BenchmarkFloor(b *testing.B) {
	_, iss, toks := benchSetup(b, -1)
	for _, alg := range benchAlgs {
		b.Run(alg, func(b *testing.B) {
			tok, pub := toks[alg], iss.PublicKey(iss.KeyID(alg))
			b.ReportAllocs()
			for b.Loop() {
				floor(b, alg, tok, pub)
			}
		})
	}
}

// BenchmarkVerify measures a token never seen before (cache off: every call
// parses and checks the signature) and a token seen before (cache on).
func BenchmarkVerify(b *testing.B) {
	for _, mode := range []struct {
		name string
		size int
	}{{"first-sight", -1}, {"cached", 0}} {
		v, _, toks := benchSetup(b, mode.size)
		for _, alg := range benchAlgs {
			b.Run(mode.name+"/"+alg, func(b *testing.B) {
				tok := toks[alg]
				if _, err := v.Verify(b.Context(), tok); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := v.Verify(b.Context(), tok); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkVerifyParallel runs both paths on every core: compare with
// BenchmarkVerify to see how throughput scales.
func BenchmarkVerifyParallel(b *testing.B) {
	for _, mode := range []struct {
		name string
		size int
	}{{"first-sight", -1}, {"cached", 0}} {
		v, _, toks := benchSetup(b, mode.size)
		b.Run(mode.name+"/RS256", func(b *testing.B) {
			tok := toks["RS256"]
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := v.Verify(b.Context(), tok); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
