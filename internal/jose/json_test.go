package jose

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
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

// FuzzScanObject checks that ScanObject never panics, that whatever it
// accepts encoding/json also accepts as an object, and that it accepts every
// object encoding/json accepts when that object is within ScanObject's
// documented extra rules (valid UTF-8, no duplicate top-level names in any
// ASCII case, no lone surrogate escapes, bounded depth and member count).
func FuzzScanObject(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"alg":"RS256","kid":"k","typ":"at+jwt"}`,
		`{"iss":"https://issuer.example","aud":["api","other"],"exp":1800000000,"nbf":1.5e9,"scope":"a b"}`,
		`{"alg":"RS256","alg":"none"}`, `{"alg":"RS256","\u0061lg":"none"}`, `{"aud":"a","AUD":"b"}`,
		`{"a":{"b":[1,2,{"c":null}]},"d":true,"e":false}`, `{"\ud800":1}`, "{\"a\":\"\xff\"}",
		`{"a":1}x`, `[1]`, `{"a":-0.0e+0}`, `{"a":"\u00e9\n\t\"\\\/"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const max = 64
		var names [][]byte
		err := ScanObject(data, max, func(name, value []byte) error {
			names = append(names, bytes.Clone(name))
			if !json.Valid(value) {
				t.Fatalf("ScanObject(%q) passed value %q that encoding/json rejects", data, value)
			}
			return nil
		})
		if err == nil {
			if !json.Valid(data) {
				t.Fatalf("ScanObject(%q) = nil, but encoding/json rejects it", data)
			}
			if b := bytes.TrimLeft(data, " \t\r\n"); len(b) == 0 || b[0] != '{' {
				t.Fatalf("ScanObject(%q) = nil for a non-object", data)
			}
			for i := range names {
				for j := range i {
					if asciiEqualFold(names[i], names[j]) {
						t.Fatalf("ScanObject(%q) = nil with duplicate names %q and %q", data, names[j], names[i])
					}
				}
			}
			return
		}
		if !errors.Is(err, ErrJSON) && !errors.Is(err, ErrDuplicate) {
			t.Fatalf("ScanObject(%q) = %v, want nil, ErrJSON or ErrDuplicate", data, err)
		}
		if !json.Valid(data) || !utf8.Valid(data) || bytes.Contains(bytes.ToLower(data), []byte(`\ud`)) {
			return // outside the agreement domain
		}
		top, depth, ok := fuzzTopNames(data)
		if !ok || depth > maxDepth-2 || len(top) > max {
			return
		}
		for i := range top {
			for j := range i {
				if asciiEqualFold([]byte(top[i]), []byte(top[j])) {
					if !errors.Is(err, ErrDuplicate) {
						t.Fatalf("ScanObject(%q) = %v, want ErrDuplicate (names %q, %q)", data, err, top[j], top[i])
					}
					return
				}
			}
		}
		t.Fatalf("ScanObject(%q) = %v, but encoding/json accepts it and it has no duplicate names", data, err)
	})
}

// fuzzTopNames decodes data with encoding/json and returns the names of its
// top-level members and its container nesting depth (the object itself is 1);
// ok is false when data is not a JSON object.
func fuzzTopNames(data []byte) (names []string, depth int, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, 0, false
	}
	level, maxLevel := 1, 1
	expectName := true
	for level > 0 {
		tok, err := dec.Token()
		if err != nil {
			return nil, 0, false
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				level++
				maxLevel = max(maxLevel, level)
			case '}', ']':
				level--
			}
			if level == 1 {
				expectName = true
			}
		case string:
			if level == 1 && expectName {
				names = append(names, v)
				expectName = false
				continue
			}
			if level == 1 {
				expectName = true
			}
		default:
			if level == 1 {
				expectName = true
			}
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, 0, false
	}
	return names, maxLevel, true
}
