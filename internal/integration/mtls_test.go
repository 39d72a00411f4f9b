package integration

import (
	"maps"
	"net/http"
	"net/url"
	"testing"

	"github.com/tokenguard/tokenguard/introspect"
	"github.com/tokenguard/tokenguard/jwtverify"
)

// TestCertificateBoundTokens checks the tokens oidc-provider binds to the
// client certificate of the TLS connection to its token endpoint's mTLS
// alias (RFC 8705 sections 3 and 5): the JWT's cnf is exactly
// {x5t#S256: base64url(SHA-256(certificate DER))}, the token still
// verifies, the introspection answer of an opaque token carries the same
// cnf; the binding follows the certificate, not the client; no
// certificate, no token.
func TestCertificateBoundTokens(t *testing.T) {
	srv := sharedServer(t)
	srv.logOnFailure(t)
	t.Parallel()
	m := srv.Metadata(t)
	if !m.CertificateBoundTokens {
		t.Error("metadata: tls_client_certificate_bound_access_tokens is not true")
	}
	alias, err := url.Parse(m.MTLSAliases.TokenEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := url.Parse(m.TokenEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	if alias.Scheme != "https" || alias.Path != plain.Path || alias.Host == plain.Host {
		t.Errorf("mtls_endpoint_aliases.token_endpoint = %s, want the path of %s on the HTTPS listener", alias, plain)
	}
	verifier := newVerifier(t, srv, jwtverify.Config{Audiences: []string{resRS256, resES256, resEdDSA}})
	introspector := newIntrospector(t, srv, introspect.Config{})

	for _, tc := range []struct {
		name, resource string
		jwt            bool
	}{
		{"ES256 JWT", resES256, true},
		{"RS256 JWT", resRS256, true},
		{"EdDSA JWT", resEdDSA, true},
		{"opaque", resOpaque, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			token, cert := srv.certificateBoundToken(t, tc.resource, readScope) // fails unless token_type is Bearer
			want := map[string]string{"x5t#S256": certificateThumbprint(cert)}
			if tc.jwt {
				if got := jwtConfirmation(t, token); !maps.Equal(got, want) {
					t.Errorf("JWT cnf = %v, want %v", got, want)
				}
				c, err := verifier.Verify(t.Context(), token)
				if err != nil {
					t.Fatalf("Verify(certificate-bound JWT) = %v, want nil", err)
				}
				if got := decodeConfirmation(t, c); !maps.Equal(got, want) {
					t.Errorf("verified claims: cnf %v, want %v", got, want)
				}
				return
			}
			in := srv.introspectRaw(t, token)
			if !in.Active || in.ClientID != mtlsClientID || in.TokenType != "Bearer" || !maps.Equal(in.Cnf, want) {
				t.Errorf("introspection: active %v, client_id %q, token_type %q, cnf %v; want true, %q, Bearer, %v",
					in.Active, in.ClientID, in.TokenType, in.Cnf, mtlsClientID, want)
			}
			c, err := introspector.Authenticate(t.Context(), token)
			if err != nil {
				t.Fatalf("Authenticate(certificate-bound opaque token) = %v, want nil", err)
			}
			if got := decodeConfirmation(t, c); !maps.Equal(got, want) {
				t.Errorf("introspected claims: cnf %v, want %v", got, want)
			}
		})
	}

	t.Run("each certificate its own binding", func(t *testing.T) {
		t.Parallel()
		first, firstCert := srv.certificateBoundToken(t, resES256, readScope)
		second, secondCert := srv.certificateBoundToken(t, resES256, readScope)
		a, b := certificateThumbprint(firstCert), certificateThumbprint(secondCert)
		if a == b {
			t.Fatalf("two client certificates have the same thumbprint %s", a)
		}
		if got := jwtConfirmation(t, first)["x5t#S256"]; got != a {
			t.Errorf("first token: cnf.x5t#S256 = %q, want %q", got, a)
		}
		if got := jwtConfirmation(t, second)["x5t#S256"]; got != b {
			t.Errorf("second token: cnf.x5t#S256 = %q, want %q", got, b)
		}
	})
	t.Run("no certificate", func(t *testing.T) {
		t.Parallel()
		resp := srv.postMTLSToken(t, mtlsClientID, nil, resES256, readScope)
		if resp.Status != http.StatusBadRequest || oauthError(resp.Body) != "invalid_grant" {
			t.Errorf("token request over TLS without a certificate: status %d, body %s; want 400 invalid_grant", resp.Status, resp.Body)
		}
	})
	t.Run("plain HTTP token endpoint", func(t *testing.T) {
		t.Parallel()
		status, body := postForm(t, m.TokenEndpoint, mtlsClientID, mtlsClientSecret, tokenForm(resES256, readScope))
		if status != http.StatusBadRequest || oauthError(body) != "invalid_grant" {
			t.Errorf("token request over plain HTTP: status %d, body %s; want 400 invalid_grant", status, body)
		}
	})
	t.Run("client without certificate binding", func(t *testing.T) {
		t.Parallel()
		cert := srv.clientCertificate(t, apiClientID)
		tr := parseTokenResponse(t, srv.postMTLSToken(t, apiClientID, &cert, resES256, readScope), "Bearer")
		if got := jwtConfirmation(t, tr.AccessToken); got != nil {
			t.Errorf("API client's token over TLS with a certificate: cnf %v, want none", got)
		}
	})
}
