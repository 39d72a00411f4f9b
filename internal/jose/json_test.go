package jose

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

func TestScanObject(t *testing.T) {
	deep := strings.Repeat(`{"a":`, maxDepth) + `1` + strings.Repeat(`}`, maxDepth)
	tooDeep := strings.Repeat(`{"a":`, maxDepth+2) + `1` + strings.Repeat(`}`, maxDepth+2)
	tests := []struct {
		name  string
		in    string
		max   int
		want  error // nil: accepted
		names []string
	}{
		{name: "empty object", in: `{}`, want: nil},
		{name: "members", in: `{"alg":"RS256","kid":"k1"}`, names: []string{"alg", "kid"}},
		{name: "whitespace around", in: " \t\r\n{ \"a\" : 1 , \"b\":[ ] }\n", names: []string{"a", "b"}},
		{name: "escaped name is unescaped", in: `{"\u0061lg":"RS256"}`, names: []string{"alg"}},
		{name: "nested objects may repeat outer names", in: `{"a":{"a":1},"b":{"a":2}}`, names: []string{"a", "b"}},
		{name: "non-ASCII UTF-8", in: `{"sub":"José ✓ 😀"}`, names: []string{"sub"}},
		{name: "depth limit reached", in: deep, names: []string{"a"}},

		{name: "duplicate name", in: `{"alg":"RS256","alg":"none"}`, want: ErrDuplicate},
		{name: "duplicate via escape", in: `{"alg":"RS256","\u0061lg":"none"}`, want: ErrDuplicate},
		{name: "duplicate via escape of every letter", in: `{"aud":"a","\u0061\u0075\u0064":"b"}`, want: ErrDuplicate},
		{name: "duplicate ASCII case variant Alg", in: `{"alg":"RS256","Alg":"none"}`, want: ErrDuplicate},
		{name: "duplicate ASCII case variant AUD", in: `{"aud":"api","AUD":"evil"}`, want: ErrDuplicate},
		{name: "duplicate escaped upper case", in: `{"exp":1,"\u0045XP":2}`, want: ErrDuplicate},
		{name: "duplicate after many members", in: `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"a":18}`, want: ErrDuplicate},

		{name: "empty input", in: ``, want: ErrJSON},
		{name: "array", in: `[]`, want: ErrJSON},
		{name: "string", in: `"a"`, want: ErrJSON},
		{name: "null", in: `null`, want: ErrJSON},
		{name: "two objects", in: `{}{}`, want: ErrJSON},
		{name: "trailing garbage", in: `{"a":1}x`, want: ErrJSON},
		{name: "trailing comma", in: `{"a":1,}`, want: ErrJSON},
		{name: "missing colon", in: `{"a" 1}`, want: ErrJSON},
		{name: "unquoted name", in: `{a:1}`, want: ErrJSON},
		{name: "single quotes", in: `{'a':1}`, want: ErrJSON},
		{name: "unterminated", in: `{"a":1`, want: ErrJSON},
		{name: "unterminated string", in: `{"a":"x}`, want: ErrJSON},
		{name: "control character in string", in: "{\"a\":\"x\ny\"}", want: ErrJSON},
		{name: "NUL in name", in: "{\"a\x00\":1}", want: ErrJSON},
		{name: "invalid UTF-8 in value", in: "{\"kid\":\"\xff\"}", want: ErrJSON},
		{name: "invalid UTF-8 in name", in: "{\"\xc3\":1}", want: ErrJSON},
		{name: "overlong UTF-8", in: "{\"kid\":\"\xc0\xaf\"}", want: ErrJSON},
		{name: "UTF-8 surrogate half", in: "{\"kid\":\"\xed\xa0\x80\"}", want: ErrJSON},
		{name: "lone surrogate escape in name", in: `{"\ud800":1}`, want: ErrJSON},
		{name: "bad escape", in: `{"a":"\x"}`, want: ErrJSON},
		{name: "short unicode escape", in: `{"a":"\u12"}`, want: ErrJSON},
		{name: "NaN literal", in: `{"exp":NaN}`, want: ErrJSON},
		{name: "Infinity literal", in: `{"exp":Infinity}`, want: ErrJSON},
		{name: "leading zero", in: `{"exp":01}`, want: ErrJSON},
		{name: "plus sign", in: `{"exp":+1}`, want: ErrJSON},
		{name: "bare dot", in: `{"exp":1.}`, want: ErrJSON},
		{name: "bare exponent", in: `{"exp":1e}`, want: ErrJSON},
		{name: "hex number", in: `{"exp":0x10}`, want: ErrJSON},
		{name: "truex literal", in: `{"a":truex}`, want: ErrJSON},
		{name: "too deep", in: tooDeep, want: ErrJSON},
		{name: "too many members", in: `{"a":1,"b":2,"c":3}`, max: 2, want: ErrJSON},
		{name: "BOM", in: "\ufeff{}", want: ErrJSON},
		{name: "comment", in: `{/*x*/}`, want: ErrJSON},

		// Untyped values are held to what encoding/json accepts when it
		// decodes them into any: a number beyond float64 is refused there.
		{name: "FuzzParseResponse crasher: 1e700 in an untyped member", in: `{"active":true,"0":1e700}`, want: ErrJSON},
		{name: "negative number beyond float64", in: `{"a":-1e309}`, want: ErrJSON},
		{name: "number just beyond float64", in: `{"a":1.7976931348623159e308}`, want: ErrJSON},
		{name: "huge exponent", in: `{"a":1E+99999999999999999999}`, want: ErrJSON},
		{name: "400-digit integer", in: `{"a":1` + strings.Repeat("0", 399) + `}`, want: ErrJSON},
		{name: "number beyond float64 in an array", in: `{"a":[1,2,1e400]}`, want: ErrJSON},
		{name: "number beyond float64 deep down", in: `{"a":{"b":[{"c":1e999}]}}`, want: ErrJSON},
		{name: "largest float64", in: `{"a":1.7976931348623157e308}`, names: []string{"a"}},
		{name: "underflow rounds to zero", in: `{"a":1e-400,"b":-0.5e-999999}`, names: []string{"a", "b"}},
		{name: "zero with a huge exponent", in: `{"a":0e99999999999999}`, names: []string{"a"}},
		{name: "308-digit integer", in: `{"a":9` + strings.Repeat("9", 307) + `.5}`, names: []string{"a"}},

		// Lone surrogate escapes, which encoding/json turns into U+FFFD, are
		// refused everywhere, not only in names.
		{name: "lone surrogate escape in value", in: `{"a":"\ud800"}`, want: ErrJSON},
		{name: "lone low surrogate escape in value", in: `{"a":"x\udfff"}`, want: ErrJSON},
		{name: "high surrogate escape then a letter", in: `{"a":"\ud83dA"}`, want: ErrJSON},
		{name: "two high surrogate escapes", in: `{"a":"\ud83d\ud83d"}`, want: ErrJSON},
		{name: "lone surrogate escape in array", in: `{"a":["ok","\udc00"]}`, want: ErrJSON},
		{name: "lone surrogate escape in nested name", in: `{"a":{"\ud800":1}}`, want: ErrJSON},
		{name: "surrogate pair escape", in: `{"a":"\ud83d\ude00","\ud83d\ude00":1}`, names: []string{"a", "😀"}},
		{name: "escaped backslash before u", in: `{"a":"\\ud800"}`, names: []string{"a"}},

		// Duplicates in nested objects, and names that encoding/json (and
		// bytes.EqualFold) fold together beyond ASCII.
		{name: "duplicate in nested object", in: `{"a":{"b":1,"b":2}}`, want: ErrDuplicate},
		{name: "duplicate in object in array", in: `{"a":[{"x":1},{"x":1,"X":2}]}`, want: ErrDuplicate},
		{name: "duplicate deep down", in: `{"a":{"b":{"c":{"d":1,"\u0064":2}}}}`, want: ErrDuplicate},
		{name: "duplicate long s (U+017F)", in: `{"sub":"alice","ſub":"admin"}`, want: ErrDuplicate},
		{name: "duplicate long s first", in: `{"ſub":"admin","sub":"alice"}`, want: ErrDuplicate},
		{name: "duplicate escaped long s", in: `{"sub":"alice","\u017fub":"admin"}`, want: ErrDuplicate},
		{name: "duplicate Kelvin sign (U+212A)", in: `{"kid":"a","\u212aid":"b"}`, want: ErrDuplicate},
		{name: "duplicate Kelvin sign in nested object", in: `{"o":{"KID":"a","\u212aid":"b"}}`, want: ErrDuplicate},
		{name: "duplicate Greek sigma forms", in: `{"σ":1,"ς":2}`, want: ErrDuplicate},
		{name: "duplicate non-ASCII case", in: `{"é":1,"É":2}`, want: ErrDuplicate},
		{name: "duplicate after 16 names, nested", in: `{"o":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"A":18}}`, want: ErrDuplicate},
		{name: "duplicate after 16 names, folded", in: `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"\u212a":18}`, want: ErrDuplicate},
		{name: "dotless i is not i", in: `{"i":1,"ı":2,"İ":3}`, names: []string{"i", "ı", "İ"}},
		{name: "sharp s is not ss", in: `{"ss":1,"ß":2}`, names: []string{"ss", "ß"}},
		{name: "many distinct names", in: `{"o":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"ſ":18}}`, names: []string{"o"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			max := tt.max
			if max == 0 {
				max = 256
			}
			var names []string
			err := ScanObject([]byte(tt.in), max, func(name, _ []byte) error {
				names = append(names, string(name))
				return nil
			})
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("ScanObject(%q) = %v, want %v", tt.in, err, tt.want)
			}
			if tt.names != nil && strings.Join(names, ",") != strings.Join(tt.names, ",") {
				t.Errorf("ScanObject(%q) names = %q, want %q", tt.in, names, tt.names)
			}
		})
	}
}

