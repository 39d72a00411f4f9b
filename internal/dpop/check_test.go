package dpop_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/internal/dpop"
	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

var proofAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}

// TestCheckEveryAlgorithm: a proof of each supported algorithm passes, and
// its thumbprint is the one jwttest (and so the AS) computes.
func TestCheckEveryAlgorithm(t *testing.T) {
	clk := newClock()
	c := newChecker(t, dpop.Config{Now: clk.Now})
	for _, alg := range proofAlgs {
		t.Run(alg, func(t *testing.T) {
			k := proofKey(t, alg)
			res, err := c.Check(t.Context(), sign(t, k, clk.Now(), nil, nil), request(k))
			if err != nil {
				t.Fatalf("Check(%s proof) = %v, want nil", alg, err)
			}
			if res.Thumbprint != k.Thumbprint() || res.Nonce != "" {
				t.Errorf("Check(%s proof) = %+v, want thumbprint %s and no nonce", alg, res, k.Thumbprint())
			}
		})
	}
}

// TestCheck runs every check of RFC 9449 §4.3 with real proofs: each case
// changes one thing of a valid proof or of its request.
func TestCheck(t *testing.T) {
	clk := newClock()
	now := clk.Now()
	k := proofKey(t, "ES256")
	other := proofKey(t, "ES256-other")
	withMember := func(name string, v any) map[string]any { // nil: without it
		j := k.JWK()
		j[name] = v
		if v == nil {
			delete(j, name)
		}
		return j
	}
	x := k.JWK()["x"].(string)
	for _, tt := range []struct {
		name   string
		header map[string]any
		claims map[string]any
		req    func(r *dpop.Request)
		want   error // nil: accepted
	}{
		{name: "valid"},
		{name: "typ application/dpop+jwt", header: map[string]any{"typ": "application/dpop+jwt"}},
		{name: "typ in upper case", header: map[string]any{"typ": "DPoP+JWT"}},
		{name: "typ Application/DPOP+jwt", header: map[string]any{"typ": "Application/DPOP+jwt"}},
		{name: "typ JWT", header: map[string]any{"typ": "JWT"}, want: dpop.ErrType},
		{name: "typ at+jwt", header: map[string]any{"typ": "at+jwt"}, want: dpop.ErrType},
		{name: "typ with a parameter", header: map[string]any{"typ": "dpop+jwt; v=1"}, want: dpop.ErrType},
		{name: "typ application/", header: map[string]any{"typ": "application/"}, want: dpop.ErrType},
		{name: "typ missing", header: map[string]any{"typ": nil}, want: dpop.ErrType},
		{name: "typ a number", header: map[string]any{"typ": 1}, want: dpop.ErrMalformed},
		{name: "alg none", header: map[string]any{"alg": "none"}, want: dpop.ErrAlgorithm},
		{name: "alg HS256", header: map[string]any{"alg": "HS256"}, want: dpop.ErrAlgorithm},
		{name: "alg es256", header: map[string]any{"alg": "es256"}, want: dpop.ErrAlgorithm},
		{name: "alg that does not fit the key", header: map[string]any{"alg": "ES384"}, want: dpop.ErrAlgorithm},
		{name: "alg of another key type", header: map[string]any{"alg": "RS256"}, want: dpop.ErrAlgorithm},
		{name: "alg missing", header: map[string]any{"alg": nil}, want: dpop.ErrAlgorithm},
		{name: "jwk missing", header: map[string]any{"jwk": nil}, want: dpop.ErrKey},
		{name: "jwk a string", header: map[string]any{"jwk": "eyJ..."}, want: dpop.ErrKey},
		{name: "jwk with d", header: map[string]any{"jwk": withMember("d", x)}, want: dpop.ErrKey},
		{name: "jwk with an empty d", header: map[string]any{"jwk": withMember("d", "")}, want: dpop.ErrKey},
		{name: "jwk with p", header: map[string]any{"jwk": withMember("p", x)}, want: dpop.ErrKey},
		{name: "jwk with oth", header: map[string]any{"jwk": withMember("oth", []any{})}, want: dpop.ErrKey},
		{name: "jwk with k", header: map[string]any{"jwk": withMember("k", x)}, want: dpop.ErrKey},
		{name: "jwk with D", header: map[string]any{"jwk": withMember("D", x)}, want: dpop.ErrMalformed},
		{name: "jwk kty oct", header: map[string]any{"jwk": map[string]any{"kty": "oct", "k": x}}, want: dpop.ErrKey},
		{name: "jwk kty oct without k", header: map[string]any{"jwk": withMember("kty", "oct")}, want: dpop.ErrKey},
		{name: "jwk without kty", header: map[string]any{"jwk": withMember("kty", nil)}, want: dpop.ErrKey},
		{name: "jwk kty null", header: map[string]any{"jwk": withMember("kty", json.RawMessage("null"))}, want: dpop.ErrMalformed},
		{name: "jwk without y", header: map[string]any{"jwk": withMember("y", nil)}, want: dpop.ErrKey},
		{name: "jwk kty ec", header: map[string]any{"jwk": withMember("kty", "ec")}, want: dpop.ErrKey},
		{name: "jwk crv P-384 with P-256 coordinates", header: map[string]any{"jwk": withMember("crv", "P-384")}, want: dpop.ErrKey},
		{name: "jwk crv secp256k1", header: map[string]any{"jwk": withMember("crv", "secp256k1")}, want: dpop.ErrKey},
		{name: "jwk point off the curve", header: map[string]any{"jwk": withMember("y", x)}, want: dpop.ErrKey},
		{name: "jwk x short", header: map[string]any{"jwk": withMember("x", x[:42])}, want: dpop.ErrKey},
		{name: "jwk x padded", header: map[string]any{"jwk": withMember("x", x+"=")}, want: dpop.ErrKey},
		{name: "jwk x a number", header: map[string]any{"jwk": withMember("x", 5)}, want: dpop.ErrMalformed},
		{name: "jwk use enc", header: map[string]any{"jwk": withMember("use", "enc")}, want: dpop.ErrKey},
		{name: "jwk use sig", header: map[string]any{"jwk": withMember("use", "sig")}},
		{name: "jwk alg ES256", header: map[string]any{"jwk": withMember("alg", "ES256")}},
		{name: "jwk alg other than the header's", header: map[string]any{"jwk": withMember("alg", "ES384")}, want: dpop.ErrKey},
		{name: "jwk with kid and x5c", header: map[string]any{"jwk": withMember("kid", "k1"), "kid": "k1", "x5c": []string{"MII"}}},
		{name: "jwk of another key", header: map[string]any{"jwk": other.JWK()}, want: dpop.ErrSignature},
		{name: "crit", header: map[string]any{"crit": []string{"exp"}}, want: dpop.ErrMalformed},
		{name: "b64 false", header: map[string]any{"b64": false}, want: dpop.ErrMalformed},
		{name: "TYP beside typ", header: map[string]any{"TYP": "JWT"}, want: dpop.ErrMalformed},
		{name: "jti missing", claims: map[string]any{"jti": nil}, want: dpop.ErrMissingClaim},
		{name: "htm missing", claims: map[string]any{"htm": nil}, want: dpop.ErrMissingClaim},
		{name: "htu missing", claims: map[string]any{"htu": nil}, want: dpop.ErrMissingClaim},
		{name: "iat missing", claims: map[string]any{"iat": nil}, want: dpop.ErrMissingClaim},
		{name: "ath missing", claims: map[string]any{"ath": nil}, want: dpop.ErrMissingClaim},
		{name: "jti empty", claims: map[string]any{"jti": ""}, want: dpop.ErrMalformed},
		{name: "jti of 256 bytes", claims: map[string]any{"jti": strings.Repeat("j", 256)}},
		{name: "jti of 257 bytes", claims: map[string]any{"jti": strings.Repeat("j", 257)}, want: dpop.ErrMalformed},
		{name: "jti a number", claims: map[string]any{"jti": 7}, want: dpop.ErrMalformed},
		{name: "jti null", claims: map[string]any{"jti": json.RawMessage("null")}, want: dpop.ErrMalformed},
		{name: "htm of another method", claims: map[string]any{"htm": "POST"}, want: dpop.ErrMethod},
		{name: "htm in lower case", claims: map[string]any{"htm": "get"}, want: dpop.ErrMethod},
		{name: "htm not a token", claims: map[string]any{"htm": "GE T"}, want: dpop.ErrMalformed},
		{name: "htm empty", claims: map[string]any{"htm": ""}, want: dpop.ErrMalformed},
		{name: "htm an array", claims: map[string]any{"htm": []string{"GET"}}, want: dpop.ErrMalformed},
		{name: "htu of another URL", claims: map[string]any{"htu": "https://api.example.com/admin"}, want: dpop.ErrURL},
		{name: "htu relative", claims: map[string]any{"htu": "/orders"}, want: dpop.ErrURL},
		{name: "htu with a query", claims: map[string]any{"htu": testURL + "?all=1"}},
		{name: "iat 60s ago", claims: map[string]any{"iat": now.Unix() - 60}},
		{name: "iat 60s ahead", claims: map[string]any{"iat": now.Unix() + 60}},
		{name: "iat 61s ago", claims: map[string]any{"iat": now.Unix() - 61}, want: dpop.ErrTime},
		{name: "iat 61s ahead", claims: map[string]any{"iat": now.Unix() + 61}, want: dpop.ErrTime},
		{name: "iat fractional", claims: map[string]any{"iat": float64(now.Unix()) + 0.25}},
		{name: "iat a string", claims: map[string]any{"iat": "1800000000"}, want: dpop.ErrMalformed},
		{name: "iat beyond float64", claims: map[string]any{"iat": json.Number("1e400")}, want: dpop.ErrMalformed},
		{name: "iat beyond year 9999", claims: map[string]any{"iat": 1e15}, want: dpop.ErrMalformed},
		{name: "ath of another token", claims: map[string]any{"ath": ath("another-token")}, want: dpop.ErrTokenHash},
		{name: "ath in standard base64", claims: map[string]any{"ath": strings.NewReplacer("-", "+", "_", "/").Replace(ath(testToken)) + "="}, want: dpop.ErrTokenHash},
		{name: "ath empty", claims: map[string]any{"ath": ""}, want: dpop.ErrTokenHash},
		{name: "nonce ignored when nonces are off", claims: map[string]any{"nonce": "whatever"}},
		{name: "HTU beside htu", claims: map[string]any{"HTU": "https://evil.example/"}, want: dpop.ErrMalformed},
		{name: "NONCE beside nonce", claims: map[string]any{"nonce": "a", "NONCE": "b"}, want: dpop.ErrMalformed},
		{name: "request of another method", req: func(r *dpop.Request) { r.Method = "DELETE" }, want: dpop.ErrMethod},
		{name: "request of another URL", req: func(r *dpop.Request) { r.URL = "https://api.example.com/orders/1" }, want: dpop.ErrURL},
		{name: "request with another token", req: func(r *dpop.Request) { r.AccessToken = "stolen" }, want: dpop.ErrTokenHash},
		{name: "request without a token", req: func(r *dpop.Request) { r.AccessToken = "" }, want: dpop.ErrTokenHash},
		{name: "token bound to another key", req: func(r *dpop.Request) { r.KeyThumbprint = other.Thumbprint() }, want: dpop.ErrBinding},
		{name: "token bound to no key", req: func(r *dpop.Request) { r.KeyThumbprint = "" }, want: dpop.ErrBinding},
		{name: "thumbprint one character short", req: func(r *dpop.Request) { r.KeyThumbprint = r.KeyThumbprint[:42] }, want: dpop.ErrBinding},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newChecker(t, dpop.Config{Now: clk.Now})
			req := request(k)
			if tt.req != nil {
				tt.req(&req)
			}
			_, err := c.Check(t.Context(), sign(t, k, now, tt.header, tt.claims), req)
			checkErr(t, err, tt.want)
		})
	}
}

