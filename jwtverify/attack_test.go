package jwtverify_test

// Attack regression tests: each named case is a real token (signed by a
// jwttest issuer, by a key the test holds, or forged by an attacker) run
// through a real Verifier whose key sets come from httptest servers. Every
// rejection is checked by category with errors.Is, never as "some error".

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

const atkAud = "https://api.example"

// atkNow is the fixed clock of the attack tests.
var atkNow = time.Unix(1_800_000_000, 0)

// atkKeyMaterial is generated once per test binary: RSA generation is slow
// under the race detector.
type atkKeyMaterial struct {
	rsa, rsa2, attacker, rsa1024 *rsa.PrivateKey
	p256, attackerEC             *ecdsa.PrivateKey
	ed                           ed25519.PrivateKey
}

var atkKeys = sync.OnceValue(func() *atkKeyMaterial {
	k := new(atkKeyMaterial)
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	var err error
	for _, p := range []**rsa.PrivateKey{&k.rsa, &k.rsa2, &k.attacker} {
		*p, err = rsa.GenerateKey(rand.Reader, 2048)
		must(err)
	}
	k.rsa1024, err = rsa.GenerateKey(rand.Reader, 1024)
	must(err)
	k.p256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	k.attackerEC, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	_, k.ed, err = ed25519.GenerateKey(rand.Reader)
	must(err)
	return k
})

// atkServer is an httptest server written in the test: it serves a JWK Set
// (replaceable at any time) at /jwks, anything else at other paths, and
// counts every request.
type atkServer struct {
	*httptest.Server
	hits atomic.Int64
	body atomic.Pointer[[]byte]
}

func newAtkServer(t *testing.T, extra http.Handler) *atkServer {
	t.Helper()
	s := new(atkServer)
	empty := []byte(`{"keys":[]}`)
	s.body.Store(&empty)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if r.URL.Path == "/jwks" {
			w.Header().Set("Content-Type", "application/json")
			w.Write(*s.body.Load())
			return
		}
		if extra != nil {
			extra.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// publish replaces the served set with the given JWKs.
func (s *atkServer) publish(t *testing.T, keys ...any) {
	t.Helper()
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	s.body.Store(&b)
}

func atkB64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// atkSign signs the exact header and claims JSON text with key.
func atkSign(t *testing.T, alg string, key crypto.Signer, header, claims string) string {
	t.Helper()
	input := atkB64([]byte(header)) + "." + atkB64([]byte(claims))
	sig, err := jwttest.SignRaw(alg, key, []byte(input))
	if err != nil {
		t.Fatalf("jwttest.SignRaw(%s): %v", alg, err)
	}
	return input + "." + atkB64(sig)
}

// atkHMAC "signs" header and claims with HMAC keyed by secret, the way an
// algorithm-confusion attacker uses a public key as a shared secret.
func atkHMAC(alg string, secret []byte, header, claims string) string {
	var h func() hash.Hash
	switch alg {
	case "HS384":
		h = sha512.New384
	case "HS512":
		h = sha512.New
	default:
		h = sha256.New
	}
	input := atkB64([]byte(header)) + "." + atkB64([]byte(claims))
	mac := hmac.New(h, secret)
	mac.Write([]byte(input))
	return input + "." + atkB64(mac.Sum(nil))
}

// atkSegments splits a compact token, failing t when it is not three parts.
func atkSegments(t *testing.T, token string) (header, payload, sig string) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("fixture token has %d segments", len(parts))
	}
	return parts[0], parts[1], parts[2]
}

func atkDecode(t *testing.T, seg string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatalf("fixture segment %q: %v", seg, err)
	}
	return b
}

type atkFixture struct {
	iss      *jwttest.Issuer // issuer A: RS256, PS256, ES256, ES384, EdDSA
	other    *jwttest.Issuer // issuer B: RS256 (its kid collides with A's)
	own      *atkServer      // issuer whose keys the test holds; JWKs without alg
	attacker *atkServer      // must never receive a request
	v        *jwtverify.Verifier
	strict   *jwtverify.Verifier // StrictRFC9068
	cfg      jwtverify.Config
}

func newAtkFixture(t *testing.T) *atkFixture {
	t.Helper()
	k := atkKeys()
	f := new(atkFixture)
	now := func() time.Time { return atkNow }
	f.iss = jwttest.Start(t, jwttest.Options{Algorithms: []string{"RS256", "PS256", "ES256", "ES384", "EdDSA"}, Now: now})
	f.other = jwttest.Start(t, jwttest.Options{Now: now})

	f.own = newAtkServer(t, nil)
	f.own.publish(t,
		jwttest.PublicJWK(&k.rsa.PublicKey, "own-rsa", ""),
		jwttest.PublicJWK(&k.p256.PublicKey, "own-ec", ""),
	)

	cert := atkSelfSigned(t, k.attacker)
	f.attacker = newAtkServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cert":
			pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: cert})
		default: // discovery of a forged issuer, anything else
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, "http://"+r.Host, "http://"+r.Host+"/jwks")
		}
	}))
	f.attacker.publish(t, jwttest.PublicJWK(&k.attacker.PublicKey, "attacker", "RS256"))

	f.cfg = jwtverify.Config{
		Issuer:    f.iss.URL, // discovered through the issuer's metadata
		Issuers:   []jwtverify.IssuerConfig{{Issuer: f.other.URL, JWKSURL: f.other.JWKSURL}, {Issuer: f.own.URL, JWKSURL: f.own.URL + "/jwks"}},
		Audiences: []string{atkAud},
		Now:       now,
		CacheSize: -1, // every Verify runs every check
	}
	f.v = f.newVerifier(t, nil)
	f.strict = f.newVerifier(t, func(c *jwtverify.Config) { c.StrictRFC9068 = true })
	return f
}

func (f *atkFixture) newVerifier(t *testing.T, edit func(*jwtverify.Config)) *jwtverify.Verifier {
	t.Helper()
	cfg := f.cfg
	if edit != nil {
		edit(&cfg)
	}
	v, err := jwtverify.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("jwtverify.New: %v", err)
	}
	t.Cleanup(v.Close)
	return v
}

func atkSelfSigned(t *testing.T, key *rsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "attacker"},
		NotBefore:    atkNow.Add(-time.Hour),
		NotAfter:     atkNow.Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// claims returns the default access-token claims of issuer A with edits
// applied (a nil value deletes a claim).
func atkClaims(edits map[string]any) map[string]any {
	c := map[string]any{"aud": atkAud, "sub": "alice", "client_id": "client-1"}
	for k, v := range edits {
		c[k] = v // jwttest deletes members whose value is nil
	}
	return c
}

// mint signs a token with issuer A.
func (f *atkFixture) mint(t *testing.T, tok jwttest.Token) string {
	t.Helper()
	tok.Claims = atkClaims(tok.Claims)
	return f.iss.MintWith(t, tok)
}

// ownClaims is the JSON text of valid claims for the own issuer, with extra
// members (JSON text starting with a comma) appended.
func (f *atkFixture) ownClaims(extra string) string {
	return fmt.Sprintf(`{"iss":%q,"aud":%q,"sub":"alice","client_id":"client-1","jti":"j-1","iat":%d,"exp":%d%s}`,
		f.own.URL, atkAud, atkNow.Unix(), atkNow.Add(time.Hour).Unix(), extra)
}

// ownRS256 signs claims under header with the own issuer's RSA key.
func (f *atkFixture) ownRS256(t *testing.T, header, claims string) string {
	t.Helper()
	return atkSign(t, "RS256", atkKeys().rsa, header, claims)
}

type atkCase struct {
	name     string
	token    func(t *testing.T, f *atkFixture) string
	want     error // nil: the token must be accepted
	strict   bool  // verify with StrictRFC9068
	verifier func(t *testing.T, f *atkFixture) *jwtverify.Verifier
}

func TestAttacks(t *testing.T) {
	f := newAtkFixture(t)
	for _, tc := range atkCases() {
		t.Run(tc.name, func(t *testing.T) {
			v := f.v
			switch {
			case tc.verifier != nil:
				v = tc.verifier(t, f)
			case tc.strict:
				v = f.strict
			}
			token := tc.token(t, f)
			claims, err := v.Verify(t.Context(), token)
			atkCheck(t, tc.name, claims, err, tc.want)
			if n := f.attacker.hits.Load(); n != 0 {
				t.Fatalf("after Verify(%s) the attacker's server received %d requests, want 0", tc.name, n)
			}
		})
	}
}

