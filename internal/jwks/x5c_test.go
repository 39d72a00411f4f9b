package jwks_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/internal/jwks"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

// negativeSerialCert returns a self-signed certificate for key whose serial
// number is negative, as some non-Go stacks still issue. x509.CreateCertificate
// refuses negative serials, so it creates one with a distinctive positive
// serial and flips the sign bit of the serial's first byte in the DER (the
// signature no longer matches; a parser that checks the serial refuses the
// certificate before it would ever look at the signature).
func negativeSerialCert(t testing.TB, key crypto.Signer) []byte {
	t.Helper()
	serial := []byte{0x5e, 0x71, 0xa1, 0x0c, 0x3d, 0x29, 0x4b, 0x17}
	tmpl := &x509.Certificate{
		SerialNumber: new(big.Int).SetBytes(serial),
		Subject:      pkix.Name{CommonName: "issuer signing key"},
		NotBefore:    time.Unix(1_700_000_000, 0),
		NotAfter:     time.Unix(1_900_000_000, 0),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	// The serial is the first INTEGER of the TBSCertificate: tag 2, length 8.
	i := bytes.Index(der, append([]byte{0x02, byte(len(serial))}, serial...))
	if i < 0 {
		t.Fatal("serial number not found in the certificate DER")
	}
	der[i+2] |= 0x80
	if _, err := x509.ParseCertificate(der); err == nil {
		t.Fatal("x509.ParseCertificate accepted the negative serial: the test no longer exercises what it should")
	} else {
		t.Logf("x509.ParseCertificate(cert with negative serial) = %v", err)
	}
	return der
}

// withX509Members adds x5c (holding der), x5t and x5t#S256 for der, and an
// x5u, to a JWK.
func withX509Members(jwk map[string]any, der []byte) map[string]any {
	s1 := sha1.Sum(der)
	s256 := sha256.Sum256(der)
	return jwkWith(jwk, map[string]any{
		"x5c":      []string{base64.StdEncoding.EncodeToString(der)},
		"x5t":      b64u(s1[:]),
		"x5t#S256": b64u(s256[:]),
		"x5u":      "https://attacker.example/cert.pem",
	})
}

// TestParseSetIgnoresX509Members: the x5c, x5t, x5t#S256 and x5u members are
// never used, so a certificate that Go's x509 refuses (here, a negative
// serial, which other stacks accept) must not drop the key with it.
func TestParseSetIgnoresX509Members(t *testing.T) {
	k := parseTestKeys()
	rsaDER := negativeSerialCert(t, k.rsa2048)
	ecDER := negativeSerialCert(t, k.p256)
	tests := []struct {
		name string
		jwk  map[string]any
		pub  crypto.PublicKey
	}{
		{name: "RSA with x5c of a negative serial", jwk: withX509Members(jwttest.PublicJWK(&k.rsa2048.PublicKey, "rsa", "RS256"), rsaDER), pub: &k.rsa2048.PublicKey},
		{name: "EC with x5c of a negative serial", jwk: withX509Members(jwttest.PublicJWK(&k.p256.PublicKey, "ec", "ES256"), ecDER), pub: &k.p256.PublicKey},
		{name: "x5c not base64", jwk: jwkWith(jwttest.PublicJWK(&k.p256.PublicKey, "ec", ""), map[string]any{"x5c": []string{"%%%"}}), pub: &k.p256.PublicKey},
		{name: "x5c not an array", jwk: jwkWith(jwttest.PublicJWK(&k.p256.PublicKey, "ec", ""), map[string]any{"x5c": 7}), pub: &k.p256.PublicKey},
		{name: "x5t of the wrong length", jwk: jwkWith(jwttest.PublicJWK(&k.p256.PublicKey, "ec", ""), map[string]any{"x5t": "AAAA", "x5t#S256": "AAAA"}), pub: &k.p256.PublicKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := json.Marshal(map[string]any{"keys": []any{tt.jwk}})
			if err != nil {
				t.Fatal(err)
			}
			keys, dropped, err := jwks.ParseSet(doc)
			if err != nil || len(keys) != 1 {
				t.Fatalf("ParseSet = %d keys, dropped %v, error %v; want the key kept", len(keys), dropped, err)
			}
			type equaler interface{ Equal(crypto.PublicKey) bool }
			if !keys[0].Public.(equaler).Equal(tt.pub) {
				t.Errorf("ParseSet kept key %v, want the JWK's public key", keys[0].Public)
			}
		})
	}
	// The member names are compared after JSON unescaping: "x5\u0063" is x5c.
	escaped := bytes.Replace(mustJSON(t, map[string]any{"keys": []any{withX509Members(jwttest.PublicJWK(&k.p256.PublicKey, "ec", ""), ecDER)}}),
		[]byte(`"x5c"`), []byte(`"x5\u0063"`), 1)
	if keys, dropped, err := jwks.ParseSet(escaped); err != nil || len(keys) != 1 {
		t.Errorf("ParseSet(x5c spelt with an escape) = %d keys, dropped %v, error %v; want the key kept", len(keys), dropped, err)
	}
	// The key still verifies signatures.
	keys, _, _ := jwks.ParseSet(mustJSON(t, map[string]any{"keys": []any{withX509Members(jwttest.PublicJWK(&k.p256.PublicKey, "ec", "ES256"), ecDER)}}))
	msg := []byte("signing input")
	sig, err := jwttest.SignRaw("ES256", k.p256, msg)
	if err != nil {
		t.Fatal(err)
	}
	d := sha256.Sum256(msg)
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if len(keys) != 1 || !ecdsa.Verify(keys[0].Public.(*ecdsa.PublicKey), d[:], r, s) {
		t.Error("the key kept from a JWK with x5c does not verify its signature")
	}
}

// TestParseSetDropsDuplicateMembers: a JWK that names a member twice (in any
// case) is ambiguous, since decoders disagree about which copy wins.
func TestParseSetDropsDuplicateMembers(t *testing.T) {
	k := parseTestKeys()
	good := string(mustJSON(t, jwttest.PublicJWK(&k.p256.PublicKey, "ec", "")))
	for name, jwk := range map[string]string{
		"kid twice":         `{"kid":"a",` + good[1:],
		"kid and KID":       `{"KID":"a",` + good[1:],
		"x twice":           `{"x":"AAAA",` + good[1:],
		"x5c twice escaped": `{"x5c":[],"x5\u0063":[],` + good[1:],
	} {
		t.Run(name, func(t *testing.T) {
			keys, dropped, err := jwks.ParseSet([]byte(`{"keys":[` + jwk + `]}`))
			if err != nil || len(keys) != 0 || len(dropped) != 1 {
				t.Fatalf("ParseSet(%s) = %d keys, %d dropped, error %v; want it dropped", jwk, len(keys), len(dropped), err)
			}
			t.Logf("dropped: %v", dropped[0])
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
