package dpop_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/internal/dpop"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

// checkRequest runs a request through what the middleware will call: the
// one DPoP header, the request's URL, then the proof for the token bound to
// jkt.
func checkRequest(t *testing.T, c *dpop.Checker, r *http.Request, token, jkt string) error {
	t.Helper()
	proof, ok, err := dpop.HeaderProof(r.Header)
	if err != nil {
		return err
	}
	if !ok {
		t.Fatal("no DPoP header")
	}
	url, err := c.RequestURL(r)
	if err != nil {
		return err
	}
	_, err = c.Check(t.Context(), proof, dpop.Request{Method: r.Method, URL: url, AccessToken: token, KeyThumbprint: jkt})
	return err
}

// TestAttacks plays the attacks of RFC 9449 §11 (and a few of RFC 8725)
// through real requests: each must fail with its category, each control
// must pass.
func TestAttacks(t *testing.T) {
	clk := newClock()
	now := clk.Now()
	k := proofKey(t, "ES256")
	other := proofKey(t, "ES256-other")
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rawJWK := mustJSON(t, jwttest.PublicJWK(priv.Public(), "", ""))
	rawThumb := thumbprintOf(t, priv.Public())
	rawClaims := `{"jti":"raw-1","htm":"GET","htu":"https://api.example.com/orders","iat":` + mustJSON(t, now.Unix()) + `,"ath":"` + ath(testToken) + `"`

	type attack struct {
		name   string
		target string            // the request's URL; default https://api.example.com/orders
		method string            // default GET
		proofs func() []string   // the DPoP header fields; default one valid proof
		cfg    dpop.Config       // Now is set
		jkt    string            // the token's cnf.jkt; default k's
		header map[string]string // more request headers
		replay bool              // send the request twice, judge the second
		want   error             // nil: accepted
	}
	valid := func(claims map[string]any) func() []string {
		return func() []string { return []string{sign(t, k, now, nil, claims)} }
	}
	withHeader := func(header map[string]any) func() []string {
		return func() []string { return []string{sign(t, k, now, header, nil)} }
	}
	htu := func(u string) func() []string { return valid(map[string]any{"htu": u}) }
	jwkWith := func(name string, v any) map[string]any {
		j := k.JWK()
		j[name] = v
		return j
	}
	for _, tt := range []attack{
		{name: "control: a valid proof"},
		// §11.1 replay.
		{name: "replay: the same proof twice", replay: true, want: dpop.ErrReplay},
		{name: "replay: the same proof twice, nonces on", replay: true, cfg: dpop.Config{NonceSecrets: [][]byte{secretA}},
			proofs: func() []string {
				n := newChecker(t, dpop.Config{NonceSecrets: [][]byte{secretA}, Now: clk.Now}).Nonce()
				return []string{sign(t, k, now, nil, map[string]any{"nonce": n})}
			}, want: dpop.ErrReplay},
		{name: "replay: a proof for another URL", target: "https://api.example.com/admin", want: dpop.ErrURL},
		{name: "replay: a proof for another method", method: "DELETE", want: dpop.ErrMethod},
		{name: "replay: a proof for another token", proofs: valid(map[string]any{"ath": ath("the-client's-other-token")}), want: dpop.ErrTokenHash},
		// §11.2 pre-generation.
		{name: "pre-generation: iat an hour ahead", proofs: valid(map[string]any{"iat": now.Add(time.Hour).Unix()}), want: dpop.ErrTime},
		{name: "pre-generation: iat far ahead", proofs: valid(map[string]any{"iat": 253402300799}), want: dpop.ErrTime},
		{name: "pre-generation: iat an hour old", proofs: valid(map[string]any{"iat": now.Add(-time.Hour).Unix()}), want: dpop.ErrTime},
		{name: "pre-generation: no nonce", cfg: dpop.Config{NonceSecrets: [][]byte{secretA}}, want: dpop.ErrUseNonce},
		{name: "pre-generation: a guessed nonce", cfg: dpop.Config{NonceSecrets: [][]byte{secretA}},
			proofs: valid(map[string]any{"nonce": "AAAAAAAAAAAAAAAAAAAAAA"}), want: dpop.ErrUseNonce},
		// §11.7 (and RFC 9110) htu confusion.
		{name: "htu: another host", proofs: htu("https://evil.example/orders"), want: dpop.ErrURL},
		{name: "htu: a subdomain", proofs: htu("https://api.example.com.evil.example/orders"), want: dpop.ErrURL},
		{name: "htu: host with a trailing dot", proofs: htu("https://api.example.com./orders"), want: dpop.ErrURL},
		{name: "htu: another scheme", proofs: htu("http://api.example.com/orders"), want: dpop.ErrURL},
		{name: "htu: another port", proofs: htu("https://api.example.com:8443/orders"), want: dpop.ErrURL},
		{name: "htu: userinfo", proofs: htu("https://api.example.com@evil.example/orders"), want: dpop.ErrURL},
		{name: "htu: userinfo naming the host", proofs: htu("https://user@api.example.com/orders"), want: dpop.ErrURL},
		{name: "htu: dot segments to another path", proofs: htu("https://api.example.com/orders/../admin"), want: dpop.ErrURL},
		{name: "htu: encoded dot segments to another path", proofs: htu("https://api.example.com/orders/%2e%2e/admin"), want: dpop.ErrURL},
		{name: "htu: encoded slash", proofs: htu("https://api.example.com%2Forders"), want: dpop.ErrURL},
		{name: "htu: path in another case", proofs: htu("https://api.example.com/ORDERS"), want: dpop.ErrURL},
		{name: "htu: trailing slash", proofs: htu("https://api.example.com/orders/"), want: dpop.ErrURL},
		{name: "htu: path parameter", proofs: htu("https://api.example.com/orders;x=1"), want: dpop.ErrURL},
		{name: "htu: backslash", proofs: htu("https://api.example.com\\orders"), want: dpop.ErrURL},
		{name: "htu: not a URL", proofs: htu("orders"), want: dpop.ErrURL},
		{name: "control: htu with another query", target: "https://api.example.com/orders?id=1", proofs: htu("https://api.example.com/orders?id=2#x")},
		{name: "control: htu with percent-encoding", proofs: htu("https://api.example.com/%6Frders")},
		{name: "control: htu with dot segments", proofs: htu("https://api.example.com/v1/../orders")},
		{name: "control: htu in upper case with the default port", proofs: htu("HTTPS://API.EXAMPLE.COM:443/orders")},
		{name: "control: request path with dot segments", target: "https://api.example.com/v1/./../orders"},
		{name: "forwarded host not trusted", target: "http://10.0.0.7:8080/orders", header: map[string]string{"X-Forwarded-Host": "api.example.com", "X-Forwarded-Proto": "https"}, want: dpop.ErrURL},
		{name: "control: forwarded host trusted", target: "http://10.0.0.7:8080/orders", cfg: dpop.Config{TrustForwardedHeaders: true},
			header: map[string]string{"X-Forwarded-Host": "api.example.com", "X-Forwarded-Proto": "https"}},
		{name: "control: external URL", target: "http://10.0.0.7:8080/orders", cfg: dpop.Config{ExternalURL: "https://api.example.com"}},
		// §11.4 (RFC 8725 §2.1, §3.1) the key and the algorithm.
		{name: "jwk with a private key", proofs: withHeader(map[string]any{"jwk": jwkWith("d", k.JWK()["x"])}), want: dpop.ErrKey},
		{name: "symmetric jwk", proofs: withHeader(map[string]any{"jwk": map[string]any{"kty": "oct", "k": "c2VjcmV0"}, "alg": "HS256"}), want: dpop.ErrAlgorithm},
		{name: "symmetric jwk with an asymmetric alg", proofs: withHeader(map[string]any{"jwk": map[string]any{"kty": "oct", "k": "c2VjcmV0"}}), want: dpop.ErrKey},
		{name: "alg none", proofs: withHeader(map[string]any{"alg": "none"}), want: dpop.ErrAlgorithm},
		{name: "alg none without signature", proofs: func() []string {
			p := sign(t, k, now, map[string]any{"alg": "none"}, nil)
			return []string{p[:strings.LastIndexByte(p, '.')+1]}
		}, want: dpop.ErrMalformed},
		{name: "alg HS256", proofs: withHeader(map[string]any{"alg": "HS256"}), want: dpop.ErrAlgorithm},
		{name: "alg not in the list", cfg: dpop.Config{Algorithms: []string{"EdDSA"}}, want: dpop.ErrAlgorithm},
		{name: "alg that does not fit the key", proofs: withHeader(map[string]any{"alg": "ES512"}), want: dpop.ErrAlgorithm},
		{name: "typ JWT", proofs: withHeader(map[string]any{"typ": "JWT"}), want: dpop.ErrType},
		{name: "typ missing", proofs: withHeader(map[string]any{"typ": nil}), want: dpop.ErrType},
		{name: "signed by another key than its jwk", proofs: withHeader(map[string]any{"jwk": other.JWK()}), want: dpop.ErrSignature},
		{name: "a valid proof of another key", proofs: func() []string { return []string{sign(t, other, now, nil, nil)} }, want: dpop.ErrBinding},
		// Bounds and shapes.
		{name: "jti of a megabyte", proofs: valid(map[string]any{"jti": strings.Repeat("j", 1<<20)}), want: dpop.ErrMalformed},
		{name: "two DPoP headers", proofs: func() []string { return []string{sign(t, k, now, nil, nil), sign(t, k, now, nil, nil)} }, want: dpop.ErrMalformed},
		{name: "duplicate htu", jkt: rawThumb, proofs: func() []string {
			return []string{rawProof(t, "ES256", priv, `{"typ":"dpop+jwt","alg":"ES256","jwk":`+rawJWK+`}`, rawClaims+`,"htu":"https://evil.example/"}`)}
		}, want: dpop.ErrMalformed},
		{name: "duplicate alg", jkt: rawThumb, proofs: func() []string {
			return []string{rawProof(t, "ES256", priv, `{"typ":"dpop+jwt","alg":"ES256","jwk":`+rawJWK+`,"alg":"none"}`, rawClaims+`}`)}
		}, want: dpop.ErrMalformed},
		{name: "control: a raw proof", jkt: rawThumb, proofs: func() []string {
			return []string{rawProof(t, "ES256", priv, `{"typ":"dpop+jwt","alg":"ES256","jwk":`+rawJWK+`}`, rawClaims+`}`)}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Now = clk.Now
			c := newChecker(t, tt.cfg)
			target, method, jkt := "https://api.example.com/orders", "GET", k.Thumbprint()
			if tt.target != "" {
				target = tt.target
			}
			if tt.method != "" {
				method = tt.method
			}
			if tt.jkt != "" {
				jkt = tt.jkt
			}
			proofs := []string{sign(t, k, now, nil, nil)}
			if tt.proofs != nil {
				proofs = tt.proofs()
			}
			r := proofRequest(method, target, proofs...)
			for n, v := range tt.header {
				r.Header.Set(n, v)
			}
			err := checkRequest(t, c, r, testToken, jkt)
			if tt.replay {
				if err != nil {
					t.Fatalf("first request = %v, want accepted", err)
				}
				err = checkRequest(t, c, r, testToken, jkt)
			}
			switch {
			case tt.want == nil:
				if err != nil {
					t.Fatalf("request = %v, want accepted", err)
				}
			case !errors.Is(err, tt.want):
				t.Fatalf("request = %v, want %v", err, tt.want)
			}
		})
	}
}

func proofRequest(method, target string, proofs ...string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.Header.Set("Authorization", "DPoP "+testToken)
	for _, p := range proofs {
		r.Header.Add("DPoP", p)
	}
	return r
}
