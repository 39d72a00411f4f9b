package jwtverify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/internal/jose"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

// fzSeedTokens are well-formed and near-well-formed inputs shared by the
// fuzz targets (the valid tokens of FuzzVerify are added there).
var fzSeedTokens = []string{
	"",
	"..",
	"a.b.c",
	"e30.e30.AA",
	"eyJhbGciOiJub25lIn0.e30.",
	"eyJhbGciOiJub25lIn0.e30.AA",
	"eyJhbGciOiJSUzI1NiJ9.e30.AAAA",
	"eyJhbGciOiJSUzI1NiJ9.e30.AAAA.AAAA.AAAA",
	"eyJhbGciOiJSUzI1NiJ9.e30=.AAAA",
	"eyJhbGciOiJSUzI1NiJ9.e30.AA+/",
	"eyJhbGciOiJSUzI1NiJ9.e3\r\n0.AAAA",
	`{"payload":"e30","protected":"eyJhbGciOiJSUzI1NiJ9","signature":"AAAA"}`,
}

// fzB64 encodes for seeds.
func fzB64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func init() {
	for _, h := range []string{
		`{"alg":"RS256","kid":"k","typ":"at+jwt"}`,
		`{"alg":"RS256","alg":"none"}`,
		`{"alg":"RS256","\u0061lg":"none"}`,
		`{"alg":"RS256","Alg":"none"}`,
		`{"alg":"RS256","crit":["exp"]}`,
		`{"alg":"RS256","b64":false}`,
		`{"alg":"RS256","cty":"JWT"}`,
		`{"alg":"RSA-OAEP","enc":"A256GCM"}`,
		`{"alg":["RS256"]}`,
		`{"alg":"RS256","kid":"\ud800"}`,
		"{\"alg\":\"RS256\",\"kid\":\"\xff\"}",
		`{"alg":"RS256","jku":"http://127.0.0.1/jwks","x5u":"http://127.0.0.1/c","jwk":{"kty":"RSA"},"x5c":["AA"]}`,
	} {
		fzSeedTokens = append(fzSeedTokens, fzB64(h)+"."+fzB64(`{"iss":"i","exp":1}`)+".AAAA")
	}
	for _, c := range []string{
		`{"iss":"i","aud":"a","exp":1800003600}`,
		`{"iss":"i","aud":["a","b"],"exp":1.5e9,"nbf":0,"iat":0}`,
		`{"iss":"i","aud":{"a":1},"exp":"1"}`,
		`{"iss":"i","aud":"a","AUD":"b"}`,
		`{"exp":1e300}`,
		`{"scope":"a b","scp":["c"]}`,
		`[]`,
		`foo`,
	} {
		fzSeedTokens = append(fzSeedTokens, fzB64(`{"alg":"ES256","kid":"k"}`)+"."+fzB64(c)+"."+fzB64(strings.Repeat("\x00", 64)))
	}
}

