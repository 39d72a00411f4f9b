package fetch

import (
	"context"
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
	c := Client(base, time.Second, SameHost)
	if base.CheckRedirect != nil || base.Timeout != time.Hour {
		t.Error("Client modified the caller's client")
	}
	if c.Timeout != time.Second {
		t.Errorf("Timeout = %v, want 1s", c.Timeout)
	}
	if resp, err := c.Get(sameHost.URL + "/moved"); err != nil {
		t.Errorf("same-host redirect: %v, want followed", err)
	} else {
		resp.Body.Close()
	}
	if _, err := c.Get(otherHost.URL); err == nil {
		t.Error("cross-host redirect followed")
	}
	resp, err := Client(nil, time.Second, NoRedirects).Get(sameHost.URL + "/moved")
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Errorf("Get(redirecting URL) without redirects = %v, %v; want the 302 itself", resp, err)
	} else {
		resp.Body.Close()
	}
}

func TestReadBody(t *testing.T) {
	if b, err := readBody(strings.NewReader("12345"), 5); err != nil || string(b) != "12345" {
		t.Errorf("readBody(5 bytes, limit 5) = %q, %v", b, err)
	}
	var mbe *http.MaxBytesError
	if _, err := readBody(strings.NewReader("123456"), 5); !errors.As(err, &mbe) || mbe.Limit != 5 {
		t.Errorf("readBody(6 bytes, limit 5) = %v, want *http.MaxBytesError", err)
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

// TestDo runs one request per case through Do against a real server and
// checks what comes back: the body of a good answer, or a typed refusal
// that keeps no more of the body than a short excerpt and an error code.
func TestDo(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Header().Set("Content-Type", "application/jwk-set+json")
			w.Header().Set("ETag", `"v1"`)
			w.Write([]byte(`{"keys":[]}`))
		case "/etag":
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{}`))
		case "/post":
			if r.Method != http.MethodPost || r.Header.Get("Authorization") != "Basic x" {
				http.Error(w, "bad", http.StatusBadRequest)
				return
			}
			r.ParseForm()
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"token":"` + r.PostForm.Get("token") + `"}`))
		case "/oauth-error":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":"invalid_client","error_description":"secret-ish detail"}`))
		case "/html":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>login</html>"))
		case "/big":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"pad":"` + strings.Repeat("x", 100) + `"}`))
		case "/moved":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/304": // not asked for
			w.WriteHeader(http.StatusNotModified)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": {"Basic x"}}
	for _, tc := range []struct {
		name       string
		req        Request
		policy     Redirects
		wantStatus int
		wantBody   string
		wantCode   string // of a *StatusError
		wantErr    any    // a pointer to the error type expected, nil for none
	}{
		{name: "ok", req: Request{URL: "/ok"}, wantStatus: 200, wantBody: `{"keys":[]}`},
		{name: "post form", req: Request{Method: http.MethodPost, URL: "/post", Header: form, Body: "token=abc"}, wantStatus: 200, wantBody: `{"token":"abc"}`},
		{name: "not modified", req: Request{URL: "/etag", Header: http.Header{"If-None-Match": {`"v1"`}}}, wantStatus: 304},
		{name: "304 not asked for", req: Request{URL: "/304"}, wantStatus: 304, wantErr: new(*StatusError)},
		{name: "not found", req: Request{URL: "/nothing"}, wantStatus: 404, wantErr: new(*StatusError)},
		{name: "oauth error code", req: Request{URL: "/oauth-error"}, wantStatus: 401, wantCode: "invalid_client", wantErr: new(*StatusError)},
		{name: "html", req: Request{URL: "/html"}, wantStatus: 200, wantErr: new(*contentTypeError)},
		{name: "too big", req: Request{URL: "/big", MaxBytes: 50}, wantStatus: 200, wantErr: new(*http.MaxBytesError)},
		{name: "same-host redirect followed", req: Request{URL: "/moved"}, policy: SameHost, wantStatus: 200, wantBody: `{"keys":[]}`},
		{name: "redirect not followed", req: Request{URL: "/moved"}, policy: NoRedirects, wantStatus: 302, wantErr: new(*StatusError)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.req.MaxBytes == 0 {
				tc.req.MaxBytes = 1 << 10
			}
			if tc.policy == 0 {
				tc.policy = SameHost
			}
			tc.req.URL = srv.URL + tc.req.URL
			resp, err := Do(t.Context(), Client(nil, time.Second, tc.policy), &tc.req)
			if resp == nil || resp.Status != tc.wantStatus {
				t.Fatalf("Do(%s) = %+v, %v; want status %d", tc.name, resp, err, tc.wantStatus)
			}
			if tc.wantErr == nil {
				if err != nil || string(resp.Body) != tc.wantBody {
					t.Errorf("Do(%s) = body %q, %v; want %q, nil", tc.name, resp.Body, err, tc.wantBody)
				}
				return
			}
			if !errors.As(err, tc.wantErr) || resp.Body != nil {
				t.Fatalf("Do(%s) = body %q, %v; want no body and an error of type %T", tc.name, resp.Body, err, tc.wantErr)
			}
			var se *StatusError
			if errors.As(err, &se) {
				if se.Status != tc.wantStatus || se.Code != tc.wantCode {
					t.Errorf("Do(%s) = %+v, want status %d and code %q", tc.name, se, tc.wantStatus, tc.wantCode)
				}
				if strings.Contains(err.Error(), srv.URL) {
					t.Errorf("Do(%s) error %q names the URL, which the wrapping error does", tc.name, err)
				}
			}
		})
	}
}

// TestDoDeadline: a request carries a deadline of its own, the client's
// Timeout, even when the caller's context has none.
func TestDoDeadline(t *testing.T) {
	c := Client(&http.Client{Transport: deadlineTransport{}}, 20*time.Millisecond, SameHost)
	_, err := Do(context.Background(), c, &Request{URL: "http://127.0.0.1/jwks", MaxBytes: 1})
	if !errors.Is(err, errSawDeadline) {
		t.Errorf("Do(context without deadline) = %v, want the request to carry a deadline of its own", err)
	}
}

var errSawDeadline = errors.New("request carries a deadline")

// deadlineTransport reports whether a request's context has a deadline,
// without waiting for it.
type deadlineTransport struct{}

func (deadlineTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if d, ok := r.Context().Deadline(); ok && time.Until(d) <= 20*time.Millisecond {
		return nil, errSawDeadline
	}
	return nil, errors.New("no deadline of its own")
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name   string
		values []string
		want   time.Duration
	}{
		{"seconds", []string{"120"}, 2 * time.Minute},
		{"seconds with spaces", []string{" \t30 "}, 30 * time.Second},
		{"zero is the lower bound", []string{"0"}, time.Second},
		{"leading zeros", []string{"007"}, 7 * time.Second},
		{"over the ceiling", []string{"86400"}, 5 * time.Minute},
		{"far over the ceiling", []string{"99999999999999999999999"}, 5 * time.Minute},
		{"IMF-fixdate", []string{"Fri, 04 Dec 2026 12:01:30 GMT"}, 90 * time.Second},
		{"IMF-fixdate, seconds ahead", []string{"Fri, 04 Dec 2026 12:00:10 GMT"}, 10 * time.Second},
		{"RFC 850 date", []string{"Friday, 04-Dec-26 12:00:45 GMT"}, 45 * time.Second},
		{"asctime date", []string{"Fri Dec  4 12:02:00 2026"}, 2 * time.Minute},
		{"date in the past", []string{"Fri, 04 Dec 2026 11:00:00 GMT"}, time.Second},
		{"date far ahead", []string{"Sat, 05 Dec 2026 12:00:00 GMT"}, 5 * time.Minute},
		{"absent", nil, 0},
		{"empty", []string{""}, 0},
		{"two values", []string{"10", "20"}, 0},
		{"negative", []string{"-5"}, 0},
		{"plus sign", []string{"+5"}, 0},
		{"fraction", []string{"1.5"}, 0},
		{"exponent", []string{"1e3"}, 0},
		{"unit", []string{"30s"}, 0},
		{"list", []string{"10, 20"}, 0},
		{"date without zone", []string{"Fri, 04 Dec 2026 12:01:30"}, 0},
		{"date in another zone", []string{"Fri, 04 Dec 2026 12:01:30 CET"}, 0},
		{"ISO 8601", []string{"2026-12-04T12:01:30Z"}, 0},
		{"line break inside", []string{"1\n0"}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.values {
				h.Add("Retry-After", v)
			}
			if got := RetryAfter(h, now); got != tt.want {
				t.Errorf("RetryAfter(%q) = %v, want %v", tt.values, got, tt.want)
			}
		})
	}
}