// checkErr asserts that err is nil, or a *ProofError of category want.
func checkErr(t *testing.T, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("Check = %v, want nil", err)
		}
		return
	}
	var pe *dpop.ProofError
	if !errors.Is(err, want) || !errors.Is(err, dpop.ErrInvalidProof) || !errors.As(err, &pe) {
		t.Fatalf("Check = %v, want a *ProofError matching %v", err, want)
	}
	if errors.Is(err, dpop.ErrUseNonce) || errors.Is(err, jwtverify.ErrUnavailable) {
		t.Fatalf("Check = %v matches two categories", err)
	}
}

// TestCheckRawProofs covers what a map cannot express: duplicate members
// (which JSON decoders resolve differently) and malformed compact forms.
func TestCheckRawProofs(t *testing.T) {
	clk := newClock()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwk := mustJSON(t, jwttest.PublicJWK(key.Public(), "", ""))
	thumb := thumbprintOf(t, key.Public())
	hdr := `{"typ":"dpop+jwt","alg":"ES256","jwk":` + jwk + `}`
	claims := func(extra string) string {
		return `{"jti":"j-1","htm":"GET","htu":"` + testURL + `","iat":` + mustJSON(t, clk.Now().Unix()) + `,"ath":"` + ath(testToken) + `"` + extra + `}`
	}
	valid := rawProof(t, "ES256", key, hdr, claims(""))
	parts := strings.Split(valid, ".")
	req := dpop.Request{Method: "GET", URL: testURL, AccessToken: testToken, KeyThumbprint: thumb}
	for _, tt := range []struct {
		name  string
		proof string
		want  error
	}{
		{"valid", valid, nil},
		{"duplicate htu", rawProof(t, "ES256", key, hdr, claims(`,"htu":"https://evil.example/"`)), dpop.ErrMalformed},
		{"duplicate jti", rawProof(t, "ES256", key, hdr, claims(`,"jti":"j-2"`)), dpop.ErrMalformed},
		{"long-s duplicate of jti", rawProof(t, "ES256", key, hdr, claims(`,"\u017fti":"x"`)), nil}, // "ſti" is no jti name
		{"duplicate alg", rawProof(t, "ES256", key, `{"typ":"dpop+jwt","alg":"ES256","alg":"none","jwk":`+jwk+`}`, claims("")), dpop.ErrMalformed},
		{"duplicate jwk", rawProof(t, "ES256", key, `{"typ":"dpop+jwt","alg":"ES256","jwk":`+jwk+`,"JWK":{}}`, claims("")), dpop.ErrMalformed},
		{"duplicate member in jwk", rawProof(t, "ES256", key, `{"typ":"dpop+jwt","alg":"ES256","jwk":`+strings.TrimSuffix(jwk, "}")+`,"x":"AAAA"}}`, claims("")), dpop.ErrMalformed},
		{"claims not an object", rawProof(t, "ES256", key, hdr, `["jti"]`), dpop.ErrMalformed},
		{"header not JSON", rawProof(t, "ES256", key, `{"typ":"dpop+jwt",`, claims("")), dpop.ErrMalformed},
		{"lone surrogate", rawProof(t, "ES256", key, hdr, claims(`,"x":"\ud800"`)), dpop.ErrMalformed},
		{"two segments", parts[0] + "." + parts[1], dpop.ErrMalformed},
		{"four segments", valid + ".x", dpop.ErrMalformed},
		{"JWE", parts[0] + ".a.b.c." + parts[2], dpop.ErrMalformed},
		{"empty signature", parts[0] + "." + parts[1] + ".", dpop.ErrMalformed},
		{"padded segment", parts[0] + "=." + parts[1] + "." + parts[2], dpop.ErrMalformed},
		{"standard base64", parts[0] + "." + parts[1] + "." + parts[2][:5] + "+" + parts[2][6:], dpop.ErrMalformed},
		{"line break", parts[0][:8] + "\r\n" + parts[0][8:] + "." + parts[1] + "." + parts[2], dpop.ErrMalformed},
		{"line feed in the signature", parts[0] + "." + parts[1] + "." + parts[2][:8] + "\n" + parts[2][8:], dpop.ErrMalformed},
		{"NUL", parts[0] + "." + parts[1] + "\x00." + parts[2], dpop.ErrMalformed},
		{"white space", " " + valid, dpop.ErrMalformed},
		{"signature of another proof", parts[0] + "." + b64(claims(`,"x":1`)) + "." + parts[2], dpop.ErrSignature},
		{"truncated signature", parts[0] + "." + parts[1] + "." + parts[2][:40], dpop.ErrSignature},
		{"empty", "", dpop.ErrMalformed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newChecker(t, dpop.Config{Now: clk.Now})
			_, err := c.Check(t.Context(), tt.proof, req)
			checkErr(t, err, tt.want)
		})
	}
}

