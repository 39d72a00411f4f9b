package jwtverify_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

// scopeShapes are the scope claims as mainstream servers issue them, and the
// mixes an attacker (or a misconfigured server) could produce. The rule: scope
// when present, else scp; never both.
var scopeShapes = []struct {
	name   string
	claims string // the scope members of a claims object
	want   []string
}{
	{"RFC 9068 scope string", `"scope":"orders:read orders:write"`, []string{"orders:read", "orders:write"}},
	{"Duende IdentityServer scope array", `"scope":["api1","api2"]`, []string{"api1", "api2"}},
	{"Hydra scope_claim both", `"scope":"read write","scp":["read","write"]`, []string{"read", "write"}},
	{"Entra ID scp string", `"scp":"User.Read Mail.Send"`, []string{"User.Read", "Mail.Send"}},
	{"Okta scp array", `"scp":["openid","email"]`, []string{"openid", "email"}},
	{"attack: scp adds admin to scope", `"scope":"read","scp":["admin"]`, []string{"read"}},
	{"attack: scp before scope", `"scp":["admin"],"scope":"read"`, []string{"read"}},
	{"attack: empty scope beside scp", `"scope":"","scp":["admin"]`, nil},
	{"attack: empty scope array beside scp string", `"scp":"admin","scope":[]`, nil},
	{"none", `"sub":"alice"`, nil},
}

func TestClaimsScopes(t *testing.T) {
	for _, tt := range scopeShapes {
		t.Run(tt.name, func(t *testing.T) {
			c, err := jwtverify.ParseClaims([]byte(`{"iss":"https://issuer.example",` + tt.claims + `}`))
			if err != nil {
				t.Fatalf("ParseClaims({%s}) = %v, want nil", tt.claims, err)
			}
			if !slices.Equal(c.Scopes, tt.want) {
				t.Errorf("ParseClaims({%s}).Scopes = %q, want %q", tt.claims, c.Scopes, tt.want)
			}
			if slices.Contains(tt.want, "admin") != c.HasScope("admin") {
				t.Errorf("HasScope(admin) = %v for {%s}", c.HasScope("admin"), tt.claims)
			}
		})
	}
}

// TestVerifyScopes runs the shapes through Verify with real signed tokens
// (jwttest marshals claims in name order, so scope comes before scp).
func TestVerifyScopes(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}})
	v := newVerifier(t, jwtverify.Config{Issuer: iss.URL, Audiences: []string{"api"}})
	for _, tt := range []struct {
		name   string
		claims map[string]any
		want   []string
	}{
		{"Duende IdentityServer scope array", map[string]any{"scope": []string{"api1", "api2"}}, []string{"api1", "api2"}},
		{"Hydra scope_claim both", map[string]any{"scope": "read write", "scp": []string{"read", "write"}}, []string{"read", "write"}},
		{"Entra ID scp string", map[string]any{"scp": "User.Read"}, []string{"User.Read"}},
		{"Okta scp array", map[string]any{"scp": []string{"openid", "email"}}, []string{"openid", "email"}},
		{"attack: scope and scp", map[string]any{"scope": "read", "scp": []string{"admin"}}, []string{"read"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.claims["aud"] = "api"
			c, err := v.Verify(t.Context(), iss.Mint(t, tt.claims))
			if err != nil {
				t.Fatalf("Verify = %v, want nil", err)
			}
			if !slices.Equal(c.Scopes, tt.want) {
				t.Errorf("Verify(%v).Scopes = %q, want %q", tt.claims, c.Scopes, tt.want)
			}
		})
	}
}

func TestClaimsScopesMalformed(t *testing.T) {
	for _, tt := range []struct{ name, claims string }{
		{"scope number", `"scope":5`},
		{"scope null", `"scope":null`},
		{"scope array of numbers", `"scope":["a",1]`},
		{"scope nested array", `"scope":[["a"]]`},
		{"scp wrong type beside a good scope", `"scope":"a","scp":5`},
		{"scope wrong type beside a good scp", `"scp":["a"],"scope":{"a":1}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jwtverify.ParseClaims([]byte(`{` + tt.claims + `}`))
			var me *jwtverify.MalformedError
			if !errors.As(err, &me) || !errors.Is(err, jwtverify.ErrMalformed) {
				t.Fatalf("ParseClaims({%s}) = %v, want a *MalformedError", tt.claims, err)
			}
		})
	}
}

// TestClaimsOneReading: no JSON parser may read a registered claim out of a
// token differently from Claims, encoding/json (which Claims.Decode uses and
// which matches names to fields with Unicode case folding) above all.
func TestClaimsOneReading(t *testing.T) {
	for _, tt := range []struct{ name, json string }{
		{"sub and long-s sub", `{"sub":"alice","ſub":"admin"}`},
		{"sub and escaped long-s sub", `{"sub":"alice","\u017fub":"admin"}`},
		{"client_id and Kelvin-sign variant", `{"client_id":"c","\u212a":1,"client_id\u212a":2,"CLIENT_ID":"d"}`},
		{"duplicate in a nested claim", `{"sub":"alice","realm_access":{"roles":["user"],"ROLES":["admin"]}}`},
		{"lone surrogate in a custom claim", `{"sub":"alice","name":"\ud800"}`},
		{"number beyond float64 in a custom claim", `{"sub":"alice","n":1e700}`},
		{"number beyond float64 nested", `{"sub":"alice","x":{"y":[-1e400]}}`},
		{"ISS alone", `{"ISS":"https://evil.example"}`},
		{"Sub alone", `{"Sub":"admin"}`},
		{"long-s sub alone", `{"ſub":"admin"}`},
		{"Kelvin-sign in token_type", `{"to\u212aen_type":"Bearer"}`},
		{"SCOPE alone", `{"SCOPE":"admin"}`},
		{"Scp alone", `{"Scp":["admin"]}`},
		{"AUD alone", `{"AUD":"api"}`},
		{"Exp alone", `{"Exp":1}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jwtverify.ParseClaims([]byte(tt.json))
			var me *jwtverify.MalformedError
			if !errors.As(err, &me) || !errors.Is(err, jwtverify.ErrMalformed) {
				t.Fatalf("ParseClaims(%s) = %v, want a *MalformedError", tt.json, err)
			}
		})
	}
}

// TestVerifyRefusesFoldedClaimNames: a signed token whose sub is written in
// two ways encoding/json folds together is refused.
func TestVerifyRefusesFoldedClaimNames(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}, Now: clock})
	v := newVerifier(t, jwtverify.Config{Issuer: iss.URL, Audiences: []string{"api"}, Now: clock})
	for _, tt := range []struct {
		name   string
		header map[string]any
		claims map[string]any
	}{
		{"long-s sub beside sub", nil, map[string]any{"sub": "alice", "ſub": "admin"}},
		{"long-s sub alone", nil, map[string]any{"ſub": "admin"}},
		{"TYP beside typ in the header", map[string]any{"TYP": "dpop+jwt"}, nil},
		{"Typ alone in the header", map[string]any{"typ": nil, "Typ": "dpop+jwt"}, nil},
		{"Kelvin-sign kid in the header", map[string]any{"\u212aid": "other"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			claims := map[string]any{"aud": "api"}
			for k, val := range tt.claims {
				claims[k] = val
			}
			_, err := v.Verify(t.Context(), iss.MintWith(t, jwttest.Token{Header: tt.header, Claims: claims}))
			if !errors.Is(err, jwtverify.ErrMalformed) {
				t.Fatalf("Verify = %v, want ErrMalformed", err)
			}
		})
	}
}
