package integration

import (
	"errors"
	"slices"
	"testing"

	"github.com/tokenguard/tokenguard/introspect"
	"github.com/tokenguard/tokenguard/jwtverify"
)

// newIntrospector builds an introspection client for srv, which finds the
// endpoint through discovery, and closes it when t ends.
func newIntrospector(t *testing.T, srv *authServer, cfg introspect.Config) *introspect.Client {
	t.Helper()
	cfg.Issuer = srv.Issuer
	if cfg.ClientID == "" {
		cfg.ClientID, cfg.ClientSecret = rsClientID, rsClientSecret
	}
	if cfg.Audiences == nil && !cfg.InsecureSkipAudienceCheck {
		cfg.Audiences = []string{resOpaque} // required: the resource the tokens were issued for
	}
	c, err := introspect.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("introspect.New(issuer %s) = %v", srv.Issuer, err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestIntrospection checks opaque tokens through RFC 7662, authenticated
// as the resource server with client_secret_basic: a live token is
// accepted, a revoked one refused.
func TestIntrospection(t *testing.T) {
	srv := sharedServer(t)
	srv.logOnFailure(t)
	t.Parallel()
	if ep := srv.Metadata(t).IntrospectionEndpoint; ep == "" {
		t.Fatal("the server's metadata has no introspection_endpoint")
	}

	t.Run("revoked before use", func(t *testing.T) {
		t.Parallel()
		live := srv.token(t, resOpaque, clientScopes)
		revoked := srv.token(t, resOpaque, clientScopes)
		srv.revoke(t, revoked)
		c := newIntrospector(t, srv, introspect.Config{})

		claims, err := c.Authenticate(t.Context(), live)
		if err != nil {
			t.Fatalf("Authenticate(live opaque token) = %v, want nil", err)
		}
		// oidc-provider sends token_type Bearer for an access token (and
		// none for a refresh token, which has no aud either).
		if claims.ClientID != apiClientID || claims.Issuer != srv.Issuer || claims.TokenType != "Bearer" ||
			!slices.Equal(claims.Audience, []string{resOpaque}) || !claims.HasAllScopes("orders:read", "orders:write") {
			t.Errorf("claims: client_id %q iss %q token_type %q aud %q scopes %q; want %q, %q, Bearer, [%s], [orders:read orders:write]",
				claims.ClientID, claims.Issuer, claims.TokenType, claims.Audience, claims.Scopes, apiClientID, srv.Issuer, resOpaque)
		}
		if claims.Subject != "" {
			t.Logf("note: the server now sends sub %q for client_credentials tokens", claims.Subject)
		}

		_, err = c.Authenticate(t.Context(), revoked)
		if !errors.Is(err, introspect.ErrInactive) || !errors.Is(err, jwtverify.ErrInvalidToken) {
			t.Errorf("Authenticate(revoked opaque token) = %v, want ErrInactive and ErrInvalidToken", err)
		}
	})

	t.Run("revoked after use, no cache", func(t *testing.T) {
		t.Parallel()
		token := srv.token(t, resOpaque, "orders:read")
		other := srv.token(t, resOpaque, "orders:read")
		c := newIntrospector(t, srv, introspect.Config{CacheTTL: -1})
		for _, tok := range []string{token, other} {
			if _, err := c.Authenticate(t.Context(), tok); err != nil {
				t.Fatalf("Authenticate(live opaque token) = %v, want nil", err)
			}
		}
		srv.revoke(t, token)
		if _, err := c.Authenticate(t.Context(), token); !errors.Is(err, introspect.ErrInactive) {
			t.Errorf("Authenticate(token revoked after use) = %v, want ErrInactive", err)
		}
		if _, err := c.Authenticate(t.Context(), other); err != nil {
			t.Errorf("Authenticate(other live token) = %v, want nil", err)
		}
	})

	t.Run("audience", func(t *testing.T) {
		t.Parallel()
		token := srv.token(t, resOpaque, "orders:read")
		c := newIntrospector(t, srv, introspect.Config{Audiences: []string{resRS256}})
		if _, err := c.Authenticate(t.Context(), token); !errors.Is(err, jwtverify.ErrAudience) {
			t.Errorf("Authenticate(token for %s) with audience %s = %v, want ErrAudience", resOpaque, resRS256, err)
		}
	})

	t.Run("InsecureSkipAudienceCheck", func(t *testing.T) {
		t.Parallel()
		token := srv.token(t, resOpaque, "orders:read")
		c := newIntrospector(t, srv, introspect.Config{InsecureSkipAudienceCheck: true})
		if _, err := c.Authenticate(t.Context(), token); err != nil {
			t.Errorf("Authenticate(live opaque token) without audience check = %v, want nil", err)
		}
	})

	t.Run("wrong client secret fails closed", func(t *testing.T) {
		t.Parallel()
		token := srv.token(t, resOpaque, "orders:read")
		c := newIntrospector(t, srv, introspect.Config{ClientID: rsClientID, ClientSecret: "not-the-secret"})
		if _, err := c.Authenticate(t.Context(), token); !errors.Is(err, jwtverify.ErrUnavailable) {
			t.Errorf("Authenticate with a wrong client secret = %v, want ErrUnavailable", err)
		}
	})
}
