package jwtverify_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

// TestVerifyStepUpClaims reads acr and auth_time (RFC 9068 §2.2.1, RFC 9470)
// from real signed tokens, as servers issue them.
func TestVerifyStepUpClaims(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}, Now: clock})
	v := newVerifier(t, jwtverify.Config{Issuer: iss.URL, Audiences: []string{"api"}, Now: clock})
	for _, tt := range []struct {
		name     string
		claims   map[string]any
		acr      string
		authTime time.Time
	}{
		{"Keycloak: acr level and auth_time", map[string]any{"acr": "1", "auth_time": now.Unix() - 120}, "1", now.Add(-2 * time.Minute)},
		{"InCommon URN acr", map[string]any{"acr": "https://refeds.org/profile/mfa", "auth_time": now.Unix()}, "https://refeds.org/profile/mfa", now},
		{"fractional auth_time", map[string]any{"auth_time": float64(now.Unix()) - 0.5}, "", now.Add(-500 * time.Millisecond)},
		{"neither", map[string]any{"sub": "alice"}, "", time.Time{}},
		{"empty acr", map[string]any{"acr": ""}, "", time.Time{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.claims["aud"] = "api"
			c, err := v.Verify(t.Context(), iss.Mint(t, tt.claims))
			if err != nil {
				t.Fatalf("Verify = %v, want nil", err)
			}
			if c.ACR != tt.acr || !c.AuthTime.Equal(tt.authTime) || c.AuthTime.IsZero() != tt.authTime.IsZero() {
				t.Errorf("Verify(%v): ACR, AuthTime = %q, %v; want %q, %v", tt.claims, c.ACR, c.AuthTime, tt.acr, tt.authTime)
			}
		})
	}
}

// TestStepUpClaimsMalformed: acr and auth_time are typed as strictly as the
// other registered claims; a wrong type is no missing claim.
func TestStepUpClaimsMalformed(t *testing.T) {
	for _, tt := range []struct{ name, claims string }{
		{"acr number", `"acr":2`},
		{"acr array", `"acr":["mfa"]`},
		{"acr null", `"acr":null`},
		{"acr object", `"acr":{"value":"mfa"}`},
		{"auth_time string", `"auth_time":"1800000000"`},
		{"auth_time null", `"auth_time":null`},
		{"auth_time beyond year 9999", `"auth_time":253402300800`},
		{"auth_time far in the past", `"auth_time":-253402300800`},
		{"auth_time beyond float64", `"auth_time":1e400`},
		{"auth_time bool", `"auth_time":true`},
		{"ACR alone", `"ACR":"mfa"`},
		{"Auth_Time beside auth_time", `"auth_time":1,"Auth_Time":2`},
		{"AUTH_TIME beside auth_time", `"auth_time":1,"AUTH_TIME":2`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jwtverify.ParseClaims([]byte(`{"iss":"https://issuer.example",` + tt.claims + `}`))
			var me *jwtverify.MalformedError
			if !errors.As(err, &me) || !errors.Is(err, jwtverify.ErrMalformed) {
				t.Fatalf("ParseClaims({%s}) = %v, want a *MalformedError", tt.claims, err)
			}
		})
	}
}

// TestVerifyRefusesMalformedStepUpClaims: a signed token with a mistyped acr
// or auth_time is malformed, not a token without them.
func TestVerifyRefusesMalformedStepUpClaims(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}})
	v := newVerifier(t, jwtverify.Config{Issuer: iss.URL, Audiences: []string{"api"}})
	for _, tt := range []struct {
		name   string
		claims map[string]any
	}{
		{"acr number", map[string]any{"acr": 2}},
		{"auth_time string", map[string]any{"auth_time": "yesterday"}},
		{"auth_time null", map[string]any{"auth_time": jsonNull{}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			claims := map[string]any{"aud": "api"}
			for k, val := range tt.claims {
				claims[k] = val
			}
			_, err := v.Verify(t.Context(), iss.Mint(t, claims))
			if !errors.Is(err, jwtverify.ErrMalformed) {
				t.Fatalf("Verify(%v) = %v, want ErrMalformed", tt.claims, err)
			}
		})
	}
}

// jsonNull marshals as JSON null (a nil value in jwttest claims removes the
// claim instead).
type jsonNull struct{}

func (jsonNull) MarshalJSON() ([]byte, error) { return []byte("null"), nil }
