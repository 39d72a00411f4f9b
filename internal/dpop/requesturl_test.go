package dpop_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tokenguard/tokenguard/internal/dpop"
)

func TestRequestURL(t *testing.T) {
	for _, tt := range []struct {
		name    string
		cfg     dpop.Config
		target  string // of httptest.NewRequest
		uri     string // RequestURI, when set
		header  map[string][]string
		want    string
		wantErr bool
	}{
		{name: "http", target: "http://api.example.com/orders?id=1", want: "http://api.example.com/orders"},
		{name: "TLS", target: "https://api.example.com/orders", want: "https://api.example.com/orders"},
		{name: "port", target: "http://api.example.com:8080/orders", want: "http://api.example.com:8080/orders"},
		{name: "default port", target: "https://api.example.com:443/orders", want: "https://api.example.com/orders"},
		{name: "host case", target: "http://API.example.com/orders", want: "http://api.example.com/orders"},
		{name: "dot segments and encodings", target: "http://api.example.com/a/%7e/../orders", want: "http://api.example.com/a/orders"},
		{name: "forwarded headers ignored by default", target: "http://internal:8080/orders",
			header: map[string][]string{"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"api.example.com"}, "Forwarded": {"proto=https;host=api.example.com"}},
			want:   "http://internal:8080/orders"},
		{name: "X-Forwarded trusted", cfg: dpop.Config{TrustForwardedHeaders: true}, target: "http://internal:8080/orders",
			header: map[string][]string{"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"api.example.com"}},
			want:   "https://api.example.com/orders"},
		{name: "X-Forwarded last value", cfg: dpop.Config{TrustForwardedHeaders: true}, target: "http://internal/orders",
			header: map[string][]string{"X-Forwarded-Proto": {"http, HTTPS"}, "X-Forwarded-Host": {"evil.example", "client.example, api.example.com"}},
			want:   "https://api.example.com/orders"},
		{name: "X-Forwarded-Proto alone", cfg: dpop.Config{TrustForwardedHeaders: true}, target: "http://api.example.com/orders",
			header: map[string][]string{"X-Forwarded-Proto": {"https"}}, want: "https://api.example.com/orders"},
		{name: "Forwarded trusted, over X-Forwarded", cfg: dpop.Config{TrustForwardedHeaders: true}, target: "http://internal/orders",
			header: map[string][]string{"Forwarded": {`for=192.0.2.60;proto=https;host="api.example.com:8443"`}, "X-Forwarded-Host": {"evil.example"}},
			want:   "https://api.example.com:8443/orders"},
		{name: "Forwarded last element", cfg: dpop.Config{TrustForwardedHeaders: true}, target: "http://internal/orders",
			header: map[string][]string{"Forwarded": {`host=evil.example;proto=http, for="[2001:db8::1]";Proto=https;Host=api.example.com`}},
			want:   "https://api.example.com/orders"},
		{name: "Forwarded last field", cfg: dpop.Config{TrustForwardedHeaders: true}, target: "http://internal/orders",
			header: map[string][]string{"Forwarded": {"host=evil.example", "proto=https;host=api.example.com"}},
			want:   "https://api.example.com/orders"},
		{name: "Forwarded without host", cfg: dpop.Config{TrustForwardedHeaders: true}, target: "http://api.example.com/orders",
			header: map[string][]string{"Forwarded": {"for=192.0.2.60;proto=https"}}, want: "https://api.example.com/orders"},
		{name: "Forwarded malformed", cfg: dpop.Config{TrustForwardedHeaders: true}, target: "http://api.example.com/orders",
			header: map[string][]string{"Forwarded": {`proto=https;host="api.example.com`}}, wantErr: true},
		{name: "Forwarded empty value", cfg: dpop.Config{TrustForwardedHeaders: true}, target: "http://api.example.com/orders",
			header: map[string][]string{"Forwarded": {"proto=;host=api.example.com"}}, wantErr: true},
		{name: "Forwarded garbage", cfg: dpop.Config{TrustForwardedHeaders: true}, target: "http://api.example.com/orders",
			header: map[string][]string{"Forwarded": {"https://api.example.com"}}, wantErr: true},
		{name: "forwarded scheme ftp", cfg: dpop.Config{TrustForwardedHeaders: true}, target: "http://api.example.com/orders",
			header: map[string][]string{"X-Forwarded-Proto": {"ftp"}}, wantErr: true},
		{name: "forwarded host with a path", cfg: dpop.Config{TrustForwardedHeaders: true}, target: "http://api.example.com/orders",
			header: map[string][]string{"X-Forwarded-Host": {"evil.example/x"}}, wantErr: true},
		{name: "forwarded host with userinfo", cfg: dpop.Config{TrustForwardedHeaders: true}, target: "http://api.example.com/orders",
			header: map[string][]string{"X-Forwarded-Host": {"api.example.com@evil.example"}}, wantErr: true},
		{name: "external URL", cfg: dpop.Config{ExternalURL: "https://API.example.com/v1/"}, target: "http://internal/orders", want: "https://api.example.com/v1/orders"},
		{name: "external URL wins over forwarded headers", cfg: dpop.Config{ExternalURL: "https://api.example.com", TrustForwardedHeaders: true},
			target: "http://internal/orders", header: map[string][]string{"X-Forwarded-Host": {"evil.example"}}, want: "https://api.example.com/orders"},
		{name: "absolute-form request target", target: "http://api.example.com/x", uri: "http://api.example.com/orders?q=1", want: "http://api.example.com/orders"},
		{name: "asterisk", target: "http://api.example.com/", uri: "*", wantErr: true},
		{name: "malformed percent-encoding", target: "http://api.example.com/", uri: "/a%zz", wantErr: true},
		{name: "malformed percent-encoding, external URL", cfg: dpop.Config{ExternalURL: "https://api.example.com"}, target: "http://internal/", uri: "/a%zz", wantErr: true},
		{name: "no host", target: "http://api.example.com/orders", header: map[string][]string{"Host": {""}}, wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newChecker(t, tt.cfg)
			r := httptest.NewRequest("GET", tt.target, nil)
			if tt.uri != "" {
				r.RequestURI = tt.uri
			}
			for n, vs := range tt.header {
				if n == "Host" {
					r.Host = vs[0]
					continue
				}
				r.Header[n] = vs
			}
			got, err := c.RequestURL(r)
			if tt.wantErr {
				var pe *dpop.ProofError
				if !errors.Is(err, dpop.ErrURL) || !errors.As(err, &pe) {
					t.Fatalf("RequestURL = %q, %v; want a *ProofError matching ErrURL", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("RequestURL = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestRequestURLUnderStripPrefix: the URL is the one the client called,
// even when a router rewrote r.URL before the check.
func TestRequestURLUnderStripPrefix(t *testing.T) {
	c := newChecker(t, dpop.Config{})
	var got string
	var err error
	h := http.StripPrefix("/v1", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, err = c.RequestURL(r)
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "https://api.example.com/v1/orders", nil))
	if err != nil || got != "https://api.example.com/v1/orders" {
		t.Fatalf("RequestURL under StripPrefix = %q, %v; want https://api.example.com/v1/orders", got, err)
	}
}

// TestRequestURLClientRequest: a request without RequestURI (one a client
// built) uses r.URL.
func TestRequestURLClientRequest(t *testing.T) {
	c := newChecker(t, dpop.Config{})
	r, err := http.NewRequest("GET", "https://api.example.com/a%20b?x", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.RequestURL(r); err != nil || got != "http://api.example.com/a%20b" {
		t.Fatalf("RequestURL = %q, %v; want http://api.example.com/a%%20b (no TLS on a client request)", got, err)
	}
}
