package jose

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// ErrJSON reports input that is not a JSON object this package accepts.
var ErrJSON = errors.New("invalid JSON")

// ErrDuplicate reports two member names of one object (at any depth) that
// are equal under Unicode simple case folding, as [bytes.EqualFold] compares
// them: "aud" and "AUD", "sub" and "ſub" (U+017F), "kid" and "\u212aid" (the
// Kelvin sign) are duplicates. encoding/json matches names to struct fields
// that way, so it would read either of the two where we read one.
var ErrDuplicate = errors.New("duplicate JSON member name")

const maxDepth = 32

// ScanObject checks that data is exactly one JSON object and calls fn with
// each top-level member's unescaped name and raw value. fn must not keep name
// beyond the call.
//
// It accepts only what encoding/json accepts when it decodes data into an
// any, and less: valid UTF-8, no lone surrogate escapes (\ud800, which
// encoding/json would turn into U+FFFD), numbers within float64 range, no
// duplicate member names (see [ErrDuplicate]) in any object at any depth, at
// most maxMembers members at the top, nesting at most 32 deep.
func ScanObject(data []byte, maxMembers int, fn func(name, value []byte) error) error {
	s := scanner{data: data}
	s.ws()
	if s.pos >= len(data) || data[s.pos] != '{' {
		return ErrJSON
	}
	if err := s.object(0, maxMembers, fn); err != nil {
		return err
	}
	s.ws()
	if s.pos != len(data) {
		return ErrJSON
	}
	return nil
}

// ScanTop is ScanObject except that duplicate names are refused in the top
// object only: a caller that checks each nested object it uses on its own
// (a JWK Set dropping one key with duplicate members, not the whole set)
// scans the document with it. Every other rule applies at every depth.
func ScanTop(data []byte, maxMembers int, fn func(name, value []byte) error) error {
	s := scanner{data: data, shallow: true}
	s.ws()
	if s.pos >= len(data) || data[s.pos] != '{' {
		return ErrJSON
	}
	if err := s.object(0, maxMembers, fn); err != nil {
		return err
	}
	s.ws()
	if s.pos != len(data) {
		return ErrJSON
	}
	return nil
}

