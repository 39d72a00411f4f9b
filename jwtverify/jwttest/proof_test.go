package jwttest_test

import (
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

// TestProofKey checks proofs against an independent JOSE implementation:
// the thumbprint is jwx's RFC 7638 thumbprint of the header jwk, and the
// header and claims are those RFC 9449 §4.2 asks for.
func TestProofKey(t *testing.T) {
	for _, alg := range []string{"ES256", "ES384", "PS256", "RS256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			k, err := jwttest.NewProofKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			p := k.MustProof(t, "POST", "https://api.example/orders?id=1#x", "tok-en", "n0nce")
			parts := strings.Split(p, ".")
			if len(parts) != 3 {
				t.Fatalf("Proof = %q, want a compact JWS", p)
			}
			var h struct {
				Typ string          `json:"typ"`
				Alg string          `json:"alg"`
				JWK json.RawMessage `json:"jwk"`
			}
			var c map[string]any
			decode(t, parts[0], &h)
			decode(t, parts[1], &c)
			if h.Typ != "dpop+jwt" || h.Alg != alg {
				t.Errorf("header typ %q alg %q, want dpop+jwt and %s", h.Typ, h.Alg, alg)
			}
			key, err := jwk.ParseKey(h.JWK)
			if err != nil {
				t.Fatalf("header jwk %s: %v", h.JWK, err)
			}
			if _, private := c["d"]; private || strings.Contains(string(h.JWK), `"d"`) {
				t.Errorf("header jwk %s carries private members", h.JWK)
			}
			tp, err := key.Thumbprint(crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if want := base64.RawURLEncoding.EncodeToString(tp); k.Thumbprint() != want {
				t.Errorf("Thumbprint() = %s, jwx computes %s", k.Thumbprint(), want)
			}
			ath := sha256.Sum256([]byte("tok-en"))
			if c["htm"] != "POST" || c["htu"] != "https://api.example/orders" || c["nonce"] != "n0nce" ||
				c["ath"] != base64.RawURLEncoding.EncodeToString(ath[:]) || c["jti"] == "" || c["iat"] == nil {
				t.Errorf("claims = %v, want htm POST, htu without query and fragment, ath, nonce, jti, iat", c)
			}
			q := k.MustProof(t, "POST", "https://api.example/orders", "tok-en", "")
			var c2 map[string]any
			decode(t, strings.Split(q, ".")[1], &c2)
			if c2["jti"] == c["jti"] {
				t.Errorf("two proofs share jti %v", c["jti"])
			}
			if _, ok := c2["nonce"]; ok {
				t.Errorf("proof without a nonce carries nonce %v", c2["nonce"])
			}
		})
	}
}

func TestSignProofOverrides(t *testing.T) {
	k, err := jwttest.NewProofKey("")
	if err != nil {
		t.Fatal(err)
	}
	p, err := k.SignProof(map[string]any{"typ": "JWT", "alg": "none"}, map[string]any{"htm": "GET", "jti": nil})
	if err != nil {
		t.Fatal(err)
	}
	var h, c map[string]any
	parts := strings.Split(p, ".")
	decode(t, parts[0], &h)
	decode(t, parts[1], &c)
	if h["typ"] != "JWT" || h["alg"] != "none" {
		t.Errorf("header = %v, want the overrides", h)
	}
	if _, ok := c["jti"]; ok || c["htm"] != "GET" {
		t.Errorf("claims = %v, want htm GET and no jti", c)
	}
}

func decode(t *testing.T, seg string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}
