package integration

// The harness for sender-constrained tokens: DPoP-bound ones (RFC 9449) and
// certificate-bound ones (RFC 8705), as oidc-provider issues them. A test of
// a resource server gets a bound token with
//
//	token, key, tokenType := srv.dpopToken(t, resES256, readScope, "ES256")
//	proof := key.MustProof(t, http.MethodGet, api.URL+"/orders", token, "")
//	// Authorization: DPoP <token>, DPoP: <proof>
//
//	token, cert := srv.certificateBoundToken(t, resES256, readScope)
//	// Authorization: Bearer <token>, over TLS presenting cert
//	other := srv.clientCertificate(t, "someone else") // another thumbprint
//
// and the server's view of a token with jwtConfirmation (JWT) or
// srv.introspectRaw (opaque).

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

// clientSecret returns the secret of one of server.mjs's clients.
func clientSecret(t *testing.T, clientID string) string {
	t.Helper()
	secret, ok := map[string]string{
		apiClientID:  apiClientSecret,
		dpopClientID: dpopClientSecret,
		mtlsClientID: mtlsClientSecret,
		rsClientID:   rsClientSecret,
	}[clientID]
	if !ok {
		t.Fatalf("no client %q in server.mjs", clientID)
	}
	return secret
}

// tokenForm is the form of a client_credentials token request for
// resource; scope may be empty (all the client may have).
func tokenForm(resource, scope string) url.Values {
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {resource}}
	if scope != "" {
		form.Set("scope", scope)
	}
	return form
}

