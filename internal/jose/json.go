package jose

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"unicode/utf8"
)

// ErrJSON reports input that is not a JSON object this package accepts.
var ErrJSON = errors.New("invalid JSON")

// ErrDuplicate reports a member name that appears twice in one object,
// compared without regard to ASCII case ("aud" and "AUD" are duplicates: some
// JSON decoders, encoding/json among them, match names case-insensitively).
var ErrDuplicate = errors.New("duplicate JSON member name")

const maxDepth = 32

// ScanObject checks that data is exactly one JSON object (RFC 8259, valid
// UTF-8, no duplicate member names, at most maxMembers members, nesting at
// most 32 deep) and calls fn with each top-level member's unescaped name and
// raw value. fn must not keep name beyond the call.
func ScanObject(data []byte, maxMembers int, fn func(name, value []byte) error) error {
	s := scanner{data: data}
	s.ws()
	if !s.eat('{') {
		return ErrJSON
	}
	var names [16][]byte // most objects are small: no allocation below 16 names
	seen := names[:0]
	s.ws()
	if !s.eat('}') {
		for {
			s.ws()
			start := s.pos
			if !s.str() {
				return ErrJSON
			}
			name, ok := unquote(data[start:s.pos])
			if !ok {
				return ErrJSON
			}
			for _, n := range seen {
				if asciiEqualFold(n, name) {
					return ErrDuplicate
				}
			}
			if len(seen) == maxMembers {
				return ErrJSON
			}
			seen = append(seen, name)
			s.ws()
			if !s.eat(':') {
				return ErrJSON
			}
			s.ws()
			vstart := s.pos
			if !s.value(1) {
				return ErrJSON
			}
			if err := fn(name, data[vstart:s.pos]); err != nil {
				return err
			}
			s.ws()
			if s.eat(',') {
				continue
			}
			if s.eat('}') {
				break
			}
			return ErrJSON
		}
	}
	s.ws()
	if s.pos != len(data) {
		return ErrJSON
	}
	return nil
}

// Valid reports whether data is one well-formed JSON value under the same
// rules as ScanObject (duplicates in nested objects are not checked).
func Valid(data []byte) bool {
	s := scanner{data: data}
	s.ws()
	if !s.value(0) {
		return false
	}
	s.ws()
	return s.pos == len(data)
}

