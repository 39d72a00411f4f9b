package introspect_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/introspect"
)

func TestAuthMethods_Secrets(t *testing.T) {
	tests := []struct {
		name      string
		method    introspect.AuthMethod
		authorize func(r *http.Request, form url.Values) bool
	}{
		{
			name: "default is client_secret_basic",
			authorize: func(r *http.Request, form url.Values) bool {
				// RFC 6749 §2.3.1: form-encoded, then Basic.
				want := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(testClientID)+":"+url.QueryEscape(testClientSecret)))
				return r.Header.Get("Authorization") == want && !form.Has("client_secret") && !form.Has("client_id")
			},
		},
		{
			name:   "client_secret_basic",
			method: introspect.AuthClientSecretBasic,
			authorize: func(r *http.Request, form url.Values) bool {
				id, secret, ok := r.BasicAuth()
				id, _ = url.QueryUnescape(id)
				secret, _ = url.QueryUnescape(secret)
				return ok && id == testClientID && secret == testClientSecret && !form.Has("client_secret")
			},
		},
		{
			name:   "client_secret_post",
			method: introspect.AuthClientSecretPost,
			authorize: func(r *http.Request, form url.Values) bool {
				return r.Header.Get("Authorization") == "" && form.Get("client_id") == testClientID &&
					form.Get("client_secret") == testClientSecret && form.Get("token") == "opaque-good"
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := &endpoint{authorize: tt.authorize}
			ep.answer("opaque-good", activeJSON(t0, nil))
			cfg := baseConfig(ep.serve(t), newClock())
			cfg.AuthMethod = tt.method
			c := newClient(t, cfg)
			claims, err := c.Authenticate(t.Context(), "opaque-good")
			checkErr(t, "Authenticate", claims, err, nil)
		})
	}
}

func TestAuthMethods_Bearer(t *testing.T) {
	const bearer = "introspection-access-token"
	ep := &endpoint{authorize: func(r *http.Request, form url.Values) bool {
		return r.Header.Get("Authorization") == "Bearer "+bearer && !form.Has("client_id") && !form.Has("client_secret")
	}}
	ep.answer("opaque-good", activeJSON(t0, nil))
	cfg := baseConfig(ep.serve(t), newClock())
	cfg.AuthMethod, cfg.ClientID, cfg.ClientSecret, cfg.BearerToken = introspect.AuthBearer, "", "", bearer
	c := newClient(t, cfg)
	claims, err := c.Authenticate(t.Context(), "opaque-good")
	checkErr(t, "Authenticate", claims, err, nil)
}

func TestAuthMethods_PrivateKeyJWT(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)

	tests := []struct {
		name    string
		key     crypto.Signer
		alg     string // configured; "" for the default
		wantAlg string
		kid     string
		aud     string // configured AssertionAudience
	}{
		{name: "RSA default RS256", key: rsaKey, wantAlg: "RS256", kid: "rsa-1"},
		{name: "RSA PS256", key: rsaKey, alg: "PS256", wantAlg: "PS256", kid: "rsa-1"},
		{name: "P-256 default ES256", key: p256, wantAlg: "ES256", kid: "ec-1"},
		{name: "P-384 default ES384", key: p384, wantAlg: "ES384"},
		{name: "Ed25519 default EdDSA", key: edKey, wantAlg: "EdDSA", kid: "ed-1", aud: testIssuer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			ep := &endpoint{authorize: func(r *http.Request, form url.Values) bool {
				return r.Header.Get("Authorization") == "" && form.Get("client_id") == testClientID &&
					form.Get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" &&
					form.Get("client_assertion") != "" && !form.Has("client_secret")
			}}
			ep.answer("opaque-1", activeJSON(t0, nil))
			ep.answer("opaque-2", activeJSON(t0, nil))
			endpointURL := ep.serve(t)
			cfg := baseConfig(endpointURL, clk)
			cfg.AuthMethod, cfg.ClientSecret = introspect.AuthPrivateKeyJWT, ""
			cfg.PrivateKey, cfg.KeyID, cfg.SigningAlgorithm, cfg.AssertionAudience = tt.key, tt.kid, tt.alg, tt.aud
			c := newClient(t, cfg)

			wantAud := tt.aud
			if wantAud == "" {
				wantAud = endpointURL // the default without discovery
			}
			var jtis []string
			for _, tok := range []string{"opaque-1", "opaque-2"} {
				claims, err := c.Authenticate(t.Context(), tok)
				checkErr(t, "Authenticate", claims, err, nil)
				_, form := ep.lastRequest()
				h, cl := verifyAssertion(t, form.Get("client_assertion"), tt.key.Public())
				if h["alg"] != tt.wantAlg || h["typ"] != "JWT" || (tt.kid != "" && h["kid"] != tt.kid) || (tt.kid == "" && h["kid"] != nil) {
					t.Errorf("assertion header = %v, want alg %s, typ JWT, kid %q", h, tt.wantAlg, tt.kid)
				}
				now := clk.Now().Unix()
				if cl["iss"] != testClientID || cl["sub"] != testClientID || cl["aud"] != wantAud ||
					cl["iat"] != float64(now) || cl["exp"] != float64(now+60) {
					t.Errorf("assertion claims = %v, want iss = sub = %q, aud %q, iat %d, exp %d", cl, testClientID, wantAud, now, now+60)
				}
				jti, _ := cl["jti"].(string)
				if len(jti) < 16 {
					t.Errorf("assertion jti = %q, want a random value", jti)
				}
				jtis = append(jtis, jti)
				clk.Advance(time.Second)
			}
			if jtis[0] == jtis[1] {
				t.Errorf("two assertions share jti %q, want a new one per request", jtis[0])
			}
		})
	}
}

