package introspect

import (
	"errors"
	"strings"
	"testing"

	"github.com/tokenguard/tokenguard/jwtverify"
)

// TestParseResponse_Kind checks what a kind rejection says: the member, what
// came (bounded and printable), and what is accepted.
func TestParseResponse_Kind(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantMember string // "" for an access token
		wantGot    string
		notString  bool
	}{
		{name: "Bearer", body: `{"active":true,"token_type":"Bearer"}`},
		{name: "BEARER", body: `{"active":true,"token_type":"BEARER"}`},
		{name: "escaped Bearer", body: `{"active":true,"token_type":"B\u0065arer"}`},
		{name: "access token of Ory Hydra", body: `{"active":true,"token_type":"bearer","token_use":"access_token"}`},
		{name: "refresh_token", body: `{"active":true,"token_type":"refresh_token"}`, wantMember: "token_type", wantGot: "refresh_token"},
		{name: "non-ASCII fold", body: `{"active":true,"token_use":"acce\u017f\u017f_token"}`, wantMember: "token_use", wantGot: "acceſſ_token"},
		{name: "Kelvin sign", body: `{"active":true,"token_type":"access_to\u212aen"}`, wantMember: "token_type", wantGot: "access_to\u212aen"},
		{name: "Hydra refresh token", body: `{"active":true,"token_use":"refresh_token"}`, wantMember: "token_use", wantGot: "refresh_token"},
		{name: "Keycloak refresh token", body: `{"active":true,"typ":"Refresh"}`, wantMember: "typ", wantGot: "Refresh"},
		{name: "first refusing member in the answer wins", body: `{"active":true,"typ":"ID","token_type":"id_token"}`, wantMember: "typ", wantGot: "ID"},
		{name: "an accepted member does not hide a later refusing one", body: `{"active":true,"token_type":"Bearer","token_use":"refresh_token"}`, wantMember: "token_use", wantGot: "refresh_token"},
		{name: "simplejwt access", body: `{"active":true,"token_type":"access"}`},
		{name: "typ null", body: `{"active":true,"typ":null}`, wantMember: "typ", notString: true},
		{name: "token_use array", body: `{"active":true,"token_use":["access_token"]}`, wantMember: "token_use", notString: true},
		{name: "long and unprintable", body: `{"active":true,"token_type":"` + strings.Repeat("x", 100) + `\n\u0000"}`, wantMember: "token_type", wantGot: strings.Repeat("x", 100) + "\n\x00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := parseResponse([]byte(tt.body))
			if err != nil || res.claims == nil {
				t.Fatalf("parseResponse(%s) = %v, %v; want an active result", tt.body, res, err)
			}
			if tt.wantMember == "" {
				if res.kind != nil {
					t.Fatalf("parseResponse(%s).kind = %v, want nil", tt.body, res.kind)
				}
				return
			}
			k := res.kind
			if k == nil || k.member.Name != tt.wantMember || k.got != tt.wantGot || k.notString != tt.notString {
				t.Fatalf("parseResponse(%s).kind = %#v, want member %s, got %q, notString %v", tt.body, k, tt.wantMember, tt.wantGot, tt.notString)
			}
			var err2 error = k
			if !errors.Is(err2, jwtverify.ErrType) || !errors.Is(err2, jwtverify.ErrInvalidToken) {
				t.Errorf("kind error %v does not match ErrType and ErrInvalidToken", k)
			}
			msg := k.Error()
			t.Log(msg)
			if len(msg) > 256 || strings.ContainsAny(msg, "\n\x00") {
				t.Errorf("kind error %q is too long or unprintable", msg)
			}
		})
	}
}
