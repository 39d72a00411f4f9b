package dpop

import (
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/tokenguard/tokenguard/internal/jose"
)

// normalizeURL returns the scheme, host, port and path of an absolute http
// or https URL in the normal form of RFC 3986 §6.2.2 (syntax-based) and
// §6.2.3 (scheme-based), which is how RFC 9449 §4.3 compares htu with the
// request:
//
//   - the query and fragment are dropped;
//   - scheme and host are lower case; a default port (80 for http, 443 for
//     https) and an empty port are removed, and leading zeros of a port too;
//   - percent-encodings use upper-case hex digits, and those of unreserved
//     characters (letters, digits, - . _ ~) are decoded; bytes that may not
//     appear in a path (space, controls, non-ASCII, "<>\^`{|} and
//     the like) are percent-encoded, so that a raw byte and its encoding
//     compare equal, as a server that decodes the path reads them;
//   - dot segments are removed (RFC 3986 §5.2.4), after the decoding, so
//     "/a/%2E%2E/b" is "/b"; an encoded slash (%2F) stays encoded;
//   - an empty path is "/".
//
// A URL with userinfo ("https://user@host/") is refused: no request URL has
// one, and it could mislead a reader about the host. So are other schemes,
// an empty host, a host with a percent-encoded character other than an
// unreserved one, an IP literal that is no IPv6 address, a port beyond
// 65535 and a malformed percent-encoding.
func normalizeURL(s string) (string, string) {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	i := strings.Index(s, "://")
	if i < 0 {
		return "", "is not an absolute URL"
	}
	var scheme, port string
	switch {
	case strings.EqualFold(s[:i], "https"):
		scheme, port = "https", "443"
	case strings.EqualFold(s[:i], "http"):
		scheme, port = "http", "80"
	default:
		return "", "has a scheme other than http and https"
	}
	rest := s[i+3:]
	authority, path := rest, ""
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		authority, path = rest[:j], rest[j:]
	}
	if strings.IndexByte(authority, '@') >= 0 {
		return "", "has userinfo"
	}
	host, p, reason := splitHostPort(authority)
	if reason != "" {
		return "", reason
	}
	b := make([]byte, 0, len(scheme)+3+len(authority)+len(path)+8)
	b = append(append(b, scheme...), "://"...)
	if b, reason = appendHost(b, host); reason != "" {
		return "", reason
	}
	if p, reason = normalPort(p); reason != "" {
		return "", reason
	}
	if p != "" && p != port {
		b = append(append(b, ':'), p...)
	}
	start := len(b)
	if b, reason = appendPath(b, path); reason != "" {
		return "", reason
	}
	if len(b) == start {
		b = append(b, '/')
	} else if hasDotSegment(b[start:]) {
		b = append(b[:start], removeDotSegments(string(b[start:]))...)
	}
	return string(b), ""
}

// splitHostPort splits an authority without userinfo.
func splitHostPort(a string) (host, port, reason string) {
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return "", "", "has an unclosed IP literal"
		}
		host, rest := a[:end+1], a[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return "", "", "has characters after its IP literal"
			}
			return host, rest[1:], ""
		}
		return host, "", ""
	}
	if i := strings.LastIndexByte(a, ':'); i >= 0 {
		return a[:i], a[i+1:], ""
	}
	return a, "", ""
}

// appendHost appends the host in lower case, its percent-encodings of
// unreserved characters decoded. A reg-name holds unreserved characters and
// sub-delims, and no other percent-encoded character (a DNS name is ASCII:
// an internationalised one is written in punycode); an IP literal is an IPv6
// address, with colons and an optional percent-encoded zone.
func appendHost(b []byte, host string) ([]byte, string) {
	if host == "" || host == "[]" {
		return nil, "has no host"
	}
	literal := host[0] == '['
	if literal {
		// An IPv6 address, with an optional zone (RFC 6874); IPvFuture and
		// anything else in brackets are refused, as net/url refuses them.
		host = host[1 : len(host)-1]
		dec, err := url.PathUnescape(host)
		if err != nil {
			return nil, "has a malformed IP literal"
		}
		if a, err := netip.ParseAddr(dec); err != nil || !a.Is6() {
			return nil, "has an IP literal that is not an IPv6 address"
		}
		b = append(b, '[')
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case c == '%':
			v, ok := unhex(host, i)
			if !ok {
				return nil, "has a malformed percent-encoding in its host"
			}
			i += 2
			switch {
			case unreserved(v):
				b = append(b, lower(v))
			case literal: // a zone: "%25" and what it names
				b = append(b, '%', hexDigit[v>>4], hexDigit[v&15])
			default: // a name server knows holds letters, digits, - and .
				return nil, "has a percent-encoded character that a host name cannot hold"
			}
		case unreserved(c) || subDelim(c) || (literal && c == ':'):
			b = append(b, lower(c))
		default:
			return nil, "has a character not allowed in a host"
		}
	}
	if literal {
		b = append(b, ']')
	}
	return b, ""
}