func asciiEqualFold(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

type scanner struct {
	data []byte
	pos  int
}

func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *scanner) eat(c byte) bool {
	if s.pos < len(s.data) && s.data[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

func (s *scanner) value(depth int) bool {
	if depth > maxDepth || s.pos >= len(s.data) {
		return false
	}
	switch c := s.data[s.pos]; {
	case c == '"':
		return s.str()
	case c == '{':
		s.pos++
		s.ws()
		if s.eat('}') {
			return true
		}
		for {
			s.ws()
			if !s.str() {
				return false
			}
			s.ws()
			if !s.eat(':') {
				return false
			}
			s.ws()
			if !s.value(depth + 1) {
				return false
			}
			s.ws()
			if s.eat(',') {
				continue
			}
			return s.eat('}')
		}
	case c == '[':
		s.pos++
		s.ws()
		if s.eat(']') {
			return true
		}
		for {
			s.ws()
			if !s.value(depth + 1) {
				return false
			}
			s.ws()
			if s.eat(',') {
				continue
			}
			return s.eat(']')
		}
	case c == '-' || ('0' <= c && c <= '9'):
		return s.num()
	default:
		for _, lit := range [...]string{"true", "false", "null"} {
			if bytes.HasPrefix(s.data[s.pos:], []byte(lit)) {
				s.pos += len(lit)
				return true
			}
		}
		return false
	}
}

// str scans a JSON string, validating escapes and UTF-8.
func (s *scanner) str() bool {
	if !s.eat('"') {
		return false
	}
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return true
		case c == '\\':
			if s.pos+1 >= len(s.data) {
				return false
			}
			switch s.data[s.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				if s.pos+6 > len(s.data) {
					return false
				}
				for _, h := range s.data[s.pos+2 : s.pos+6] {
					if !isHex(h) {
						return false
					}
				}
				s.pos += 6
			default:
				return false
			}
		case c < 0x20:
			return false
		case c < utf8.RuneSelf:
			s.pos++
		default:
			r, n := utf8.DecodeRune(s.data[s.pos:])
			if r == utf8.RuneError && n <= 1 {
				return false
			}
			s.pos += n
		}
	}
	return false
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func (s *scanner) num() bool {
	s.eat('-')
	if s.pos >= len(s.data) {
		return false
	}
	if s.data[s.pos] == '0' {
		s.pos++
	} else if !s.digits() {
		return false
	}
	if s.eat('.') && !s.digits() {
		return false
	}
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		s.pos++
		if !s.eat('+') {
			s.eat('-')
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

func (s *scanner) digits() bool {
	start := s.pos
	for s.pos < len(s.data) && '0' <= s.data[s.pos] && s.data[s.pos] <= '9' {
		s.pos++
	}
	return s.pos > start
}

// unquote returns the content of a scanned JSON string: a sub-slice of q when
// it holds no escape, otherwise a new unescaped slice.
func unquote(q []byte) ([]byte, bool) {
	if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
		return nil, false
	}
	body := q[1 : len(q)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		return body, true
	}
	var out string
	if err := json.Unmarshal(q, &out); err != nil {
		return nil, false
	}
	// encoding/json turns a lone surrogate escape (\ud800) into U+FFFD, so
	// the decoded string is always valid UTF-8: look at the escapes instead.
	if !utf8.ValidString(out) || loneSurrogate(body) {
		return nil, false
	}
	return []byte(out), true
}

// loneSurrogate reports whether body, the inside of a JSON string whose
// escapes are well formed, escapes a UTF-16 surrogate that is not part of a
// high-low pair.
func loneSurrogate(body []byte) bool {
	hex4 := func(b []byte) rune {
		v, _ := strconv.ParseUint(string(b), 16, 32)
		return rune(v)
	}
	for i := 0; i+1 < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		if body[i+1] != 'u' {
			i++ // skip the escaped character, which may be a backslash
			continue
		}
		r := hex4(body[i+2 : i+6])
		i += 5
		switch {
		case 0xdc00 <= r && r <= 0xdfff:
			return true
		case 0xd800 <= r && r <= 0xdbff:
			if i+6 >= len(body) || body[i+1] != '\\' || body[i+2] != 'u' {
				return true
			}
			if lo := hex4(body[i+3 : i+7]); lo < 0xdc00 || lo > 0xdfff {
				return true
			}
			i += 6
		}
	}
	return false
}

// String returns the content of a raw JSON string value; ok is false when
// value is not a string.
func String(value []byte) ([]byte, bool) {
	if len(value) == 0 || value[0] != '"' {
		return nil, false
	}
	return unquote(value)
}

// Number returns the value of a raw JSON number; ok is false when value is
// not a number or is not finite.
func Number(value []byte) (float64, bool) {
	if len(value) == 0 || !(value[0] == '-' || ('0' <= value[0] && value[0] <= '9')) {
		return 0, false
	}
	if len(value) <= 15 { // integer fast path, no allocation
		var n int64
		neg := value[0] == '-'
		digits := value
		if neg {
			digits = value[1:]
		}
		integer := len(digits) > 0
		for _, c := range digits {
			if c < '0' || c > '9' {
				integer = false
				break
			}
			n = n*10 + int64(c-'0')
		}
		if integer {
			if neg {
				n = -n
			}
			return float64(n), true
		}
	}
	f, err := strconv.ParseFloat(string(value), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// Strings calls fn with each element of a raw JSON array of strings; ok is
// false when value is not such an array.
func Strings(value []byte, fn func([]byte)) bool {
	if len(value) == 0 || value[0] != '[' {
		return false
	}
	s := scanner{data: value, pos: 1}
	s.ws()
	if s.eat(']') {
		s.ws()
		return s.pos == len(value)
	}
	for {
		s.ws()
		start := s.pos
		if !s.str() {
			return false
		}
		v, ok := unquote(value[start:s.pos])
		if !ok {
			return false
		}
		fn(v)
		s.ws()
		if s.eat(',') {
			continue
		}
		if s.eat(']') {
			s.ws()
			return s.pos == len(value)
		}
		return false
	}
}
