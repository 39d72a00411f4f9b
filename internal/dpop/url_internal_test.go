package dpop

import (
	"net/url"
	"testing"
)

// TestNormalizeURL: RFC 3986 §6.2.2 and §6.2.3, and what is refused.
func TestNormalizeURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"https://api.example.com/orders", "https://api.example.com/orders"},
		{"HTTPS://API.Example.COM/orders", "https://api.example.com/orders"},
		{"https://api.example.com/Orders", "https://api.example.com/Orders"}, // the path keeps its case
		{"https://api.example.com", "https://api.example.com/"},
		{"https://api.example.com/", "https://api.example.com/"},
		{"https://api.example.com:443/orders", "https://api.example.com/orders"},
		{"https://api.example.com:/orders", "https://api.example.com/orders"},
		{"https://api.example.com:0443/orders", "https://api.example.com/orders"},
		{"http://api.example.com:80/orders", "http://api.example.com/orders"},
		{"http://api.example.com:443/orders", "http://api.example.com:443/orders"},
		{"https://api.example.com:80/orders", "https://api.example.com:80/orders"},
		{"https://api.example.com:8443/orders", "https://api.example.com:8443/orders"},
		{"https://api.example.com/orders?id=1", "https://api.example.com/orders"},
		{"https://api.example.com/orders#top", "https://api.example.com/orders"},
		{"https://api.example.com?q", "https://api.example.com/"},
		{"https://api.example.com/%7eali%63e/%2f", "https://api.example.com/~alice/%2F"},
		{"https://api.example.com/a%2fb", "https://api.example.com/a%2Fb"},
		{"https://api.example.com/caf%c3%a9", "https://api.example.com/caf%C3%A9"},
		{"https://api.example.com/café", "https://api.example.com/caf%C3%A9"},
		{"https://api.example.com/a b", "https://api.example.com/a%20b"},
		{"https://api.example.com/a\\b", "https://api.example.com/a%5Cb"},
		{"https://api.example.com/a/./b/../c", "https://api.example.com/a/c"},
		{"https://api.example.com/a/b/c/./../../g", "https://api.example.com/a/g"},
		{"https://api.example.com/a/%2E%2E/b", "https://api.example.com/b"},
		{"https://api.example.com/a/.%2e/b", "https://api.example.com/b"},
		{"https://api.example.com/../../orders", "https://api.example.com/orders"},
		{"https://api.example.com/a/..", "https://api.example.com/"},
		{"https://api.example.com/a/.", "https://api.example.com/a/"},
		{"https://api.example.com/a/b/..", "https://api.example.com/a/"},
		{"https://api.example.com/..", "https://api.example.com/"},
		{"https://api.example.com/a/...", "https://api.example.com/a/..."},
		{"https://api.example.com/.a/b.", "https://api.example.com/.a/b."},
		{"https://api.example.com/a//b", "https://api.example.com/a//b"},
		{"https://api.example.com/a/%2E%2E%2Fb", "https://api.example.com/a/..%2Fb"},
		{"https://%61pi.example.com/", "https://api.example.com/"},
		{"https://API%2eexample.com/", "https://api.example.com/"},
		{"https://[2001:DB8::1]:443/x", "https://[2001:db8::1]/x"},
		{"https://[2001:db8::1]:8443/x", "https://[2001:db8::1]:8443/x"},
		{"https://[fe80::1%25EN0]/x", "https://[fe80::1%25en0]/x"},
		{"https://[::ffff:192.0.2.1]/x", "https://[::ffff:192.0.2.1]/x"},
		{"https://192.0.2.1/x", "https://192.0.2.1/x"},
		{"https://xn--caf-dma.example/", "https://xn--caf-dma.example/"},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, reason := normalizeURL(tt.in)
			if reason != "" || got != tt.want {
				t.Fatalf("normalizeURL(%q) = %q (%s), want %q", tt.in, got, reason, tt.want)
			}
			if again, _ := normalizeURL(got); again != got {
				t.Errorf("normalizeURL(%q) = %q, not idempotent", got, again)
			}
		})
	}
	for _, in := range []string{
		"", "/orders", "api.example.com/orders", "//api.example.com/orders", "ftp://api.example.com/",
		"https:api.example.com/", "https:/api.example.com/", "https:///orders", "https://", "https://:443/",
		"https://user@api.example.com/", "https://user:pass@api.example.com/", "https://api.example.com@evil.example/",
		"https://api.example.com:https/", "https://api.example.com:65536/", "https://api.example.com:99999999/",
		"https://api.example.com:-1/", "https://api.example.com/%", "https://api.example.com/%4", "https://api.example.com/%zz",
		"https://api.exa mple.com/", "https://api.example.com\\@evil.example/", "https://[::1/", "https://[::1]x/",
		"https://%zz/", "https://ap%/", "https://[]/", "https://a\x00b/",
		"https://[0]/", "https://[192.0.2.1]/", "https://[v1.x]/", "https://[::1%zz]/", "https://[::g]/",
		"http://%00", "https://api%2Fexample.com/", "https://caf%C3%A9.example/", "https://api%2eexample.com%3a443/",
	} {
		t.Run("refused "+in, func(t *testing.T) {
			if got, reason := normalizeURL(in); reason == "" {
				t.Errorf("normalizeURL(%q) = %q, want refused", in, got)
			}
		})
	}
}

// FuzzNormalizeURL: normalisation never panics, is idempotent, keeps the
// scheme and host that net/url sees (for what net/url parses too), and only
// yields URLs without query, fragment or userinfo.
func FuzzNormalizeURL(f *testing.F) {
	for _, s := range []string{
		"https://api.example.com/orders", "HTTP://A:80/%7e/./../b?c#d", "https://[::1]:0443/a/%2e%2E/b",
		"https://h/%c3%a9 x", "https://h:/", "https://u@h/", "https://h/a\\b/..", "http://h/%2F../x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, reason := normalizeURL(in)
		if reason != "" {
			return
		}
		again, reason := normalizeURL(got)
		if reason != "" || again != got {
			t.Fatalf("normalizeURL(%q) = %q, then %q (%s): not idempotent", in, got, again, reason)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("normalizeURL(%q) = %q, which net/url refuses: %v", in, got, err)
		}
		if u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.Opaque != "" || u.Host == "" ||
			(u.Scheme != "http" && u.Scheme != "https") || u.EscapedPath() == "" || u.EscapedPath()[0] != '/' {
			t.Fatalf("normalizeURL(%q) = %q: net/url reads %#v", in, got, u)
		}
	})
}