// verifyAssertion checks a client assertion's signature with pub and returns
// its decoded header and claims.
func verifyAssertion(t *testing.T, assertion string, pub crypto.PublicKey) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		t.Fatalf("client_assertion has %d segments, want 3", len(parts))
	}
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.Strict().DecodeString(s)
		if err != nil {
			t.Fatalf("client_assertion segment is not base64url: %v", err)
		}
		return b
	}
	if err := json.Unmarshal(dec(parts[0]), &header); err != nil {
		t.Fatalf("assertion header: %v", err)
	}
	if err := json.Unmarshal(dec(parts[1]), &claims); err != nil {
		t.Fatalf("assertion claims: %v", err)
	}
	input, sig := []byte(parts[0]+"."+parts[1]), dec(parts[2])
	var ok bool
	switch alg := header["alg"]; alg {
	case "RS256":
		d := sha256.Sum256(input)
		ok = rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, d[:], sig) == nil
	case "PS256":
		d := sha256.Sum256(input)
		ok = rsa.VerifyPSS(pub.(*rsa.PublicKey), crypto.SHA256, d[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
	case "ES256", "ES384":
		var d []byte
		if alg == "ES256" {
			s := sha256.Sum256(input)
			d = s[:]
		} else {
			s := sha512.Sum384(input)
			d = s[:]
		}
		k := pub.(*ecdsa.PublicKey)
		size := (k.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			t.Fatalf("%s signature is %d bytes, want %d (R||S)", alg, len(sig), 2*size)
		}
		ok = ecdsa.Verify(k, d, new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:]))
	case "EdDSA":
		ok = ed25519.Verify(pub.(ed25519.PublicKey), input, sig)
	default:
		t.Fatalf("assertion alg %v not expected", alg)
	}
	if !ok {
		t.Fatalf("client_assertion signature (%v) does not verify with the client's public key", header["alg"])
	}
	return header, claims
}

func TestNew_ConfigErrors(t *testing.T) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ok := func() introspect.Config {
		return introspect.Config{Endpoint: "https://auth.example.com/introspect", ClientID: "id", ClientSecret: "secret"}
	}
	tests := map[string]func(*introspect.Config){
		"no endpoint nor issuer":            func(c *introspect.Config) { c.Endpoint = "" },
		"http endpoint off loopback":        func(c *introspect.Config) { c.Endpoint = "http://auth.example.com/introspect" },
		"relative endpoint":                 func(c *introspect.Config) { c.Endpoint = "/introspect" },
		"endpoint with user info":           func(c *introspect.Config) { c.Endpoint = "https://u:p@auth.example.com/introspect" },
		"no client id":                      func(c *introspect.Config) { c.ClientID = "" },
		"no client secret":                  func(c *introspect.Config) { c.ClientSecret = "" },
		"post without secret":               func(c *introspect.Config) { c.AuthMethod, c.ClientSecret = introspect.AuthClientSecretPost, "" },
		"unknown method":                    func(c *introspect.Config) { c.AuthMethod = "tls_client_auth" },
		"private_key_jwt without key":       func(c *introspect.Config) { c.AuthMethod, c.ClientSecret = introspect.AuthPrivateKeyJWT, "" },
		"private_key_jwt with a secret too": func(c *introspect.Config) { c.AuthMethod, c.PrivateKey = introspect.AuthPrivateKeyJWT, p256 },
		"key does not fit alg": func(c *introspect.Config) {
			c.AuthMethod, c.ClientSecret, c.PrivateKey, c.SigningAlgorithm = introspect.AuthPrivateKeyJWT, "", p256, "RS256"
		},
		"HMAC alg": func(c *introspect.Config) {
			c.AuthMethod, c.ClientSecret, c.PrivateKey, c.SigningAlgorithm = introspect.AuthPrivateKeyJWT, "", p256, "HS256"
		},
		"bearer without token":         func(c *introspect.Config) { c.AuthMethod, c.ClientSecret = introspect.AuthBearer, "" },
		"negative leeway":              func(c *introspect.Config) { c.Leeway = -time.Second },
		"negative timeout":             func(c *introspect.Config) { c.Timeout = -time.Second },
		"RequireIssuer without Issuer": func(c *introspect.Config) { c.RequireIssuer = true },
		"empty audience":               func(c *introspect.Config) { c.Audiences = []string{""} },
		"negative MaxConcurrentCalls":  func(c *introspect.Config) { c.MaxConcurrentCalls = -1 },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := ok()
			mutate(&cfg)
			c, err := introspect.New(t.Context(), cfg)
			if err == nil {
				c.Close()
				t.Fatalf("New(%s) = nil error, want a configuration error", name)
			}
			if !strings.HasPrefix(err.Error(), "introspect: ") {
				t.Errorf("New(%s) = %q, want the introspect: prefix", name, err)
			}
			if strings.Contains(fmt.Sprint(err), "secret\"") {
				t.Errorf("New(%s) = %q, quotes the secret", name, err)
			}
		})
	}
	c, err := introspect.New(t.Context(), ok())
	if err != nil {
		t.Fatalf("New(valid config) = %v", err)
	}
	c.Close()
}

func newEd25519(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, key
}