// TestCheckWeakKeys: RSA keys under 2048 bits, with an even or huge
// exponent, or in a non-minimal encoding are refused.
func TestCheckWeakKeys(t *testing.T) {
	clk := newClock()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	good, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	claims := `{"jti":"j","htm":"GET","htu":"` + testURL + `","iat":` + mustJSON(t, clk.Now().Unix()) + `,"ath":"` + ath(testToken) + `"}`
	header := func(jwk map[string]any) string {
		return `{"typ":"dpop+jwt","alg":"RS256","jwk":` + mustJSON(t, jwk) + `}`
	}
	goodJWK := func(edit func(map[string]any)) map[string]any {
		j := jwttest.PublicJWK(good.Public(), "", "")
		edit(j)
		return j
	}
	for _, tt := range []struct {
		name string
		key  *rsa.PrivateKey
		jwk  map[string]any
		want error
	}{
		{"2048 bits", good, goodJWK(func(map[string]any) {}), nil},
		{"1024 bits", small, jwttest.PublicJWK(small.Public(), "", ""), dpop.ErrKey},
		{"n with a leading zero byte", good, goodJWK(func(j map[string]any) { j["n"] = b64("\x00" + string(good.N.Bytes())) }), dpop.ErrKey},
		{"e with a leading zero byte", good, goodJWK(func(j map[string]any) { j["e"] = b64("\x00\x01\x00\x01") }), dpop.ErrKey},
		{"e even", good, goodJWK(func(j map[string]any) { j["e"] = b64("\x01\x00\x00") }), dpop.ErrKey},
		{"e of 1", good, goodJWK(func(j map[string]any) { j["e"] = b64("\x01") }), dpop.ErrKey},
		{"e of 2^32+1", good, goodJWK(func(j map[string]any) { j["e"] = b64("\x01\x00\x00\x00\x01") }), dpop.ErrKey},
		{"n of 8200 bits", good, goodJWK(func(j map[string]any) { j["n"] = b64("\x01" + strings.Repeat("\xff", 1025)) }), dpop.ErrKey},
		{"n even", good, goodJWK(func(j map[string]any) { n := good.N.Bytes(); n[len(n)-1] &^= 1; j["n"] = b64(string(n)) }), dpop.ErrKey},
		{"n missing", good, goodJWK(func(j map[string]any) { delete(j, "n") }), dpop.ErrKey},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newChecker(t, dpop.Config{Now: clk.Now})
			p := rawProof(t, "RS256", tt.key, header(tt.jwk), claims)
			thumb := "refused before the binding is checked"
			if tt.want == nil {
				thumb = thumbprintOf(t, tt.key.Public())
			}
			_, err := c.Check(t.Context(), p, dpop.Request{Method: "GET", URL: testURL, AccessToken: testToken, KeyThumbprint: thumb})
			checkErr(t, err, tt.want)
		})
	}
}

