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
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/introspect"
	"github.com/tokenguard/tokenguard/jwtverify"
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

func TestAuthMethods_None(t *testing.T) {
	ep := &endpoint{authorize: func(r *http.Request, form url.Values) bool {
		_, hasAuthorization := r.Header["Authorization"]
		return !hasAuthorization && !form.Has("client_id") && !form.Has("client_secret") &&
			!form.Has("client_assertion") && !form.Has("client_assertion_type") && len(form) == 2 // token, token_type_hint
	}}
	ep.answer("opaque-good", activeJSON(t0, nil))
	cfg := baseConfig(ep.serve(t), newClock())
	cfg.AuthMethod, cfg.ClientID, cfg.ClientSecret = introspect.AuthNone, "", ""
	c := newClient(t, cfg)
	claims, err := c.Authenticate(t.Context(), "opaque-good")
	checkErr(t, "Authenticate", claims, err, nil)
}

// TestAssertionAudience decodes the client assertion that a real endpoint
// receives: its aud is the issuer identifier, as one string
// (draft-ietf-oauth-rfc7523bis, FAPI 2.0), unless AssertionAudience says
// otherwise.
func TestAssertionAudience(t *testing.T) {
	_, key := newEd25519(t)
	const override = "https://auth.example.com/oauth2/token"
	tests := []struct {
		name     string
		issuer   string
		audience string
		want     string
	}{
		{name: "issuer by default", issuer: testIssuer, want: testIssuer},
		{name: "AssertionAudience overrides", issuer: testIssuer, audience: override, want: override},
		{name: "AssertionAudience without issuer", audience: override, want: override},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := &endpoint{authorize: func(_ *http.Request, form url.Values) bool { return form.Has("client_assertion") }}
			ep.answer("opaque", activeJSON(t0, nil))
			endpointURL := ep.serve(t)
			cfg := baseConfig(endpointURL, newClock())
			cfg.AuthMethod, cfg.ClientSecret, cfg.PrivateKey = introspect.AuthPrivateKeyJWT, "", key
			cfg.Issuer, cfg.AssertionAudience = tt.issuer, tt.audience
			c := newClient(t, cfg)
			mustAuth(t, c, "opaque")
			_, form := ep.lastRequest()
			_, claims := verifyAssertion(t, form.Get("client_assertion"), key.Public())
			if aud, ok := claims["aud"].(string); !ok || aud != tt.want {
				t.Errorf("assertion aud = %#v, want the single string %q (not the endpoint %s)", claims["aud"], tt.want, endpointURL)
			}
		})
	}
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
				wantAud = testIssuer // the default: Config.Issuer
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
		return introspect.Config{
			Endpoint:  "https://auth.example.com/introspect",
			Audiences: []string{testAudience},
			ClientID:  "id", ClientSecret: "secret",
		}
	}
	none := func(c *introspect.Config) { c.AuthMethod, c.ClientID, c.ClientSecret = introspect.AuthNone, "", "" }
	pkjwt := func(c *introspect.Config) {
		c.AuthMethod, c.ClientSecret, c.PrivateKey, c.AssertionAudience = introspect.AuthPrivateKeyJWT, "", p256, testIssuer
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
			pkjwt(c)
			c.SigningAlgorithm = "RS256"
		},
		"HMAC alg": func(c *introspect.Config) {
			pkjwt(c)
			c.SigningAlgorithm = "HS256"
		},
		"private_key_jwt without Issuer or AssertionAudience": func(c *introspect.Config) {
			pkjwt(c)
			c.AssertionAudience = ""
		},
		"bearer without token": func(c *introspect.Config) { c.AuthMethod, c.ClientSecret = introspect.AuthBearer, "" },
		"bearer with a client id": func(c *introspect.Config) {
			c.AuthMethod, c.ClientSecret, c.BearerToken = introspect.AuthBearer, "", "tok"
		},
		"secret with bearer":      func(c *introspect.Config) { c.AuthMethod, c.ClientID, c.BearerToken = introspect.AuthBearer, "", "tok" },
		"private key with basic":  func(c *introspect.Config) { c.PrivateKey = p256 },
		"bearer token with basic": func(c *introspect.Config) { c.BearerToken = "tok" },
		"assertion audience with post": func(c *introspect.Config) {
			c.AuthMethod, c.AssertionAudience = introspect.AuthClientSecretPost, testIssuer
		},
		"none with a client id":                   func(c *introspect.Config) { none(c); c.ClientID = "id" },
		"none with a client secret":               func(c *introspect.Config) { none(c); c.ClientSecret = "secret" },
		"none with a private key":                 func(c *introspect.Config) { none(c); c.PrivateKey = p256 },
		"none with a key id":                      func(c *introspect.Config) { none(c); c.KeyID = "k1" },
		"none with a signing alg":                 func(c *introspect.Config) { none(c); c.SigningAlgorithm = "ES256" },
		"none with an assertion aud":              func(c *introspect.Config) { none(c); c.AssertionAudience = testIssuer },
		"none with a bearer token":                func(c *introspect.Config) { none(c); c.BearerToken = "tok" },
		"negative leeway":                         func(c *introspect.Config) { c.Leeway = -time.Second },
		"negative timeout":                        func(c *introspect.Config) { c.Timeout = -time.Second },
		"negative MaxBodyBytes":                   func(c *introspect.Config) { c.MaxBodyBytes = -1 },
		"negative MaxTokenBytes":                  func(c *introspect.Config) { c.MaxTokenBytes = -1 },
		"RequireIssuer without Issuer":            func(c *introspect.Config) { c.RequireIssuer = true },
		"no audiences":                            func(c *introspect.Config) { c.Audiences = nil },
		"empty audiences":                         func(c *introspect.Config) { c.Audiences = []string{} },
		"empty audience":                          func(c *introspect.Config) { c.Audiences = []string{""} },
		"audiences and InsecureSkipAudienceCheck": func(c *introspect.Config) { c.InsecureSkipAudienceCheck = true },
		"negative MaxConcurrentCalls":             func(c *introspect.Config) { c.MaxConcurrentCalls = -1 },
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
			t.Log(err)
			if !errors.Is(err, jwtverify.ErrConfig) || errors.Is(err, jwtverify.ErrUnavailable) || errors.Is(err, jwtverify.ErrInvalidToken) {
				t.Errorf("New(%s) = %v, want an error matching jwtverify.ErrConfig only", name, err)
			}
			if !strings.HasPrefix(err.Error(), "introspect: ") {
				t.Errorf("New(%s) = %q, want the introspect: prefix", name, err)
			}
			if strings.Contains(fmt.Sprint(err), "secret\"") || strings.Contains(err.Error(), "tok\"") {
				t.Errorf("New(%s) = %q, quotes a credential", name, err)
			}
		})
	}
	valid := map[string]func(*introspect.Config){
		"client_secret_basic":       func(*introspect.Config) {},
		"InsecureSkipAudienceCheck": func(c *introspect.Config) { c.Audiences, c.InsecureSkipAudienceCheck = nil, true },
		"none":                      none,
		"bearer": func(c *introspect.Config) {
			c.AuthMethod, c.ClientID, c.ClientSecret, c.BearerToken = introspect.AuthBearer, "", "", "tok"
		},
		"private_key_jwt with AssertionAudience": pkjwt,
		"private_key_jwt with Issuer": func(c *introspect.Config) {
			pkjwt(c)
			c.AssertionAudience, c.Issuer = "", testIssuer
		},
	}
	for name, mutate := range valid {
		t.Run("valid/"+name, func(t *testing.T) {
			cfg := ok()
			mutate(&cfg)
			c, err := introspect.New(t.Context(), cfg)
			if err != nil {
				t.Fatalf("New(%s) = %v, want nil", name, err)
			}
			c.Close()
		})
	}
}

func newEd25519(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, key
}
