package jwtverify_test

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

// sha256B64 is the unpadded base64url SHA-256 digest of s: the shape of
// cnf.jkt and cnf.x5t#S256.
func sha256B64(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

var (
	jkt = sha256B64("key")
	x5t = sha256B64("certificate")
)

// confirmationShapes are cnf claims as servers issue them (RFC 9449 §6.1,
// RFC 8705 §3.1, RFC 7800 §3), with the Confirmation each must give.
var confirmationShapes = []struct {
	name string
	cnf  string // the cnf member of a claims object; empty: none
	want jwtverify.Confirmation
}{
	{"no cnf", ``, jwtverify.Confirmation{}},
	{"DPoP jkt", `"cnf":{"jkt":"` + jkt + `"}`, jwtverify.Confirmation{KeyThumbprint: jkt}},
	{"mTLS x5t#S256", `"cnf":{"x5t#S256":"` + x5t + `"}`, jwtverify.Confirmation{CertificateThumbprint: x5t}},
	{"both", `"cnf":{"x5t#S256":"` + x5t + `","jkt":"` + jkt + `"}`, jwtverify.Confirmation{KeyThumbprint: jkt, CertificateThumbprint: x5t}},
	{"escaped member name", `"cnf":{"\u006akt":"` + jkt + `"}`, jwtverify.Confirmation{KeyThumbprint: jkt}},
	{"empty object", `"cnf":{}`, jwtverify.Confirmation{}},
	{"RFC 7800 jwk", `"cnf":{"jwk":{"kty":"EC","crv":"P-256","x":"a","y":"b"}}`, jwtverify.Confirmation{Unsupported: true}},
	{"RFC 7800 kid", `"cnf":{"kid":"dfd1aa97-6d8d-4575-a0fe-34b96de2bfad"}`, jwtverify.Confirmation{Unsupported: true}},
	{"RFC 7800 jku", `"cnf":{"jku":"https://client.example/keys","kid":"k"}`, jwtverify.Confirmation{Unsupported: true}},
	{"RFC 7800 jwe", `"cnf":{"jwe":"a.b.c.d.e"}`, jwtverify.Confirmation{Unsupported: true}},
	{"unknown method", `"cnf":{"osc":{"id":"AQ"}}`, jwtverify.Confirmation{Unsupported: true}},
	{"jkt beside jwk", `"cnf":{"jkt":"` + jkt + `","jwk":{}}`, jwtverify.Confirmation{KeyThumbprint: jkt, Unsupported: true}},
}

func TestConfirmation(t *testing.T) {
	for _, tt := range confirmationShapes {
		t.Run("JWT payload/"+tt.name, func(t *testing.T) {
			data := `{"iss":"https://issuer.example","sub":"alice"`
			if tt.cnf != "" {
				data += "," + tt.cnf
			}
			c, err := jwtverify.ParseClaims([]byte(data + `}`))
			if err != nil {
				t.Fatalf("ParseClaims({%s}) = %v, want nil", tt.cnf, err)
			}
			if c.Confirmation != tt.want {
				t.Errorf("ParseClaims({%s}).Confirmation = %+v, want %+v", tt.cnf, c.Confirmation, tt.want)
			}
		})
		// RFC 7662 §2.2 answers carry cnf at the top, as a JWT does.
		t.Run("introspection answer/"+tt.name, func(t *testing.T) {
			data := `{"active":true,"client_id":"c1","token_type":"DPoP","exp":1800003600`
			if tt.cnf != "" {
				data += "," + tt.cnf
			}
			c, err := jwtverify.ParseClaims([]byte(data + `}`))
			if err != nil {
				t.Fatalf("ParseClaims({%s}) = %v, want nil", tt.cnf, err)
			}
			if c.Confirmation != tt.want {
				t.Errorf("ParseClaims({%s}).Confirmation = %+v, want %+v", tt.cnf, c.Confirmation, tt.want)
			}
		})
	}
}

func TestConfirmationMalformed(t *testing.T) {
	trailing := jkt[:42] + string(jkt[42]+1) // low bits beyond the 32 bytes set
	if jkt[42] == '_' {
		t.Fatal("pick another digest for the trailing-bits case")
	}
	for _, tt := range []struct{ name, claims string }{
		{"cnf a string", `"cnf":"` + jkt + `"`},
		{"cnf null", `"cnf":null`},
		{"cnf an array", `"cnf":[{"jkt":"` + jkt + `"}]`},
		{"cnf a number", `"cnf":1`},
		{"jkt a number", `"cnf":{"jkt":1}`},
		{"jkt null", `"cnf":{"jkt":null}`},
		{"jkt an object", `"cnf":{"jkt":{"kty":"EC"}}`},
		{"jkt empty", `"cnf":{"jkt":""}`},
		{"jkt one character short", `"cnf":{"jkt":"` + jkt[:42] + `"}`},
		{"jkt of 33 bytes", `"cnf":{"jkt":"` + jkt + `AA"}`},
		{"jkt padded", `"cnf":{"jkt":"` + jkt + `="}`},
		{"jkt in standard base64", `"cnf":{"jkt":"` + base64.RawStdEncoding.EncodeToString(make([]byte, 31)) + `+/8"}`},
		{"jkt with non-zero trailing bits", `"cnf":{"jkt":"` + trailing + `"}`},
		{"jkt in hex", `"cnf":{"jkt":"` + "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90" + `"}`},
		{"x5t#S256 a number", `"cnf":{"x5t#S256":5}`},
		{"x5t#S256 short", `"cnf":{"x5t#S256":"` + x5t[:20] + `"}`},
		{"JKT beside jkt", `"cnf":{"jkt":"` + jkt + `","JKT":"` + x5t + `"}`},
		{"JKT alone", `"cnf":{"JKT":"` + jkt + `"}`},
		{"x5t#s256 alone", `"cnf":{"x5t#s256":"` + x5t + `"}`},
		{"duplicate jkt", `"cnf":{"jkt":"` + jkt + `","jkt":"` + x5t + `"}`},
		{"CNF alone", `"CNF":{"jkt":"` + jkt + `"}`},
		{"cnf and Cnf", `"cnf":{"jkt":"` + jkt + `"},"Cnf":{}`},
		{"lone surrogate in an unknown method", `"cnf":{"jkt":"` + jkt + `","osc":"\ud800"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jwtverify.ParseClaims([]byte(`{"sub":"alice",` + tt.claims + `}`))
			var me *jwtverify.MalformedError
			if !errors.As(err, &me) || !errors.Is(err, jwtverify.ErrMalformed) {
				t.Fatalf("ParseClaims({%s}) = %v, want a *MalformedError", tt.claims, err)
			}
		})
	}
}

// TestVerifyConfirmation runs cnf through Verify with real signed tokens:
// the binding is read (not enforced), and a malformed one refuses the token.
func TestVerifyConfirmation(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}, Now: clock})
	v := newVerifier(t, jwtverify.Config{Issuer: iss.URL, Audiences: []string{"api"}, Now: clock})
	key, err := jwttest.NewProofKey("ES256")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		cnf  any
		want jwtverify.Confirmation
	}{
		{"bearer", nil, jwtverify.Confirmation{}},
		{"DPoP-bound", map[string]any{"jkt": key.Thumbprint()}, jwtverify.Confirmation{KeyThumbprint: key.Thumbprint()}},
		{"certificate-bound", map[string]any{"x5t#S256": x5t}, jwtverify.Confirmation{CertificateThumbprint: x5t}},
		{"bound to a jwk", map[string]any{"jwk": key.JWK()}, jwtverify.Confirmation{Unsupported: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			claims := map[string]any{"aud": "api"}
			if tt.cnf != nil {
				claims["cnf"] = tt.cnf
			}
			c, err := v.Verify(t.Context(), iss.Mint(t, claims))
			if err != nil {
				t.Fatalf("Verify = %v, want nil", err)
			}
			if c.Confirmation != tt.want {
				t.Errorf("Verify(cnf %v).Confirmation = %+v, want %+v", tt.cnf, c.Confirmation, tt.want)
			}
		})
	}
	for _, cnf := range []any{"jkt", map[string]any{"jkt": "short"}, map[string]any{"jkt": jkt, "JKT": jkt}} {
		_, err := v.Verify(t.Context(), iss.Mint(t, map[string]any{"aud": "api", "cnf": cnf}))
		if !errors.Is(err, jwtverify.ErrMalformed) {
			t.Errorf("Verify(cnf %v) = %v, want ErrMalformed", cnf, err)
		}
	}
}
