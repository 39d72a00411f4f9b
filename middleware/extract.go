package middleware

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/tokenguard/tokenguard/internal/dpop"
	"github.com/tokenguard/tokenguard/jwtverify"
)

// paramName is the form, query and (by default) cookie name of RFC 6750.
const paramName = "access_token"

// A source is a token source other than the Authorization header: it
// returns the token r sends that way, "" if none, or an error matching
// ErrInvalidRequest (or jwtverify.ErrMalformed, for an oversized token).
type source func(g *Guard, r *http.Request) (string, error)

// sources returns the optional sources cfg enables, in a fixed order.
func sources(cfg Config) []source {
	var s []source
	if cfg.InsecureQueryToken {
		s = append(s, (*Guard).queryToken)
	}
	if cfg.FormToken {
		s = append(s, (*Guard).formToken)
	}
	if cfg.CookieName != "" {
		s = append(s, (*Guard).cookieToken)
	}
	return s
}

// token extracts the one token of r from the sources g enables (RFC 6750
// §2, RFC 9449 §7.1), with the scheme it came with and, for DPoP, the proof
// of the DPoP header. It returns ErrNoToken when there is none, an error
// matching ErrInvalidRequest when the request is malformed or sends a token
// in more than one way, and one matching ErrInvalidDPoPProof when a DPoP
// token comes without exactly one proof of bounded size. Only the header
// carries a DPoP token: the other sources carry Bearer tokens.
func (g *Guard) token(r *http.Request) (tok string, sch scheme, proof string, err error) {
	tok, sch, none, err := g.headerToken(r)
	if err != nil {
		return "", 0, "", err
	}
	found := 0
	if tok != "" {
		found = 1
	}
	for _, src := range g.sources {
		t, err := src(g, r)
		if err != nil {
			return "", 0, "", err
		}
		if t != "" {
			tok, sch, found = t, schemeBearer, found+1
		}
	}
	switch {
	case found > 1:
		return "", 0, "", errTwoWays
	case g.dpop == nil:
		if found == 0 {
			return "", 0, "", none
		}
		return tok, sch, "", nil
	case found == 1 && sch == schemeDPoP:
		proof, ok, err := dpop.HeaderProof(r.Header)
		if err != nil {
			return "", 0, "", err
		}
		if !ok {
			return "", 0, "", errNoProof
		}
		return tok, sch, proof, nil
	}
	if _, ok := r.Header["Dpop"]; ok {
		if found == 0 {
			return "", 0, "", errProofWithoutToken
		}
		return "", 0, "", errProofWithBearer
	}
	if found == 0 {
		return "", 0, "", none
	}
	return tok, sch, "", nil
}

// headerToken returns the token of r's Authorization header and its scheme,
// or "" and the error that reports a request without a token: ErrNoToken, or
// errUnsupportedScheme for a header of a scheme g does not accept. A
// malformed header, or more than one, is an error.
func (g *Guard) headerToken(r *http.Request) (tok string, sch scheme, none, err error) {
	switch hs := r.Header["Authorization"]; len(hs) {
	case 0:
		return "", 0, ErrNoToken, nil
	case 1:
		tok, sch, err = g.credentials(hs[0])
		if err == errUnsupportedScheme {
			return "", 0, err, nil
		}
		return tok, sch, ErrNoToken, err
	default:
		return "", 0, nil, errTwoHeaders
	}
}

// credentials parses one Authorization header value of a scheme g accepts:
// Bearer (unless DPoP is required) or DPoP (unless it is off), in any case,
// one or more spaces, and a b64token (RFC 6750 §2.1: "Bearer" 1*SP
// b64token; RFC 9449 §7.1 gives DPoP the same syntax). A value of another
// scheme is errUnsupportedScheme.
func (g *Guard) credentials(h string) (string, scheme, error) {
	if g.dpopMode != DPoPRequired && hasScheme(h, "Bearer") {
		tok, err := g.credential(h[len("Bearer"):], errBearerSyntax)
		return tok, schemeBearer, err
	}
	if g.dpopMode != DPoPOff && hasScheme(h, "DPoP") {
		tok, err := g.credential(h[len("DPoP"):], errDPoPSyntax)
		return tok, schemeDPoP, err
	}
	return "", 0, errUnsupportedScheme // "Basic …", "", "BearerX …"
}

// credential parses what follows the scheme: 1*SP b64token.
func (g *Guard) credential(rest string, syntax error) (string, error) {
	tok := strings.TrimLeft(rest, " ")
	if len(tok) > g.maxToken {
		return "", errTooLong
	}
	if len(tok) == len(rest) || !isB64Token(tok) {
		return "", syntax // no space, no token, or not a b64token
	}
	return tok, nil
}