// atkCheck asserts that err is nil when want is nil, and otherwise that it
// matches want and ErrInvalidToken but not ErrUnavailable.
func atkCheck(t *testing.T, name string, claims *jwtverify.Claims, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil || claims == nil {
			t.Fatalf("Verify(%s) = %v, want accepted", name, err)
		}
		return
	}
	if err == nil {
		t.Fatalf("Verify(%s) accepted the token (sub %q), want %v", name, claims.Subject, want)
	}
	if !errors.Is(err, want) || !errors.Is(err, jwtverify.ErrInvalidToken) || errors.Is(err, jwtverify.ErrUnavailable) {
		t.Fatalf("Verify(%s) = %v, want %v (and ErrInvalidToken, not ErrUnavailable)", name, err, want)
	}
	if len(err.Error()) > 400 {
		t.Errorf("Verify(%s) error text is %d bytes, want it bounded: %.80q...", name, len(err.Error()), err.Error())
	}
}

// header of issuer A's tokens, as JSON text, for forged tokens.
func (f *atkFixture) headerA(alg, kid string) string {
	return fmt.Sprintf(`{"alg":%q,"kid":%q,"typ":"at+jwt"}`, alg, kid)
}

// claimsA is the JSON text of valid claims of issuer A.
func (f *atkFixture) claimsA() string {
	return fmt.Sprintf(`{"iss":%q,"aud":%q,"sub":"alice","iat":%d,"exp":%d}`, f.iss.URL, atkAud, atkNow.Unix(), atkNow.Add(time.Hour).Unix())
}

// pubEncodings are the forms in which an attacker may feed issuer A's RS256
// public key to an HMAC verifier.
func (f *atkFixture) pubEncodings(t *testing.T) map[string][]byte {
	t.Helper()
	pub, ok := f.iss.PublicKey(f.iss.KeyID("RS256")).(*rsa.PublicKey)
	if !ok {
		t.Fatalf("issuer A has no RS256 key")
	}
	pkix, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := x509.MarshalPKCS1PublicKey(pub)
	jwk, err := json.Marshal(jwttest.PublicJWK(pub, f.iss.KeyID("RS256"), "RS256"))
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{
		"PEM PKIX":     pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix}),
		"PEM PKCS1":    pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: pkcs1}),
		"JWK JSON":     jwk,
		"DER PKIX":     pkix,
		"DER PKCS1":    pkcs1,
		"modulus":      pub.N.Bytes(),
		"JWK Set JSON": []byte(`{"keys":[` + string(jwk) + `]}`),
	}
}

