// Package fetch is the one bounded HTTP path that key sets, issuer metadata
// and introspection share: the URL policy (HTTPS except loopback), clients
// with a named redirect policy, and [Do], which makes a request under its own
// deadline and checks status, Content-Type and body size before anything
// parses the answer. It is not API.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tokenguard/tokenguard/internal/jose"
)

// ErrInsecureURL reports a URL that is neither HTTPS nor on a loopback host.
var ErrInsecureURL = errors.New("URL must use https (http is allowed only for loopback hosts)")

// URLError reports a URL that the URL policy refuses. It matches
// ErrInsecureURL when the scheme is the reason.
type URLError struct {
	URL     string // as given; callers quote it with Excerpt
	Problem string // what is wrong, worded to follow the URL: "must use https (...)"
	Err     error  // ErrInsecureURL, a parse error, or nil
}

func (e *URLError) Error() string { return fmt.Sprintf("URL %q %s", Excerpt(e.URL), e.Problem) }
func (e *URLError) Unwrap() error { return e.Err }

// CheckURL reports whether raw is a URL the library may fetch: absolute,
// https, or http on a loopback host (127.0.0.0/8, ::1, localhost), with no
// user info and no fragment. Its errors are *URLError.
func CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL again otherwise
		}
		return nil, &URLError{URL: raw, Problem: "is not a valid URL: " + err.Error(), Err: err}
	}
	if u.Host == "" || !u.IsAbs() {
		return nil, &URLError{URL: raw, Problem: "is not an absolute URL (want https://host/...)"}
	}
	if u.Fragment != "" {
		return nil, &URLError{URL: raw, Problem: "must not carry a fragment"}
	}
	if u.User != nil {
		return nil, &URLError{URL: raw, Problem: "must not carry user info"}
	}
	switch u.Scheme {
	case "https":
		return u, nil
	case "http":
		if isLoopback(u.Hostname()) {
			return u, nil
		}
	}
	return nil, &URLError{URL: raw, Problem: "must use https (http is allowed only for loopback hosts)", Err: ErrInsecureURL}
}

// isLoopback reports whether host names the local machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Redirects is a redirect policy for [Client].
type Redirects int

const (
	// SameHost follows at most three redirects, each to the scheme and
	// host of the first request: for key sets and metadata, whose servers
	// move documents around on their own host.
	SameHost Redirects = iota + 1
	// NoRedirects follows none: the 3xx response itself comes back, and
	// [Do] refuses it with a *StatusError. For introspection: the token and
	// the client's credentials go to the configured URL or nowhere.
	NoRedirects
)

// maxRedirects bounds the redirects SameHost follows.
const maxRedirects = 3

// Client returns a copy of base (or a new client when base is nil) whose
// Timeout is timeout and whose redirect policy is policy. Transport, proxy,
// TLS and cookie settings of base are kept; base itself is never modified.
func Client(base *http.Client, timeout time.Duration, policy Redirects) *http.Client {
	var c http.Client
	if base != nil {
		c = *base
	}
	c.Timeout = timeout
	switch policy {
	case SameHost:
		c.CheckRedirect = checkSameHost
	default: // NoRedirects, and any policy not known: the safest
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return &c
}

func checkSameHost(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if len(via) > maxRedirects || req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host) {
		return fmt.Errorf("redirect from %s to %s refused: only same-host redirects are followed", first.Redacted(), req.URL.Redacted())
	}
	return nil
}

// Request is one bounded exchange for [Do].
type Request struct {
	// Method is the HTTP method; GET if empty.
	Method string
	// URL is the address, already checked against the URL policy.
	URL string
	// Header holds the request headers (Accept, Authorization,
	// If-None-Match...). It may be nil.
	Header http.Header
	// Body is the request body, if any (an encoded form, say).
	Body string
	// MaxBytes caps the body of a 200 answer; a longer one is an error.
	MaxBytes int64
}

// Response is what [Do] read.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Header holds the response headers.
	Header http.Header
	// Body is the whole body of a 200 answer; nil otherwise.
	Body []byte
}

// errorBodyBytes bounds what is read of an error answer: enough for an
// OAuth error object, of which only a short excerpt and the code are kept.
const errorBodyBytes = 4 << 10

// Do makes one request with c, under ctx and a deadline of its own
// (c.Timeout), and checks the answer before anything parses it: a status of
// 200 (or 304 when the request carries If-None-Match, which comes back with
// no body), a JSON Content-Type, and a body of at most r.MaxBytes. Other
// statuses, 3xx included, are a *StatusError. Errors leave the URL to the
// error that wraps them. Once a response has arrived, it is returned even
// with an error (without its body), for its status and headers.
func Do(ctx context.Context, c *http.Client, r *Request) (*Response, error) {
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if r.Body != "" {
		body = strings.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.URL, body)
	if err != nil {
		return nil, err
	}
	for name, values := range r.Header {
		req.Header[name] = values
	}
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the wrapping error names the URL
		}
		return nil, err
	}
	defer resp.Body.Close()
	out := &Response{Status: resp.StatusCode, Header: resp.Header}
	switch {
	case resp.StatusCode == http.StatusNotModified && req.Header.Get("If-None-Match") != "":
		return out, nil
	case resp.StatusCode != http.StatusOK:
		return out, statusError(r.URL, resp)
	}
	if err := checkJSON(resp); err != nil {
		return out, err
	}
	b, err := readBody(resp.Body, r.MaxBytes)
	if err != nil {
		return out, err
	}
	out.Body = b
	return out, nil
}