// Valid reports whether data is one JSON value under the rules of
// ScanObject (objects at any depth, the top one included, have no duplicate
// names; there is no bound on members).
func Valid(data []byte) bool {
	s := scanner{data: data}
	s.ws()
	if s.value(0) != nil {
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
	// shallow leaves the names of nested objects unchecked for duplicates
	// (ScanTop); every other rule still applies at every depth.
	shallow bool
	// plain is set by str: the string it scanned holds only ASCII and no
	// escape, so its bytes are its characters.
	plain bool
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

// value scans one JSON value; depth counts the containers around it.
func (s *scanner) value(depth int) error {
	if depth > maxDepth || s.pos >= len(s.data) {
		return ErrJSON
	}
	switch c := s.data[s.pos]; {
	case c == '"':
		if !s.str() {
			return ErrJSON
		}
		return nil
	case c == '{':
		return s.object(depth, -1, nil)
	case c == '[':
		s.pos++
		s.ws()
		if s.eat(']') {
			return nil
		}
		for {
			s.ws()
			if err := s.value(depth + 1); err != nil {
				return err
			}
			s.ws()
			if s.eat(',') {
				continue
			}
			if s.eat(']') {
				return nil
			}
			return ErrJSON
		}
	case c == '-' || ('0' <= c && c <= '9'):
		if !s.num() {
			return ErrJSON
		}
		return nil
	default:
		for _, lit := range [...]string{"true", "false", "null"} {
			if bytes.HasPrefix(s.data[s.pos:], []byte(lit)) {
				s.pos += len(lit)
				return nil
			}
		}
		return ErrJSON
	}
}

// name locates a member name in the scanner's data (the inside of its
// quotes); plain is scanner.plain for it. Two plain names can be duplicates
// only if their keys are equal, which spares most comparisons.
type name struct {
	start, end int32
	key        uint32
	plain      bool
}

func (s *scanner) name(start, end int) name {
	n := name{start: int32(start), end: int32(end), plain: s.plain}
	if n.plain && end > start {
		// Length, and the first and last bytes without the ASCII case
		// bit: equal for names that differ only in ASCII case.
		n.key = uint32(end-start)<<16 | uint32(s.data[start]&^0x20)<<8 | uint32(s.data[end-1]&^0x20)
	}
	return n
}

// smallObject is how many names an object may have before the duplicate
// check moves from pairwise comparison on the stack to a map.
const smallObject = 16

// object scans the object at s.pos, whose opening brace is there. At most
// maxMembers members are allowed (-1: no limit); fn, if not nil, receives
// each member's unescaped name and raw value.
func (s *scanner) object(depth, maxMembers int, fn func(name, value []byte) error) error {
	s.pos++ // '{'
	s.ws()
	if s.eat('}') {
		return nil
	}
	var small [smallObject]name // no allocation below 16 names
	seen := small[:0]
	var big map[string]struct{} // folded names, once there are more
	for n := 0; ; n++ {
		s.ws()
		start := s.pos
		if !s.str() {
			return ErrJSON
		}
		if n == maxMembers {
			return ErrJSON
		}
		nm := s.name(start+1, s.pos-1)
		switch {
		case s.shallow && depth > 0:
		case big != nil:
			var buf [64]byte
			key := appendFolded(buf[:0], s.data[nm.start:nm.end], nm.plain)
			if _, dup := big[string(key)]; dup {
				return ErrDuplicate
			}
			big[string(key)] = struct{}{}
		default:
			for _, m := range seen {
				if (m.key == nm.key || !m.plain || !nm.plain) && s.sameName(m, nm) {
					return ErrDuplicate
				}
			}
			if len(seen) < smallObject {
				seen = append(seen, nm)
				break
			}
			big = make(map[string]struct{}, 2*smallObject)
			for _, m := range append(seen, nm) {
				big[string(appendFolded(nil, s.data[m.start:m.end], m.plain))] = struct{}{}
			}
		}
		s.ws()
		if !s.eat(':') {
			return ErrJSON
		}
		s.ws()
		vstart := s.pos
		if err := s.value(depth + 1); err != nil {
			return err
		}
		if fn != nil {
			raw := s.data[nm.start:nm.end]
			if !nm.plain && bytes.IndexByte(raw, '\\') >= 0 {
				raw = appendUnescaped(nil, raw)
			}
			if err := fn(raw, s.data[vstart:s.pos]); err != nil {
				return err
			}
		}
		s.ws()
		if s.eat(',') {
			continue
		}
		if s.eat('}') {
			return nil
		}
		return ErrJSON
	}
}

// sameName reports whether two scanned names are equal under simple case
// folding.
func (s *scanner) sameName(a, b name) bool {
	x, y := s.data[a.start:a.end], s.data[b.start:b.end]
	if a.plain && b.plain {
		return asciiEqualFold(x, y)
	}
	for len(x) > 0 && len(y) > 0 {
		r, n := nextRune(x)
		q, m := nextRune(y)
		if foldRune(r) != foldRune(q) {
			return false
		}
		x, y = x[n:], y[m:]
	}
	return len(x) == 0 && len(y) == 0
}

// foldRune maps r to one representative of the runes that simple case
// folding relates to it (unicode.SimpleFold's orbit): the smallest.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		return r
	}
	min := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < min {
			min = f
		}
	}
	return min
}

// appendFolded appends the folded form of a scanned name (the inside of its
// quotes) to dst: two names are duplicates when their folded forms are equal.
func appendFolded(dst, raw []byte, plain bool) []byte {
	if plain {
		for _, c := range raw {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			dst = append(dst, c)
		}
		return dst
	}
	for len(raw) > 0 {
		r, n := nextRune(raw)
		dst = utf8.AppendRune(dst, foldRune(r))
		raw = raw[n:]
	}
	return dst
}

