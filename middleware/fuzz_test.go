package middleware

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokenguard/tokenguard/jwtverify"
)

// FuzzExtract feeds arbitrary Authorization headers, query strings and
// cookies to the token extraction. It must never panic, must answer only
// with a token or one of the extraction categories, and a token it
// returns must be a bounded, non-empty b64token taken verbatim from one of
// the sources.
func FuzzExtract(f *testing.F) {
	f.Add("Bearer abc.def.ghi", "", "", "")
	f.Add("bearer abc.def.ghi", "", "", "")
	f.Add("Bearer  abc", "", "", "")
	f.Add("Basic dXNlcjpwYXNz", "", "", "")
	f.Add("Bearer a", "Bearer b", "", "")
	f.Add("", "", "access_token=abc.def.ghi", "")
	f.Add("Bearer x", "", "access_token=y", "")
	f.Add("", "", "access_token=a&access_token=b", "tg=abc")
	f.Add("Bearer ab==", "", "", "")
	f.Add("Bearer é", "", "", "")
	g := mustGuard(f, Config{InsecureQueryToken: true, CookieName: "tg", MaxTokenBytes: 256})
	f.Fuzz(func(t *testing.T, h1, h2, query, cookie string) {
		r := &http.Request{Method: http.MethodGet, Header: http.Header{}, URL: &url.URL{Path: "/", RawQuery: query}}
		if h1 != "" {
			r.Header.Add("Authorization", h1)
		}
		if h2 != "" {
			r.Header.Add("Authorization", h2)
		}
		if cookie != "" {
			r.Header.Set("Cookie", cookie)
		}
		tok, _, _, err := g.token(r)
		if err != nil {
			if tok != "" {
				t.Fatalf("token(%q) = %q with error %v", h1, tok, err)
			}
			// An oversized token is refused as a malformed token (401), the
			// rest as a missing token or a malformed request.
			if !errors.Is(err, ErrNoToken) && !errors.Is(err, ErrInvalidRequest) && !errors.Is(err, jwtverify.ErrMalformed) {
				t.Fatalf("token() error %v matches none of ErrNoToken, ErrInvalidRequest, jwtverify.ErrMalformed", err)
			}
			return
		}
		if tok == "" || len(tok) > 256 || !isB64Token(tok) {
			t.Fatalf("token() = %q: not a bounded non-empty b64token", tok)
		}
		if !strings.Contains(h1, tok) && !strings.Contains(h2, tok) && !strings.Contains(query, tok) && !strings.Contains(cookie, tok) &&
			!strings.Contains(mustUnescape(query), tok) {
			t.Fatalf("token() = %q, found in none of the sources", tok)
		}
	})
}

func mustUnescape(s string) string {
	v, err := url.QueryUnescape(s)
	if err != nil {
		return ""
	}
	return v
}
