package integration

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tokenguard/tokenguard/introspect"
	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
)

// The challenges a Guard sends in each DPoP mode.
var (
	bothSchemes = []string{"bearer", "dpop"} // DPoPAllowed
	dpopOnly    = []string{"dpop"}           // DPoPRequired
	bearerOnly  = []string{"bearer"}         // DPoPOff
)

// boundTokenKinds are the two shapes of DPoP-bound tokens oidc-provider
// issues: a JWT that the Guard verifies itself, and an opaque token that it
// introspects (the introspection answer carries the cnf).
var boundTokenKinds = []struct{ name, resource string }{
	{"JWT", resES256},
	{"opaque", resOpaque},
}

// TestDPoPResourceServer presents DPoP-bound tokens from oidc-provider,
// with real proofs, to a resource server (Verifier and introspection behind
// a Guard in DPoPAllowed mode, over TLS): a token with a valid proof is
// admitted and the handler sees its cnf.jkt; every proof that does not fit
// the request is refused with invalid_dpop_proof on the DPoP challenge, next
// to the Bearer one; the bound token sent as Bearer is refused (no
// downgrade, RFC 9449 section 7.2).
func TestDPoPResourceServer(t *testing.T) {
	srv := sharedServer(t)
	srv.logOnFailure(t)
	t.Parallel()
	api := newResourceServer(t, srv, middleware.Config{DPoP: middleware.DPoPConfig{Mode: middleware.DPoPAllowed}})
	url := api.URL + "/orders"
	invalidProof := refusal{Status: http.StatusUnauthorized, Scheme: "dpop", Code: "invalid_dpop_proof", Schemes: bothSchemes}

	for _, kind := range boundTokenKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			token, key, _ := srv.dpopToken(t, kind.resource, readScope, "ES256")
			// Another token bound to the same key: a proof for it has the
			// right key and the wrong ath.
			sibling := srv.requestDPoPToken(t, apiClientID, key, kind.resource, readScope).Token
			dpopAuth := "DPoP " + token
			bound := boundAnswer{KeyThumbprint: key.Thumbprint()}

			t.Run("valid proof", func(t *testing.T) {
				t.Parallel()
				api.do(t, apiRequest{Authorization: dpopAuth, Proof: key.MustProof(t, http.MethodGet, url, token, "")}).
					accepted(t, apiClientID, bound)
			})
			t.Run("each request its own proof", func(t *testing.T) {
				t.Parallel()
				for range 3 {
					api.do(t, apiRequest{Authorization: dpopAuth, Proof: key.MustProof(t, http.MethodGet, url, token, "")}).
						accepted(t, apiClientID, bound)
				}
			})
			t.Run("replayed proof", func(t *testing.T) {
				t.Parallel()
				req := apiRequest{Authorization: dpopAuth, Proof: key.MustProof(t, http.MethodGet, url, token, "")}
				api.do(t, req).accepted(t, apiClientID, bound)
				api.do(t, req).refused(t, invalidProof)
			})

			for _, tc := range []struct {
				name   string
				method string // of the request; "" for GET
				proof  func(t *testing.T) string
			}{
				{"proof for another URL", "", func(t *testing.T) string {
					return key.MustProof(t, http.MethodGet, api.URL+"/invoices", token, "")
				}},
				{"proof for another host", "", func(t *testing.T) string {
					return key.MustProof(t, http.MethodGet, "https://api.example.com/orders", token, "")
				}},
				{"proof for another method", "", func(t *testing.T) string {
					return key.MustProof(t, http.MethodPost, url, token, "")
				}},
				{"GET proof on a DELETE", http.MethodDelete, func(t *testing.T) string {
					return key.MustProof(t, http.MethodGet, url, token, "")
				}},
				{"proof for another token", "", func(t *testing.T) string {
					return key.MustProof(t, http.MethodGet, url, sibling, "")
				}},
				{"proof without ath", "", func(t *testing.T) string {
					return key.MustProof(t, http.MethodGet, url, "", "")
				}},
				{"proof by another key", "", func(t *testing.T) string {
					return newProofKey(t, "ES256").MustProof(t, http.MethodGet, url, token, "")
				}},
				{"proof by another key type", "", func(t *testing.T) string {
					return newProofKey(t, "EdDSA").MustProof(t, http.MethodGet, url, token, "")
				}},
				{"proof issued 5 minutes ago", "", func(t *testing.T) string {
					return signProof(t, key, map[string]any{
						"htm": http.MethodGet, "htu": url, "ath": tokenHash(token),
						"iat": time.Now().Add(-5 * time.Minute).Unix(),
					})
				}},
				{"proof issued 5 minutes ahead", "", func(t *testing.T) string {
					return signProof(t, key, map[string]any{
						"htm": http.MethodGet, "htu": url, "ath": tokenHash(token),
						"iat": time.Now().Add(5 * time.Minute).Unix(),
					})
				}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					api.do(t, apiRequest{Method: tc.method, Authorization: dpopAuth, Proof: tc.proof(t)}).refused(t, invalidProof)
				})
			}

			t.Run("bound token as Bearer", func(t *testing.T) {
				t.Parallel()
				api.do(t, apiRequest{Authorization: "Bearer " + token}).refused(t,
					refusal{Status: http.StatusUnauthorized, Scheme: "bearer", Code: "invalid_token", Schemes: bothSchemes})
			})
			t.Run("bound token without proof", func(t *testing.T) {
				t.Parallel()
				api.do(t, apiRequest{Authorization: dpopAuth}).refused(t, invalidProof)
			})
		})
	}

	t.Run("Bearer token still accepted", func(t *testing.T) {
		t.Parallel()
		api.do(t, apiRequest{Authorization: "Bearer " + srv.token(t, resES256, readScope)}).accepted(t, apiClientID, boundAnswer{})
	})
	t.Run("Bearer token sent as DPoP", func(t *testing.T) {
		t.Parallel()
		token := srv.token(t, resES256, readScope)
		// A proof by some key: the token is bound to none.
		proof := newProofKey(t, "ES256").MustProof(t, http.MethodGet, url, token, "")
		api.do(t, apiRequest{Authorization: "DPoP " + token, Proof: proof}).refused(t,
			refusal{Status: http.StatusUnauthorized, Scheme: "dpop", Code: "invalid_token", Schemes: bothSchemes})
	})
}

