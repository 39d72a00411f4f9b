package realworld

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

// The vendors' hosts. A world serves all of them over TLS.
const (
	hostEntra     = "login.microsoftonline.com"
	hostEntraV1   = "sts.windows.net"
	hostAuth0     = "my-tenant.us.auth0.com"
	hostOkta      = "dev-133337.okta.com"
	hostKeycloak  = "keycloak.example.com"
	hostCognito   = "cognito-idp.us-east-1.amazonaws.com"
	hostGoogle    = "accounts.google.com"
	hostGoogleAPI = "www.googleapis.com"
	hostHydra     = "hydra.example.com"
	hostHydraAdm  = "hydra-admin.example.com"
	hostOP        = "op.example.com"
	hostDuende    = "demo.duendesoftware.com"
	hostSpring    = "spring-as.example.com"
	hostZitadel   = "acme-x1y2z3.zitadel.cloud"
)

var worldHosts = []string{
	hostEntra, hostEntraV1, hostAuth0, hostOkta, hostKeycloak, hostCognito, hostGoogle, hostGoogleAPI,
	hostHydra, hostHydraAdm, hostOP, hostDuende, hostSpring, hostZitadel,
}

// now is the clock of every test: tokens are minted and checked at it.
var now = time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC)

func clock() time.Time { return now }

// world is a set of vendor hosts served by one in-process TLS server. Its
// client dials that server whatever the host, and trusts its certificate
// alone (issued for the vendor host names), so requests for
// https://login.microsoftonline.com/... are answered here, with the host
// name verified as usual. Nothing reaches the network.
type world struct {
	srv    *httptest.Server
	client *http.Client
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey

	mu     sync.Mutex
	routes map[string]http.Handler // "https://host/path" → handler
}

// newWorld starts a world for t and stops it when t ends.
func newWorld(t *testing.T) *world {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("ecdsa.GenerateKey: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "tokenguard realworld test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		DNSNames:              worldHosts,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("x509.CreateCertificate: %v", err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("x509.ParseCertificate: %v", err)
	}
	w := &world{ca: ca, caKey: key, routes: make(map[string]http.Handler)}
	w.srv = httptest.NewUnstartedServer(http.HandlerFunc(w.serve))
	w.srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	w.srv.StartTLS()
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	addr := w.srv.Listener.Addr().String()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		},
		TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
	}
	w.client = &http.Client{Transport: tr, Timeout: 5 * time.Second}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		w.srv.Close()
	})
	return w
}

func (w *world) serve(rw http.ResponseWriter, r *http.Request) {
	w.mu.Lock()
	h := w.routes["https://"+r.Host+r.URL.Path+"?"+r.URL.RawQuery]
	if h == nil {
		h = w.routes["https://"+r.Host+r.URL.Path]
	}
	w.mu.Unlock()
	if h == nil {
		http.NotFound(rw, r)
		return
	}
	h.ServeHTTP(rw, r)
}

// handle serves h at rawURL (an https URL on one of the world's hosts).
// A URL with a query is served only for that exact query; one without, for
// any query that has no route of its own.
func (w *world) handle(t *testing.T, rawURL string, h http.Handler) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "https" {
		t.Fatalf("world: bad route %q", rawURL)
	}
	key := "https://" + u.Host + u.Path
	if u.RawQuery != "" {
		key += "?" + u.RawQuery
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.routes[key] = h
}

// doc is a JSON document as a vendor serves it: the body and the headers
// that come with it.
type doc struct {
	body        any
	contentType string // if empty, application/json
	headers     map[string]string
}

// serveJSON serves d at rawURL for GET requests.
func (w *world) serveJSON(t *testing.T, rawURL string, d doc) {
	t.Helper()
	body, err := json.Marshal(d.body)
	if err != nil {
		t.Fatalf("world: json.Marshal(%s): %v", rawURL, err)
	}
	ct := d.contentType
	if ct == "" {
		ct = "application/json"
	}
	w.handle(t, rawURL, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		rw.Header().Set("Content-Type", ct)
		for k, v := range d.headers {
			rw.Header().Set(k, v)
		}
		rw.Write(body)
	}))
}

// signingKey is the public half of the jwttest issuer's key as a vendor
// publishes it: the JWK members n and e, and a certificate for it (x5c)
// with its thumbprints, which some vendors publish beside the key.
type signingKey struct {
	n, e            string
	x5c             string // base64 (not url) DER, as RFC 7517 §4.7 has it
	x5t, x5tS256    string // base64url SHA-1 and SHA-256 of the DER
	jwttestKID, alg string // the key's kid in the jwttest issuer, and its alg
}

// keyOf returns the public members of the jwttest issuer's current key for
// alg, with a certificate for it issued by the world's CA.
func (w *world) keyOf(t *testing.T, iss *jwttest.Issuer, alg string) signingKey {
	t.Helper()
	kid := iss.KeyID(alg)
	pub := iss.PublicKey(kid)
	if pub == nil {
		t.Fatalf("jwttest issuer has no key for %s", alg)
	}
	k := w.publicKey(t, pub)
	k.jwttestKID, k.alg = kid, alg
	return k
}

// publicKey returns the JWK members of pub, with a certificate for it
// issued by the world's CA.
func (w *world) publicKey(t *testing.T, pub crypto.PublicKey) signingKey {
	t.Helper()
	jwk := jwttest.PublicJWK(pub, "", "")
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "signing key"},
		NotBefore:    now.Add(-24 * time.Hour),
		NotAfter:     now.Add(5 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, w.ca, pub, w.caKey)
	if err != nil {
		t.Fatalf("x509.CreateCertificate: %v", err)
	}
	s1, s256 := sha1.Sum(der), sha256.Sum256(der)
	k := signingKey{x5c: base64.StdEncoding.EncodeToString(der), x5t: b64(s1[:]), x5tS256: b64(s256[:])}
	k.n, _ = jwk["n"].(string)
	k.e, _ = jwk["e"].(string)
	return k
}

// otherRSAKey returns a fresh RSA public key that signs nothing here: the
// key a vendor publishes beside the one that signed (the next key of a
// rotation, Keycloak's encryption key).
func otherRSAKey(t *testing.T) *rsa.PublicKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("rsa.GenerateKey: %v", err)
	}
	return &k.PublicKey
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// outcome compares what a call returned with what a row wants: want nil
// means accepted, otherwise err must match want with errors.Is. It reports
// whether the token was accepted as wanted.
func outcome(t *testing.T, call string, err, want error) bool {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Errorf("%s = %v, want accepted", call, err)
	case want != nil && err == nil:
		t.Errorf("%s accepted the token, want an error matching %v", call, want)
	case want != nil && !errors.Is(err, want):
		t.Errorf("%s = %v, want an error matching %v", call, err, want)
	}
	return want == nil && err == nil
}

// decode reads c's custom claims into a new V, failing t on error.
func decode[V any](t *testing.T, c *jwtverify.Claims) V {
	t.Helper()
	var v V
	if err := c.Decode(&v); err != nil {
		t.Fatalf("Claims.Decode(%T) = %v", v, err)
	}
	return v
}
