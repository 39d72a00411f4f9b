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

// CheckURL reports whether raw is a URL the library may fetch: absolute,
// https, or http on a loopback host (127.0.0.0/8, ::1, localhost), with no
// user info and no fragment.
func CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid URL %q: %w", Excerpt(raw), err)
	}
	if u.Host == "" || !u.IsAbs() {
		return nil, fmt.Errorf("URL %q is not absolute", Excerpt(raw))
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("URL %q must not carry a fragment", Excerpt(raw))
	}
	if u.User != nil {
		return nil, fmt.Errorf("URL %q must not carry user info", Excerpt(raw))
	}
	switch u.Scheme {
	case "https":
		return u, nil
	case "http":
		if IsLoopback(u.Hostname()) {
			return u, nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrInsecureURL, Excerpt(raw))
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
// body for the developer.
type StatusError struct {
	URL     string
	Status  int
	Excerpt string
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("%s answered HTTP %d", e.URL, e.Status)
	if e.Excerpt != "" {
		s += ": " + e.Excerpt
	}
	return s
}

// CheckJSON reports whether the response's Content-Type is a JSON media type
// (application/json or any application/*+json).
func CheckJSON(resp *http.Response) error {
	ct := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err == nil &&
		(mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return nil
	}
	from := "response"
	if resp.Request != nil && resp.Request.URL != nil {
		from = resp.Request.URL.Redacted()
	}
	return fmt.Errorf("%s has Content-Type %q, want application/json", from, Excerpt(ct))
}

// Excerpt shortens s to a length safe to put in an error message.
func Excerpt(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strings.ToValidUTF8(s, "?") // also mends a character cut in two above
}
