package introspect

import (
	"encoding/json"
	"testing"
)

// FuzzParseResponse feeds arbitrary bodies to the introspection response
// parser. It must never panic, and it may call a token active only when the
// body is a JSON object whose active member is the boolean true.
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
	})
}