// FuzzParseCompact checks the gate: it never panics, refuses only with
// *MalformedError, and whatever it accepts is exactly three strict base64url
// segments that re-encode to the input, with a JSON object header that has an
// alg and a JSON object payload.
func FuzzParseCompact(f *testing.F) {
	for _, s := range fzSeedTokens {
		f.Add(s)
	}
	iss := jwttest.Start(f, jwttest.Options{Algorithms: []string{"RS256", "ES256", "EdDSA"}})
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		tok, err := iss.Sign(jwttest.Token{Alg: alg, Claims: map[string]any{"aud": "api"}})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
	}
	f.Fuzz(func(t *testing.T, token string) {
		h, c, sig, input, err := parseCompact(token)
		if err != nil {
			var me *MalformedError
			if !errors.As(err, &me) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("parseCompact(%q) = %v (%T), want a *MalformedError", token, err, err)
			}
			return
		}
		parts := strings.Split(token, ".")
		if len(parts) != 3 {
			t.Fatalf("parseCompact(%q) accepted %d segments", token, len(parts))
		}
		enc := base64.RawURLEncoding
		hdr, err1 := enc.Strict().DecodeString(parts[0])
		payload, err2 := enc.Strict().DecodeString(parts[1])
		if err1 != nil || err2 != nil {
			t.Fatalf("parseCompact(%q) accepted segments that do not decode: %v, %v", token, err1, err2)
		}
		if re := enc.EncodeToString(hdr) + "." + enc.EncodeToString(payload) + "." + enc.EncodeToString(sig); re != token {
			t.Fatalf("parseCompact(%q) accepted a token that re-encodes to %q", token, re)
		}
		if string(input) != parts[0]+"."+parts[1] {
			t.Fatalf("parseCompact(%q) signing input = %q, want %q", token, input, parts[0]+"."+parts[1])
		}
		if h.alg == nil {
			t.Fatalf("parseCompact(%q) accepted a header without alg", token)
		}
		if err := jose.ScanObject(hdr, 32, func(_, _ []byte) error { return nil }); err != nil || !json.Valid(hdr) {
			t.Fatalf("parseCompact(%q) accepted header %q: %v", token, hdr, err)
		}
		if string(c.raw) != string(payload) || !json.Valid(payload) || strings.TrimSpace(string(payload))[0] != '{' {
			t.Fatalf("parseCompact(%q) accepted payload %q (claims hold %q)", token, payload, c.raw)
		}
	})
}

const fzIssuer = "https://issuer.fuzz.example"

var fzNow = time.Unix(1_800_000_000, 0)

// fzKeys are deterministic, so that every fuzz worker process (each runs
// this setup again) publishes the same keys and re-creates the same seed
// tokens byte for byte; the jwttest issuer's keys are random per process.
func fzKeys(tb testing.TB) (*rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey) {
	tb.Helper()
	rng := rand.New(rand.NewChaCha8([32]byte([]byte("tokenguard fuzz key derivation!!"))))
	prime := func() *big.Int {
		b := make([]byte, 128)
		for {
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			b[0] |= 0xc0
			b[127] |= 1
			if p := new(big.Int).SetBytes(b); p.ProbablyPrime(20) {
				return p
			}
		}
	}
	var rk *rsa.PrivateKey
	for rk == nil {
		p, q := prime(), prime()
		one := big.NewInt(1)
		phi := new(big.Int).Mul(new(big.Int).Sub(p, one), new(big.Int).Sub(q, one))
		d := new(big.Int).ModInverse(big.NewInt(65537), phi)
		if d == nil {
			continue
		}
		k := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: new(big.Int).Mul(p, q), E: 65537}, D: d, Primes: []*big.Int{p, q}}
		k.Precompute()
		if k.Validate() == nil {
			rk = k
		}
	}
	scalar := sha256.Sum256([]byte("tokenguard fuzz P-256 key"))
	ek, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), scalar[:])
	if err != nil {
		tb.Fatal(err)
	}
	seed := sha256.Sum256([]byte("tokenguard fuzz Ed25519 key"))
	return rk, ek, ed25519.NewKeyFromSeed(seed[:])
}

