package middleware_test

import (
	"bufio"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
)

// TestExcludePathsMatch: a request is excluded only when its path, as the
// request line carried it, is byte for byte a listed path. The same variants
// go through real routers in internal/pathtest.
func TestExcludePathsMatch(t *testing.T) {
	exclude := middleware.ExcludePaths("/healthz", "/metrics/", "/", "/v1/a:b@c")
	cases := []struct {
		target string
		want   bool
	}{
		{"/healthz", true},
		{"/healthz?x=%2F", true},
		{"/metrics/", true},
		{"/", true},
		{"/v1/a:b@c", true},
		{"http://example.com/healthz", true},
		{"/health%7a", false},
		{"/health%7A", false},
		{"/%68ealthz", false},
		{"/healthz%2F", false},
		{"/%2Fhealthz", false},
		{"//healthz", false},
		{"/x/../healthz", false},
		{"/./healthz", false},
		{"/healthz/", false},
		{"/HEALTHZ", false},
		{"/metrics", false},
		{"/metrics%2F", false},
		{"/v1/a%3Ab@c", false},
		{"http://example.com/health%7a", false},
	}
	for _, tc := range cases {
		t.Run(tc.target, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tc.target, nil)
			if r.RequestURI != tc.target {
				t.Fatalf("RequestURI = %q, want %q", r.RequestURI, tc.target)
			}
			if got := exclude(r); got != tc.want {
				t.Errorf("ExcludePaths(...)(GET %s) = %v, want %v (URL.Path %q, URL.RawPath %q)", tc.target, got, tc.want, r.URL.Path, r.URL.RawPath)
			}
		})
	}

	t.Run("URL rewritten in front", func(t *testing.T) {
		// http.StripPrefix keeps RawPath when the path had escapes: the
		// rewritten request is still not excluded.
		for target, want := range map[string]bool{"/api/healthz": true, "/api/health%7a": false} {
			var got bool
			http.StripPrefix("/api", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				got = exclude(r)
			})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, target, nil))
			if got != want {
				t.Errorf("behind StripPrefix(\"/api\"): GET %s excluded = %v, want %v", target, got, want)
			}
		}
	})
	t.Run("no URL", func(t *testing.T) {
		if exclude(&http.Request{}) {
			t.Error("a request without URL was excluded")
		}
	})
	t.Run("no paths", func(t *testing.T) {
		if middleware.ExcludePaths()(httptest.NewRequest(http.MethodGet, "/", nil)) {
			t.Error("ExcludePaths() excluded /")
		}
	})
}

// TestExcludePathsConfig: a path that could never be the path a router
// routes is a configuration mistake, reported as jwtverify.ErrConfig.
func TestExcludePathsConfig(t *testing.T) {
	for _, p := range []string{
		"", "healthz", "*", "/health%7a", "/a b", "/healthz?x=1", "/healthz#top", "/é",
		"/a(b)", "/x/../healthz", "/./healthz", "/healthz/.", "/..", "//healthz", "/healthz//",
		"/a\x00", "/a\\b",
	} {
		t.Run(p, func(t *testing.T) {
			err := excludePanic(p)
			if !errors.Is(err, jwtverify.ErrConfig) {
				t.Fatalf("ExcludePaths(%q) panicked with %v, want an error matching jwtverify.ErrConfig", p, err)
			}
			if !strings.HasPrefix(err.Error(), "middleware: ExcludePaths: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
	for _, p := range []string{"/", "/healthz", "/healthz/", "/Metrics", "/a-b_c.d~e", "/v1/$&+,:;=@", "/.well-known/x"} {
		t.Run(p, func(t *testing.T) {
			if err := excludePanic(p); err != nil {
				t.Fatalf("ExcludePaths(%q) panicked: %v", p, err)
			}
		})
	}
}

// excludePanic calls ExcludePaths(p) and returns the error it panicked with,
// or nil.
func excludePanic(p string) (err error) {
	defer func() {
		if v := recover(); v != nil {
			e, ok := v.(error)
			if !ok {
				e = errors.New("panic with a non-error value")
			}
			err = e
		}
	}()
	middleware.ExcludePaths(p)
	return nil
}

// FuzzExcludePaths sends arbitrary request targets through the server's own
// request parser: whenever ExcludePaths lets one through, the path on the
// request line must be byte for byte a listed path.
func FuzzExcludePaths(f *testing.F) {
	for _, s := range []string{
		"/healthz", "/health%7a", "/%68ealthz", "//healthz", "/x/../healthz", "/healthz?a=b",
		"http://h/healthz", "http://h/health%7a", "/a:b", "/a%3Ab", "*", "/healthz#x", "/healthz%3F",
	} {
		f.Add(s)
	}
	listed := []string{"/healthz", "/", "/a:b"}
	exclude := middleware.ExcludePaths(listed...)
	f.Fuzz(func(t *testing.T, target string) {
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader("GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n")))
		if err != nil || !exclude(r) {
			return
		}
		path := requestLinePath(r.RequestURI)
		if !slices.Contains(listed, path) {
			t.Fatalf("GET %q excluded: its path %q is not listed (URL.Path %q, RawPath %q)", target, path, r.URL.Path, r.URL.RawPath)
		}
	})
}

// requestLinePath returns the path of a request target as sent: for the
// absolute form ("scheme:" then "//authority" or not), what follows the
// scheme and authority; the query is cut first, as net/url does.
func requestLinePath(target string) string {
	target, _, _ = strings.Cut(target, "?")
	if strings.HasPrefix(target, "/") {
		return target
	}
	_, rest, ok := strings.Cut(target, ":")
	if !ok {
		return target
	}
	if auth, ok := strings.CutPrefix(rest, "//"); ok {
		if i := strings.IndexByte(auth, '/'); i >= 0 {
			return auth[i:]
		}
		return ""
	}
	return rest
}
