package middleware_test

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
)

// excluder returns a function that reports whether a Guard with paths as
// Config.ExcludePaths lets a request without a token through.
func excluder(t testing.TB, paths ...string) func(testing.TB, *http.Request) bool {
	t.Helper()
	refuse := middleware.AuthenticatorFunc(func(context.Context, string) (*jwtverify.Claims, error) {
		return nil, jwtverify.ErrInvalidToken
	})
	g := guard(t, refuse, middleware.Config{ExcludePaths: paths})
	return func(t testing.TB, r *http.Request) bool {
		t.Helper()
		c, err := g.Check(r)
		if err != nil && !errors.Is(err, middleware.ErrNoToken) {
			t.Fatalf("Check = %v, want nil or ErrNoToken", err)
		}
		return err == nil && c == nil
	}
}

// TestExcludePathsMatch: a request is excluded only when its path, as the
// request line carried it, is byte for byte a listed path. The same variants
// go through real routers in internal/pathtest.
func TestExcludePathsMatch(t *testing.T) {
	exclude := excluder(t, "/healthz", "/metrics/", "/", "/v1/a:b@c")
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
			if got := exclude(t, r); got != tc.want {
				t.Errorf("GET %s excluded = %v, want %v (URL.Path %q, URL.RawPath %q)", tc.target, got, tc.want, r.URL.Path, r.URL.RawPath)
			}
		})
	}

	t.Run("URL rewritten in front", func(t *testing.T) {
		// http.StripPrefix keeps RawPath when the path had escapes: the
		// rewritten request is still not excluded.
		for target, want := range map[string]bool{"/api/healthz": true, "/api/health%7a": false} {
			var got bool
			http.StripPrefix("/api", http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				got = exclude(t, r)
			})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, target, nil))
			if got != want {
				t.Errorf("behind StripPrefix(\"/api\"): GET %s excluded = %v, want %v", target, got, want)
			}
		}
	})
	t.Run("no URL", func(t *testing.T) {
		if exclude(t, &http.Request{}) {
			t.Error("a request without URL was excluded")
		}
	})
	t.Run("no paths", func(t *testing.T) {
		if excluder(t)(t, httptest.NewRequest(http.MethodGet, "/", nil)) {
			t.Error("no ExcludePaths excluded /")
		}
	})
}

// TestExcludePathsConfig: a path that could never be the path a router
// routes is a configuration mistake, reported by NewGuard as
// jwtverify.ErrConfig.
func TestExcludePathsConfig(t *testing.T) {
	a := middleware.AuthenticatorFunc(func(context.Context, string) (*jwtverify.Claims, error) { return nil, nil })
	for _, p := range []string{
		"", "healthz", "*", "/health%7a", "/a b", "/healthz?x=1", "/healthz#top", "/é",
		"/a(b)", "/x/../healthz", "/./healthz", "/healthz/.", "/..", "//healthz", "/healthz//",
		"/a\x00", "/a\\b",
	} {
		t.Run(p, func(t *testing.T) {
			g, err := middleware.NewGuard(a, middleware.Config{ExcludePaths: []string{"/ok", p}})
			if !errors.Is(err, jwtverify.ErrConfig) || g != nil {
				t.Fatalf("NewGuard(ExcludePaths %q) = %v, %v; want an error matching jwtverify.ErrConfig", p, g, err)
			}
			if prefix := "middleware: invalid configuration: Config.ExcludePaths[1] "; !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q does not begin with %q", err, prefix)
			}
		})
	}
	for _, p := range []string{"/", "/healthz", "/healthz/", "/Metrics", "/a-b_c.d~e", "/v1/$&+,:;=@", "/.well-known/x"} {
		t.Run(p, func(t *testing.T) {
			if _, err := middleware.NewGuard(a, middleware.Config{ExcludePaths: []string{p}}); err != nil {
				t.Fatalf("NewGuard(ExcludePaths %q) = %v", p, err)
			}
		})
	}
}

// FuzzExcludePaths sends arbitrary request targets through the server's own
// request parser: whenever a Guard's ExcludePaths lets one through, the path on the
// request line must be byte for byte a listed path.
func FuzzExcludePaths(f *testing.F) {
	for _, s := range []string{
		"/healthz", "/health%7a", "/%68ealthz", "//healthz", "/x/../healthz", "/healthz?a=b",
		"http://h/healthz", "http://h/health%7a", "/a:b", "/a%3Ab", "*", "/healthz#x", "/healthz%3F",
	} {
		f.Add(s)
	}
	listed := []string{"/healthz", "/", "/a:b"}
	exclude := excluder(f, listed...)
	f.Fuzz(func(t *testing.T, target string) {
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader("GET " + target + " HTTP/1.1\r\nHost: h\r\n\r\n")))
		if err != nil || !exclude(t, r) {
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
