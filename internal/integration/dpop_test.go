package integration

import (
	"crypto/rand"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"testing"

	"github.com/tokenguard/tokenguard/introspect"
	"github.com/tokenguard/tokenguard/jwtverify"
)

// decodeConfirmation returns the cnf member of claims' JSON (nil when
// absent), as a handler would read it with Claims.Decode.
func decodeConfirmation(t *testing.T, c *jwtverify.Claims) map[string]string {
	t.Helper()
	var v struct {
		Cnf map[string]string `json:"cnf"`
	}
	if err := c.Decode(&v); err != nil {
		t.Fatalf("Claims.Decode = %v", err)
	}
	return v.Cnf
}

// TestDPoPBoundTokens checks the tokens oidc-provider binds to a DPoP key
// (RFC 9449 sections 5 and 6), for JWT resources of each signing algorithm
// and for an opaque one, with proofs of each key type: the token response
// says token_type DPoP; the JWT's cnf is exactly {jkt: the RFC 7638
// thumbprint of the proof key}, and the token still verifies; the
// introspection answer of the opaque token says token_type DPoP with the
// same cnf, and package introspect accepts it and passes the cnf on.
func TestDPoPBoundTokens(t *testing.T) {
	srv := sharedServer(t)
	srv.logOnFailure(t)
	t.Parallel()
	if got := srv.Metadata(t).DPoPAlgorithms; !slices.Contains(got, "ES256") || !slices.Contains(got, "PS256") || !slices.Contains(got, "RS256") {
		t.Errorf("dpop_signing_alg_values_supported = %q, want ES256, RS256, PS256 among them", got)
	}
	verifier := newVerifier(t, srv, jwtverify.Config{Audiences: []string{resRS256, resPS256, resES256, resEdDSA}})
	introspector := newIntrospector(t, srv, introspect.Config{})

	for _, tc := range []struct {
		name, resource string
		tokenAlg       string // "" for the opaque resource
		proofAlg       string
	}{
		{"RS256 JWT, ES256 proof", resRS256, "RS256", "ES256"},
		{"PS256 JWT, PS256 proof", resPS256, "PS256", "PS256"},
		{"ES256 JWT, EdDSA proof", resES256, "ES256", "EdDSA"},
		{"EdDSA JWT, RS256 proof", resEdDSA, "EdDSA", "RS256"},
		{"ES256 JWT, ES384 proof", resES256, "ES256", "ES384"},
		{"ES256 JWT, ES512 proof", resES256, "ES256", "ES512"},
		{"opaque, ES256 proof", resOpaque, "", "ES256"},
		{"opaque, PS256 proof", resOpaque, "", "PS256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			token, key, tokenType := srv.dpopToken(t, tc.resource, readScope, tc.proofAlg)
			if tokenType != "DPoP" {
				t.Errorf("token_type = %q, want DPoP", tokenType)
			}
			want := map[string]string{"jkt": key.Thumbprint()}

			if tc.tokenAlg == "" {
				in := srv.introspectRaw(t, token)
				if !in.Active || in.ClientID != apiClientID || in.TokenType != "DPoP" || !maps.Equal(in.Cnf, want) {
					t.Errorf("introspection: active %v, client_id %q, token_type %q, cnf %v; want true, %q, DPoP, %v",
						in.Active, in.ClientID, in.TokenType, in.Cnf, apiClientID, want)
				}
				c, err := introspector.Authenticate(t.Context(), token)
				if err != nil {
					t.Fatalf("Authenticate(DPoP-bound opaque token) = %v, want nil", err)
				}
				if got := decodeConfirmation(t, c); c.TokenType != "DPoP" || !maps.Equal(got, want) {
					t.Errorf("introspected claims: token_type %q, cnf %v; want DPoP, %v", c.TokenType, got, want)
				}
				return
			}

			if alg, _, typ := joseHeader(t, token); alg != tc.tokenAlg || typ != "at+jwt" {
				t.Errorf("server sent alg %q, typ %q; want %q, at+jwt", alg, typ, tc.tokenAlg)
			}
			if got := jwtConfirmation(t, token); !maps.Equal(got, want) {
				t.Errorf("JWT cnf = %v, want %v", got, want)
			}
			c, err := verifier.Verify(t.Context(), token)
			if err != nil {
				t.Fatalf("Verify(DPoP-bound JWT) = %v, want nil", err)
			}
			if got := decodeConfirmation(t, c); !maps.Equal(got, want) {
				t.Errorf("verified claims: cnf %v, want %v", got, want)
			}
		})
	}
}