// TestDPoPOffRefusesBoundTokens checks that a Guard with DPoP off (the zero
// Config) refuses a DPoP-bound token however it comes: it cannot check a
// proof, so the token must not pass as a bearer token.
func TestDPoPOffRefusesBoundTokens(t *testing.T) {
	srv := sharedServer(t)
	srv.logOnFailure(t)
	t.Parallel()
	api := newResourceServer(t, srv, middleware.Config{})
	url := api.URL + "/orders"

	for _, kind := range boundTokenKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			token, key, _ := srv.dpopToken(t, kind.resource, readScope, "ES256")
			t.Run("as Bearer", func(t *testing.T) {
				t.Parallel()
				api.do(t, apiRequest{Authorization: "Bearer " + token}).refused(t,
					refusal{Status: http.StatusUnauthorized, Scheme: "bearer", Code: "invalid_token", Schemes: bearerOnly})
			})
			t.Run("as DPoP with a valid proof", func(t *testing.T) {
				t.Parallel()
				// The DPoP scheme is one this Guard does not accept.
				api.do(t, apiRequest{Authorization: "DPoP " + token, Proof: key.MustProof(t, http.MethodGet, url, token, "")}).
					refused(t, refusal{Status: http.StatusUnauthorized, Schemes: bearerOnly})
			})
		})
	}
	t.Run("Bearer token accepted", func(t *testing.T) {
		t.Parallel()
		api.do(t, apiRequest{Authorization: "Bearer " + srv.token(t, resES256, readScope)}).accepted(t, apiClientID, boundAnswer{})
	})
}