// normalPort returns the port's digits without leading zeros.
func normalPort(p string) (string, string) {
	if p == "" {
		return "", ""
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return "", "has a port that is not a number"
		}
	}
	p = strings.TrimLeft(p, "0")
	if len(p) > 5 {
		return "", "has a port beyond 65535"
	}
	if p == "" {
		return "0", ""
	}
	if n, _ := strconv.Atoi(p); n > 65535 {
		return "", "has a port beyond 65535"
	}
	return p, ""
}

// appendPath appends the path with its percent-encodings normalised.
func appendPath(b []byte, path string) ([]byte, string) {
	for i := 0; i < len(path); i++ {
		c := path[i]
		switch {
		case c == '%':
			v, ok := unhex(path, i)
			if !ok {
				return nil, "has a malformed percent-encoding in its path"
			}
			i += 2
			if unreserved(v) {
				b = append(b, v)
			} else {
				b = append(b, '%', hexDigit[v>>4], hexDigit[v&15])
			}
		case unreserved(c) || subDelim(c) || c == ':' || c == '@' || c == '/':
			b = append(b, c)
		default:
			b = append(b, '%', hexDigit[c>>4], hexDigit[c&15])
		}
	}
	return b, ""
}

const hexDigit = "0123456789ABCDEF"

// unhex decodes the percent-encoding at s[i].
func unhex(s string, i int) (byte, bool) {
	if i+2 >= len(s) {
		return 0, false
	}
	h, ok1 := fromHex(s[i+1])
	l, ok2 := fromHex(s[i+2])
	return h<<4 | l, ok1 && ok2
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func subDelim(c byte) bool { return strings.IndexByte("!$&'()*+,;=", c) >= 0 }

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hasDotSegment reports whether the path has a segment "." or "..".
func hasDotSegment(p []byte) bool {
	for i := 0; i < len(p); i++ {
		if p[i] != '.' || (i > 0 && p[i-1] != '/') {
			continue
		}
		j := i + 1
		if j < len(p) && p[j] == '.' {
			j++
		}
		if j == len(p) || p[j] == '/' {
			return true
		}
	}
	return false
}

// removeDotSegments applies RFC 3986 §5.2.4 to an absolute path: "." goes,
// ".." takes the segment before it along (none above the root), and a path
// that ends in either keeps its trailing slash.
func removeDotSegments(p string) string {
	segs := strings.Split(p[1:], "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
			continue
		}
		if last {
			out = append(out, "")
		}
	}
	return "/" + strings.Join(out, "/")
}

// HeaderProof returns the one DPoP header of a request (RFC 9449 §4.3: not
// more than one), and whether there is one. Two or more header fields, an
// empty one or one over [MaxProofBytes] are errors matching
// [ErrInvalidProof] ([ErrMalformed]).
func HeaderProof(h http.Header) (proof string, ok bool, err error) {
	vals := h.Values("DPoP")
	switch {
	case len(vals) == 0:
		return "", false, nil
	case len(vals) > 1:
		return "", false, refuse(ErrMalformed, "the request has "+strconv.Itoa(len(vals))+" DPoP header fields, want exactly one")
	case vals[0] == "":
		return "", false, refuse(ErrMalformed, "the DPoP header is empty")
	case len(vals[0]) > MaxProofBytes:
		return "", false, refuse(ErrMalformed, "the DPoP header is "+strconv.Itoa(len(vals[0]))+" bytes, over the limit of "+strconv.Itoa(MaxProofBytes))
	}
	return vals[0], true, nil
}