// TestCheckAlgorithmsConfigured: an alg outside Config.Algorithms is
// refused even when the key fits it.
func TestCheckAlgorithmsConfigured(t *testing.T) {
	clk := newClock()
	c := newChecker(t, dpop.Config{Now: clk.Now, Algorithms: []string{"ES256", "EdDSA"}})
	if got := c.Algorithms(); strings.Join(got, " ") != "ES256 EdDSA" {
		t.Errorf("Algorithms() = %v, want [ES256 EdDSA]", got)
	}
	for _, tt := range []struct {
		alg  string
		want error
	}{{"ES256", nil}, {"EdDSA", nil}, {"RS256", dpop.ErrAlgorithm}, {"PS256", dpop.ErrAlgorithm}, {"Ed25519", dpop.ErrAlgorithm}} {
		t.Run(tt.alg, func(t *testing.T) {
			k := proofKey(t, tt.alg)
			_, err := c.Check(t.Context(), sign(t, k, clk.Now(), nil, nil), request(k))
			checkErr(t, err, tt.want)
		})
	}
}

func TestNewConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		name  string
		cfg   dpop.Config
		field string
	}{
		{"HS256", dpop.Config{Algorithms: []string{"ES256", "HS256"}}, "Algorithms[1]"},
		{"none", dpop.Config{Algorithms: []string{"none"}}, "Algorithms[0]"},
		{"negative window", dpop.Config{ProofWindow: -time.Second}, "ProofWindow"},
		{"short secret", dpop.Config{NonceSecrets: [][]byte{make([]byte, 32), make([]byte, 31)}}, "NonceSecrets[1]"},
		{"short nonce lifetime", dpop.Config{NonceSecrets: [][]byte{make([]byte, 32)}, NonceLifetime: time.Millisecond}, "NonceLifetime"},
		{"external URL with userinfo", dpop.Config{ExternalURL: "https://user@api.example.com"}, "ExternalURL"},
		{"external URL with a query", dpop.Config{ExternalURL: "https://api.example.com/?x"}, "ExternalURL"},
		{"external URL relative", dpop.Config{ExternalURL: "api.example.com"}, "ExternalURL"},
		{"external URL ftp", dpop.Config{ExternalURL: "ftp://api.example.com"}, "ExternalURL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dpop.New(tt.cfg)
			var ce *dpop.ConfigError
			if !errors.As(err, &ce) || !errors.Is(err, jwtverify.ErrConfig) || ce.Field != tt.field {
				t.Fatalf("New = %v, want a *ConfigError for %s matching jwtverify.ErrConfig", err, tt.field)
			}
		})
	}
}