func atkCases() []atkCase {
	var cases []atkCase
	add := func(c ...atkCase) { cases = append(cases, c...) }
	mintA := func(tok jwttest.Token) func(*testing.T, *atkFixture) string {
		return func(t *testing.T, f *atkFixture) string { return f.mint(t, tok) }
	}
	claimsA := func(edits map[string]any) func(*testing.T, *atkFixture) string {
		return mintA(jwttest.Token{Claims: edits})
	}
	ownRaw := func(header, extraClaims string) func(*testing.T, *atkFixture) string {
		return func(t *testing.T, f *atkFixture) string {
			return f.ownRS256(t, header, f.ownClaims(extraClaims))
		}
	}
	ownClaimsRaw := func(claims func(f *atkFixture) string) func(*testing.T, *atkFixture) string {
		return func(t *testing.T, f *atkFixture) string {
			return f.ownRS256(t, `{"alg":"RS256","kid":"own-rsa","typ":"at+jwt"}`, claims(f))
		}
	}
	// mutate returns a valid RS256 token of issuer A changed by fn.
	mutate := func(fn func(t *testing.T, token string) string) func(*testing.T, *atkFixture) string {
		return func(t *testing.T, f *atkFixture) string {
			return fn(t, f.mint(t, jwttest.Token{}))
		}
	}
	now := atkNow.Unix()

	// Baselines: the fixture accepts what it should.
	for _, alg := range []string{"RS256", "PS256", "ES256", "ES384", "EdDSA"} {
		add(atkCase{name: "baseline " + alg + " accepted", token: mintA(jwttest.Token{Alg: alg}), want: nil})
	}
	add(
		atkCase{name: "baseline issuer B accepted", token: func(t *testing.T, f *atkFixture) string {
			return f.other.MintWith(t, jwttest.Token{Claims: atkClaims(nil)})
		}},
		atkCase{name: "baseline own RS256 (JWK without alg) accepted", token: ownRaw(`{"alg":"RS256","kid":"own-rsa"}`, "")},
		atkCase{name: "baseline own PS256 on the same JWK accepted", token: func(t *testing.T, f *atkFixture) string {
			return atkSign(t, "PS256", atkKeys().rsa, `{"alg":"PS256","kid":"own-rsa"}`, f.ownClaims(""))
		}},
		atkCase{name: "baseline own ES256 accepted", token: func(t *testing.T, f *atkFixture) string {
			return atkSign(t, "ES256", atkKeys().p256, `{"alg":"ES256","kid":"own-ec"}`, f.ownClaims(""))
		}},
		atkCase{name: "baseline no kid, one key fits", token: ownRaw(`{"alg":"RS256"}`, "")},
		atkCase{name: "baseline non-ASCII claims accepted", token: claimsA(map[string]any{"sub": "José ✓ 😀"})},
		atkCase{name: "baseline strict profile accepted", strict: true, token: claimsA(nil)},
	)

	// alg "none" in any casing, with and without a signature.
	for _, none := range []string{"none", "None", "NONE", "nOnE"} {
		add(atkCase{name: "alg " + none + " with a signature", want: jwtverify.ErrAlgorithm, token: func(t *testing.T, f *atkFixture) string {
			_, _, sig := atkSegments(t, f.mint(t, jwttest.Token{}))
			return atkB64([]byte(f.headerA(none, f.iss.KeyID("RS256")))) + "." + atkB64([]byte(f.claimsA())) + "." + sig
		}})
		add(atkCase{name: "alg " + none + " without a signature", want: jwtverify.ErrMalformed, token: func(t *testing.T, f *atkFixture) string {
			return atkB64([]byte(`{"alg":"`+none+`"}`)) + "." + atkB64([]byte(f.claimsA())) + "."
		}})
	}
	add(atkCase{name: "alg none without kid or typ and a junk signature", want: jwtverify.ErrAlgorithm, token: func(t *testing.T, f *atkFixture) string {
		return atkB64([]byte(`{"alg":"none"}`)) + "." + atkB64([]byte(f.claimsA())) + ".AA"
	}})

	// HMAC keyed with the RSA public key (algorithm confusion), every encoding.
	for _, enc := range []string{"PEM PKIX", "PEM PKCS1", "JWK JSON", "DER PKIX", "DER PKCS1", "modulus", "JWK Set JSON"} {
		for _, alg := range []string{"HS256", "HS384", "HS512"} {
			add(atkCase{name: alg + " keyed with the RSA public key as " + enc, want: jwtverify.ErrAlgorithm, token: func(t *testing.T, f *atkFixture) string {
				return atkHMAC(alg, f.pubEncodings(t)[enc], f.headerA(alg, f.iss.KeyID("RS256")), f.claimsA())
			}})
		}
	}
	add(
		atkCase{name: "HS256 keyed with the PEM public key, no kid", want: jwtverify.ErrAlgorithm, token: func(t *testing.T, f *atkFixture) string {
			return atkHMAC("HS256", f.pubEncodings(t)["PEM PKIX"], `{"alg":"HS256"}`, f.claimsA())
		}},
		atkCase{name: "HS256 keyed with the EC public point", want: jwtverify.ErrAlgorithm, token: func(t *testing.T, f *atkFixture) string {
			pub := f.iss.PublicKey(f.iss.KeyID("ES256")).(*ecdsa.PublicKey)
			point, _ := pub.Bytes()
			return atkHMAC("HS256", point, f.headerA("HS256", f.iss.KeyID("ES256")), f.claimsA())
		}},
		atkCase{name: "HS256 keyed with the Ed25519 public key", want: jwtverify.ErrAlgorithm, token: func(t *testing.T, f *atkFixture) string {
			pub := f.iss.PublicKey(f.iss.KeyID("EdDSA")).(ed25519.PublicKey)
			return atkHMAC("HS256", pub, f.headerA("HS256", f.iss.KeyID("EdDSA")), f.claimsA())
		}},
		atkCase{name: "HS256 with Algorithms allowing only ES256", want: jwtverify.ErrAlgorithm,
			verifier: func(t *testing.T, f *atkFixture) *jwtverify.Verifier {
				return f.newVerifier(t, func(c *jwtverify.Config) { c.Algorithms = []string{"ES256"} })
			},
			token: func(t *testing.T, f *atkFixture) string {
				return atkHMAC("HS256", f.pubEncodings(t)["PEM PKIX"], f.headerA("HS256", f.iss.KeyID("RS256")), f.claimsA())
			}},
		atkCase{name: "RS256 with Algorithms allowing only ES256", want: jwtverify.ErrAlgorithm,
			verifier: func(t *testing.T, f *atkFixture) *jwtverify.Verifier {
				return f.newVerifier(t, func(c *jwtverify.Config) { c.Algorithms = []string{"ES256"} })
			},
			token: mintA(jwttest.Token{Alg: "RS256"})},
	)

	// alg case variants and look-alikes.
	for _, alg := range []string{"rs256", "Rs256", "RS256 ", " RS256", "RS-256", "RS256\u0000", "ＲＳ256", "RSA256", "RS", "es256", "eddsa", "EDDSA", "ps256", ""} {
		add(atkCase{name: fmt.Sprintf("alg %q", alg), want: jwtverify.ErrAlgorithm, token: func(t *testing.T, f *atkFixture) string {
			a, _ := json.Marshal(alg)
			return f.ownRS256(t, `{"alg":`+string(a)+`,"kid":"own-rsa"}`, f.ownClaims(""))
		}})
	}

	// Algorithm / key-type confusion.
	add(
		atkCase{name: "RS256 header on an EC key's kid", want: jwtverify.ErrAlgorithm,
			token: mintA(jwttest.Token{Alg: "ES256", Header: map[string]any{"alg": "RS256"}})},
		atkCase{name: "RS256 header on an EC key's kid, RSA-signed by an attacker", want: jwtverify.ErrAlgorithm, token: func(t *testing.T, f *atkFixture) string {
			return atkSign(t, "RS256", atkKeys().attacker, f.headerA("RS256", f.iss.KeyID("ES256")), f.claimsA())
		}},
		atkCase{name: "RS256 header on an own EC key without alg", want: jwtverify.ErrAlgorithm, token: func(t *testing.T, f *atkFixture) string {
			return atkSign(t, "RS256", atkKeys().attacker, `{"alg":"RS256","kid":"own-ec"}`, f.ownClaims(""))
		}},
		atkCase{name: "ES256 header on an RSA key's kid", want: jwtverify.ErrAlgorithm,
			token: mintA(jwttest.Token{Alg: "RS256", Header: map[string]any{"alg": "ES256"}})},
		atkCase{name: "EdDSA header on an RSA key's kid", want: jwtverify.ErrAlgorithm,
			token: mintA(jwttest.Token{Alg: "RS256", Header: map[string]any{"alg": "EdDSA"}})},
		atkCase{name: "Ed25519 header on a JWK with alg EdDSA", want: jwtverify.ErrAlgorithm,
			token: mintA(jwttest.Token{Alg: "EdDSA", Header: map[string]any{"alg": "Ed25519"}})},
		atkCase{name: "PKCS1v15 signature presented as PS256 (JWK alg PS256)", want: jwtverify.ErrSignature, token: func(t *testing.T, f *atkFixture) string {
			return f.mint(t, jwttest.Token{Alg: "RS256", KeyID: f.iss.KeyID("PS256"), Header: map[string]any{"alg": "PS256"}})
		}},
		atkCase{name: "PSS signature presented as RS256 (JWK alg RS256)", want: jwtverify.ErrSignature, token: func(t *testing.T, f *atkFixture) string {
			return f.mint(t, jwttest.Token{Alg: "PS256", KeyID: f.iss.KeyID("RS256"), Header: map[string]any{"alg": "RS256"}})
		}},
		atkCase{name: "RS256 token on a JWK with alg PS256", want: jwtverify.ErrAlgorithm, token: func(t *testing.T, f *atkFixture) string {
			return f.mint(t, jwttest.Token{Alg: "RS256", KeyID: f.iss.KeyID("PS256")})
		}},
		atkCase{name: "PS256 token on a JWK with alg RS256", want: jwtverify.ErrAlgorithm, token: func(t *testing.T, f *atkFixture) string {
			return f.mint(t, jwttest.Token{Alg: "PS256", KeyID: f.iss.KeyID("RS256")})
		}},
		atkCase{name: "PKCS1v15 signature presented as PS256 (JWK without alg)", want: jwtverify.ErrSignature, token: func(t *testing.T, f *atkFixture) string {
			header := `{"alg":"PS256","kid":"own-rsa"}`
			claims := f.ownClaims("")
			input := atkB64([]byte(header)) + "." + atkB64([]byte(claims))
			sig, err := jwttest.SignRaw("RS256", atkKeys().rsa, []byte(input))
			if err != nil {
				t.Fatal(err)
			}
			return input + "." + atkB64(sig)
		}},
		atkCase{name: "PSS signature presented as RS256 (JWK without alg)", want: jwtverify.ErrSignature, token: func(t *testing.T, f *atkFixture) string {
			header := `{"alg":"RS256","kid":"own-rsa"}`
			input := atkB64([]byte(header)) + "." + atkB64([]byte(f.ownClaims("")))
			sig, err := jwttest.SignRaw("PS256", atkKeys().rsa, []byte(input))
			if err != nil {
				t.Fatal(err)
			}
			return input + "." + atkB64(sig)
		}},
		atkCase{name: "PS384 signature presented as PS256 (JWK without alg)", want: jwtverify.ErrSignature, token: func(t *testing.T, f *atkFixture) string {
			header := `{"alg":"PS256","kid":"own-rsa"}`
			input := atkB64([]byte(header)) + "." + atkB64([]byte(f.ownClaims("")))
			sig, err := jwttest.SignRaw("PS384", atkKeys().rsa, []byte(input))
			if err != nil {
				t.Fatal(err)
			}
			return input + "." + atkB64(sig)
		}},
		atkCase{name: "ES256 header with a P-384 key", want: jwtverify.ErrAlgorithm,
			token: mintA(jwttest.Token{Alg: "ES384", Header: map[string]any{"alg": "ES256"}})},
		atkCase{name: "ES384 header with a P-256 key", want: jwtverify.ErrAlgorithm,
			token: mintA(jwttest.Token{Alg: "ES256", Header: map[string]any{"alg": "ES384"}})},
		atkCase{name: "ES512 header with a P-256 key without alg", want: jwtverify.ErrAlgorithm, token: func(t *testing.T, f *atkFixture) string {
			return atkSign(t, "ES256", atkKeys().p256, `{"alg":"ES512","kid":"own-ec"}`, f.ownClaims(""))
		}},
	)

	// ECDSA signature encodings.
	esToken := func(fn func(t *testing.T, sig []byte) []byte) func(*testing.T, *atkFixture) string {
		return func(t *testing.T, f *atkFixture) string {
			h, p, s := atkSegments(t, f.mint(t, jwttest.Token{Alg: "ES256"}))
			return h + "." + p + "." + atkB64(fn(t, atkDecode(t, s)))
		}
	}
	add(
		atkCase{name: "ECDSA r = s = 0", want: jwtverify.ErrSignature, token: esToken(func(t *testing.T, sig []byte) []byte { return make([]byte, 64) })},
		atkCase{name: "ECDSA r = 0", want: jwtverify.ErrSignature, token: esToken(func(t *testing.T, sig []byte) []byte { clear(sig[:32]); return sig })},
		atkCase{name: "ECDSA s = 0", want: jwtverify.ErrSignature, token: esToken(func(t *testing.T, sig []byte) []byte { clear(sig[32:]); return sig })},
		atkCase{name: "ECDSA r = s = n", want: jwtverify.ErrSignature, token: esToken(func(t *testing.T, sig []byte) []byte {
			n := elliptic.P256().Params().N.FillBytes(make([]byte, 32))
			return append(n, n...)
		})},
		atkCase{name: "ECDSA DER-encoded signature instead of R||S", want: jwtverify.ErrSignature, token: esToken(func(t *testing.T, sig []byte) []byte {
			der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])})
			if err != nil {
				t.Fatal(err)
			}
			return der
		})},
		atkCase{name: "ECDSA signature with a leading zero byte", want: jwtverify.ErrSignature, token: esToken(func(t *testing.T, sig []byte) []byte { return append([]byte{0}, sig...) })},
		atkCase{name: "ECDSA signature truncated", want: jwtverify.ErrSignature, token: esToken(func(t *testing.T, sig []byte) []byte { return sig[:63] })},
		atkCase{name: "ECDSA R and S swapped", want: jwtverify.ErrSignature, token: esToken(func(t *testing.T, sig []byte) []byte {
			return append(append([]byte{}, sig[32:]...), sig[:32]...)
		})},
		atkCase{name: "Ed25519 signature truncated", want: jwtverify.ErrSignature, token: func(t *testing.T, f *atkFixture) string {
			h, p, s := atkSegments(t, f.mint(t, jwttest.Token{Alg: "EdDSA"}))
			return h + "." + p + "." + atkB64(atkDecode(t, s)[:63])
		}},
		atkCase{name: "RSA signature of a different key", want: jwtverify.ErrSignature, token: func(t *testing.T, f *atkFixture) string {
			return atkSign(t, "RS256", atkKeys().attacker, f.headerA("RS256", f.iss.KeyID("RS256")), f.claimsA())
		}},
		atkCase{name: "RSA signature with a leading zero byte", want: jwtverify.ErrSignature, token: mutate(func(t *testing.T, token string) string {
			h, p, s := atkSegments(t, token)
			return h + "." + p + "." + atkB64(append([]byte{0}, atkDecode(t, s)...))
		})},
		atkCase{name: "payload altered after signing", want: jwtverify.ErrSignature, token: func(t *testing.T, f *atkFixture) string {
			h, _, s := atkSegments(t, f.mint(t, jwttest.Token{}))
			return h + "." + atkB64([]byte(strings.Replace(f.claimsA(), "alice", "admin", 1))) + "." + s
		}},
	)

	// Header members the library must refuse or must never follow.
	add(
		atkCase{name: "crit naming an unknown extension", want: jwtverify.ErrMalformed, token: mintA(jwttest.Token{Header: map[string]any{"crit": []string{"urn:example:ext"}, "urn:example:ext": true}})},
		atkCase{name: "crit naming exp", want: jwtverify.ErrMalformed, token: mintA(jwttest.Token{Header: map[string]any{"crit": []string{"exp"}, "exp": 1}})},
		atkCase{name: "crit empty array", want: jwtverify.ErrMalformed, token: mintA(jwttest.Token{Header: map[string]any{"crit": []string{}}})},
		atkCase{name: "crit b64 with b64 false", want: jwtverify.ErrMalformed, token: mintA(jwttest.Token{Header: map[string]any{"crit": []string{"b64"}, "b64": false}})},
		atkCase{name: "b64 false", want: jwtverify.ErrMalformed, token: mintA(jwttest.Token{Header: map[string]any{"b64": false}})},
		atkCase{name: "b64 as a string", want: jwtverify.ErrMalformed, token: mintA(jwttest.Token{Header: map[string]any{"b64": "true"}})},
		atkCase{name: "b64 true is the default and accepted", want: nil, token: mintA(jwttest.Token{Header: map[string]any{"b64": true}})},
		atkCase{name: "nested JWT (cty JWT)", want: jwtverify.ErrMalformed, token: mintA(jwttest.Token{Header: map[string]any{"cty": "JWT"}})},
		atkCase{name: "cty any value", want: jwtverify.ErrMalformed, token: mintA(jwttest.Token{Header: map[string]any{"cty": "application/json"}})},
		atkCase{name: "JWE member enc", want: jwtverify.ErrMalformed, token: mintA(jwttest.Token{Header: map[string]any{"enc": "A256GCM"}})},
		atkCase{name: "JWE member zip", want: jwtverify.ErrMalformed, token: mintA(jwttest.Token{Header: map[string]any{"zip": "DEF"}})},
		atkCase{name: "alg not a string", want: jwtverify.ErrMalformed, token: ownRaw(`{"alg":["RS256"],"kid":"own-rsa"}`, "")},
		atkCase{name: "alg null", want: jwtverify.ErrMalformed, token: ownRaw(`{"alg":null,"kid":"own-rsa"}`, "")},
		atkCase{name: "alg missing", want: jwtverify.ErrMalformed, token: ownRaw(`{"kid":"own-rsa"}`, "")},
		atkCase{name: "kid not a string", want: jwtverify.ErrMalformed, token: ownRaw(`{"alg":"RS256","kid":1}`, "")},
		atkCase{name: "typ not a string", want: jwtverify.ErrMalformed, token: ownRaw(`{"alg":"RS256","kid":"own-rsa","typ":true}`, "")},
		atkCase{name: "header is an array", want: jwtverify.ErrMalformed, token: ownRaw(`["RS256"]`, "")},
		atkCase{name: "header with trailing garbage", want: jwtverify.ErrMalformed, token: ownRaw(`{"alg":"RS256","kid":"own-rsa"}x`, "")},
		atkCase{name: "header with invalid UTF-8", want: jwtverify.ErrMalformed, token: ownRaw("{\"alg\":\"RS256\",\"kid\":\"own-rsa\",\"x\":\"\xff\"}", "")},
		atkCase{name: "header is empty JSON text", want: jwtverify.ErrMalformed, token: ownRaw(` `, "")},
	)

	// Key sources named by the token are never used (jku, x5u, x5c, jwk).
	attackerJWK := func() map[string]any { return jwttest.PublicJWK(&atkKeys().attacker.PublicKey, "attacker", "RS256") }
	for _, member := range []string{"jku", "x5u", "x5c", "jwk"} {
		add(atkCase{name: member + " on a validly signed token is ignored", want: nil, token: func(t *testing.T, f *atkFixture) string {
			return f.mint(t, jwttest.Token{Header: map[string]any{member: f.keySourceValue(t, member)}})
		}})
		add(atkCase{name: member + " with an attacker-signed token and the issuer's kid", want: jwtverify.ErrSignature, token: func(t *testing.T, f *atkFixture) string {
			h, _ := json.Marshal(map[string]any{"alg": "RS256", "kid": f.iss.KeyID("RS256"), "typ": "at+jwt", member: f.keySourceValue(t, member)})
			return atkSign(t, "RS256", atkKeys().attacker, string(h), f.claimsA())
		}})
		add(atkCase{name: member + " with an attacker-signed token and the attacker's kid", want: jwtverify.ErrUnknownKey, token: func(t *testing.T, f *atkFixture) string {
			h, _ := json.Marshal(map[string]any{"alg": "RS256", "kid": "attacker", "typ": "at+jwt", member: f.keySourceValue(t, member)})
			return atkSign(t, "RS256", atkKeys().attacker, string(h), f.claimsA())
		}})
	}
	add(atkCase{name: "jwk embedded with no kid, signed by the embedded key", want: jwtverify.ErrSignature, token: func(t *testing.T, f *atkFixture) string {
		h, _ := json.Marshal(map[string]any{"alg": "RS256", "jwk": attackerJWK()})
		return atkSign(t, "RS256", atkKeys().attacker, string(h), f.ownClaims(""))
	}})

	// Duplicate and case-variant members.
	add(
		atkCase{name: "header alg twice", want: jwtverify.ErrMalformed, token: ownRaw(`{"alg":"RS256","alg":"none","kid":"own-rsa"}`, "")},
		atkCase{name: "header alg twice, same value", want: jwtverify.ErrMalformed, token: ownRaw(`{"alg":"RS256","kid":"own-rsa","alg":"RS256"}`, "")},
		atkCase{name: `header alg twice via \u0061lg escape`, want: jwtverify.ErrMalformed, token: ownRaw(`{"alg":"RS256","\u0061lg":"HS256","kid":"own-rsa"}`, "")},
		atkCase{name: `header "Alg" beside alg`, want: jwtverify.ErrMalformed, token: ownRaw(`{"alg":"RS256","Alg":"none","kid":"own-rsa"}`, "")},
		atkCase{name: `header "Alg" only`, want: jwtverify.ErrMalformed, token: ownRaw(`{"Alg":"RS256","kid":"own-rsa"}`, "")},
		atkCase{name: `header "ALG" beside alg`, want: jwtverify.ErrMalformed, token: ownRaw(`{"ALG":"none","alg":"RS256","kid":"own-rsa"}`, "")},
		atkCase{name: "header kid twice", want: jwtverify.ErrMalformed, token: ownRaw(`{"alg":"RS256","kid":"own-ec","kid":"own-rsa"}`, "")},
		atkCase{name: `header "KID" beside kid`, want: jwtverify.ErrMalformed, token: ownRaw(`{"alg":"RS256","KID":"own-ec","kid":"own-rsa"}`, "")},
		atkCase{name: "header typ twice", want: jwtverify.ErrMalformed, token: ownRaw(`{"alg":"RS256","kid":"own-rsa","typ":"at+jwt","typ":"dpop+jwt"}`, "")},
		// Member names are case-sensitive (RFC 7515 §4), but decoders that
		// ignore case (encoding/json) read "CRIT" as crit: a case variant of
		// a member we read is refused, alone or next to the real member, so
		// that no decoder reads the token differently.
		atkCase{name: "header CRIT alone", want: jwtverify.ErrMalformed, token: ownRaw(`{"alg":"RS256","kid":"own-rsa","CRIT":["x"]}`, "")},
		atkCase{name: "header Typ alone", want: jwtverify.ErrMalformed, token: ownRaw(`{"alg":"RS256","kid":"own-rsa","Typ":"dpop+jwt"}`, "")},
		atkCase{name: "header unknown CRITICAL is ignored", want: nil, token: ownRaw(`{"alg":"RS256","kid":"own-rsa","CRITICAL":["x"]}`, "")},
		atkCase{name: `header "CRIT" beside crit`, want: jwtverify.ErrMalformed, token: ownRaw(`{"alg":"RS256","kid":"own-rsa","crit":["x"],"CRIT":[]}`, "")},
		atkCase{name: "claims aud twice", want: jwtverify.ErrMalformed, token: ownRaw(`{"alg":"RS256","kid":"own-rsa"}`, `,"aud":"other"`)},
		atkCase{name: `claims "AUD" beside aud`, want: jwtverify.ErrMalformed, token: ownRaw(`{"alg":"RS256","kid":"own-rsa"}`, `,"AUD":"other"`)},
		atkCase{name: `claims "Exp" beside exp`, want: jwtverify.ErrMalformed, token: ownRaw(`{"alg":"RS256","kid":"own-rsa"}`, `,"Exp":99999999999`)},
		atkCase{name: `claims exp twice via \u0065xp escape`, want: jwtverify.ErrMalformed, token: ownRaw(`{"alg":"RS256","kid":"own-rsa"}`, `,"\u0065xp":99999999999`)},
		atkCase{name: "claims iss twice", want: jwtverify.ErrMalformed, token: ownRaw(`{"alg":"RS256","kid":"own-rsa"}`, `,"iss":"https://evil.example"`)},
		atkCase{name: `claims "ISS" beside iss`, want: jwtverify.ErrMalformed, token: ownClaimsRaw(func(f *atkFixture) string {
			return fmt.Sprintf(`{"ISS":%q,"aud":%q,"exp":%d,"iss":%q}`, "https://evil.example", atkAud, now+3600, f.own.URL)
		})},
		atkCase{name: `claims "ISS" only, no iss`, want: jwtverify.ErrMalformed, token: ownClaimsRaw(func(f *atkFixture) string {
			return fmt.Sprintf(`{"ISS":%q,"aud":%q,"exp":%d}`, f.own.URL, atkAud, now+3600)
		})},
	)

	// Encoding of the compact serialization.
	add(
		atkCase{name: "padded signature", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string { return s + "==" })},
		atkCase{name: "padded header", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string {
			h, p, sig := atkSegments(t, s)
			return base64.URLEncoding.EncodeToString(atkDecode(t, h)) + "=." + p + "." + sig
		})},
		atkCase{name: "padded payload", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string {
			h, p, sig := atkSegments(t, s)
			return h + "." + p + "=." + sig
		})},
		atkCase{name: "standard base64 alphabet", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string {
			out := strings.NewReplacer("-", "+", "_", "/").Replace(s)
			if out == s {
				t.Fatalf("fixture token has no - or _ to replace")
			}
			return out
		})},
		atkCase{name: "standard base64 with padding", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string {
			h, p, sig := atkSegments(t, s)
			std := base64.StdEncoding
			return std.EncodeToString(atkDecode(t, h)) + "." + std.EncodeToString(atkDecode(t, p)) + "." + std.EncodeToString(atkDecode(t, sig))
		})},
		atkCase{name: "non-canonical trailing bits in the signature", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string {
			const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
			last := strings.IndexByte(alphabet, s[len(s)-1])
			if sig := s[strings.LastIndexByte(s, '.')+1:]; len(sig)%4 == 0 || last&1 != 0 {
				t.Fatalf("fixture signature has no unused bits")
			}
			return s[:len(s)-1] + string(alphabet[last|1])
		})},
		atkCase{name: "CR LF inside the payload", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string {
			h, p, sig := atkSegments(t, s)
			return h + "." + p[:10] + "\r\n" + p[10:] + "." + sig
		})},
		atkCase{name: "LF inside the signature", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string { return s[:len(s)-8] + "\n" + s[len(s)-8:] })},
		atkCase{name: "CR inside the header", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string { return s[:4] + "\r" + s[4:] })},
		atkCase{name: "space inside the payload", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string {
			i := strings.IndexByte(s, '.') + 5
			return s[:i] + " " + s[i:]
		})},
		atkCase{name: "tab at the end", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string { return s + "\t" })},
		atkCase{name: "leading space", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string { return " " + s })},
		atkCase{name: "Bearer prefix kept", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string { return "Bearer " + s })},
		atkCase{name: "quoted token", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string { return `"` + s + `"` })},
		atkCase{name: "non-ASCII letter inside the payload", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string {
			i := strings.IndexByte(s, '.') + 5
			return s[:i] + "é" + s[i:]
		})},
		atkCase{name: "fullwidth full stop as separator", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string { return strings.Replace(s, ".", "．", 1) })},
		atkCase{name: "zero-width space inside the signature", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string { return s[:len(s)-4] + "\u200b" + s[len(s)-4:] })},
		atkCase{name: "invalid UTF-8 byte inside the header", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string { return s[:3] + "\xff" + s[3:] })},
		atkCase{name: "NUL byte at the end", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string { return s + "\x00" })},
		atkCase{name: "percent-encoded", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string { return strings.Replace(s, ".", "%2E", 1) })},
		atkCase{name: "empty token", want: jwtverify.ErrMalformed, token: func(*testing.T, *atkFixture) string { return "" }},
		atkCase{name: "two dots only", want: jwtverify.ErrMalformed, token: func(*testing.T, *atkFixture) string { return ".." }},
		atkCase{name: "two segments", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string { return s[:strings.LastIndexByte(s, '.')] })},
		atkCase{name: "four segments (trailing dot)", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string { return s + "." })},
		atkCase{name: "leading dot", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string { return "." + s })},
		atkCase{name: "empty payload segment", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string {
			h, _, sig := atkSegments(t, s)
			return h + ".." + sig
		})},
		atkCase{name: "payload is not JSON", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string {
			h, _, sig := atkSegments(t, s)
			return h + "." + atkB64([]byte("foo")) + "." + sig
		})},
		atkCase{name: "JWE compact serialization (5 segments)", want: jwtverify.ErrMalformed, token: func(*testing.T, *atkFixture) string {
			return atkB64([]byte(`{"alg":"RSA-OAEP","enc":"A256GCM"}`)) + "." + atkB64(make([]byte, 256)) + "." + atkB64(make([]byte, 12)) + "." + atkB64([]byte("ciphertext")) + "." + atkB64(make([]byte, 16))
		}},
		atkCase{name: "JWE with direct key (empty encrypted key)", want: jwtverify.ErrMalformed, token: func(*testing.T, *atkFixture) string {
			return atkB64([]byte(`{"alg":"dir","enc":"A128GCM"}`)) + ".." + atkB64(make([]byte, 12)) + "." + atkB64([]byte("ciphertext")) + "." + atkB64(make([]byte, 16))
		}},
		atkCase{name: "JWE header in a 3-segment token", want: jwtverify.ErrMalformed, token: ownRaw(`{"alg":"RS256","kid":"own-rsa","enc":"A128GCM"}`, "")},
		atkCase{name: "valid token plus JWE segments", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string { return s + ".AAAA.AAAA" })},
	)

	// The JSON serialization of a validly signed token, with altered
	// unprotected parts.
	jsonSer := func(general bool) func(*testing.T, *atkFixture) string {
		return func(t *testing.T, f *atkFixture) string {
			h, _, sig := atkSegments(t, f.mint(t, jwttest.Token{}))
			forged := atkB64([]byte(strings.Replace(f.claimsA(), "alice", "admin", 1)))
			var doc any = map[string]any{"payload": forged, "protected": h, "header": map[string]any{"kid": f.iss.KeyID("RS256")}, "signature": sig}
			if general {
				doc = map[string]any{"payload": forged, "signatures": []any{map[string]any{"protected": h, "header": map[string]any{"alg": "none"}, "signature": sig}}}
			}
			b, _ := json.Marshal(doc)
			return string(b)
		}
	}
	add(
		atkCase{name: "flattened JSON serialization with altered payload", want: jwtverify.ErrMalformed, token: jsonSer(false)},
		atkCase{name: "general JSON serialization with altered payload", want: jwtverify.ErrMalformed, token: jsonSer(true)},
		atkCase{name: "JSON serialization of the unaltered token", want: jwtverify.ErrMalformed, token: func(t *testing.T, f *atkFixture) string {
			h, p, sig := atkSegments(t, f.mint(t, jwttest.Token{}))
			b, _ := json.Marshal(map[string]any{"payload": p, "protected": h, "signature": sig})
			return string(b)
		}},
		atkCase{name: "compact token with an appended JSON header", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string { return s + `{"alg":"none"}` })},
	)

	// Oversized tokens.
	add(
		atkCase{name: "oversized token (over 16 KiB)", want: jwtverify.ErrMalformed, token: claimsA(map[string]any{"pad": strings.Repeat("A", 17<<10)})},
		atkCase{name: "oversized token of 1 MiB", want: jwtverify.ErrMalformed, token: mutate(func(t *testing.T, s string) string { return s + strings.Repeat("A", 1<<20) })},
		atkCase{name: "token over a custom MaxTokenBytes", want: jwtverify.ErrMalformed,
			verifier: func(t *testing.T, f *atkFixture) *jwtverify.Verifier {
				return f.newVerifier(t, func(c *jwtverify.Config) { c.MaxTokenBytes = 256 })
			},
			token: mintA(jwttest.Token{})},
		atkCase{name: "token just under the default limit accepted", want: nil, token: func(t *testing.T, f *atkFixture) string {
			base := f.mint(t, jwttest.Token{Claims: map[string]any{"pad": ""}})
			pad := (defaultMaxTokenBytes - len(base)) * 3 / 4
			return f.mint(t, jwttest.Token{Claims: map[string]any{"pad": strings.Repeat("A", pad-4)}})
		}},
	)

	// kid content.
	kidToken := func(kid string) func(*testing.T, *atkFixture) string {
		return mintA(jwttest.Token{Header: map[string]any{"kid": kid}})
	}
	add(
		atkCase{name: "kid with path traversal", want: jwtverify.ErrUnknownKey, token: kidToken("../../../../etc/passwd")},
		atkCase{name: "kid with URL", want: jwtverify.ErrUnknownKey, token: func(t *testing.T, f *atkFixture) string {
			return f.mint(t, jwttest.Token{Header: map[string]any{"kid": f.attacker.URL + "/jwks"}})
		}},
		atkCase{name: "kid with SQL", want: jwtverify.ErrUnknownKey, token: kidToken("' OR '1'='1")},
		atkCase{name: "kid very long (4 KiB)", want: jwtverify.ErrUnknownKey, token: kidToken(strings.Repeat("k", 4<<10))},
		atkCase{name: "kid with NUL and control characters", want: jwtverify.ErrUnknownKey, token: kidToken("RS256-1\x00\r\n")},
		atkCase{name: "kid prefix of a real kid", want: jwtverify.ErrUnknownKey, token: func(t *testing.T, f *atkFixture) string {
			kid := f.iss.KeyID("RS256")
			return f.mint(t, jwttest.Token{Header: map[string]any{"kid": kid[:len(kid)-1]}})
		}},
		atkCase{name: "kid in another case", want: jwtverify.ErrUnknownKey, token: func(t *testing.T, f *atkFixture) string {
			return f.mint(t, jwttest.Token{Header: map[string]any{"kid": strings.ToLower(f.iss.KeyID("RS256"))}})
		}},
		atkCase{name: "kid with non-UTF-8 bytes", want: jwtverify.ErrMalformed, token: ownRaw("{\"alg\":\"RS256\",\"kid\":\"own-rsa\xc0\xaf\"}", "")},
		atkCase{name: "kid with a lone surrogate escape", want: jwtverify.ErrMalformed, token: ownRaw(`{"alg":"RS256","kid":"own-rsa\ud800"}`, "")},
		atkCase{name: "kid escaped but equal to a real kid is accepted", want: nil, token: ownRaw(`{"alg":"RS256","kid":"\u006fwn-rsa"}`, "")},
		atkCase{name: "no kid, several keys fit", want: jwtverify.ErrUnknownKey,
			verifier: func(t *testing.T, f *atkFixture) *jwtverify.Verifier {
				two := newAtkServer(t, nil)
				two.publish(t, jwttest.PublicJWK(&atkKeys().rsa.PublicKey, "a", ""), jwttest.PublicJWK(&atkKeys().rsa2.PublicKey, "b", ""))
				return f.newVerifier(t, func(c *jwtverify.Config) {
					c.Issuer, c.JWKSURL, c.Issuers = f.own.URL, two.URL+"/jwks", nil
				})
			},
			token: ownRaw(`{"alg":"RS256"}`, "")},
	)

	// Issuers.
	add(
		atkCase{name: "token of issuer B signed with issuer A's key (same kid)", want: jwtverify.ErrSignature, token: func(t *testing.T, f *atkFixture) string {
			if a, b := f.iss.KeyID("RS256"), f.other.KeyID("RS256"); a != b {
				t.Fatalf("fixture: issuer kids %q and %q should collide", a, b)
			}
			return f.mint(t, jwttest.Token{Claims: map[string]any{"iss": f.other.URL}})
		}},
		atkCase{name: "token of issuer B signed with issuer A's key (A's kid)", want: jwtverify.ErrUnknownKey, token: func(t *testing.T, f *atkFixture) string {
			return f.mint(t, jwttest.Token{Alg: "ES256", Claims: map[string]any{"iss": f.other.URL}})
		}},
		atkCase{name: "token of issuer A signed with issuer B's key", want: jwtverify.ErrSignature, token: func(t *testing.T, f *atkFixture) string {
			return f.other.MintWith(t, jwttest.Token{Claims: atkClaims(map[string]any{"iss": f.iss.URL})})
		}},
		atkCase{name: "token of the own issuer signed with issuer A's key", want: jwtverify.ErrUnknownKey, token: func(t *testing.T, f *atkFixture) string {
			return f.mint(t, jwttest.Token{Claims: map[string]any{"iss": f.own.URL}})
		}},
		atkCase{name: "unknown issuer causes no fetch", want: jwtverify.ErrIssuer, token: func(t *testing.T, f *atkFixture) string {
			return atkSign(t, "RS256", atkKeys().attacker, `{"alg":"RS256","kid":"attacker"}`,
				fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":%d}`, f.attacker.URL, atkAud, now+3600))
		}},
		atkCase{name: "unknown issuer with a resolver that refuses it causes no fetch", want: jwtverify.ErrIssuer,
			verifier: func(t *testing.T, f *atkFixture) *jwtverify.Verifier {
				return f.newVerifier(t, func(c *jwtverify.Config) {
					c.IssuerResolver = func(context.Context, string) (string, error) {
						return "", errors.New("not a tenant")
					}
				})
			},
			token: func(t *testing.T, f *atkFixture) string {
				return atkSign(t, "RS256", atkKeys().attacker, `{"alg":"RS256","kid":"attacker"}`,
					fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":%d}`, f.attacker.URL, atkAud, now+3600))
			}},
		atkCase{name: "iss with a trailing slash added", want: jwtverify.ErrIssuer, token: func(t *testing.T, f *atkFixture) string {
			return f.mint(t, jwttest.Token{Claims: map[string]any{"iss": f.iss.URL + "/"}})
		}},
		atkCase{name: "iss in another case", want: jwtverify.ErrIssuer, token: func(t *testing.T, f *atkFixture) string {
			return f.mint(t, jwttest.Token{Claims: map[string]any{"iss": strings.ToUpper(f.iss.URL)}})
		}},
		atkCase{name: "wrong issuer", want: jwtverify.ErrIssuer, token: claimsA(map[string]any{"iss": "https://evil.example"})},
		atkCase{name: "iss missing", want: jwtverify.ErrMissingClaim, token: claimsA(map[string]any{"iss": nil})},
		atkCase{name: "iss empty", want: jwtverify.ErrMissingClaim, token: claimsA(map[string]any{"iss": ""})},
		atkCase{name: "iss as an array", want: jwtverify.ErrMalformed, token: func(t *testing.T, f *atkFixture) string {
			return f.mint(t, jwttest.Token{Claims: map[string]any{"iss": []string{f.iss.URL}}})
		}},
	)

	// Audiences.
	add(
		atkCase{name: "wrong audience", want: jwtverify.ErrAudience, token: claimsA(map[string]any{"aud": "https://other.example"})},
		atkCase{name: "audience in another case", want: jwtverify.ErrAudience, token: claimsA(map[string]any{"aud": strings.ToUpper(atkAud)})},
		atkCase{name: "audience array without ours", want: jwtverify.ErrAudience, token: claimsA(map[string]any{"aud": []string{"a", "b"}})},
		atkCase{name: "audience array with ours accepted", want: nil, token: claimsA(map[string]any{"aud": []string{"a", atkAud}})},
		atkCase{name: "aud missing", want: jwtverify.ErrMissingClaim, token: claimsA(map[string]any{"aud": nil})},
		atkCase{name: "aud empty array", want: jwtverify.ErrMissingClaim, token: claimsA(map[string]any{"aud": []string{}})},
		atkCase{name: "aud as an object", want: jwtverify.ErrMalformed, token: claimsA(map[string]any{"aud": map[string]any{atkAud: true}})},
		atkCase{name: "aud as a number", want: jwtverify.ErrMalformed, token: claimsA(map[string]any{"aud": 1})},
		atkCase{name: "aud as true", want: jwtverify.ErrMalformed, token: claimsA(map[string]any{"aud": true})},
		atkCase{name: "aud array holding an object", want: jwtverify.ErrMalformed, token: claimsA(map[string]any{"aud": []any{atkAud, map[string]any{}}})},
		atkCase{name: "aud array holding a number", want: jwtverify.ErrMalformed, token: claimsA(map[string]any{"aud": []any{atkAud, 1}})},
		atkCase{name: "aud nested array", want: jwtverify.ErrMalformed, token: claimsA(map[string]any{"aud": []any{[]string{atkAud}}})},
		atkCase{name: "aud null", want: jwtverify.ErrMalformed, token: ownClaimsRaw(func(f *atkFixture) string {
			return fmt.Sprintf(`{"iss":%q,"aud":null,"exp":%d}`, f.own.URL, now+3600)
		})},
	)

	// Times.
	add(
		atkCase{name: "expired", want: jwtverify.ErrExpired, token: claimsA(map[string]any{"exp": now - 3600})},
		atkCase{name: "expired just beyond the leeway", want: jwtverify.ErrExpired, token: claimsA(map[string]any{"exp": now - int64(defaultLeeway/time.Second) - 1})},
		atkCase{name: "expired within the leeway accepted", want: nil, token: claimsA(map[string]any{"exp": now - 30})},
		atkCase{name: "future nbf", want: jwtverify.ErrNotYetValid, token: claimsA(map[string]any{"nbf": now + 300})},
		atkCase{name: "nbf within the leeway accepted", want: nil, token: claimsA(map[string]any{"nbf": now + 30})},
		atkCase{name: "future iat", want: jwtverify.ErrNotYetValid, token: claimsA(map[string]any{"iat": now + 300})},
		atkCase{name: "missing exp", want: jwtverify.ErrMissingClaim, token: claimsA(map[string]any{"exp": nil})},
		atkCase{name: "exp as a string", want: jwtverify.ErrMalformed, token: claimsA(map[string]any{"exp": fmt.Sprint(now + 3600)})},
		atkCase{name: "exp as a float in the future accepted", want: nil, token: claimsA(map[string]any{"exp": float64(now) + 3600.5})},
		atkCase{name: "exp as a float in the past", want: jwtverify.ErrExpired, token: claimsA(map[string]any{"exp": float64(now) - 3600.5})},
		atkCase{name: "exp in exponent notation accepted", want: nil, token: ownClaimsRaw(func(f *atkFixture) string {
			return fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":1.9e9}`, f.own.URL, atkAud)
		})},
		atkCase{name: "exp huge (1e300)", want: jwtverify.ErrMalformed, token: claimsA(map[string]any{"exp": 1e300})},
		atkCase{name: "exp past year 9999", want: jwtverify.ErrMalformed, token: claimsA(map[string]any{"exp": int64(253402300800)})},
		atkCase{name: "exp beyond float64 (1e400)", want: jwtverify.ErrMalformed, token: ownClaimsRaw(func(f *atkFixture) string {
			return fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":1e400}`, f.own.URL, atkAud)
		})},
		atkCase{name: "exp with 30 digits", want: jwtverify.ErrMalformed, token: ownClaimsRaw(func(f *atkFixture) string {
			return fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":100000000000000000000000000000}`, f.own.URL, atkAud)
		})},
		atkCase{name: "exp NaN", want: jwtverify.ErrMalformed, token: ownClaimsRaw(func(f *atkFixture) string {
			return fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":NaN}`, f.own.URL, atkAud)
		})},
		atkCase{name: "exp Infinity", want: jwtverify.ErrMalformed, token: ownClaimsRaw(func(f *atkFixture) string {
			return fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":Infinity}`, f.own.URL, atkAud)
		})},
		atkCase{name: "exp negative", want: jwtverify.ErrExpired, token: claimsA(map[string]any{"exp": -1})},
		atkCase{name: "exp negative huge", want: jwtverify.ErrMalformed, token: claimsA(map[string]any{"exp": -1e300})},
		atkCase{name: "exp zero", want: jwtverify.ErrExpired, token: claimsA(map[string]any{"exp": 0})},
		atkCase{name: "exp minus zero", want: jwtverify.ErrExpired, token: ownClaimsRaw(func(f *atkFixture) string {
			return fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":-0}`, f.own.URL, atkAud)
		})},
		atkCase{name: "exp null", want: jwtverify.ErrMalformed, token: ownClaimsRaw(func(f *atkFixture) string {
			return fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":null}`, f.own.URL, atkAud)
		})},
		atkCase{name: "exp true", want: jwtverify.ErrMalformed, token: claimsA(map[string]any{"exp": true})},
		atkCase{name: "exp as an array", want: jwtverify.ErrMalformed, token: claimsA(map[string]any{"exp": []int64{now + 3600}})},
		atkCase{name: "nbf as a string", want: jwtverify.ErrMalformed, token: claimsA(map[string]any{"nbf": "0"})},
		atkCase{name: "iat as a string", want: jwtverify.ErrMalformed, token: claimsA(map[string]any{"iat": "0"})},
		atkCase{name: "iat huge", want: jwtverify.ErrMalformed, token: claimsA(map[string]any{"iat": 1e300})},
		atkCase{name: "claims not an object", want: jwtverify.ErrMalformed, token: ownClaimsRaw(func(*atkFixture) string { return `[1]` })},
		atkCase{name: "claims with invalid UTF-8", want: jwtverify.ErrMalformed, token: ownClaimsRaw(func(f *atkFixture) string {
			return fmt.Sprintf("{\"iss\":%q,\"aud\":%q,\"exp\":%d,\"sub\":\"\xff\"}", f.own.URL, atkAud, now+3600)
		})},
	)

	// Explicit typing.
	for _, typ := range []string{"at+jwt", "application/at+jwt", "AT+JWT", "Application/At+JWT"} {
		add(atkCase{name: "typ " + typ + " accepted", want: nil, token: mintA(jwttest.Token{Header: map[string]any{"typ": typ}})})
		add(atkCase{name: "typ " + typ + " accepted with StrictRFC9068", strict: true, want: nil, token: mintA(jwttest.Token{Header: map[string]any{"typ": typ}})})
	}
	for _, typ := range []string{"JWT", "jwt", "application/jwt"} {
		add(atkCase{name: "typ " + typ + " accepted by default", want: nil, token: mintA(jwttest.Token{Header: map[string]any{"typ": typ}})})
		add(atkCase{name: "typ " + typ + " (an ID token's) rejected with StrictRFC9068", strict: true, want: jwtverify.ErrType, token: mintA(jwttest.Token{Header: map[string]any{"typ": typ}})})
	}
	add(
		atkCase{name: "typ absent accepted by default", want: nil, token: mintA(jwttest.Token{Header: map[string]any{"typ": nil}})},
		atkCase{name: "typ absent rejected with StrictRFC9068", strict: true, want: jwtverify.ErrType, token: mintA(jwttest.Token{Header: map[string]any{"typ": nil}})},
	)
	for _, typ := range []string{"dpop+jwt", "logout+jwt", "secevent+jwt", "token-introspection+jwt", "application/dpop+jwt",
		"id_token+jwt", "JOSE", "JOSE+JSON", "at+jwt ", "at+jwt; charset=utf-8", "application/", "", "jwt+at", "application/application/at+jwt"} {
		add(atkCase{name: fmt.Sprintf("typ %q rejected", typ), want: jwtverify.ErrType, token: mintA(jwttest.Token{Header: map[string]any{"typ": typ}})})
	}
	for _, typ := range []string{"dpop+jwt", "logout+jwt", "secevent+jwt", "token-introspection+jwt"} {
		add(atkCase{name: fmt.Sprintf("typ %q rejected with StrictRFC9068", typ), strict: true, want: jwtverify.ErrType, token: mintA(jwttest.Token{Header: map[string]any{"typ": typ}})})
	}

	// StrictRFC9068 required claims.
	for _, c := range []string{"sub", "client_id", "iat", "jti"} {
		add(atkCase{name: "StrictRFC9068 without " + c, strict: true, want: jwtverify.ErrMissingClaim, token: claimsA(map[string]any{c: nil})})
	}
	return cases
}

// keySourceValue is the value of a jku, x5u, x5c or jwk header that points
// at the attacker's server or embeds the attacker's key.
func (f *atkFixture) keySourceValue(t *testing.T, member string) any {
	t.Helper()
	k := atkKeys().attacker
	switch member {
	case "jku":
		return f.attacker.URL + "/jwks"
	case "x5u":
		return f.attacker.URL + "/cert"
	case "x5c":
		return []string{base64.StdEncoding.EncodeToString(atkSelfSigned(t, k))}
	case "jwk":
		return jwttest.PublicJWK(&k.PublicKey, "attacker", "RS256")
	}
	t.Fatalf("unknown key source %q", member)
	return nil
}

// TestAttackRemoteKeySet serves a key set that mixes usable keys with keys
// that must be dropped (encryption keys, private and symmetric keys, weak
// RSA, off-curve EC points): tokens of the dropped keys are unknown-key
// rejections, the usable keys keep verifying, and the unknown kids cost no
// more fetches than the miss budget.
func TestAttackRemoteKeySet(t *testing.T) {
	k := atkKeys()
	jwk := func(pub crypto.PublicKey, kid string, edits map[string]any) map[string]any {
		m := jwttest.PublicJWK(pub, kid, "")
		for name, v := range edits {
			if v == nil {
				delete(m, name)
			} else {
				m[name] = v
			}
		}
		return m
	}
	offY := k.p256.Y.FillBytes(make([]byte, 32))
	offY[31] ^= 1
	hugeE := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 64), big.NewInt(1))
	secret := []byte("a shared secret of 32 bytes!!!!!")

	srv := newAtkServer(t, nil)
	srv.publish(t,
		jwk(&k.rsa.PublicKey, "good-rsa", map[string]any{"alg": "RS256"}),
		jwk(&k.rsa.PublicKey, "enc", map[string]any{"use": "enc"}),
		jwk(&k.rsa.PublicKey, "keyops-encrypt", map[string]any{"use": nil, "key_ops": []string{"encrypt"}}),
		jwk(&k.rsa.PublicKey, "private", map[string]any{"d": atkB64(k.rsa.D.Bytes()), "p": atkB64(k.rsa.Primes[0].Bytes()), "q": atkB64(k.rsa.Primes[1].Bytes())}),
		map[string]any{"kty": "oct", "kid": "oct", "use": "sig", "alg": "HS256", "k": atkB64(secret)},
		jwk(&k.rsa1024.PublicKey, "small", nil),
		jwk(&k.rsa.PublicKey, "even-e", map[string]any{"e": atkB64(big.NewInt(65538).Bytes())}),
		jwk(&k.rsa.PublicKey, "huge-e", map[string]any{"e": atkB64(hugeE.Bytes())}),
		jwk(&k.rsa.PublicKey, "hs-alg", map[string]any{"alg": "HS256"}),
		jwk(&k.p256.PublicKey, "good-ec", nil),
		jwk(&k.p256.PublicKey, "off-curve", map[string]any{"y": atkB64(offY)}),
		jwk(&k.p256.PublicKey, "wrong-crv", map[string]any{"crv": "P-384"}),
		jwk(k.ed.Public(), "good-ed", nil),
		jwk(k.ed.Public(), "x25519", map[string]any{"crv": "X25519"}),
	)
	issuer := srv.URL
	v, err := jwtverify.New(t.Context(), jwtverify.Config{
		Issuer: issuer, JWKSURL: srv.URL + "/jwks", Audiences: []string{atkAud},
		Now: func() time.Time { return atkNow }, CacheSize: -1,
	})
	if err != nil {
		t.Fatalf("jwtverify.New: %v", err)
	}
	t.Cleanup(v.Close)
	fetchesAtStart := srv.hits.Load()

	claims := fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":%d}`, issuer, atkAud, atkNow.Add(time.Hour).Unix())
	sign := func(alg string, key crypto.Signer, kid string) func(t *testing.T) string {
		return func(t *testing.T) string {
			return atkSign(t, alg, key, fmt.Sprintf(`{"alg":%q,"kid":%q}`, alg, kid), claims)
		}
	}
	good := []struct {
		name  string
		token func(t *testing.T) string
	}{
		{"good RSA key", sign("RS256", k.rsa, "good-rsa")},
		{"good EC key", sign("ES256", k.p256, "good-ec")},
		{"good Ed25519 key", sign("EdDSA", k.ed, "good-ed")},
	}
	tests := []struct {
		name  string
		token func(t *testing.T) string
		want  error
	}{
		{"use enc key", sign("RS256", k.rsa, "enc"), jwtverify.ErrUnknownKey},
		{"key_ops encrypt key", sign("RS256", k.rsa, "keyops-encrypt"), jwtverify.ErrUnknownKey},
		{"private key (d present)", sign("RS256", k.rsa, "private"), jwtverify.ErrUnknownKey},
		{"symmetric key with HS256", func(t *testing.T) string {
			return atkHMAC("HS256", secret, `{"alg":"HS256","kid":"oct"}`, claims)
		}, jwtverify.ErrAlgorithm},
		{"symmetric key's kid with RS256", sign("RS256", k.rsa, "oct"), jwtverify.ErrUnknownKey},
		{"RSA key under 2048 bits", sign("RS256", k.rsa1024, "small"), jwtverify.ErrUnknownKey},
		{"RSA even exponent", sign("RS256", k.rsa, "even-e"), jwtverify.ErrUnknownKey},
		{"RSA huge exponent", sign("RS256", k.rsa, "huge-e"), jwtverify.ErrUnknownKey},
		{"RSA key with alg HS256", sign("RS256", k.rsa, "hs-alg"), jwtverify.ErrUnknownKey},
		{"EC point not on the curve", sign("ES256", k.p256, "off-curve"), jwtverify.ErrUnknownKey},
		{"EC point on the wrong curve", sign("ES256", k.p256, "wrong-crv"), jwtverify.ErrUnknownKey},
		{"OKP X25519 key", sign("EdDSA", k.ed, "x25519"), jwtverify.ErrUnknownKey},
	}
	for _, g := range good {
		t.Run("before/"+g.name, func(t *testing.T) {
			c, err := v.Verify(t.Context(), g.token(t))
			atkCheck(t, g.name, c, err, nil)
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Verify(t.Context(), tt.token(t))
			atkCheck(t, tt.name, c, err, tt.want)
		})
	}
	for _, g := range good {
		t.Run("after/"+g.name, func(t *testing.T) {
			c, err := v.Verify(t.Context(), g.token(t))
			atkCheck(t, g.name, c, err, nil)
		})
	}
	if got, limit := srv.hits.Load()-fetchesAtStart, int64(missBudget); got > limit {
		t.Errorf("unknown kids of dropped keys caused %d key set fetches, want at most the miss budget %d", got, limit)
	}
}

// TestAttackConfigRefusesHMACAndNone checks that no configuration can allow
// HMAC or none with JWK Set keys.
func TestAttackConfigRefusesHMACAndNone(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{})
	for _, alg := range []string{"HS256", "HS384", "HS512", "none", "None", "rs256", ""} {
		t.Run(fmt.Sprintf("%q", alg), func(t *testing.T) {
			v, err := jwtverify.New(t.Context(), jwtverify.Config{Issuer: iss.URL, JWKSURL: iss.JWKSURL, Audiences: []string{atkAud}, Algorithms: []string{"RS256", alg}})
			if err == nil {
				v.Close()
				t.Fatalf("jwtverify.New(Algorithms: RS256, %q) = nil error, want a configuration error", alg)
			}
		})
	}
}