// queryToken is the access_token query parameter (RFC 6750 §2.3).
func (g *Guard) queryToken(r *http.Request) (string, error) {
	if r.URL == nil || !strings.Contains(r.URL.RawQuery, paramName) {
		return "", nil
	}
	q, _ := url.ParseQuery(r.URL.RawQuery) // a malformed pair is skipped, as r.URL.Query does
	return g.param(q[paramName], errTwoParams)
}

// formToken is the access_token member of a form body (RFC 6750 §2.2).
func (g *Guard) formToken(r *http.Request) (string, error) {
	if !formRequest(r) {
		return "", nil
	}
	f, err := g.postForm(r)
	if err != nil {
		return "", err
	}
	return g.param(f[paramName], errTwoParams)
}

// cookieToken is the value of the cookie named Config.CookieName.
func (g *Guard) cookieToken(r *http.Request) (string, error) {
	cookies := r.CookiesNamed(g.cookie)
	vals := make([]string, len(cookies))
	for i, c := range cookies {
		vals[i] = c.Value
	}
	return g.param(vals, errTwoCookies)
}

// param checks the values of a token parameter or cookie: none (""), or
// exactly one non-empty b64token; dup reports more than one.
func (g *Guard) param(vals []string, dup error) (string, error) {
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
	default:
		return "", dup
	}
	v := vals[0]
	if len(v) > g.maxToken {
		return "", errTooLong
	}
	if !isB64Token(v) {
		return "", errTokenSyntax
	}
	return v, nil
}

// errTooLong refuses a token over Config.MaxTokenBytes without scanning it.
var errTooLong = &jwtverify.MalformedError{Reason: "token longer than middleware Config.MaxTokenBytes"}

// formRequest reports whether r may carry a form-encoded token: a method
// whose body has defined semantics (never GET) and a body of type
// application/x-www-form-urlencoded (RFC 6750 §2.2).
func formRequest(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		return false
	}
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	return strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded")
}

// postForm parses r's body as a form, bounded by Config.MaxFormBytes, and
// leaves the result in r.Form and r.PostForm as r.ParseForm does. r.Body is
// not replaced: the bounded reader wraps it in a shallow copy of r.
func (g *Guard) postForm(r *http.Request) (url.Values, error) {
	if r.PostForm != nil {
		return r.PostForm, nil
	}
	fr := r.WithContext(r.Context())
	body := r.Body
	if body == nil {
		body = http.NoBody
	}
	fr.Body = http.MaxBytesReader(nil, body, g.maxForm)
	if err := fr.ParseForm(); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return nil, errFormTooLarge
		}
		return nil, errFormUnreadable
	}
	r.Form, r.PostForm = fr.Form, fr.PostForm
	return fr.PostForm, nil
}

// isB64Token reports whether s matches RFC 6750's
// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
// It runs on every request over the whole token, so it is a branch-free
// table scan.
func isB64Token(s string) bool {
	n := len(s)
	for n > 0 && s[n-1] == '=' {
		n--
	}
	if n == 0 {
		return false
	}
	s = s[:n]
	var b0, b1 byte // two accumulators, eight bytes a round
	i := 0
	for ; i+8 <= len(s); i += 8 {
		t := s[i : i+8]
		b0 |= notB64token[t[0]] | notB64token[t[1]] | notB64token[t[2]] | notB64token[t[3]]
		b1 |= notB64token[t[4]] | notB64token[t[5]] | notB64token[t[6]] | notB64token[t[7]]
	}
	for ; i < len(s); i++ {
		b0 |= notB64token[s[i]]
	}
	return b0|b1 == 0
}

// notB64token is 1 for the bytes outside the b64token alphabet ('=' is only
// allowed at the end, which isB64Token handles).
var notB64token = func() (t [256]byte) {
	for i := range t {
		t[i] = 1
	}
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/" {
		t[c] = 0
	}
	return t
}()

// isTchar reports whether r is a token character of RFC 9110 §5.6.2.
func isTchar(r rune) bool {
	return 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9' ||
		strings.ContainsRune("!#$%&'*+-.^_`|~", r)
}

// quotable reports whether s may appear inside a quoted auth-param value of
// RFC 6750 §3: %x20-21 / %x23-5B / %x5D-7E.
func quotable(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b > 0x7e || b == '"' || b == '\\' {
			return false
		}
	}
	return true
}