// fzSign signs deterministically: PKCS #1 v1.5 and Ed25519 are, and ECDSA
// uses RFC 6979 nonces.
func fzSign(tb testing.TB, alg string, key crypto.Signer, header, claims string) string {
	tb.Helper()
	input := fzB64(header) + "." + fzB64(claims)
	var sig []byte
	var err error
	if ek, ok := key.(*ecdsa.PrivateKey); ok {
		digest := sha256.Sum256([]byte(input))
		var der []byte
		if der, err = ek.Sign(nil, digest[:], crypto.SHA256); err == nil {
			var rs struct{ R, S *big.Int }
			if _, err = asn1.Unmarshal(der, &rs); err == nil {
				sig = make([]byte, 64)
				rs.R.FillBytes(sig[:32])
				rs.S.FillBytes(sig[32:])
			}
		}
	} else {
		sig, err = jwttest.SignRaw(alg, key, []byte(input))
	}
	if err != nil {
		tb.Fatalf("fzSign(%s): %v", alg, err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// FuzzVerify runs the whole Verify against a fixed key set served over
// loopback: it must never panic, every error must be categorised and
// bounded, and the only tokens it may accept are the valid seeds — no
// mutation of them is ever a valid token.
func FuzzVerify(f *testing.F) {
	rk, ek, edk := fzKeys(f)
	set, err := json.Marshal(map[string]any{"keys": []any{
		jwttest.PublicJWK(&rk.PublicKey, "fz-rsa", ""),
		jwttest.PublicJWK(&ek.PublicKey, "fz-ec", "ES256"),
		jwttest.PublicJWK(edk.Public(), "fz-ed", "EdDSA"),
	}})
	if err != nil {
		f.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(set)
	}))
	f.Cleanup(srv.Close)
	v, err := New(f.Context(), Config{
		Issuer: fzIssuer, JWKSURL: srv.URL, Audiences: []string{"https://api.fuzz.example"},
		Now: func() time.Time { return fzNow }, CacheSize: -1,
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(v.Close)

	claims := `{"iss":"https://issuer.fuzz.example","aud":["https://api.fuzz.example","other"],"sub":"alice","client_id":"c","scope":"read write","exp":1800003600,"nbf":1799999000,"iat":1799999990,"jti":"j"}`
	valid := map[string]bool{
		fzSign(f, "RS256", rk, `{"alg":"RS256","kid":"fz-rsa","typ":"at+jwt"}`, claims):                                                                     true,
		fzSign(f, "PS256", rk, `{"alg":"PS256","kid":"fz-rsa","typ":"at+jwt"}`, claims):                                                                     false, // PSS is randomised: valid here, not a stable seed
		fzSign(f, "RS256", rk, `{"alg":"RS256"}`, claims):                                                                                                   true,
		fzSign(f, "ES256", ek, `{"alg":"ES256","kid":"fz-ec","typ":"JWT"}`, claims):                                                                         true,
		fzSign(f, "EdDSA", edk, `{"alg":"EdDSA","kid":"fz-ed"}`, `{"iss":"https://issuer.fuzz.example","aud":"https://api.fuzz.example","exp":1800000001}`): true,
	}
	for tok, stable := range valid {
		if _, err := v.Verify(f.Context(), tok); err != nil {
			f.Fatalf("Verify(valid seed %.60q...) = %v, want nil", tok, err)
		}
		if !stable {
			delete(valid, tok)
			continue
		}
		f.Add(tok)
		// Near-valid seeds: the same tokens with one thing wrong.
		h, p, s := fzSplit(tok)
		f.Add(h + "." + p + "." + s[:len(s)-2])
		f.Add(h + "." + p + "." + s + "=")
		f.Add(h + "." + p + "." + s + ".")
		f.Add(fzB64(`{"alg":"none"}`) + "." + p + "." + s)
		f.Add(fzB64(`{"alg":"HS256","kid":"fz-rsa"}`) + "." + p + "." + s)
	}
	for _, bad := range []string{
		`{"iss":"https://issuer.fuzz.example","aud":"https://api.fuzz.example","exp":1799990000}`,
		`{"iss":"https://issuer.fuzz.example","aud":"https://other.example","exp":1800003600}`,
		`{"iss":"https://issuer.fuzz.example","aud":"https://api.fuzz.example","exp":1800003600,"nbf":1800009999}`,
		`{"iss":"https://issuer.fuzz.example","aud":"https://api.fuzz.example"}`,
		`{"iss":"https://other.example","aud":"https://api.fuzz.example","exp":1800003600}`,
	} {
		f.Add(fzSign(f, "EdDSA", edk, `{"alg":"EdDSA","kid":"fz-ed"}`, bad))
	}
	f.Add(fzSign(f, "EdDSA", edk, `{"alg":"EdDSA","kid":"fz-ed","typ":"dpop+jwt"}`, claims))
	f.Add(fzSign(f, "EdDSA", edk, `{"alg":"EdDSA","kid":"fz-ed","crit":["x"]}`, claims))
	f.Add(fzSign(f, "ES256", ek, `{"alg":"ES256","kid":"fz-ed"}`, claims))
	for _, s := range fzSeedTokens {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, token string) {
		c, err := v.Verify(t.Context(), token)
		if err == nil {
			if !valid[token] {
				t.Fatalf("Verify accepted %q, which is not one of the valid seed tokens", token)
			}
			if c == nil || c.Issuer != fzIssuer {
				t.Fatalf("Verify(valid seed) = %+v, want claims of %s", c, fzIssuer)
			}
			return
		}
		if !errors.Is(err, ErrInvalidToken) && !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Verify(%q) = %v, want an error matching ErrInvalidToken or ErrUnavailable", token, err)
		}
		if errors.Is(err, ErrInvalidToken) && errors.Is(err, ErrUnavailable) {
			t.Fatalf("Verify(%q) = %v, which matches both categories", token, err)
		}
		if n := len(err.Error()); n > 512 {
			t.Fatalf("Verify(%q) error text is %d bytes, want it bounded", token, n)
		}
	})
}

func fzSplit(token string) (h, p, s string) {
	h, rest, _ := strings.Cut(token, ".")
	p, s, _ = strings.Cut(rest, ".")
	return h, p, s
}

// FuzzParseClaims compares Claims.parse with encoding/json, which
// Claims.Decode uses: whatever ParseClaims accepts, encoding/json must decode
// (into an any, and into a struct of the registered claims, matching names its
// own case-insensitive way), and every typed claim must equal what
// encoding/json reads. Refusals must be *MalformedError.
func FuzzParseClaims(f *testing.F) {
	for _, s := range []string{
		`{}`,
		`{"iss":"https://issuer.example","sub":"alice","aud":["api","other"],"exp":1800003600,"nbf":1799999000.5,"iat":1.8e9,"jti":"j","client_id":"c","username":"al","token_type":"Bearer","scope":"a  b"}`,
		`{"aud":"api","scope":["api1","api2"]}`, `{"scope":"read write","scp":["read","write"]}`,
		`{"scp":"User.Read Mail.Send"}`, `{"scp":["openid","email"]}`, `{"scope":"read","scp":["admin"]}`,
		`{"scp":["admin"],"scope":"read"}`, `{"scope":"","scp":["admin"]}`,
		`{"sub":"alice","ſub":"admin"}`, `{"ſub":"admin"}`, `{"ISS":"x"}`, `{"to\u212aen_type":"x"}`,
		`{"active":true,"0":1e700}`, `{"x":{"y":[-1e400]}}`, `{"name":"\ud800"}`, `{"sub":"\ud83d\ude00"}`,
		`{"realm_access":{"roles":["user"],"ROLES":["admin"]}}`, `{"exp":1e300}`, `{"exp":-62135596800}`,
		`{"aud":[]}`, `{"aud":null}`, `{"iss":"a\u0000b"}`, `{"iss":"\u00e9\/"}`,
		`{"cnf":{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}}`,
		`{"cnf":{"x5t#S256":"bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2","jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}}`,
		`{"cnf":{"jwk":{"kty":"EC"}}}`, `{"cnf":{"JKT":"x"}}`, `{"cnf":"x"}`, `{"cnf":{}}`,
		`{"acr":"urn:mace:incommon:iap:silver","auth_time":1799999700}`, `{"acr":"1","auth_time":1.5e9}`,
		`{"acr":2}`, `{"auth_time":"1"}`, `{"ACR":"x"}`, `{"auth_time":1,"AUTH_TIME":2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseClaims(data)
		if err != nil {
			var me *MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("ParseClaims(%q) = %v (%T), want a *MalformedError", data, err, err)
			}
			return
		}
		var anyv any
		if err := json.Unmarshal(data, &anyv); err != nil {
			t.Fatalf("ParseClaims(%q) accepted what encoding/json refuses: %v", data, err)
		}
		var ref struct {
			Iss       *string  `json:"iss"`
			Sub       *string  `json:"sub"`
			Jti       *string  `json:"jti"`
			ClientID  *string  `json:"client_id"`
			Username  *string  `json:"username"`
			TokenType *string  `json:"token_type"`
			Aud       any      `json:"aud"`
			Exp       *float64 `json:"exp"`
			Nbf       *float64 `json:"nbf"`
			Iat       *float64 `json:"iat"`
			Acr       *string  `json:"acr"`
			AuthTime  *float64 `json:"auth_time"`
			Scope     any      `json:"scope"`
			Scp       any      `json:"scp"`
			Cnf       *struct {
				Jkt *string `json:"jkt"`
				X5t *string `json:"x5t#S256"`
			} `json:"cnf"`
		}
		if err := c.Decode(&ref); err != nil {
			t.Fatalf("ParseClaims(%q) accepted claims that encoding/json cannot type: %v", data, err)
		}
		deref := func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		}
		for _, s := range []struct {
			claim    string
			got, ref string
		}{
			{"iss", c.Issuer, deref(ref.Iss)}, {"sub", c.Subject, deref(ref.Sub)}, {"jti", c.ID, deref(ref.Jti)},
			{"client_id", c.ClientID, deref(ref.ClientID)}, {"username", c.Username, deref(ref.Username)},
			{"token_type", c.TokenType, deref(ref.TokenType)}, {"acr", c.ACR, deref(ref.Acr)},
		} {
			if s.got != s.ref {
				t.Fatalf("ParseClaims(%q) %s = %q, encoding/json reads %q", data, s.claim, s.got, s.ref)
			}
		}
		for _, d := range []struct {
			claim string
			got   time.Time
			ref   *float64
		}{{"exp", c.Expiry, ref.Exp}, {"nbf", c.NotBefore, ref.Nbf}, {"iat", c.IssuedAt, ref.Iat}, {"auth_time", c.AuthTime, ref.AuthTime}} {
			want := time.Time{}
			if d.ref != nil {
				sec, frac := math.Modf(*d.ref)
				want = time.Unix(int64(sec), int64(frac*1e9))
			}
			if !d.got.Equal(want) {
				t.Fatalf("ParseClaims(%q) %s = %v, encoding/json reads %v (%v)", data, d.claim, d.got, d.ref, want)
			}
		}
		var cnf Confirmation
		if ref.Cnf != nil {
			cnf.KeyThumbprint, cnf.CertificateThumbprint = deref(ref.Cnf.Jkt), deref(ref.Cnf.X5t)
			if m, ok := anyv.(map[string]any)["cnf"].(map[string]any); ok {
				for name := range m {
					cnf.Unsupported = cnf.Unsupported || (name != "jkt" && name != "x5t#S256")
				}
			}
		}
		if c.Confirmation != cnf {
			t.Fatalf("ParseClaims(%q) cnf = %+v, encoding/json reads %+v", data, c.Confirmation, cnf)
		}
		if want := fzStrings(ref.Aud, false); !slices.Equal(c.Audience, want) {
			t.Fatalf("ParseClaims(%q) aud = %q, encoding/json reads %q", data, c.Audience, want)
		}
		want := fzStrings(ref.Scp, true)
		if _, present := anyv.(map[string]any)["scope"]; present {
			want = fzStrings(ref.Scope, true)
		}
		if !slices.Equal(c.Scopes, want) {
			t.Fatalf("ParseClaims(%q) scopes = %q, encoding/json reads %q (scope %#v, scp %#v)", data, c.Scopes, want, ref.Scope, ref.Scp)
		}
	})
}

// fzStrings turns a decoded string or array of strings into a list; a string
// is split at spaces when split is set.
func fzStrings(v any, split bool) []string {
	switch v := v.(type) {
	case string:
		if split {
			return strings.Fields(v)
		}
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, e.(string))
		}
		return out
	}
	return nil
}