// RequestURL returns the URL that a proof for r must name in htu, without
// query: Config.ExternalURL followed by r's path when it is set; otherwise
// https (when r.TLS is set) or http, r.Host and r's path, the scheme and host
// taken from the Forwarded header, or else from X-Forwarded-Proto and
// X-Forwarded-Host, when Config.TrustForwardedHeaders is set (the last
// value of each, the one the proxy next to this service wrote). r's path is
// that of the request line (r.RequestURI), as the client sent it, so that a
// router or http.StripPrefix that rewrites r.URL changes nothing; without a
// RequestURI (a request built by a client), r.URL's. Errors (a malformed
// forwarded header, a request without host) match [ErrInvalidProof]
// ([ErrURL]).
func (c *Checker) RequestURL(r *http.Request) (string, error) {
	path, err := requestPath(r)
	if err != nil {
		return "", err
	}
	if c.external != "" {
		u, reason := normalizeURL(c.external + path)
		if reason != "" {
			return "", refuse(ErrURL, "the request URL "+reason)
		}
		return u, nil
	}
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if c.trustForwarded {
		proto, fhost, err := forwarded(r.Header)
		if err != nil {
			return "", err
		}
		if proto != "" {
			scheme = proto
		}
		if fhost != "" {
			host = fhost
		}
	}
	if host == "" {
		return "", refuse(ErrURL, "the request has no host")
	}
	u, reason := normalizeURL(scheme + "://" + host + path)
	if reason != "" {
		return "", refuse(ErrURL, "the request URL "+reason)
	}
	return u, nil
}

// requestPath returns r's path as the client sent it, without query.
func requestPath(r *http.Request) (string, error) {
	uri := r.RequestURI
	if uri == "" && r.URL != nil {
		return r.URL.EscapedPath(), nil
	}
	if i := strings.IndexAny(uri, "?#"); i >= 0 {
		uri = uri[:i]
	}
	if strings.HasPrefix(uri, "/") {
		return uri, nil
	}
	// Absolute form (RFC 9112 §3.2.2): the path follows the authority.
	if i := strings.Index(uri, "://"); i > 0 {
		rest := uri[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			return rest[j:], nil
		}
		return "/", nil
	}
	return "", refuse(ErrURL, "the request target "+jose.Quote(uri)+" is no path")
}

// forwarded returns the scheme and host a trusted proxy reports: from the
// last element of the Forwarded headers (RFC 7239) when there is one, else
// from the last values of X-Forwarded-Proto and X-Forwarded-Host. Either may
// be empty (not reported).
func forwarded(h http.Header) (proto, host string, err error) {
	if vals := h.Values("Forwarded"); len(vals) > 0 {
		proto, host, err = lastForwarded(vals[len(vals)-1])
	} else {
		proto, host = lastValue(h.Values("X-Forwarded-Proto")), lastValue(h.Values("X-Forwarded-Host"))
	}
	if err != nil {
		return "", "", err
	}
	switch {
	case proto == "":
	case strings.EqualFold(proto, "https"):
		proto = "https"
	case strings.EqualFold(proto, "http"):
		proto = "http"
	default:
		return "", "", refuse(ErrURL, "the forwarded scheme "+jose.Quote(proto)+" is not http or https")
	}
	if strings.ContainsAny(host, "/?#@\\ ") {
		return "", "", refuse(ErrURL, "the forwarded host "+jose.Quote(host)+" is not a host")
	}
	return proto, host, nil
}

// lastValue returns the last comma-separated value of the last field.
func lastValue(vals []string) string {
	if len(vals) == 0 {
		return ""
	}
	v := vals[len(vals)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return strings.TrimSpace(v)
}

// lastForwarded parses a Forwarded field value (RFC 7239 §4: elements
// separated by commas, each pairs name=value separated by semicolons, a
// value a token or a quoted string) and returns proto and host of its last
// element.
func lastForwarded(v string) (proto, host string, err error) {
	bad := refuse(ErrURL, "the Forwarded header is malformed")
	i := 0
	ws := func() {
		for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
			i++
		}
	}
	for {
		proto, host = "", ""
		for { // pairs of one element
			ws()
			start := i
			for i < len(v) && isTChar(v[i]) {
				i++
			}
			name := v[start:i]
			if name == "" || i >= len(v) || v[i] != '=' {
				return "", "", bad
			}
			i++
			var value string
			if i < len(v) && v[i] == '"' {
				var b strings.Builder
				for i++; ; i++ {
					if i >= len(v) {
						return "", "", bad
					}
					if v[i] == '\\' && i+1 < len(v) {
						i++
					} else if v[i] == '"' {
						i++
						break
					}
					b.WriteByte(v[i])
				}
				value = b.String()
			} else {
				start := i
				for i < len(v) && isTChar(v[i]) {
					i++
				}
				if value = v[start:i]; value == "" {
					return "", "", bad
				}
			}
			switch {
			case strings.EqualFold(name, "proto"):
				proto = value
			case strings.EqualFold(name, "host"):
				host = value
			}
			ws()
			if i < len(v) && v[i] == ';' {
				i++
				continue
			}
			break
		}
		if i == len(v) {
			return proto, host, nil
		}
		if v[i] != ',' {
			return "", "", bad
		}
		i++
	}
}

// isTChar reports whether c may appear in an HTTP token (RFC 9110 §5.6.2).
func isTChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