// TestDPoPResourceServerNonce runs the server nonce round trip of RFC 9449
// section 9 against a Guard in DPoPRequired mode with nonces on: a proof
// without a nonce, or with one the resource server never issued (the
// authorization server's, say), gets 401 use_dpop_nonce with a DPoP-Nonce
// header; the retry with that nonce is admitted; the nonce serves further
// proofs; a Bearer token gets the DPoP challenge alone.
func TestDPoPResourceServerNonce(t *testing.T) {
	srv := sharedServer(t)
	srv.logOnFailure(t)
	t.Parallel()
	api := newResourceServer(t, srv, middleware.Config{DPoP: middleware.DPoPConfig{
		Mode:         middleware.DPoPRequired,
		NonceSecrets: [][]byte{nonceSecret()},
	}})
	url := api.URL + "/orders"
	useNonce := refusal{Status: http.StatusUnauthorized, Scheme: "dpop", Code: "use_dpop_nonce", Schemes: dpopOnly}

	for _, kind := range boundTokenKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			// The DPoP client's token: its authorization server required
			// a nonce too, of its own.
			key := newProofKey(t, "ES256")
			grant := srv.requestDPoPToken(t, dpopClientID, key, kind.resource, readScope)
			token, auth := grant.Token, "DPoP "+grant.Token
			bound := boundAnswer{KeyThumbprint: key.Thumbprint()}

			first := api.do(t, apiRequest{Authorization: auth, Proof: key.MustProof(t, http.MethodGet, url, token, "")})
			first.refused(t, useNonce)
			nonce := first.Header.Get("DPoP-Nonce")
			if nonce == "" {
				t.Fatal("use_dpop_nonce without a DPoP-Nonce header")
			}
			if nonce == grant.Nonce {
				t.Errorf("the resource server sent the authorization server's nonce %q", nonce)
			}

			api.do(t, apiRequest{Authorization: auth, Proof: key.MustProof(t, http.MethodGet, url, token, grant.Nonce)}).refused(t, useNonce)
			api.do(t, apiRequest{Authorization: auth, Proof: key.MustProof(t, http.MethodGet, url, token, nonce)}).accepted(t, dpopClientID, bound)
			api.do(t, apiRequest{Authorization: auth, Proof: key.MustProof(t, http.MethodGet, url, token, nonce)}).accepted(t, dpopClientID, bound)
			// A proof by another key, with the nonce: still not the key.
			other := newProofKey(t, "ES256").MustProof(t, http.MethodGet, url, token, nonce)
			api.do(t, apiRequest{Authorization: auth, Proof: other}).refused(t,
				refusal{Status: http.StatusUnauthorized, Scheme: "dpop", Code: "invalid_dpop_proof", Schemes: dpopOnly})
		})
	}
	t.Run("Bearer token", func(t *testing.T) {
		t.Parallel()
		// The Bearer scheme is one this Guard does not accept.
		api.do(t, apiRequest{Authorization: "Bearer " + srv.token(t, resES256, readScope)}).refused(t,
			refusal{Status: http.StatusUnauthorized, Schemes: dpopOnly})
	})
}

// signProof signs a proof by key with claims on top of the defaults (typ,
// alg, jwk, a new jti, iat now), for proofs MustProof cannot make.
func signProof(t *testing.T, key *jwttest.ProofKey, claims map[string]any) string {
	t.Helper()
	proof, err := key.SignProof(nil, claims)
	if err != nil {
		t.Fatalf("SignProof = %v", err)
	}
	return proof
}

// TestDPoPEntryPoints presents a DPoP-bound JWT and opaque token with real
// proofs through every entry point (net/http, chi, gin, echo v4, echo v5)
// of a Guard in DPoPAllowed mode: each admits a valid proof, refuses the
// same proof replayed with invalid_dpop_proof, and refuses the token sent
// as Bearer.
func TestDPoPEntryPoints(t *testing.T) {
	srv := sharedServer(t)
	srv.logOnFailure(t)
	gin.SetMode(gin.TestMode) // before t.Parallel: no engine runs yet
	t.Parallel()
	verifier := newVerifier(t, srv, jwtverify.Config{Audiences: []string{resES256}})
	g, err := middleware.NewGuard(middleware.Chain(verifier, newIntrospector(t, srv, introspect.Config{})),
		middleware.Config{DPoP: middleware.DPoPConfig{Mode: middleware.DPoPAllowed}})
	if err != nil {
		t.Fatal(err)
	}

	for _, ep := range entryPoints {
		t.Run(ep.name, func(t *testing.T) {
			t.Parallel()
			api := httptest.NewServer(ep.build(g))
			t.Cleanup(api.Close)
			rs := &resourceServer{URL: api.URL, srv: api}
			url := api.URL + "/orders"
			for _, kind := range boundTokenKinds {
				t.Run(kind.name, func(t *testing.T) {
					t.Parallel()
					token, key, _ := srv.dpopToken(t, kind.resource, readScope, "ES256")
					req := apiRequest{Authorization: "DPoP " + token, Proof: key.MustProof(t, http.MethodGet, url, token, "")}
					resp := rs.do(t, req)
					if resp.Status != http.StatusOK {
						t.Fatalf("valid proof: status %d, want 200; WWW-Authenticate %q; body %s",
							resp.Status, resp.Header.Values("WWW-Authenticate"), resp.Body)
					}
					var got apiAnswer
					if err := json.Unmarshal(resp.Body, &got); err != nil || got.ClientID != apiClientID {
						t.Errorf("valid proof: handler answered %s (%v), want client_id %q", resp.Body, err, apiClientID)
					}
					rs.do(t, req).refused(t, refusal{Status: http.StatusUnauthorized, Scheme: "dpop", Code: "invalid_dpop_proof", Schemes: bothSchemes})
					rs.do(t, apiRequest{Authorization: "Bearer " + token}).refused(t,
						refusal{Status: http.StatusUnauthorized, Scheme: "bearer", Code: "invalid_token", Schemes: bothSchemes})
				})
			}
		})
	}
}
