package introspect

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzParseResponse feeds arbitrary bodies to the introspection response
// parser. It must never panic, it may call a token active only when the body
// is a JSON object whose active member is the boolean true, and it may let an
// active token pass the kind check only when token_type, token_use and typ
// are absent or name an access token.
func FuzzParseResponse(f *testing.F) {
	for _, s := range []string{
		`{"active":true,"scope":"a b","client_id":"c","exp":1900000000,"aud":"api"}`,
		`{"active":false}`,
		`{"active":"true"}`,
		`{"active":1}`,
		`{}`,
		`{"active":true,"active":true}`,
		`{"active":true,"ACTIVE":false}`,
		`{"active":true,"exp":"soon"}`,
		`{"active":true,"aud":{"x":1}}`,
		`[{"active":true}]`,
		`{"active":true`,
		`{"active":true,"token_type":"Bearer","token_use":"access_token","typ":"DPoP"}`,
		`{"active":true,"token_type":"refresh_token"}`,
		`{"active":true,"token_use":"refresh_token","aud":["api"]}`,
		`{"active":true,"typ":"Refresh","token_type":"Refresh"}`,
		`{"active":true,"token_type":"acce\u017f\u017f_token"}`,
		`{"active":true,"acr":"urn:mace:incommon:iap:silver","auth_time":1749999400,"aud":"api"}`,
		`{"active":true,"acr":1}`,
		`{"active":true,"auth_time":"1749999400"}`,
		`{"active":true,"auth_time":1e400}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := parseResponse(data)
		if err != nil || res.claims == nil {
			return
		}
		var m map[string]any
		if jerr := json.Unmarshal(data, &m); jerr != nil {
			t.Fatalf("parseResponse(%q) = active, but encoding/json refuses it: %v", data, jerr)
		}
		if m["active"] != true {
			t.Fatalf("parseResponse(%q) = active, but active is %#v", data, m["active"])
		}
		if res.kind != nil {
			return
		}
		for member, allowed := range map[string][]string{
			"token_type": {"bearer", "dpop", "access_token", "access"},
			"token_use":  {"access_token", "access"},
			"typ":        {"bearer", "dpop"},
		} {
			v, present := m[member]
			if !present {
				continue
			}
			if s, ok := v.(string); !ok || !slices.Contains(allowed, strings.ToLower(s)) {
				t.Fatalf("parseResponse(%q) passes the kind check, but %s is %#v", data, member, v)
			}
		}
	})
}

// FuzzSignedClaims feeds arbitrary payloads to the claims check of signed
// answers (RFC 9701). It must never panic, and it may accept a payload only
// when encoding/json reads the same thing: iss equal to the issuer, aud
// naming the client, iat within the leeway of now, and a token_introspection
// object, which is what it returns.
func FuzzSignedClaims(f *testing.F) {
	const iss, client = "https://auth.example.com", "rs"
	now := time.Unix(1_750_000_000, 0)
	for _, s := range []string{
		`{"iss":"https://auth.example.com","aud":"rs","iat":1750000000,"token_introspection":{"active":true}}`,
		`{"iss":"https://auth.example.com","aud":["x","rs"],"iat":1750000030,"exp":1750000100,"token_introspection":{"active":false}}`,
		`{"iss":"https://auth.example.com","aud":"rs","iat":1750000000,"token_introspection":"{}"}`,
		`{"iss":"https://auth.example.com","aud":"rs","iat":1750000000}`,
		`{"iss":"https://auth.example.com","aud":"rs","iat":1749990000,"token_introspection":{}}`,
		`{"iss":"https://auth.example.com","aud":"rs","iat":1750000000,"token_introspection":{},"TOKEN_INTROSPECTION":{}}`,
		`{"iss":"https://auth.example.com","aud":"rs","iat":1750000000,"token_introspection":{"a":1,"A":2}}`,
		`{"ISS":"https://auth.example.com","aud":"rs","iat":1750000000,"token_introspection":{}}`,
	} {
		f.Add([]byte(s))
	}
	c := &Client{issuer: iss, auth: &clientAuth{clientID: client}, leeway: time.Minute}
	f.Fuzz(func(t *testing.T, data []byte) {
		inner, err := c.signedClaims(data, now)
		if err != nil {
			return
		}
		var ref struct {
			Iss string          `json:"iss"`
			Aud any             `json:"aud"`
			Iat float64         `json:"iat"`
			TI  json.RawMessage `json:"token_introspection"`
		}
		if jerr := json.Unmarshal(data, &ref); jerr != nil {
			t.Fatalf("signedClaims(%q) accepted what encoding/json refuses: %v", data, jerr)
		}
		auds, _ := ref.Aud.([]any)
		if s, ok := ref.Aud.(string); ok {
			auds = []any{s}
		}
		if ref.Iss != iss || !slices.Contains(auds, any(client)) || math.Abs(ref.Iat-float64(now.Unix())) > 60 {
			t.Fatalf("signedClaims(%q) accepted iss %q aud %v iat %v", data, ref.Iss, ref.Aud, ref.Iat)
		}
		var obj map[string]any
		if jerr := json.Unmarshal(inner, &obj); jerr != nil || string(inner) != string(ref.TI) {
			t.Fatalf("signedClaims(%q) = %q, encoding/json reads token_introspection %q (%v)", data, inner, ref.TI, jerr)
		}
	})
}