// TestBearerWithoutProof checks that the API client, which may use DPoP,
// still gets plain Bearer tokens when it sends no proof: no cnf in the JWT
// nor in the introspection answer.
func TestBearerWithoutProof(t *testing.T) {
	srv := sharedServer(t)
	srv.logOnFailure(t)
	t.Parallel()

	t.Run("JWT", func(t *testing.T) {
		t.Parallel()
		token := srv.token(t, resES256, readScope) // fails unless token_type is Bearer
		if got := jwtConfirmation(t, token); got != nil {
			t.Errorf("JWT cnf = %v, want none", got)
		}
	})
	t.Run("opaque", func(t *testing.T) {
		t.Parallel()
		token := srv.token(t, resOpaque, readScope)
		if in := srv.introspectRaw(t, token); !in.Active || in.TokenType != "Bearer" || in.Cnf != nil {
			t.Errorf("introspection: active %v, token_type %q, cnf %v; want true, Bearer, none", in.Active, in.TokenType, in.Cnf)
		}
	})
}

// TestDPoPNonce checks the server nonce at the token endpoint (RFC 9449
// section 8) with the DPoP client, which gets DPoP-bound tokens only and
// must put a nonce in its proofs, and that the harness's retry handles it.
func TestDPoPNonce(t *testing.T) {
	srv := sharedServer(t)
	srv.logOnFailure(t)
	t.Parallel()

	// wantNonceError checks a use_dpop_nonce answer: 400, the error, a
	// DPoP-Nonce header and no token.
	wantNonceError := func(t *testing.T, resp *formResponse) {
		t.Helper()
		var tr tokenResponse
		_ = json.Unmarshal(resp.Body, &tr)
		if resp.Status != http.StatusBadRequest || oauthError(resp.Body) != "use_dpop_nonce" ||
			resp.Header.Get("DPoP-Nonce") == "" || tr.AccessToken != "" {
			t.Errorf("token request: status %d, DPoP-Nonce %q, body %s; want 400, a nonce, error use_dpop_nonce",
				resp.Status, resp.Header.Get("DPoP-Nonce"), resp.Body)
		}
	}

	t.Run("no proof", func(t *testing.T) {
		t.Parallel()
		resp := srv.postDPoPToken(t, dpopClientID, nil, resES256, readScope, "")
		if resp.Status != http.StatusBadRequest || oauthError(resp.Body) != "invalid_grant" {
			t.Errorf("token request without a proof: status %d, body %s; want 400 invalid_grant", resp.Status, resp.Body)
		}
	})
	t.Run("proof without a nonce", func(t *testing.T) {
		t.Parallel()
		wantNonceError(t, srv.postDPoPToken(t, dpopClientID, newProofKey(t, "ES256"), resES256, readScope, ""))
	})
	t.Run("proof with a nonce the server never issued", func(t *testing.T) {
		t.Parallel()
		wantNonceError(t, srv.postDPoPToken(t, dpopClientID, newProofKey(t, "ES256"), resES256, readScope, rand.Text()))
	})
	t.Run("retried with the server's nonce", func(t *testing.T) {
		t.Parallel()
		for _, resource := range []string{resES256, resOpaque} {
			key := newProofKey(t, "ES256")
			g := srv.requestDPoPToken(t, dpopClientID, key, resource, readScope)
			if g.Nonce == "" {
				t.Errorf("%s: the DPoP client got a token without a nonce, want use_dpop_nonce first", resource)
			}
			want := map[string]string{"jkt": key.Thumbprint()}
			var got map[string]string
			if resource == resOpaque {
				got = srv.introspectRaw(t, g.Token).Cnf
			} else {
				got = jwtConfirmation(t, g.Token)
			}
			if !maps.Equal(got, want) {
				t.Errorf("%s: cnf = %v, want %v", resource, got, want)
			}
		}
	})
	t.Run("API client needs no nonce", func(t *testing.T) {
		t.Parallel()
		if g := srv.requestDPoPToken(t, apiClientID, newProofKey(t, "ES256"), resES256, readScope); g.Nonce != "" {
			t.Errorf("the API client had to retry with nonce %q, want its first proof accepted", g.Nonce)
		}
	})
}
