package introspect_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/introspect"
)

// TestAuthenticate_StepUpClaims reads acr and auth_time from real
// introspection answers (RFC 7662 allows any JWT claim; oidc-provider,
// Keycloak and Okta send acr and auth_time when the grant has them), through
// the same strict parser as JWTs: a mistyped one is a broken answer (503),
// not a token without them.
func TestAuthenticate_StepUpClaims(t *testing.T) {
	ep := &endpoint{}
	url := ep.serve(t)
	for i, tt := range []struct {
		name     string
		extra    map[string]any
		acr      string
		authTime time.Time
		want     error
	}{
		{name: "acr and auth_time", extra: map[string]any{"acr": "urn:mace:incommon:iap:silver", "auth_time": t0.Unix() - 600},
			acr: "urn:mace:incommon:iap:silver", authTime: t0.Add(-10 * time.Minute)},
		{name: "Keycloak acr level", extra: map[string]any{"acr": "1"}, acr: "1"},
		{name: "neither"},
		{name: "acr number", extra: map[string]any{"acr": 2}, want: introspect.ErrEndpoint},
		{name: "auth_time string", extra: map[string]any{"auth_time": "1750000000"}, want: introspect.ErrEndpoint},
		{name: "auth_time beyond year 9999", extra: map[string]any{"auth_time": 253402300800}, want: introspect.ErrEndpoint},
	} {
		t.Run(tt.name, func(t *testing.T) {
			token := "opaque-stepup-" + strings.Repeat("x", i)
			ep.answer(token, activeJSON(t0, tt.extra))
			c := newClient(t, baseConfig(url, newClock()))
			claims, err := c.Authenticate(t.Context(), token)
			checkErr(t, "Authenticate", claims, err, tt.want)
			if tt.want != nil {
				return
			}
			if claims.ACR != tt.acr || !claims.AuthTime.Equal(tt.authTime) || claims.AuthTime.IsZero() != tt.authTime.IsZero() {
				t.Errorf("Authenticate: ACR, AuthTime = %q, %v; want %q, %v", claims.ACR, claims.AuthTime, tt.acr, tt.authTime)
			}
		})
	}
}
