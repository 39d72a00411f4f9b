package integration

import (
	"errors"
	"maps"
	"strings"
	"testing"
)

// parseChallenges parses a WWW-Authenticate value that may hold several
// challenges (RFC 9110 section 11.6.1: a comma-separated list of
// auth-scheme [ 1*SP #auth-param ]) into their parameters, keyed by the
// scheme in lower case. Parameter names are lower-cased; values are tokens
// or quoted strings (escapes undone). token68 credentials, which neither
// Bearer nor DPoP challenges use, are refused, and so is a scheme or a
// parameter given twice.
func parseChallenges(h string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	var current map[string]string
	// param parses `name BWS "=" BWS value` at the front of s into current.
	param := func(s string) (string, error) {
		name, rest := cutToken(s)
		rest = strings.TrimLeft(rest, " \t")
		if name == "" || !strings.HasPrefix(rest, "=") {
			return "", errors.New("expected an auth-param at " + s)
		}
		value, rest, err := cutValue(strings.TrimLeft(rest[1:], " \t"))
		if err != nil {
			return "", err
		}
		key := strings.ToLower(name)
		if _, dup := current[key]; dup {
			return "", errors.New("parameter " + key + " given twice")
		}
		current[key] = value
		return rest, nil
	}
	s := strings.TrimLeft(h, " \t")
	for {
		name, rest := cutToken(s)
		if name == "" {
			return nil, errors.New("expected a scheme or an auth-param at " + s)
		}
		after := strings.TrimLeft(rest, " \t")
		var err error
		switch {
		case strings.HasPrefix(after, "="): // an auth-param of the current challenge
			if current == nil {
				return nil, errors.New("auth-param " + name + " before any scheme")
			}
			if s, err = param(s); err != nil {
				return nil, err
			}
		default: // a new challenge, with its first auth-param after a space
			scheme := strings.ToLower(name)
			if _, dup := out[scheme]; dup {
				return nil, errors.New("scheme " + scheme + " given twice")
			}
			current = map[string]string{}
			out[scheme] = current
			s = after
			if len(after) < len(rest) && after != "" && after[0] != ',' {
				if s, err = param(after); err != nil {
					return nil, err // token68 lands here too
				}
			}
		}
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return out, nil
		}
		if s[0] != ',' {
			return nil, errors.New("expected a comma at " + s)
		}
		s = strings.TrimLeft(s[1:], " \t")
	}
}

// cutToken cuts an RFC 9110 token off the front of s.
func cutToken(s string) (token, rest string) {
	i := 0
	for i < len(s) && isTokenChar(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// cutValue cuts a token or a quoted string off the front of s.
func cutValue(s string) (value, rest string, err error) {
	if !strings.HasPrefix(s, `"`) {
		value, rest = cutToken(s)
		if value == "" {
			return "", "", errors.New("expected a parameter value at " + s)
		}
		return value, rest, nil
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 == len(s) {
				return "", "", errors.New("quoted string ends in a backslash")
			}
			i++
			b.WriteByte(s[i])
		case '"':
			return b.String(), s[i+1:], nil
		default:
			b.WriteByte(c)
		}
	}
	return "", "", errors.New("unterminated quoted string")
}

func TestParseChallenges(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     map[string]map[string]string // nil: an error
	}{
		{"bare scheme", `Bearer`, map[string]map[string]string{"bearer": {}}},
		{"one challenge", `Bearer realm="api", error="invalid_token"`,
			map[string]map[string]string{"bearer": {"realm": "api", "error": "invalid_token"}}},
		{"two challenges", `Bearer realm="api", DPoP realm="api", error="invalid_dpop_proof", algs="ES256 PS256"`,
			map[string]map[string]string{"bearer": {"realm": "api"}, "dpop": {"realm": "api", "error": "invalid_dpop_proof", "algs": "ES256 PS256"}}},
		{"bare scheme first", `Bearer, DPoP algs="ES256"`,
			map[string]map[string]string{"bearer": {}, "dpop": {"algs": "ES256"}}},
		{"token value and escapes", `DPoP Realm=api, x="a\"b"`,
			map[string]map[string]string{"dpop": {"realm": "api", "x": `a"b`}}},
		{"empty", ``, nil},
		{"param before scheme", `realm="api"`, nil},
		{"scheme twice", `Bearer realm="a", Bearer realm="b"`, nil},
		{"param twice", `Bearer realm="a", realm="b"`, nil},
		{"unterminated", `Bearer realm="a`, nil},
		{"token68", `Basic dXNlcjpwYXNz`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseChallenges(tc.in)
			if tc.want == nil {
				if err == nil {
					t.Fatalf("parseChallenges(%q) = %v, want an error", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseChallenges(%q) = %v", tc.in, err)
			}
			if !maps.EqualFunc(got, tc.want, func(a, b map[string]string) bool { return maps.Equal(a, b) }) {
				t.Errorf("parseChallenges(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}
