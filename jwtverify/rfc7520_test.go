package jwtverify

// RFC 7520 ("Examples of Protecting Content Using JOSE") §4 JWS examples in
// the compact serialization, with the public keys of §3, transcribed from
// the RFC's figures (whitespace the RFC adds for line breaks removed). The
// payload of these examples is a quotation, not a JWT claims set, so they
// run at the JWS layer (verifyJWS), not through Verifier.Verify. §4.4 (HMAC)
// is skipped: the library never accepts HMAC.

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// rfc7520RSAPublic is Figure 3 (RSA 2048-bit public key).
const rfc7520RSAPublic = `{"kty":"RSA","kid":"bilbo.baggins@hobbiton.example","use":"sig",` +
	`"n":"n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT` +
	`-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqV` +
	`wGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-` +
	`oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde` +
	`3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuC` +
	`LqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5g` +
	`HdrNP5zw",` +
	`"e":"AQAB"}`

// rfc7520ECPublic is Figure 1 (P-521 public key).
const rfc7520ECPublic = `{"kty":"EC","kid":"bilbo.baggins@hobbiton.example","use":"sig","crv":"P-521",` +
	`"x":"AHKZLLOsCOzz5cY97ewNUajB957y-C-U88c3v13nmGZx6sYl_oJXu9` +
	`A5RkTKqjqvjyekWF-7ytDyRXYgCF5cj0Kt",` +
	`"y":"AdymlHvOiLxXkEhayXQnNCvDX4h9htZaCJN34kfmC6pV5OhQHiraVy` +
	`SsUdaQkAgDPrwQrJmbnX9cwlGfP-HqHZR1"}`

// rfc7520Payload is Figure 8 (the payload content, base64url-encoded).
const rfc7520Payload = "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IH" +
	"lvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBk" +
	"b24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcm" +
	"UgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4"

// rfc7520Plaintext is Figure 7 with U+2019 for "\xe2\x80\x99".
const rfc7520Plaintext = "It\u2019s a dangerous business, Frodo, going out your " +
	"door. You step onto the road, and if you don't keep your feet, " +
	"there\u2019s no knowing where you might be swept off " +
	"to."

var rfc7520Examples = []struct {
	section, figure string
	key             string
	compact         string
}{
	{
		section: "4.1 RSA v1.5 Signature (RS256)", figure: "Figure 13", key: rfc7520RSAPublic,
		compact: "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZX" +
			"hhbXBsZSJ9" +
			"." + rfc7520Payload + "." +
			"MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmK" +
			"ZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4J" +
			"IwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8w" +
			"W1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluP" +
			"xUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_f" +
			"cIe8u9ipH84ogoree7vjbU5y18kDquDg",
	},
	{
		section: "4.2 RSA-PSS Signature (PS384)", figure: "Figure 20", key: rfc7520RSAPublic,
		compact: "eyJhbGciOiJQUzM4NCIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZX" +
			"hhbXBsZSJ9" +
			"." + rfc7520Payload + "." +
			"cu22eBqkYDKgIlTpzDXGvaFfz6WGoz7fUDcfT0kkOy42miAh2qyBzk1xEsnk2I" +
			"pN6-tPid6VrklHkqsGqDqHCdP6O8TTB5dDDItllVo6_1OLPpcbUrhiUSMxbbXU" +
			"vdvWXzg-UD8biiReQFlfz28zGWVsdiNAUf8ZnyPEgVFn442ZdNqiVJRmBqrYRX" +
			"e8P_ijQ7p8Vdz0TTrxUeT3lm8d9shnr2lfJT8ImUjvAA2Xez2Mlp8cBE5awDzT" +
			"0qI0n6uiP1aCN_2_jLAeQTlqRHtfa64QQSUmFAAjVKPbByi7xho0uTOcbH510a" +
			"6GYmJUAfmWjwZ6oD4ifKo8DYM-X72Eaw",
	},
	{
		section: "4.3 ECDSA Signature (ES512)", figure: "Figure 27", key: rfc7520ECPublic,
		compact: "eyJhbGciOiJFUzUxMiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZX" +
			"hhbXBsZSJ9" +
			"." + rfc7520Payload + "." +
			"AE_R_YZCChjn4791jSQCrdPZCNYqHXCTZH0-JZGYNlaAjP2kqaluUIIUnC9qvb" +
			"u9Plon7KRTzoNEuT4Va2cmL1eJAQy3mtPBu_u_sDDyYjnAMDxXPn7XrT0lw-kv" +
			"AD890jl8e2puQens_IEKBpHABlsbEPX6sFY8OcGDqoRuBomu9xQ2",
	},
}

func TestRFC7520Payload(t *testing.T) {
	got, err := base64.RawURLEncoding.DecodeString(rfc7520Payload)
	if err != nil || string(got) != rfc7520Plaintext {
		t.Fatalf("decode(Figure 8) = %q, %v; want Figure 7 %q", got, err, rfc7520Plaintext)
	}
}

func TestRFC7520Signatures(t *testing.T) {
	for _, ex := range rfc7520Examples {
		t.Run(ex.section, func(t *testing.T) {
			set := []byte(`{"keys":[` + ex.key + `]}`)
			if err := verifyJWS(set, ex.compact); err != nil {
				t.Fatalf("verifyJWS(RFC 7520 %s, %s) = %v, want nil", ex.section, ex.figure, err)
			}
			// The same bytes with one payload character changed, and with
			// the key restricted to another algorithm, must fail.
			i := strings.IndexByte(ex.compact, '.') + 1
			tampered := ex.compact[:i] + "T" + ex.compact[i+1:]
			if err := verifyJWS(set, tampered); !errors.Is(err, ErrSignature) {
				t.Errorf("verifyJWS(RFC 7520 %s, payload tampered) = %v, want %v", ex.section, err, ErrSignature)
			}
			other := `,"alg":"RS512"}`
			if strings.Contains(ex.key, `"EC"`) {
				other = `,"alg":"ES256"}`
			}
			restricted := []byte(`{"keys":[` + strings.TrimSuffix(ex.key, "}") + other + `]}`)
			if err := verifyJWS(restricted, ex.compact); err == nil {
				t.Errorf("verifyJWS(RFC 7520 %s, key with %s) = nil, want a rejection", ex.section, other)
			}
		})
	}
}
