package introspect

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
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
			"token_type": {"bearer", "dpop", "access_token"},
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
