package integration

// A resource server in front of which the bound tokens of bound_test.go
// are presented: jwtverify (JWTs) and package introspect (opaque tokens),
// chained behind a middleware.Guard, served over TLS by an httptest
// server that asks every client for a certificate.

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tokenguard/tokenguard/introspect"
	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
)

// boundAnswer is what the resource server's handler answers: read from
// the claims on the request's context.
type boundAnswer struct {
	ClientID              string `json:"client_id"`
	KeyThumbprint         string `json:"jkt"`
	CertificateThumbprint string `json:"x5t#S256"`
}

// resourceServer is a running API protected by one Guard.
type resourceServer struct {
	URL string // https://127.0.0.1:port
	srv *httptest.Server
}

// newResourceServer starts, for the time of t, an API over TLS whose one
// route, /orders (any method), answers a boundAnswer to requests that the
// Guard built from cfg admits. The Guard authenticates JWTs for resES256
// and resRS256 with a Verifier and opaque tokens for resOpaque by
// introspection. The TLS server asks each client for a certificate and
// verifies one that is sent against auth's test CA, as an mTLS API that
// accepts certificate-bound tokens does; a client without one gets through
// the handshake.
func newResourceServer(t *testing.T, auth *authServer, cfg middleware.Config) *resourceServer {
	t.Helper()
	verifier := newVerifier(t, auth, jwtverify.Config{Audiences: []string{resES256, resRS256}})
	guard, err := middleware.NewGuard(middleware.Chain(verifier, newIntrospector(t, auth, introspect.Config{})), cfg)
	if err != nil {
		t.Fatalf("middleware.NewGuard = %v", err)
	}
	api := httptest.NewUnstartedServer(guard.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := jwtverify.ClaimsFromContext(r.Context())
		if !ok || r.URL.Path != "/orders" {
			http.Error(w, "no claims or unknown path", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(boundAnswer{
			ClientID:              c.ClientID,
			KeyThumbprint:         c.Confirmation.KeyThumbprint,
			CertificateThumbprint: c.Confirmation.CertificateThumbprint,
		})
	})))
	api.TLS = &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: auth.pki.roots, MinVersion: tls.VersionTLS12}
	api.StartTLS()
	t.Cleanup(api.Close)
	return &resourceServer{URL: api.URL, srv: api}
}

// apiRequest is one request to a resourceServer.
type apiRequest struct {
	Method string // "" is GET
	// Authorization is the whole header value ("DPoP <token>", "Bearer
	// <token>"); "" sends none.
	Authorization string
	Proof         string           // the DPoP header; "" sends none
	Cert          *tls.Certificate // the client certificate; nil sends none
}

// apiResponse is a resourceServer's answer.
type apiResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends req to /orders and returns the answer.
func (s *resourceServer) do(t *testing.T, req apiRequest) *apiResponse {
	t.Helper()
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	r, err := http.NewRequestWithContext(t.Context(), method, s.URL+"/orders", nil)
	if err != nil {
		t.Fatal(err)
	}
	if req.Authorization != "" {
		r.Header.Set("Authorization", req.Authorization)
	}
	if req.Proof != "" {
		r.Header.Set("DPoP", req.Proof)
	}
	// A transport of its own, so that each request makes its own TLS
	// handshake with its own certificate (or none).
	base := s.srv.Client().Transport.(*http.Transport)
	config := base.TLSClientConfig.Clone()
	if req.Cert != nil {
		config.Certificates = []tls.Certificate{*req.Cert}
	}
	transport := &http.Transport{TLSClientConfig: config}
	defer transport.CloseIdleConnections()
	resp, err := (&http.Client{Transport: transport, Timeout: testClient.Timeout}).Do(r)
	if err != nil {
		t.Fatalf("%s %s/orders: %v", method, s.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		t.Fatalf("%s %s/orders: reading the body: %v", method, s.URL, err)
	}
	return &apiResponse{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// accepted fails t unless resp is a 200 whose handler saw client_id
// clientID and the confirmation want (jkt and x5t#S256; "" for absent).
func (resp *apiResponse) accepted(t *testing.T, clientID string, want boundAnswer) {
	t.Helper()
	if resp.Status != http.StatusOK {
		t.Fatalf("status %d, want 200; WWW-Authenticate %q; body %s", resp.Status, resp.Header.Values("WWW-Authenticate"), resp.Body)
	}
	var got boundAnswer
	if err := json.Unmarshal(resp.Body, &got); err != nil {
		t.Fatalf("body %s: %v", resp.Body, err)
	}
	want.ClientID = clientID
	if got != want {
		t.Errorf("handler saw %+v, want %+v", got, want)
	}
}

// refusal is what a refused request must get.
type refusal struct {
	Status int    // 400 or 401
	Scheme string // "bearer" or "dpop": the challenge that carries the error
	Code   string // its error; "" for none (no credentials the scheme accepts)
	// Schemes are the challenges expected in WWW-Authenticate, lower case.
	Schemes []string
}

// refused fails t unless resp is the refusal want: its status; one
// WWW-Authenticate value holding exactly want.Schemes; the error (with a
// description) on want.Scheme's challenge and on no other; algs on the
// DPoP challenge; Cache-Control: no-store; the same error in the JSON
// body.
func (resp *apiResponse) refused(t *testing.T, want refusal) {
	t.Helper()
	values := resp.Header.Values("WWW-Authenticate")
	if resp.Status != want.Status || len(values) != 1 {
		t.Fatalf("status %d, WWW-Authenticate %q; want %d and one challenge value; body %s",
			resp.Status, values, want.Status, resp.Body)
	}
	challenges, err := parseChallenges(values[0])
	if err != nil {
		t.Fatalf("WWW-Authenticate %q: %v", values[0], err)
	}
	if len(challenges) != len(want.Schemes) {
		t.Errorf("WWW-Authenticate %q, want the challenges %q", values[0], want.Schemes)
	}
	for _, scheme := range want.Schemes {
		params, ok := challenges[scheme]
		if !ok {
			t.Errorf("WWW-Authenticate %q has no %s challenge", values[0], scheme)
			continue
		}
		code := ""
		if scheme == want.Scheme {
			code = want.Code
		}
		if params["error"] != code || (params["error_description"] != "") != (code != "") {
			t.Errorf("WWW-Authenticate %q: %s challenge has error %q, description %q; want error %q",
				values[0], scheme, params["error"], params["error_description"], code)
		}
		if scheme == "dpop" && params["algs"] == "" {
			t.Errorf("WWW-Authenticate %q: DPoP challenge without algs", values[0])
		}
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	var body struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil || body.Error != want.Code {
		t.Errorf("body %s (%v), want error %q", resp.Body, err, want.Code)
	}
}

// tokenHash is the ath of a proof for token (RFC 9449 section 4.2).
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return b64(sum[:])
}

// nonceSecret returns a new random secret for server nonces.
func nonceSecret() []byte {
	secret := make([]byte, 32)
	rand.Read(secret)
	return secret
}
