package middleware

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokenguard/tokenguard/jwtverify"
)

// FuzzExtract feeds arbitrary Authorization headers, query strings,
// cookies and DPoP headers (dpop: the field values, one a line; empty for
// none) to the token extraction of a Guard with DPoP off and of one with
// DPoP allowed. It must never panic, must answer only with a token or one of
// the extraction categories, and a token it returns must be a bounded,
// non-empty b64token taken verbatim from one of the sources; with DPoP on, a
// DPoP token comes only from the header, with the one DPoP header of at
// most 8 KiB as its proof, and a Bearer token never comes with a DPoP
// header.
func FuzzExtract(f *testing.F) {
	f.Add("Bearer abc.def.ghi", "", "", "", "")
	f.Add("bearer abc.def.ghi", "", "", "", "")
	f.Add("Bearer  abc", "", "", "", "")
	f.Add("Basic dXNlcjpwYXNz", "", "", "", "")
	f.Add("Bearer a", "Bearer b", "", "", "")
	f.Add("", "", "access_token=abc.def.ghi", "", "")
	f.Add("Bearer x", "", "access_token=y", "", "")
	f.Add("", "", "access_token=a&access_token=b", "tg=abc", "")
	f.Add("Bearer ab==", "", "", "", "")
	f.Add("Bearer é", "", "", "", "")
	f.Add("DPoP abc.def.ghi", "", "", "", "eyJ0eXAiOiJkcG9wK2p3dCJ9.e30.c2ln")
	f.Add("dpop abc", "", "", "", "p1\np2")
	f.Add("DPoP abc", "", "", "", "")
	f.Add("Bearer abc", "", "", "", "proof")
	f.Add("", "", "", "", "proof")
	f.Add("DPoP abc", "", "access_token=abc", "", "proof")
	f.Add("DPoPabc", "", "", "", "proof")
	f.Add("DPoP abc", "Bearer abc", "", "", "proof")
	off := mustGuard(f, Config{InsecureQueryToken: true, CookieName: "tg", MaxTokenBytes: 256})
	on := mustGuard(f, Config{InsecureQueryToken: true, CookieName: "tg", MaxTokenBytes: 256, DPoP: DPoPConfig{Mode: DPoPAllowed}})
	f.Fuzz(func(t *testing.T, h1, h2, query, cookie, proofs string) {
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
		if proofs != "" {
			for _, p := range strings.Split(proofs, "\n") {
				r.Header.Add("DPoP", p)
			}
		}
		for _, g := range []*Guard{off, on} {
			tok, sch, proof, err := g.token(r)
			if err != nil {
				if tok != "" || proof != "" {
					t.Fatalf("token(%q) = %q, %q with error %v", h1, tok, proof, err)
				}
				// An oversized token is refused as a malformed token (401),
				// a DPoP token without one good proof as an invalid proof,
				// the rest as a missing token or a malformed request.
				if !errors.Is(err, ErrNoToken) && !errors.Is(err, ErrInvalidRequest) && !errors.Is(err, jwtverify.ErrMalformed) &&
					(g.dpop == nil || !errors.Is(err, ErrInvalidDPoPProof)) {
					t.Fatalf("token() error %v matches none of the extraction categories", err)
				}
				continue
			}
			if tok == "" || len(tok) > 256 || !isB64Token(tok) {
				t.Fatalf("token() = %q: not a bounded non-empty b64token", tok)
			}
			if !strings.Contains(h1, tok) && !strings.Contains(h2, tok) && !strings.Contains(query, tok) && !strings.Contains(cookie, tok) &&
				!strings.Contains(mustUnescape(query), tok) {
				t.Fatalf("token() = %q, found in none of the sources", tok)
			}
			dpopHeaders := r.Header.Values("DPoP")
			switch {
			case g.dpop == nil && (sch != schemeBearer || proof != ""):
				t.Fatalf("token() with DPoP off = scheme %d, proof %q", sch, proof)
			case g.dpop != nil && sch == schemeDPoP:
				if len(r.Header["Authorization"]) != 1 || !hasScheme(h1+h2, "DPoP") {
					t.Fatalf("token() = a DPoP token from Authorization %q", r.Header["Authorization"])
				}
				if len(dpopHeaders) != 1 || proof != dpopHeaders[0] || proof == "" || len(proof) > 8<<10 {
					t.Fatalf("token() = proof %q from DPoP headers %q", proof, dpopHeaders)
				}
			case g.dpop != nil && (len(dpopHeaders) != 0 || proof != ""):
				t.Fatalf("token() = a Bearer token with DPoP headers %q", dpopHeaders)
			}
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
