package jwks_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"maps"
	"math/big"
	"slices"
	"sync"
	"testing"

	"github.com/tokenguard/tokenguard/internal/jwks"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

// parseKeys are generated once per test binary: RSA generation is slow under
// the race detector.
type parseKeys struct {
	rsa2048, rsa1024 *rsa.PrivateKey
	p256, p384, p521 *ecdsa.PrivateKey
	ed               ed25519.PrivateKey
}

var parseTestKeys = sync.OnceValue(func() *parseKeys {
	k := new(parseKeys)
	var err error
	must := func(e error) {
		if e != nil {
			panic(e)
		}
	}
	k.rsa2048, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	k.rsa1024, err = rsa.GenerateKey(rand.Reader, 1024)
	must(err)
	k.p256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	k.p384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	must(err)
	k.p521, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	must(err)
	_, k.ed, err = ed25519.GenerateKey(rand.Reader)
	must(err)
	return k
})

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwkWith returns a copy of base with the members of edits set, a nil value
// deleting the member.
func jwkWith(base map[string]any, edits map[string]any) map[string]any {
	m := maps.Clone(base)
	for k, v := range edits {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

func TestParseSetKeyHygiene(t *testing.T) {
	k := parseTestKeys()
	rsaJWK := jwttest.PublicJWK(&k.rsa2048.PublicKey, "rsa", "")
	p256JWK := jwttest.PublicJWK(&k.p256.PublicKey, "p256", "")
	edJWK := jwttest.PublicJWK(k.ed.Public(), "ed", "")

	evenN := new(big.Int).Add(k.rsa2048.N, big.NewInt(1)) // N is odd, so N+1 is even
	offCurveY := make([]byte, 32)
	k.p256.Y.FillBytes(offCurveY)
	offCurveY[31] ^= 1
	p256X := make([]byte, 32)
	k.p256.X.FillBytes(p256X)
	bigE := new(big.Int).Lsh(big.NewInt(1), 64)
	bigE.Add(bigE, big.NewInt(1))

	tests := []struct {
		name string
		jwk  any
		keep bool
		alg  string // the Key's Algorithm when kept
	}{
		{name: "RSA 2048 without alg", jwk: rsaJWK, keep: true},
		{name: "RSA with alg RS256", jwk: jwkWith(rsaJWK, map[string]any{"alg": "RS256"}), keep: true, alg: "RS256"},
		{name: "RSA with alg PS512", jwk: jwkWith(rsaJWK, map[string]any{"alg": "PS512"}), keep: true, alg: "PS512"},
		{name: "RSA without use", jwk: jwkWith(rsaJWK, map[string]any{"use": nil}), keep: true},
		{name: "RSA key_ops verify", jwk: jwkWith(rsaJWK, map[string]any{"use": nil, "key_ops": []string{"verify"}}), keep: true},
		{name: "RSA key_ops sign and verify", jwk: jwkWith(rsaJWK, map[string]any{"use": nil, "key_ops": []string{"sign", "verify"}}), keep: true},
		{name: "EC P-256", jwk: p256JWK, keep: true},
		{name: "EC P-256 alg ES256", jwk: jwkWith(p256JWK, map[string]any{"alg": "ES256"}), keep: true, alg: "ES256"},
		{name: "EC P-384", jwk: jwttest.PublicJWK(&k.p384.PublicKey, "p384", "ES384"), keep: true, alg: "ES384"},
		{name: "EC P-521", jwk: jwttest.PublicJWK(&k.p521.PublicKey, "p521", "ES512"), keep: true, alg: "ES512"},
		{name: "OKP Ed25519", jwk: edJWK, keep: true},
		{name: "OKP Ed25519 alg EdDSA", jwk: jwkWith(edJWK, map[string]any{"alg": "EdDSA"}), keep: true, alg: "EdDSA"},

		{name: "use enc", jwk: jwkWith(rsaJWK, map[string]any{"use": "enc"})},
		{name: "use SIG in upper case", jwk: jwkWith(rsaJWK, map[string]any{"use": "SIG"})},
		{name: "use not a string", jwk: jwkWith(rsaJWK, map[string]any{"use": 1})},
		{name: "key_ops encrypt", jwk: jwkWith(rsaJWK, map[string]any{"use": nil, "key_ops": []string{"encrypt"}})},
		{name: "key_ops sign only", jwk: jwkWith(rsaJWK, map[string]any{"use": nil, "key_ops": []string{"sign"}})},
		{name: "key_ops empty", jwk: jwkWith(rsaJWK, map[string]any{"use": nil, "key_ops": []string{}})},
		{name: "key_ops not an array", jwk: jwkWith(rsaJWK, map[string]any{"use": nil, "key_ops": "verify"})},

		{name: "RSA private key (d)", jwk: jwkWith(rsaJWK, map[string]any{"d": b64u(k.rsa2048.D.Bytes())})},
		{name: "RSA private member p only", jwk: jwkWith(rsaJWK, map[string]any{"p": b64u(k.rsa2048.Primes[0].Bytes())})},
		{name: "RSA private member in upper case (D)", jwk: jwkWith(rsaJWK, map[string]any{"D": b64u(k.rsa2048.D.Bytes())})},
		{name: "RSA d null", jwk: jwkWith(rsaJWK, map[string]any{"d": json.RawMessage("null")})},
		{name: "EC private key (d)", jwk: jwkWith(p256JWK, map[string]any{"d": b64u(k.p256.D.Bytes())})},
		{name: "OKP private key (d)", jwk: jwkWith(edJWK, map[string]any{"d": b64u(k.ed.Seed())})},
		{name: "symmetric oct key", jwk: map[string]any{"kty": "oct", "kid": "oct", "k": b64u([]byte("0123456789abcdef0123456789abcdef"))}},
		{name: "symmetric oct key with alg HS256", jwk: map[string]any{"kty": "oct", "kid": "oct", "alg": "HS256", "use": "sig", "k": b64u([]byte("0123456789abcdef0123456789abcdef"))}},
		{name: "oct key without k", jwk: map[string]any{"kty": "oct", "kid": "oct"}},

		{name: "RSA 1024 bits", jwk: jwttest.PublicJWK(&k.rsa1024.PublicKey, "small", "RS256")},
		{name: "RSA exponent 1", jwk: jwkWith(rsaJWK, map[string]any{"e": "AQ"})},
		{name: "RSA exponent 2", jwk: jwkWith(rsaJWK, map[string]any{"e": "Ag"})},
		{name: "RSA even exponent 65538", jwk: jwkWith(rsaJWK, map[string]any{"e": b64u(big.NewInt(65538).Bytes())})},
		{name: "RSA exponent 2^31+1", jwk: jwkWith(rsaJWK, map[string]any{"e": b64u(big.NewInt(1<<31 + 1).Bytes())})},
		{name: "RSA exponent 2^64+1", jwk: jwkWith(rsaJWK, map[string]any{"e": b64u(bigE.Bytes())})},
		{name: "RSA exponent empty", jwk: jwkWith(rsaJWK, map[string]any{"e": ""})},
		{name: "RSA modulus with the ROCA fingerprint", jwk: jwkWith(rsaJWK, map[string]any{"n": b64u(rocaLikeModulus().Bytes())})},
		{name: "RSA even modulus", jwk: jwkWith(rsaJWK, map[string]any{"n": b64u(evenN.Bytes())})},
		{name: "RSA modulus missing", jwk: jwkWith(rsaJWK, map[string]any{"n": nil})},
		{name: "RSA modulus not base64url", jwk: jwkWith(rsaJWK, map[string]any{"n": "***"})},

		{name: "EC point not on the curve", jwk: jwkWith(p256JWK, map[string]any{"y": b64u(offCurveY)})},
		{name: "EC P-256 point labelled P-384", jwk: jwkWith(p256JWK, map[string]any{"crv": "P-384"})},
		{name: "EC point at x=0 y=0", jwk: jwkWith(p256JWK, map[string]any{"x": b64u(make([]byte, 32)), "y": b64u(make([]byte, 32))})},
		{name: "EC y missing", jwk: jwkWith(p256JWK, map[string]any{"y": nil})},
		{name: "EC short x", jwk: jwkWith(p256JWK, map[string]any{"x": b64u(p256X[1:])})},
		{name: "EC secp256k1", jwk: jwkWith(p256JWK, map[string]any{"crv": "secp256k1"})},
		{name: "EC unknown curve", jwk: jwkWith(p256JWK, map[string]any{"crv": "P-224"})},
		{name: "OKP X25519", jwk: jwkWith(edJWK, map[string]any{"crv": "X25519"})},
		{name: "OKP Ed448", jwk: jwkWith(edJWK, map[string]any{"crv": "Ed448"})},
		{name: "OKP Ed25519 short x", jwk: jwkWith(edJWK, map[string]any{"x": b64u(make([]byte, 31))})},

		{name: "alg HS256 on an RSA key", jwk: jwkWith(rsaJWK, map[string]any{"alg": "HS256"})},
		{name: "alg none", jwk: jwkWith(rsaJWK, map[string]any{"alg": "none"})},
		{name: "alg rs256 in lower case", jwk: jwkWith(rsaJWK, map[string]any{"alg": "rs256"})},
		{name: "alg RSA-OAEP (encryption)", jwk: jwkWith(rsaJWK, map[string]any{"alg": "RSA-OAEP"})},
		{name: "alg ES256 on an RSA key", jwk: jwkWith(rsaJWK, map[string]any{"alg": "ES256"})},
		{name: "alg RS256 on an EC key", jwk: jwkWith(p256JWK, map[string]any{"alg": "RS256"})},
		{name: "alg ES384 on a P-256 key", jwk: jwkWith(p256JWK, map[string]any{"alg": "ES384"})},
		{name: "alg EdDSA on an EC key", jwk: jwkWith(p256JWK, map[string]any{"alg": "EdDSA"})},
		{name: "alg not a string", jwk: jwkWith(rsaJWK, map[string]any{"alg": 256})},

		{name: "kty unknown", jwk: jwkWith(rsaJWK, map[string]any{"kty": "DSA"})},
		{name: "kty missing", jwk: jwkWith(rsaJWK, map[string]any{"kty": nil})},
		{name: "kty rsa in lower case", jwk: jwkWith(rsaJWK, map[string]any{"kty": "rsa"})},
		{name: "kty EC with RSA members", jwk: jwkWith(rsaJWK, map[string]any{"kty": "EC"})},
		{name: "kid not a string", jwk: jwkWith(rsaJWK, map[string]any{"kid": 7})},
		{name: "entry is a number", jwk: 42},
		{name: "entry is a string", jwk: "key"},
		{name: "entry is null", jwk: nil},
		{name: "entry is an array", jwk: []any{rsaJWK}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := json.Marshal(map[string]any{"keys": []any{tt.jwk}})
			if err != nil {
				t.Fatal(err)
			}
			keys, dropped, err := jwks.ParseSet(doc)
			if err != nil {
				t.Fatalf("ParseSet(%s) error = %v, want nil", doc, err)
			}
			if len(keys)+len(dropped) != 1 {
				t.Fatalf("ParseSet(%s) = %d keys, %d dropped; want 1 in all", doc, len(keys), len(dropped))
			}
			if !tt.keep {
				if len(keys) != 0 {
					t.Fatalf("ParseSet(%s) kept key %+v, want it dropped", doc, keys[0])
				}
				t.Logf("dropped: %v", dropped[0])
				return
			}
			if len(keys) != 1 {
				t.Fatalf("ParseSet(%s) dropped the key (%v), want it kept", doc, dropped)
			}
			if got := keys[0].Algorithm; got != tt.alg {
				t.Errorf("ParseSet(%s) key Algorithm = %q, want %q", doc, got, tt.alg)
			}
			switch p := keys[0].Public.(type) {
			case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
			default:
				t.Errorf("ParseSet(%s) key Public is %T, want a public key type", doc, p)
			}
		})
	}
}

// TestParseSetMixed checks that unusable keys are dropped one by one while
// the usable keys of the same set are kept and still match their kids.
func TestParseSetMixed(t *testing.T) {
	k := parseTestKeys()
	set := []any{
		jwttest.PublicJWK(&k.rsa2048.PublicKey, "good-rsa", "RS256"),
		map[string]any{"kty": "oct", "kid": "oct", "k": b64u(make([]byte, 32))},
		jwkWith(jwttest.PublicJWK(&k.rsa2048.PublicKey, "enc", ""), map[string]any{"use": "enc"}),
		jwttest.PublicJWK(&k.rsa1024.PublicKey, "small", ""),
		jwttest.PublicJWK(&k.p256.PublicKey, "good-ec", "ES256"),
		jwkWith(jwttest.PublicJWK(&k.p256.PublicKey, "private-ec", ""), map[string]any{"d": b64u(k.p256.D.Bytes())}),
		"garbage",
		jwttest.PublicJWK(k.ed.Public(), "good-ed", ""),
	}
	doc, _ := json.Marshal(map[string]any{"keys": set})
	keys, dropped, err := jwks.ParseSet(doc)
	if err != nil {
		t.Fatalf("ParseSet(mixed) error = %v", err)
	}
	var kids []string
	for _, key := range keys {
		kids = append(kids, key.ID)
	}
	if got, want := kids, []string{"good-rsa", "good-ec", "good-ed"}; !slices.Equal(got, want) {
		t.Errorf("ParseSet(mixed) kept %q, want %q", got, want)
	}
	if len(dropped) != 5 {
		t.Errorf("ParseSet(mixed) dropped %d keys (%v), want 5", len(dropped), dropped)
	}
	if !keys[0].Fits("RS256") || keys[0].Fits("PS256") || keys[0].Fits("ES256") {
		t.Errorf("good-rsa (alg RS256) Fits: RS256=%v PS256=%v ES256=%v, want true false false",
			keys[0].Fits("RS256"), keys[0].Fits("PS256"), keys[0].Fits("ES256"))
	}
	if keys[1].Fits("ES384") || !keys[1].Fits("ES256") {
		t.Errorf("good-ec Fits: ES256=%v ES384=%v, want true false", keys[1].Fits("ES256"), keys[1].Fits("ES384"))
	}
	if !keys[2].Fits("EdDSA") || !keys[2].Fits("Ed25519") || keys[2].Fits("ES256") || keys[2].Fits("HS256") {
		t.Errorf("good-ed Fits: EdDSA=%v Ed25519=%v ES256=%v HS256=%v, want true true false false",
			keys[2].Fits("EdDSA"), keys[2].Fits("Ed25519"), keys[2].Fits("ES256"), keys[2].Fits("HS256"))
	}
}

func TestParseSetDocument(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		wantErr bool
		keys    int
	}{
		{name: "empty keys array", doc: `{"keys":[]}`, keys: 0},
		{name: "extra members ignored", doc: `{"keys":[],"other":1}`, keys: 0},
		{name: "not JSON", doc: `keys`, wantErr: true},
		{name: "empty body", doc: ``, wantErr: true},
		{name: "array instead of object", doc: `[]`, wantErr: true},
		{name: "no keys member", doc: `{}`, wantErr: true},
		{name: "keys null", doc: `{"keys":null}`, wantErr: true},
		{name: "keys an object", doc: `{"keys":{}}`, wantErr: true},
		{name: "keys a string", doc: `{"keys":"x"}`, wantErr: true},
		{name: "trailing garbage", doc: `{"keys":[]} x`, wantErr: true},
		{name: "invalid UTF-8", doc: "{\"keys\":[],\"x\":\"\xff\"}", wantErr: true},
		{name: "HTML error page", doc: `<html>502</html>`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, _, err := jwks.ParseSet([]byte(tt.doc))
			if (err != nil) != tt.wantErr || len(keys) != tt.keys {
				// A document-level error has no category: ParseSet reports
				// it as a plain error that the fetcher wraps.
				t.Fatalf("ParseSet(%q) = %d keys, error %v; want %d keys, error: %v", tt.doc, len(keys), err, tt.keys, tt.wantErr)
			}
		})
	}
}

// rocaLikeModulus returns a 2048-bit number of the form k*M + (65537^a mod M),
// M the product of the primes up to 701: the structure of moduli from the
// flawed Infineon generator (ROCA, CVE-2017-15361) that key-set hygiene must
// refuse. It need not be a product of two primes for ParseSet to consider it.
func rocaLikeModulus() *big.Int {
	m := big.NewInt(1)
	for p := int64(2); p <= 701; p++ {
		if big.NewInt(p).ProbablyPrime(10) {
			m.Mul(m, big.NewInt(p))
		}
	}
	a, _ := rand.Int(rand.Reader, m)
	n := new(big.Int).Exp(big.NewInt(65537), a, m)
	k := new(big.Int).Lsh(big.NewInt(1), 2048-uint(m.BitLen()))
	k.Add(k, big.NewInt(12345))
	n.Add(n, k.Mul(k, m))
	if n.BitLen() < 2048 || n.Bit(0) == 0 {
		panic("rocaLikeModulus: want an odd modulus of at least 2048 bits")
	}
	return n
}