// TestCheckBoundBeforeParsing: a proof over MaxProofBytes (a jti of a
// megabyte) is refused before any decoding: the check allocates almost
// nothing, where decoding would allocate the megabyte.
func TestCheckBoundBeforeParsing(t *testing.T) {
	clk := newClock()
	k := proofKey(t, "ES256")
	c := newChecker(t, dpop.Config{Now: clk.Now})
	huge := sign(t, k, clk.Now(), nil, map[string]any{"jti": strings.Repeat("j", 1<<20)})
	base := len(sign(t, k, clk.Now(), nil, map[string]any{"jti": "j"}))
	var edge string
	for n := (dpop.MaxProofBytes-base)*3/4 - 8; ; n-- {
		edge = sign(t, k, clk.Now(), nil, map[string]any{"jti": "j", "pad": strings.Repeat("p", n)})
		if len(edge) <= dpop.MaxProofBytes {
			break
		}
	}
	if len(edge) < dpop.MaxProofBytes-3 {
		t.Fatalf("edge proof is %d bytes, want just under %d", len(edge), dpop.MaxProofBytes)
	}
	if _, err := c.Check(t.Context(), edge, request(k)); err != nil {
		t.Fatalf("Check(proof of %d bytes) = %v, want nil", len(edge), err)
	}
	if _, err := c.Check(t.Context(), edge+"A", request(k)); !errors.Is(err, dpop.ErrMalformed) {
		t.Fatalf("Check(proof of %d bytes) = %v, want ErrMalformed", len(edge)+1, err)
	}
	var before, after runtimeMem
	before.read()
	_, err := c.Check(t.Context(), huge, request(k))
	after.read()
	checkErr(t, err, dpop.ErrMalformed)
	if n := after.total - before.total; n > 16<<10 {
		t.Errorf("Check(proof of %d bytes) allocated %d bytes, want the bound checked before decoding", len(huge), n)
	}
}

// TestHeaderProof: exactly one DPoP header field, within the bound.
func TestHeaderProof(t *testing.T) {
	for _, tt := range []struct {
		name   string
		values []string
		ok     bool
		want   error
	}{
		{"none", nil, false, nil},
		{"one", []string{"a.b.c"}, true, nil},
		{"two", []string{"a.b.c", "d.e.f"}, false, dpop.ErrMalformed},
		{"two, one empty", []string{"a.b.c", ""}, false, dpop.ErrMalformed},
		{"empty", []string{""}, false, dpop.ErrMalformed},
		{"at the bound", []string{strings.Repeat("a", dpop.MaxProofBytes)}, true, nil},
		{"over the bound", []string{strings.Repeat("a", dpop.MaxProofBytes+1)}, false, dpop.ErrMalformed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := httpHeader("DPoP", tt.values)
			proof, ok, err := dpop.HeaderProof(h)
			if ok != tt.ok || (ok && proof != tt.values[0]) {
				t.Errorf("HeaderProof = %q, %v, want ok %v", proof, ok, tt.ok)
			}
			checkErr(t, err, tt.want)
		})
	}
}
