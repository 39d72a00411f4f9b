package dpop

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

// rfc7638Key is the RSA key of RFC 7638 §3.1, whose thumbprint the RFC
// gives as NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs. The optional members
// (alg, kid) must not change it.
const rfc7638Key = `{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}`

func TestThumbprintRFC7638Example(t *testing.T) {
	k, perr := parseJWK([]byte(rfc7638Key), "RS256")
	if perr != nil {
		t.Fatalf("parseJWK(RFC 7638 key) = %v", perr)
	}
	if got, want := string(k.thumb[:]), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; got != want {
		t.Errorf("thumbprint of the RFC 7638 §3.1 key = %s, want %s", got, want)
	}
}

// TestThumbprintMatchesJWX compares the thumbprint of every key type and
// curve with jwx's, an independent implementation, and checks that member
// order, white space, escapes and optional members change nothing.
func TestThumbprintMatchesJWX(t *testing.T) {
	for _, alg := range []string{"RS256", "PS512", "ES256", "ES384", "ES512", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			pk, err := jwttest.NewProofKey(alg)
			if err != nil {
				t.Fatal(err)
			}
			m := pk.JWK()
			raw, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := jwk.ParseKey(raw)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := ref.Thumbprint(crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			want := base64.RawURLEncoding.EncodeToString(sum)
			m["kid"], m["use"], m["key_ops"] = "k\u00e9y", "sig", []string{"verify"}
			decorated, err := json.MarshalIndent(m, " ", "\t")
			if err != nil {
				t.Fatal(err)
			}
			for name, in := range map[string][]byte{"plain": raw, "decorated": decorated, "escaped kty": escapeKty(raw)} {
				k, perr := parseJWK(in, alg)
				if perr != nil {
					t.Fatalf("parseJWK(%s) = %v", name, perr)
				}
				if got := string(k.thumb[:]); got != want || got != pk.Thumbprint() {
					t.Errorf("thumbprint of %s %s = %s; jwx computes %s, jwttest %s", name, alg, got, want, pk.Thumbprint())
				}
			}
		})
	}
}

// escapeKty writes the kty member name and value with JSON escapes.
func escapeKty(raw []byte) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		panic(err)
	}
	out := []byte(`{"\u006bty":"\u` + map[string]string{`"RSA"`: `0052SA`, `"EC"`: `0045C`, `"OKP"`: `004fKP`}[string(m["kty"])] + `"`)
	for n, v := range m {
		if n != "kty" {
			out = append(append(append(append(out, `,"`...), n...), `":`...), v...)
		}
	}
	return append(out, '}')
}
