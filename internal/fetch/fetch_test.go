package fetch

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestCheckURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://auth.example.com/jwks":      true,
		"http://127.0.0.1:8080/jwks":         true,
		"http://127.9.9.9/jwks":              true,
		"http://[::1]/jwks":                  true,
		"http://localhost/jwks":              true,
		"http://LOCALHOST/jwks":              true,
		"http://auth.example.com/jwks":       false,
		"http://10.0.0.1/jwks":               false,
		"http://localhost.evil.example/jwks": false,
		"ftp://127.0.0.1/jwks":               false,
		"/jwks":                              false,
		"https://user:pw@auth.example.com/x": false,
		"https://auth.example.com/jwks#frag": false,
		"https://auth.example.com/%zz":       false,
	} {
		_, err := CheckURL(raw)
		if (err == nil) != ok {
			t.Errorf("CheckURL(%q) = %v, want ok=%v", raw, err, ok)
		}
	}
	if _, err := CheckURL("http://example.com/x"); !errors.Is(err, ErrInsecureURL) {
		t.Errorf("CheckURL(http non-loopback) = %v, want ErrInsecureURL", err)
	}
	// Every refusal is a *URLError that names the URL once, so that callers
	// can word their own message around Problem.
	for _, raw := range []string{"http://example.com/x", "/jwks", "https://a.example/%zz", "https://u:p@a.example/", "https://a.example/#f"} {
		_, err := CheckURL(raw)
		var ue *URLError
		if !errors.As(err, &ue) || ue.URL != raw || ue.Problem == "" || strings.Count(err.Error(), raw) != 1 {
			t.Errorf("CheckURL(%q) = %v, want a *URLError naming the URL once", raw, err)
		}
		if errors.Is(err, ErrInsecureURL) != (raw == "http://example.com/x") {
			t.Errorf("errors.Is(CheckURL(%q), ErrInsecureURL) = %v", raw, errors.Is(err, ErrInsecureURL))
		}
	}
}

func TestStatusErrorIsOneLine(t *testing.T) {
	e := &StatusError{URL: "https://a.example/jwks", Status: 404, Excerpt: Excerpt("404 page not found\n")}
	if got := e.Error(); strings.ContainsAny(got, "\n\r") || strings.Contains(got, e.URL) || !strings.Contains(got, "404") {
		t.Errorf("StatusError = %q, want one line with the status and without the URL (the wrapping error names it)", got)
	}
}

func TestClientRedirects(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer target.Close()
	sameHost := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/here", http.StatusFound)
			return
		}
		w.Write([]byte("here"))
	}))
	defer sameHost.Close()
	otherHost := httptest.NewServer(http.RedirectHandler(strings.Replace(target.URL, "127.0.0.1", "localhost", 1), http.StatusFound))
	defer otherHost.Close()

	base := &http.Client{Timeout: time.Hour}
	c := Client(base, time.Second, true)
	if base.CheckRedirect != nil || base.Timeout != time.Hour {
		t.Error("Client modified the caller's client")
	}
	if c.Timeout != time.Second {
		t.Errorf("Timeout = %v, want capped to 1s", c.Timeout)
	}
	if resp, err := c.Get(sameHost.URL + "/moved"); err != nil {
		t.Errorf("same-host redirect: %v, want followed", err)
	} else {
		resp.Body.Close()
	}
	if _, err := c.Get(otherHost.URL); err == nil {
		t.Error("cross-host redirect followed")
	}
	resp, err := Client(nil, time.Second, false).Get(sameHost.URL + "/moved")
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Errorf("Get(redirecting URL) without redirects = %v, %v; want the 302 itself", resp, err)
	} else {
		resp.Body.Close()
	}
}

func TestReadBody(t *testing.T) {
	if b, err := ReadBody(strings.NewReader("12345"), 5); err != nil || string(b) != "12345" {
		t.Errorf("ReadBody(5 bytes, limit 5) = %q, %v", b, err)
	}
	var mbe *http.MaxBytesError
	if _, err := ReadBody(strings.NewReader("123456"), 5); !errors.As(err, &mbe) || mbe.Limit != 5 {
		t.Errorf("ReadBody(6 bytes, limit 5) = %v, want *http.MaxBytesError", err)
	}
}

func TestExcerpt(t *testing.T) {
	s := Excerpt(strings.Repeat("é", 100))
	if !utf8.ValidString(s) || len(s) > 70 {
		t.Errorf("Excerpt = %q (%d bytes), want short valid UTF-8", s, len(s))
	}
	if s := Excerpt("<html>\r\n<b>502</b>\n\x7f</html>\n"); strings.ContainsAny(s, "\r\n\x7f") || strings.HasSuffix(s, " ") {
		t.Errorf("Excerpt = %q, want one line without control characters or trailing space", s)
	}
}