func TestScanObjectCallbackError(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	err := ScanObject([]byte(`{"a":1,"b":2}`), 8, func(_, _ []byte) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("ScanObject with failing callback = %v after %d calls, want %v after 1", err, calls, stop)
	}
}

func TestNumber(t *testing.T) {
	tests := []struct {
		in     string
		want   float64
		wantOK bool
	}{
		{"0", 0, true},
		{"-0", 0, true},
		{"1800000000", 1800000000, true},
		{"-1", -1, true},
		{"1.5", 1.5, true},
		{"1e3", 1000, true},
		{"123456789012345678", 123456789012345678, true},
		{"1e300", 1e300, true}, // finite: the claims layer bounds dates
		{"1e400", 0, false},    // overflows to Inf
		{"-1e400", 0, false},
		{`"1"`, 0, false},
		{"true", 0, false},
		{"null", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"[1]", 0, false},
	}
	for _, tt := range tests {
		got, ok := Number([]byte(tt.in))
		if ok != tt.wantOK || (ok && got != tt.want) {
			t.Errorf("Number(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{`"RS256"`, "RS256", true},
		{`""`, "", true},
		{`"\u0061lg"`, "alg", true},
		{`"a\/b"`, "a/b", true},
		{`"\ud83d\ude00"`, "😀", true},
		{`"\ud800"`, "", false}, // lone surrogate
		{`"\udc00x"`, "", false},
		{`"\ud83dx"`, "", false},      // high half without its low half
		{`"\ud83d\u0041"`, "", false}, // high half followed by a non-surrogate
		{`"\ud83d\ud83d"`, "", false}, // two high halves
		{`"\\ud800"`, `\ud800`, true}, // an escaped backslash, not an escape
		{`"a\"\ud83d\ude00\\"`, "a\"😀\\", true},
		{`1`, "", false},
		{`null`, "", false},
		{`["a"]`, "", false},
		{``, "", false},
	}
	for _, tt := range tests {
		got, ok := String([]byte(tt.in))
		if ok != tt.wantOK || (ok && string(got) != tt.want) {
			t.Errorf("String(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestStrings(t *testing.T) {
	tests := []struct {
		in     string
		want   []string
		wantOK bool
	}{
		{`[]`, nil, true},
		{`[ ]`, nil, true},
		{`["a","b"]`, []string{"a", "b"}, true},
		{`[ "a" , "\u0062" ]`, []string{"a", "b"}, true},
		{`["a",1]`, nil, false},
		{`["a",]`, nil, false},
		{`["a"] x`, nil, false},
		{`[["a"]]`, nil, false},
		{`[{"a":1}]`, nil, false},
		{`"a"`, nil, false},
		{`{}`, nil, false},
		{`[`, nil, false},
	}
	for _, tt := range tests {
		var got []string
		ok := Strings([]byte(tt.in), func(b []byte) { got = append(got, string(b)) })
		if ok != tt.wantOK || (ok && strings.Join(got, ",") != strings.Join(tt.want, ",")) {
			t.Errorf("Strings(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

// FuzzScanObject compares ScanObject with encoding/json. It must never panic;
// whatever it accepts, encoding/json must decode into an any (and each value
// it hands fn on its own), with the same top-level names, and no object at any
// depth may hold two names that bytes.EqualFold calls equal. Conversely,
// ScanObject must accept every object encoding/json decodes that is within its
// documented extra rules (valid UTF-8, no surrogate escapes, no folded
// duplicates, bounded depth and member count), and call ErrDuplicate exactly
// the objects that break only the duplicate rule.
func FuzzScanObject(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"alg":"RS256","kid":"k","typ":"at+jwt"}`,
		`{"iss":"https://issuer.example","aud":["api","other"],"exp":1800000000,"nbf":1.5e9,"scope":"a b"}`,
		`{"alg":"RS256","alg":"none"}`, `{"alg":"RS256","\u0061lg":"none"}`, `{"aud":"a","AUD":"b"}`,
		`{"a":{"b":[1,2,{"c":null}]},"d":true,"e":false}`, `{"\ud800":1}`, "{\"a\":\"\xff\"}",
		`{"a":1}x`, `[1]`, `{"a":-0.0e+0}`, `{"a":"\u00e9\n\t\"\\\/"}`,
		`{"active":true,"0":1e700}`, `{"a":[1e-400,1.7976931348623157e308]}`, `{"a":"\ud83d\ude00"}`,
		`{"sub":"alice","ſub":"admin"}`, `{"o":{"kid":"a","\u212aid":"b"}}`, `{"a":[{"x":1,"X":2}]}`,
		`{"σ":1,"ς":2}`, `{"i":1,"ı":2,"İ":3}`,
		`{"o":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"K":18}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const max = 64
		var names []string
		err := ScanObject(data, max, func(name, value []byte) error {
			names = append(names, string(name))
			var v any
			if err := json.Unmarshal(value, &v); err != nil {
				t.Fatalf("ScanObject(%q) passed value %q that encoding/json refuses: %v", data, value, err)
			}
			return nil
		})
		ref := fuzzReference(data)
		if err == nil {
			if ref.err != nil {
				t.Fatalf("ScanObject(%q) = nil, but encoding/json refuses it: %v", data, ref.err)
			}
			if !ref.object {
				t.Fatalf("ScanObject(%q) = nil for a non-object", data)
			}
			if strings.Join(names, "\x00") != strings.Join(ref.top, "\x00") {
				t.Fatalf("ScanObject(%q) names = %q, encoding/json reads %q", data, names, ref.top)
			}
			if ref.dup != "" {
				t.Fatalf("ScanObject(%q) = nil with duplicate names %s", data, ref.dup)
			}
			if Valid(data) != true {
				t.Fatalf("Valid(%q) = false where ScanObject accepts it", data)
			}
			return
		}
		if !errors.Is(err, ErrJSON) && !errors.Is(err, ErrDuplicate) {
			t.Fatalf("ScanObject(%q) = %v, want nil, ErrJSON or ErrDuplicate", data, err)
		}
		if ref.err != nil || !ref.object || !utf8.Valid(data) || bytes.Contains(bytes.ToLower(data), []byte(`\ud`)) {
			return // outside the agreement domain
		}
		if ref.depth > maxDepth-2 || len(ref.top) > max {
			return
		}
		if ref.dup != "" {
			if !errors.Is(err, ErrDuplicate) {
				t.Fatalf("ScanObject(%q) = %v, want ErrDuplicate (names %s)", data, err, ref.dup)
			}
			return
		}
		t.Fatalf("ScanObject(%q) = %v, but encoding/json accepts it and it has no duplicate names", data, err)
	})
}

// fuzzRef is what encoding/json makes of a fuzz input.
type fuzzRef struct {
	err    error    // from json.Unmarshal into an any, or from the token walk
	object bool     // the value is an object
	top    []string // names of the top-level members, in order
	depth  int      // container nesting (the top object is 1)
	dup    string   // two names of one object that bytes.EqualFold equates
}

// fuzzReference reads data with encoding/json only.
func fuzzReference(data []byte) fuzzRef {
	var ref fuzzRef
	var v any
	if ref.err = json.Unmarshal(data, &v); ref.err != nil {
		return ref
	}
	_, ref.object = v.(map[string]any)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		object     bool
		expectName bool
		names      []string
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return ref
		}
		if err != nil {
			ref.err = err
			return ref
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if s, ok := tok.(string); ok && top != nil && top.object && top.expectName {
			for _, n := range top.names {
				if ref.dup == "" && bytes.EqualFold([]byte(n), []byte(s)) {
					ref.dup = fmt.Sprintf("%q and %q", n, s)
				}
			}
			top.names = append(top.names, s)
			if len(stack) == 1 {
				ref.top = append(ref.top, s)
			}
			top.expectName = false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			stack = append(stack, &frame{object: tok == json.Delim('{'), expectName: true})
			ref.depth = max(ref.depth, len(stack))
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 { // a value ended: an object expects a name next
			stack[len(stack)-1].expectName = true
		}
	}
}

// TestValid: Valid applies ScanObject's rules to any JSON value (jwks.ParseSet
// uses it on key sets, whose members encoding/json then matches by folded name).
func TestValid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"key set", `{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"},{"kty":"OKP"}]}`, true},
		{"array", `[1,"a",null,true,{"a":[]}]`, true},
		{"scalar", ` 1.5e3 `, true},
		{"duplicate at the top", `{"keys":[],"KEYS":[]}`, false},
		{"duplicate in a key", `{"keys":[{"n":"AQAB","N":"AAAB"}]}`, false},
		{"duplicate folded in a key", `{"keys":[{"kty":"RSA","\u212aty":"oct"}]}`, false},
		{"number beyond float64", `{"keys":[],"x":1e700}`, false},
		{"number beyond float64 alone", `-1e700`, false},
		{"lone surrogate", `["\udc00"]`, false},
		{"trailing garbage", `{} x`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Valid([]byte(tt.in)); got != tt.want {
				t.Errorf("Valid(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestNameFoldingMatchesEqualFold checks, for every character that case
// folding relates to another, that ScanObject calls two names duplicates
// exactly when bytes.EqualFold (whose folding encoding/json uses to match
// names to struct fields) calls them equal, the character alone and inside a
// longer name, unescaped and escaped.
func TestNameFoldingMatchesEqualFold(t *testing.T) {
	esc := func(r rune) string {
		if r < 0x10000 {
			return fmt.Sprintf(`\u%04x`, r)
		}
		hi, lo := utf16.EncodeRune(r)
		return fmt.Sprintf(`\u%04x\u%04x`, hi, lo)
	}
	pairs := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) || unicode.SimpleFold(r) == r {
			continue
		}
		// Every member of r's orbit, and one unrelated character.
		for s := unicode.SimpleFold(r); ; s = unicode.SimpleFold(s) {
			for _, other := range []rune{s, 'x'} {
				want := bytes.EqualFold([]byte(string(r)), []byte(string(other)))
				for _, in := range []string{
					`{"` + string(r) + `":1,"` + string(other) + `":2}`,
					`{"a` + string(r) + `b":1,"A` + esc(other) + `B":2}`,
					`{"o":{"` + esc(r) + `":1,"` + string(other) + `":2}}`,
				} {
					err := ScanObject([]byte(in), 8, func(_, _ []byte) error { return nil })
					if want && !errors.Is(err, ErrDuplicate) || !want && err != nil {
						t.Fatalf("ScanObject(%q) = %v; bytes.EqualFold(%q, %q) = %v", in, err, r, other, want)
					}
					pairs++
				}
			}
			if s == r {
				break
			}
		}
	}
	if pairs < 1000 {
		t.Fatalf("checked %d pairs; the Unicode tables should give thousands", pairs)
	}
}

// TestNameFoldingMatchesEncodingJSON pins the cases the issue names: the
// names encoding/json matches to a struct field tagged "sub" or "kid" are
// duplicates of it here.
func TestNameFoldingMatchesEncodingJSON(t *testing.T) {
	for _, name := range []string{"SUB", "ſub", `\u017fub`, "Sub", "KID", "\u212aid", `\u212aid`} {
		var v struct {
			Sub string `json:"sub"`
			Kid string `json:"kid"`
		}
		in := `{"` + name + `":"x"}`
		if err := json.Unmarshal([]byte(in), &v); err != nil || v.Sub+v.Kid != "x" {
			t.Fatalf("encoding/json no longer matches %q to a field (%v): update this test", name, err)
		}
		dup := `{"sub":"a","kid":"b",` + in[1:]
		if err := ScanObject([]byte(dup), 8, func(_, _ []byte) error { return nil }); !errors.Is(err, ErrDuplicate) {
			t.Errorf("ScanObject(%q) = %v, want ErrDuplicate", dup, err)
		}
	}
}

// BenchmarkScanObject scans typical access-token claims (Keycloak-like, with
// nested objects) and a small header; it must not allocate.
func BenchmarkScanObject(b *testing.B) {
	for _, bc := range []struct{ name, in string }{
		{"header", `{"alg":"RS256","kid":"k-2024-01","typ":"at+jwt"}`},
		{"claims", `{"iss":"https://auth.example.com/realms/main","sub":"f1d2c3b4-5a69-4788-9abc-def012345678","aud":["https://api.example.com","account"],"exp":1800003600,"iat":1800000000,"nbf":1800000000,"jti":"0b4a5e6c-1d2e-4f30-8a9b-7c6d5e4f3a2b","client_id":"web-app","scope":"openid profile orders:read orders:write","azp":"web-app","sid":"6c1d2e3f","realm_access":{"roles":["user","offline_access"]},"resource_access":{"account":{"roles":["manage-account","view-profile"]}},"email_verified":true,"preferred_username":"alice"}`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			data := []byte(bc.in)
			b.ReportAllocs()
			for b.Loop() {
				if err := ScanObject(data, 256, func(_, _ []byte) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestScanTop: duplicates are refused at the top only; every other rule of
// ScanObject still holds at every depth.
func TestScanTop(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want error
	}{
		{`{"keys":[{"kid":"a","KID":"b"}]}`, nil},
		{`{"keys":[{"kid":"a","ſid":"b"}],"x":{"a":1,"A":2}}`, nil},
		{`{"keys":[],"KEYS":[]}`, ErrDuplicate},
		{`{"keys":[{"n":1e700}]}`, ErrJSON},
		{`{"keys":[{"kid":"\ud800"}]}`, ErrJSON},
		{`{"keys":[{"kid":"a"}`, ErrJSON},
	} {
		err := ScanTop([]byte(tc.in), 16, func(_, _ []byte) error { return nil })
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("ScanTop(%s) = %v, want %v", tc.in, err, tc.want)
		}
		if tc.want == nil && Valid([]byte(tc.in)) {
			t.Errorf("Valid(%s) = true, want false (nested duplicates)", tc.in)
		}
	}
}