// statusError reads what is worth keeping of an error answer: a short
// excerpt of its body and, if it is an OAuth error object, its code.
func statusError(u string, resp *http.Response) *StatusError {
	b, _ := readBody(resp.Body, errorBodyBytes) // too long: no excerpt, no code
	return &StatusError{URL: u, Status: resp.StatusCode, Excerpt: Excerpt(string(b)), Code: errorCode(b)}
}

// errorCode returns the error member of an OAuth error object (RFC 6749
// §5.2) when data is one and the code is well formed; "" otherwise.
func errorCode(data []byte) string {
	var code string
	_ = jose.ScanObject(data, maxErrorMembers, func(name, value []byte) error {
		if string(name) == "error" {
			if s, ok := jose.String(value); ok && len(s) <= maxCodeBytes {
				code = string(s)
			}
		}
		return nil
	})
	for _, r := range code { // RFC 6749 §5.2: %x20-21 / %x23-5B / %x5D-7E
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return ""
		}
	}
	return code
}

const (
	maxErrorMembers = 256 // members of an error object read at most
	maxCodeBytes    = 64  // longest error code kept
)

// readBody reads at most limit bytes of r; a longer body returns
// *http.MaxBytesError, never a silently truncated prefix.
func readBody(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	return b, nil
}

// StatusError reports an unexpected HTTP status, with a short excerpt of the
// body for the developer. Its text leaves the URL to the error that wraps it.
type StatusError struct {
	URL     string
	Status  int
	Excerpt string // a short, one-line excerpt of the body; may be empty
	Code    string // the OAuth error code of the body (RFC 6749 §5.2), if any
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("answered HTTP %d", e.Status)
	if t := http.StatusText(e.Status); t != "" {
		s += " " + t
	}
	if e.Excerpt != "" {
		s += " (" + e.Excerpt + ")"
	}
	return s
}

// checkJSON reports whether the response's Content-Type is a JSON media type
// (application/json or any application/*+json). Its error leaves the URL to
// the error that wraps it.
func checkJSON(resp *http.Response) error {
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err == nil &&
		(mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return &contentTypeError{got: ct}
}

// contentTypeError reports an answer that is not JSON.
type contentTypeError struct{ got string }

func (e *contentTypeError) Error() string {
	return fmt.Sprintf("response Content-Type is %q, want application/json", Excerpt(e.got))
}

// Bounds of the Retry-After hints the library gives.
const (
	minRetryAfter = time.Second
	maxRetryAfter = 5 * time.Minute
)

// RetrySeconds rounds d up to whole seconds and bounds it to 1s..5m: the
// range of the Retry-After hints the library gives, whatever a remote server
// or a backoff says.
func RetrySeconds(d time.Duration) time.Duration {
	if d > maxRetryAfter {
		return maxRetryAfter
	}
	d = (d + time.Second - 1).Truncate(time.Second)
	return max(d, minRetryAfter)
}

// RetryAfter reads the Retry-After header of h (RFC 9110 §10.2.3) at now:
// delay-seconds (digits only: no sign, fraction or exponent) or an HTTP-date
// (IMF-fixdate, or the obsolete RFC 850 and asctime forms every recipient
// must accept), with nothing around it but spaces and tabs. It returns the
// delay bounded by [RetrySeconds] (a date in the past is 1s), or zero when h
// has no Retry-After, more than one, or one that is not well formed.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	vs := h.Values("Retry-After")
	if len(vs) != 1 {
		return 0
	}
	v := strings.Trim(vs[0], " \t")
	if v == "" {
		return 0
	}
	digits := true
	for i := 0; i < len(v); i++ {
		digits = digits && '0' <= v[i] && v[i] <= '9'
	}
	if digits {
		if len(v) > 9 { // beyond 31 years: no overflow, and far past the bound
			return maxRetryAfter
		}
		n := 0
		for i := 0; i < len(v); i++ {
			n = n*10 + int(v[i]-'0')
		}
		return RetrySeconds(time.Duration(n) * time.Second)
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	return RetrySeconds(t.Sub(now))
}

// Excerpt shortens s to a length safe to put in an error message, on one
// line: control characters (line breaks included) become spaces, and
// surrounding spaces are cut.
func Excerpt(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "…"
	}
	s = strings.ToValidUTF8(s, "?") // also mends a character cut in two above
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s))
}
