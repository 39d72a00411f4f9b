package jwtverify_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

// TestVerifyRefusesOtherTokenKinds: a JWT whose claims say it is another kind
// of token than an access token is refused, whatever its aud. Cognito ID
// tokens carry the app client's ID as aud and differ from access tokens only
// by token_use; Keycloak marks ID and refresh tokens by its typ claim;
// djangorestframework-simplejwt by token_type.
func TestVerifyRefusesOtherTokenKinds(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}})
	v := newVerifier(t, jwtverify.Config{Issuer: iss.URL, Audiences: []string{"api"}})
	for _, tt := range []struct {
		name   string
		claims map[string]any
		claim  string // the claim the error names; "" when accepted
	}{
		{"Cognito access token", map[string]any{"token_use": "access"}, ""},
		{"Cognito ID token", map[string]any{"token_use": "id"}, "token_use"},
		{"Keycloak access token", map[string]any{"typ": "Bearer"}, ""},
		{"Keycloak DPoP-bound access token", map[string]any{"typ": "DPoP"}, ""},
		{"Keycloak ID token", map[string]any{"typ": "ID"}, "typ"},
		{"Keycloak refresh token", map[string]any{"typ": "Refresh"}, "typ"},
		{"Keycloak offline token", map[string]any{"typ": "Offline"}, "typ"},
		{"simplejwt access token", map[string]any{"token_type": "access"}, ""},
		{"simplejwt refresh token", map[string]any{"token_type": "refresh"}, "token_type"},
		{"typ that is no string", map[string]any{"typ": 1}, "typ"},
		{"token_use with a non-ASCII fold", map[string]any{"token_use": "acce\u017f\u017f"}, "token_use"},
		{"an accepted kind does not hide a refusing one", map[string]any{"typ": "Bearer", "token_use": "id"}, "token_use"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			claims := map[string]any{"aud": "api", "sub": "alice"}
			for k, val := range tt.claims {
				claims[k] = val
			}
			tok := iss.Mint(t, claims)
			_, err := v.Verify(t.Context(), tok)
			if tt.claim == "" {
				if err != nil {
					t.Fatalf("Verify(%v) = %v, want accepted", tt.claims, err)
				}
				return
			}
			if !errors.Is(err, jwtverify.ErrType) || !errors.Is(err, jwtverify.ErrInvalidToken) {
				t.Fatalf("Verify(%v) = %v, want ErrType", tt.claims, err)
			}
			if msg := err.Error(); !strings.Contains(msg, "claim "+tt.claim) || !strings.Contains(msg, "accepted:") {
				t.Errorf("Verify(%v) = %q, want it to name claim %s and what is accepted", tt.claims, msg, tt.claim)
			}
		})
	}
}