// str scans a JSON string: escapes well formed (a surrogate escape only as
// half of a pair), valid UTF-8, no control character. It sets s.plain.
func (s *scanner) str() bool {
	if !s.eat('"') {
		return false
	}
	plain := true
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		if plainByte[c] {
			s.pos++
			continue
		}
		switch {
		case c == '"':
			s.pos++
			s.plain = plain
			return true
		case c == '\\':
			plain = false
			n := escapeLen(s.data[s.pos:])
			if n == 0 {
				return false
			}
			s.pos += n
		case c < utf8.RuneSelf: // a control character
			return false
		default:
			plain = false
			r, n := utf8.DecodeRune(s.data[s.pos:])
			if r == utf8.RuneError && n <= 1 {
				return false
			}
			s.pos += n
		}
	}
	return false
}

// plainByte marks the bytes that stand for themselves in a JSON string:
// ASCII other than controls, quote and backslash.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// escapeLen returns the length of the escape sequence at the start of b
// (which begins with a backslash): 2 for \n and the like, 6 for \uXXXX, 12
// for a surrogate pair \uD83D\uDE00; 0 when it is malformed or a lone
// surrogate.
func escapeLen(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2
	case 'u':
		r, ok := hex4(b[2:])
		switch {
		case !ok || (0xdc00 <= r && r <= 0xdfff):
			return 0
		case r < 0xd800 || r > 0xdbff:
			return 6
		}
		if len(b) < 8 || b[6] != '\\' || b[7] != 'u' {
			return 0
		}
		if lo, ok := hex4(b[8:]); !ok || lo < 0xdc00 || lo > 0xdfff {
			return 0
		}
		return 12
	}
	return 0
}

// hex4 reads four hexadecimal digits.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// nextRune decodes the first character of b, the inside of a JSON string
// that str accepted: an escape (a surrogate pair being one character) or a
// UTF-8 sequence. It returns the character and the bytes it took.
func nextRune(b []byte) (rune, int) {
	if b[0] != '\\' {
		return utf8.DecodeRune(b)
	}
	n := escapeLen(b)
	switch n {
	case 2:
		return rune(unescapeByte(b[1])), 2
	case 6:
		r, _ := hex4(b[2:])
		return r, 6
	case 12:
		hi, _ := hex4(b[2:])
		lo, _ := hex4(b[8:])
		return utf16.DecodeRune(hi, lo), 12
	}
	return utf8.RuneError, 1 // not reached for scanned strings
}

func unescapeByte(c byte) byte {
	switch c {
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	}
	return c // '"', '\\', '/'
}

// appendUnescaped appends the characters of raw, the inside of a JSON
// string that str accepted, to dst.
func appendUnescaped(dst, raw []byte) []byte {
	for len(raw) > 0 {
		if i := bytes.IndexByte(raw, '\\'); i != 0 {
			if i < 0 {
				i = len(raw)
			}
			dst = append(dst, raw[:i]...)
			raw = raw[i:]
			continue
		}
		r, n := nextRune(raw)
		dst = utf8.AppendRune(dst, r)
		raw = raw[n:]
	}
	return dst
}

// num scans a JSON number and refuses one beyond float64 range, as
// encoding/json does when it decodes a number into an any.
func (s *scanner) num() bool {
	start := s.pos
	s.eat('-')
	if s.pos >= len(s.data) {
		return false
	}
	intStart := s.pos
	if s.data[s.pos] == '0' {
		s.pos++
	} else if !s.digits() {
		return false
	}
	intDigits := s.pos - intStart
	if s.eat('.') && !s.digits() {
		return false
	}
	exp := false
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		exp = true
		s.pos++
		if !s.eat('+') {
			s.eat('-')
		}
		if !s.digits() {
			return false
		}
	}
	if !exp && intDigits <= 308 {
		return true // below 1e308, so finite: the usual case needs no parse
	}
	b := s.data[start:s.pos]
	_, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	return err == nil // only ErrRange: the syntax was checked above
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
	s := scanner{data: q}
	if !s.str() || s.pos != len(q) {
		return nil, false
	}
	return appendUnescaped(make([]byte, 0, len(body)), body), true
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
