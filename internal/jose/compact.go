package jose

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"unsafe"
)

// Header holds the members of a JWS header that the library reads. Its
// slices alias the buffer [ParseCompact] decoded the token into.
type Header struct {
	Alg, Kid, Typ []byte
}

// FormatError reports a token that is not a well-formed compact JWS with a
// well-formed JSON header. Its Reason never quotes more than a short,
// sanitised excerpt of the token.
type FormatError struct{ Reason string }

func (e *FormatError) Error() string { return e.Reason }

var b64 = base64.RawURLEncoding.Strict()

// ParseCompact is the gate before any JOSE processing, for access tokens and
// signed introspection answers alike: exactly three non-empty segments of
// strict unpadded base64url, and a JSON header (see parseHeader) with an
// alg. It returns the header, the decoded payload (not parsed: its JSON is
// the caller's), the signature and the signing input, which aliases token.
// Errors are *FormatError. One allocation, for the decoded segments.
func ParseCompact(token string) (h Header, payload, sig, signingInput []byte, err error) {
	d1, d2 := -1, -1
	for i := 0; i < len(token); i++ {
		b := token[i]
		switch {
		case b == '.':
			if d1 < 0 {
				d1 = i
			} else if d2 < 0 {
				d2 = i
			} else {
				return h, nil, nil, nil, &FormatError{"more than three segments (JWE or not a compact JWS)"}
			}
		case 'A' <= b && b <= 'Z', 'a' <= b && b <= 'z', '0' <= b && b <= '9', b == '-', b == '_':
		default:
			return h, nil, nil, nil, &FormatError{"character outside the base64url alphabet"}
		}
	}
	if d2 < 0 {
		return h, nil, nil, nil, &FormatError{"not three dot-separated segments"}
	}
	hs, ps, ss := token[:d1], token[d1+1:d2], token[d2+1:]
	if len(hs) == 0 || len(ps) == 0 || len(ss) == 0 {
		return h, nil, nil, nil, &FormatError{"empty segment"}
	}
	buf := make([]byte, b64.DecodedLen(len(hs))+b64.DecodedLen(len(ps))+b64.DecodedLen(len(ss)))
	hdr, rest, err := decodeInto(buf, hs)
	if err != nil {
		return h, nil, nil, nil, &FormatError{"header is not strict unpadded base64url"}
	}
	payload, rest, err = decodeInto(rest, ps)
	if err != nil {
		return h, nil, nil, nil, &FormatError{"payload is not strict unpadded base64url"}
	}
	sig, _, err = decodeInto(rest, ss)
	if err != nil {
		return h, nil, nil, nil, &FormatError{"signature is not strict unpadded base64url"}
	}
	if err := parseHeader(hdr, &h); err != nil {
		return h, nil, nil, nil, err
	}
	return h, payload, sig, unsafe.Slice(unsafe.StringData(token), d2), nil
}

func decodeInto(dst []byte, src string) (decoded, rest []byte, err error) {
	n, err := b64.Decode(dst, unsafe.Slice(unsafe.StringData(src), len(src)))
	if err != nil {
		return nil, nil, err
	}
	return dst[:n:n], dst[n:], nil
}

const maxHeaderMembers = 32

// headerNames are the header members that parseHeader reads.
var headerNames = [...]string{"alg", "kid", "typ", "crit", "b64", "cty", "zip", "enc"}

// parseHeader reads a JWS header: alg, kid and typ must be strings; crit,
// cty, zip, enc and a b64 other than true are refused (extensions not
// implemented, nested or encrypted content), and so is a member whose name
// folds to one of those without being it. Other members (jku, x5u, jwk,
// x5c...) are never used.
func parseHeader(data []byte, h *Header) error {
	var reason string
	err := ScanObject(data, maxHeaderMembers, func(name, value []byte) error {
		var ok bool
		switch string(name) {
		case "alg":
			h.Alg, ok = String(value)
		case "kid":
			h.Kid, ok = String(value)
		case "typ":
			h.Typ, ok = String(value)
		case "crit":
			reason = "crit names extensions this library does not implement"
			return errors.New(reason)
		case "b64":
			ok = string(value) == "true"
			if !ok {
				reason = "b64 other than true (RFC 7797 unencoded payload) is not accepted"
				return errors.New(reason)
			}
		case "cty":
			reason = "cty is set: nested or non-claims payloads are not accepted"
			return errors.New(reason)
		case "zip", "enc":
			reason = string(name) + " is a JWE header member: encrypted tokens are not accepted"
			return errors.New(reason)
		default:
			if r, folds := FoldsTo(name, headerNames[:]); folds {
				reason = "header member " + Quote(string(name)) + " differs from " + r + " only in letter case, which JSON decoders that ignore case would read as " + r
				return errors.New(reason)
			}
			return nil // jku, x5u, jwk, x5c, x5t...: never used
		}
		if !ok {
			reason = "header member " + string(name) + " is not a string"
			return errors.New(reason)
		}
		return nil
	})
	if err != nil {
		if reason == "" {
			reason = "header is not a valid JSON object: " + err.Error()
		}
		return &FormatError{reason}
	}
	if h.Alg == nil {
		return &FormatError{"header has no alg"}
	}
	return nil
}

// FoldsTo returns the one of names that name equals under Unicode case
// folding without being it, as encoding/json would match it. Only U+017F (ſ)
// and U+212A (the Kelvin sign) fold to ASCII letters, so a name longer than
// three bytes per character of the longest of names can match none.
func FoldsTo(name []byte, names []string) (string, bool) {
	longest := 0
	for _, r := range names {
		longest = max(longest, len(r))
	}
	if len(name) > 3*longest {
		return "", false
	}
	n := unsafe.String(unsafe.SliceData(name), len(name))
	for _, r := range names {
		if n != r && strings.EqualFold(n, r) {
			return r, true
		}
	}
	return "", false
}

// Quote renders an attacker-controlled string safely and briefly for an
// error message: at most 64 bytes, valid UTF-8, no control characters,
// quotes or backslashes.
func Quote(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "…"
	}
	s = strings.ToValidUTF8(s, "?") // also mends a character cut in two above
	return `"` + strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' || r == '\\' {
			return '?'
		}
		return r
	}, s) + `"`
}

// QuoteList renders a list of strings with Quote for an error message: the
// first three, and how many more there are. The result stays under 200 bytes.
func QuoteList(list []string) string {
	const most = 3
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range list {
		if i == most || b.Len() > 100 {
			b.WriteString(" … and " + strconv.Itoa(len(list)-i) + " more")
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(Quote(s))
	}
	b.WriteByte(']')
	return b.String()
}
