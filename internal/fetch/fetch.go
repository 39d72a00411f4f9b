// Package fetch holds the bounded HTTP helpers that jwks and introspect share:
// the URL policy (HTTPS except loopback), a client that refuses cross-host
// redirects, and body reads under a size cap. It is not API.
package fetch

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
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
		if IsLoopback(u.Hostname()) {
			return u, nil
		}
	}
	return nil, &URLError{URL: raw, Problem: "must use https (http is allowed only for loopback hosts)", Err: ErrInsecureURL}
}

// IsLoopback reports whether host names the local machine.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Client returns a copy of base (or of a new client with timeout when base is
// nil) whose redirect policy is safe: when sameHostRedirects is true, redirects
// stay on the original scheme and host (at most 3); otherwise none is
// followed and the 3xx response itself is returned, for the caller's status
// check to refuse. The caller's client is never modified.
func Client(base *http.Client, timeout time.Duration, sameHostRedirects bool) *http.Client {
	var c http.Client
	if base != nil {
		c = *base
	}
	if c.Timeout == 0 || c.Timeout > timeout {
		c.Timeout = timeout
	}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !sameHostRedirects {
			return http.ErrUseLastResponse
		}
		first := via[0].URL
		if len(via) > 3 || req.URL.Scheme != first.Scheme || !strings.EqualFold(req.URL.Host, first.Host) {
			return fmt.Errorf("redirect from %s to %s refused: only same-host redirects are followed", first.Redacted(), req.URL.Redacted())
		}
		return nil
	}
	return &c
}

// ReadBody reads at most limit bytes of r; a longer body returns
// *http.MaxBytesError, never a silently truncated prefix.
func ReadBody(r io.Reader, limit int64) ([]byte, error) {
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
	Excerpt string
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

// CheckJSON reports whether the response's Content-Type is a JSON media type
// (application/json or any application/*+json). Its error leaves the URL to
// the error that wraps it.
func CheckJSON(resp *http.Response) error {
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err == nil &&
		(mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return fmt.Errorf("response Content-Type is %q, want application/json", Excerpt(ct))
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