// parseTokenResponse fails t unless resp is a 200 token response with an
// access token of type wantType (compared without case, as RFC 6749
// section 5.1 says).
func parseTokenResponse(t *testing.T, resp *formResponse, wantType string) tokenResponse {
	t.Helper()
	if resp.Status != http.StatusOK {
		t.Fatalf("token request: status %d, want 200: %s", resp.Status, resp.Body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(resp.Body, &tr); err != nil || tr.AccessToken == "" || !strings.EqualFold(tr.TokenType, wantType) {
		t.Fatalf("token request: bad response (%v), want an access token of type %s: %s", err, wantType, resp.Body)
	}
	return tr
}

// oauthError returns the error member of a token endpoint's error answer
// (RFC 6749 section 5.2), or "" when the body has none.
func oauthError(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	return e.Error
}

// newProofKey generates a DPoP key for alg (see [jwttest.NewProofKey]).
func newProofKey(t *testing.T, alg string) *jwttest.ProofKey {
	t.Helper()
	key, err := jwttest.NewProofKey(alg)
	if err != nil {
		t.Fatalf("jwttest.NewProofKey(%q) = %v", alg, err)
	}
	return key
}

// dpopToken gets an access token for resource bound to a new DPoP key of
// algorithm proofAlg (ES256, ES384, ES512, RS256…, PS256…, EdDSA): the API
// client asks with the client_credentials grant, sending a proof of
// possession of the key to the token endpoint (RFC 9449 section 5), and
// retrying once with a server nonce if the server asks for one. It returns
// the token, the key (its Thumbprint is the token's cnf.jkt; its
// MustProof/SignProof make the proofs that go with the token) and the
// response's token_type (DPoP). scope may be empty. It fails t unless a
// DPoP token comes.
func (s *authServer) dpopToken(t *testing.T, resource, scope, proofAlg string) (token string, key *jwttest.ProofKey, tokenType string) {
	t.Helper()
	key = newProofKey(t, proofAlg)
	g := s.requestDPoPToken(t, apiClientID, key, resource, scope)
	return g.Token, key, g.TokenType
}

// dpopGrant is what [authServer.requestDPoPToken] got.
type dpopGrant struct {
	Token     string
	TokenType string // token_type of the response: DPoP
	// Nonce is the server nonce (DPoP-Nonce) that the accepted proof
	// carried: "" when the first proof, without one, was accepted.
	Nonce string
}

// requestDPoPToken gets an access token for resource bound to key, as
// clientID (apiClientID, or dpopClientID, whose proofs need a server
// nonce). The first proof carries no nonce; when the server answers
// use_dpop_nonce with a DPoP-Nonce header (RFC 9449 section 8), it retries
// once with a new proof carrying that nonce. It fails t unless a token of
// type DPoP comes.
func (s *authServer) requestDPoPToken(t *testing.T, clientID string, key *jwttest.ProofKey, resource, scope string) dpopGrant {
	t.Helper()
	var nonce string
	resp := s.postDPoPToken(t, clientID, key, resource, scope, "")
	if resp.Status == http.StatusBadRequest && oauthError(resp.Body) == "use_dpop_nonce" {
		if nonce = resp.Header.Get("DPoP-Nonce"); nonce == "" {
			t.Fatalf("token request as %s: use_dpop_nonce without a DPoP-Nonce header: %s", clientID, resp.Body)
		}
		resp = s.postDPoPToken(t, clientID, key, resource, scope, nonce)
	}
	tr := parseTokenResponse(t, resp, "DPoP")
	return dpopGrant{Token: tr.AccessToken, TokenType: tr.TokenType, Nonce: nonce}
}

// postDPoPToken makes one client_credentials token request for resource as
// clientID, with a DPoP header holding a fresh proof by key for POST at the
// token endpoint, carrying nonce when it is not empty; a nil key sends no
// DPoP header. It returns the answer, whatever it is.
func (s *authServer) postDPoPToken(t *testing.T, clientID string, key *jwttest.ProofKey, resource, scope, nonce string) *formResponse {
	t.Helper()
	endpoint := s.Metadata(t).TokenEndpoint
	header := http.Header{}
	if key != nil {
		header.Set("DPoP", key.MustProof(t, http.MethodPost, endpoint, "", nonce))
	}
	return post(t, testClient, endpoint, clientID, clientSecret(t, clientID), tokenForm(resource, scope), header)
}

// certificateBoundToken gets an access token for resource bound to a new
// client certificate: the mTLS client asks with the client_credentials
// grant at the token endpoint's mTLS alias (RFC 8705 section 5),
// presenting the certificate in the TLS handshake. It returns the token,
// whose cnf.x5t#S256 is [certificateThumbprint] of the certificate, and
// the certificate with its key, for the tls.Config.Certificates of a
// client of the API under test. scope may be empty. It fails t unless a
// token comes (of type Bearer: RFC 8705 keeps the token type).
func (s *authServer) certificateBoundToken(t *testing.T, resource, scope string) (string, tls.Certificate) {
	t.Helper()
	cert := s.clientCertificate(t, mtlsClientID)
	resp := s.postMTLSToken(t, mtlsClientID, &cert, resource, scope)
	return parseTokenResponse(t, resp, "Bearer").AccessToken, cert
}

// clientCertificate returns a new client certificate with subject CN name
// (see [testPKI.clientCertificate]): another certificate for the same
// client has another thumbprint.
func (s *authServer) clientCertificate(t *testing.T, name string) tls.Certificate {
	t.Helper()
	if s.pki == nil {
		t.Fatalf("authorization server %s has no HTTPS listener (started without a testPKI)", s.Issuer)
	}
	return s.pki.clientCertificate(t, name)
}

// postMTLSToken makes one client_credentials token request for resource
// as clientID at the mTLS alias of the token endpoint, presenting cert in
// the TLS handshake (nil: no certificate). It returns the answer, whatever
// it is.
func (s *authServer) postMTLSToken(t *testing.T, clientID string, cert *tls.Certificate, resource, scope string) *formResponse {
	t.Helper()
	endpoint := s.Metadata(t).MTLSAliases.TokenEndpoint
	return post(t, s.mtlsClient(t, cert), endpoint, clientID, clientSecret(t, clientID), tokenForm(resource, scope), nil)
}

// mtlsClient returns an HTTP client for the server's HTTPS listener: it
// trusts the test CA alone and presents cert (nil: no certificate). Its
// idle connections are closed when t ends.
func (s *authServer) mtlsClient(t *testing.T, cert *tls.Certificate) *http.Client {
	t.Helper()
	if s.pki == nil {
		t.Fatalf("authorization server %s has no HTTPS listener (started without a testPKI)", s.Issuer)
	}
	config := &tls.Config{RootCAs: s.pki.roots, MinVersion: tls.VersionTLS12}
	if cert != nil {
		config.Certificates = []tls.Certificate{*cert}
	}
	transport := &http.Transport{TLSClientConfig: config}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{Transport: transport, Timeout: 10 * time.Second}
}

// jwtConfirmation returns the cnf claim (RFC 7800) of a JWT access token
// as the server wrote it, read without verifying the signature: nil when
// the token has none. It fails t unless cnf, when present, is an object of
// strings.
func jwtConfirmation(t *testing.T, token string) map[string]string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token is not a compact JWS: %.20q...", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("JWT payload: %v", err)
	}
	var payload struct {
		Cnf map[string]string `json:"cnf"`
	}
	if err := json.Unmarshal(raw, &payload); err != nil {
		t.Fatalf("JWT payload %s: %v", raw, err)
	}
	return payload.Cnf
}

// introspection is the part of an RFC 7662 answer the binding tests read.
type introspection struct {
	Active    bool              `json:"active"`
	ClientID  string            `json:"client_id"`
	TokenType string            `json:"token_type"`
	Cnf       map[string]string `json:"cnf"` // nil when absent
}

// introspectRaw asks the introspection endpoint about token, as the
// resource server, and returns the server's answer as it is (not through
// package introspect).
func (s *authServer) introspectRaw(t *testing.T, token string) introspection {
	t.Helper()
	status, body := postForm(t, s.Metadata(t).IntrospectionEndpoint, rsClientID, rsClientSecret,
		url.Values{"token": {token}, "token_type_hint": {"access_token"}})
	var in introspection
	if status != http.StatusOK {
		t.Fatalf("introspection: status %d: %s", status, body)
	}
	if err := json.Unmarshal(body, &in); err != nil {
		t.Fatalf("introspection answer %s: %v", body, err)
	}
	return in
}
