package jwks_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"testing"

	"github.com/tokenguard/tokenguard/internal/jwks"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

var fuzzAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}

// FuzzParseSet checks that ParseSet never panics, accounts for every entry
// of the keys array (kept or dropped), and only ever returns verification
// keys that pass the documented hygiene rules: a public key of a supported
// type and size that fits its own alg and at least one supported algorithm.
func FuzzParseSet(f *testing.F) {
	k := parseTestKeys()
	good := []any{
		jwttest.PublicJWK(&k.rsa2048.PublicKey, "rsa", "RS256"),
		jwttest.PublicJWK(&k.p256.PublicKey, "p256", "ES256"),
		jwttest.PublicJWK(&k.p384.PublicKey, "p384", ""),
		jwttest.PublicJWK(&k.p521.PublicKey, "p521", "ES512"),
		jwttest.PublicJWK(k.ed.Public(), "ed", "EdDSA"),
	}
	for _, g := range good {
		doc, _ := json.Marshal(map[string]any{"keys": []any{g}})
		f.Add(doc)
	}
	doc, _ := json.Marshal(map[string]any{"keys": good})
	f.Add(doc)
	// Certificate members, which are stripped before jwx sees the key, in
	// plain and escaped spelling, and a duplicate member.
	der := negativeSerialCert(f, k.p256)
	withCert, _ := json.Marshal(map[string]any{"keys": []any{withX509Members(jwttest.PublicJWK(&k.p256.PublicKey, "p256", "ES256"), der)}})
	f.Add(withCert)
	f.Add(bytes.Replace(withCert, []byte(`"x5c"`), []byte(`"x5\u0063"`), 1))
	f.Add(bytes.Replace(withCert, []byte(`"kid"`), []byte(`"KID":"dup","kid"`), 1))
	for _, s := range []string{
		`{"keys":[]}`, `{}`, `{"keys":null}`, `{"keys":[{"kty":"oct","k":"AAAA"}]}`,
		`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`,
		`{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`,
		`{"keys":[{"kty":"OKP","crv":"X25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, dropped, err := jwks.ParseSet(data)
		if err != nil {
			if len(keys) != 0 || len(dropped) != 0 {
				t.Fatalf("ParseSet(%q) = %d keys, %d dropped with error %v; want none with an error", data, len(keys), len(dropped), err)
			}
			return
		}
		var doc struct{ Keys []json.RawMessage }
		if json.Unmarshal(data, &doc) == nil && len(keys)+len(dropped) != len(doc.Keys) {
			t.Fatalf("ParseSet(%q) = %d keys + %d dropped, want %d entries accounted for", data, len(keys), len(dropped), len(doc.Keys))
		}
		for _, key := range keys {
			if key == nil {
				t.Fatalf("ParseSet(%q) returned a nil key", data)
			}
			checkFuzzedKey(t, data, key)
		}
	})
}

func checkFuzzedKey(t *testing.T, data []byte, key *jwks.Key) {
	t.Helper()
	switch p := key.Public.(type) {
	case *rsa.PublicKey:
		if p.N == nil || p.N.BitLen() < 2048 || p.N.Bit(0) == 0 || p.E < 3 || p.E%2 == 0 || int64(p.E) > 1<<31-1 {
			t.Fatalf("ParseSet(%q) kept RSA key N=%d bits E=%d", data, p.N.BitLen(), p.E)
		}
	case *ecdsa.PublicKey:
		if p.Curve == nil {
			t.Fatalf("ParseSet(%q) kept EC key without a curve", data)
		}
		switch p.Curve.Params().Name {
		case "P-256", "P-384", "P-521":
		default:
			t.Fatalf("ParseSet(%q) kept EC key on curve %s", data, p.Curve.Params().Name)
		}
		if _, err := p.ECDH(); err != nil {
			t.Fatalf("ParseSet(%q) kept EC key whose point is invalid: %v", data, err)
		}
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			t.Fatalf("ParseSet(%q) kept Ed25519 key of %d bytes", data, len(p))
		}
	default:
		t.Fatalf("ParseSet(%q) kept key of type %T, want a public key", data, key.Public)
	}
	if key.Algorithm != "" && !key.Fits(key.Algorithm) {
		t.Fatalf("ParseSet(%q) kept key with alg %q that it does not fit", data, key.Algorithm)
	}
	fits := 0
	for _, alg := range fuzzAlgs {
		if key.Fits(alg) {
			fits++
		}
		if key.Fits(alg) && key.Algorithm != "" && alg != key.Algorithm {
			t.Fatalf("ParseSet(%q) key with alg %q also fits %q", data, key.Algorithm, alg)
		}
	}
	if fits == 0 {
		t.Fatalf("ParseSet(%q) kept a key (%T, alg %q) that fits no supported algorithm", data, key.Public, key.Algorithm)
	}
	for _, alg := range []string{"none", "HS256", "HS384", "HS512", "", "rs256"} {
		if key.Fits(alg) {
			t.Fatalf("ParseSet(%q) key fits %q", data, alg)
		}
	}
}
