package middleware_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
)

var noAuth = middleware.AuthenticatorFunc(func(context.Context, string) (*jwtverify.Claims, error) {
	return nil, jwtverify.ErrInvalidToken
})

// TestMetadataConfig: every invalid member of Config.Metadata is an error
// from NewGuard that matches jwtverify.ErrConfig and names the field.
func TestMetadataConfig(t *testing.T) {
	md := func(edit func(m *middleware.ResourceMetadata)) *middleware.ResourceMetadata {
		m := &middleware.ResourceMetadata{Resource: "https://api.example.com", AuthorizationServers: []string{"https://auth.example.com/"}}
		edit(m)
		return m
	}
	for _, tc := range []struct {
		name  string
		m     *middleware.ResourceMetadata
		field string // "" when valid
	}{
		{"minimal", md(func(*middleware.ResourceMetadata) {}), ""},
		{"every member", md(func(m *middleware.ResourceMetadata) {
			m.Resource = "https://example.com/api/v1"
			m.ScopesSupported = []string{"orders:read", "openid"}
			m.AuthorizationDetailsTypesSupported = []string{"payment_initiation"}
			m.ResourceName = "Shop API — Bestellungen"
			m.ResourceDocumentation = "https://docs.example.com/api?lang=en"
			m.ResourcePolicyURI = "https://example.com/policy"
			m.ResourceTOSURI = "https://example.com/tos"
		}), ""},
		{"http on loopback", md(func(m *middleware.ResourceMetadata) {
			m.Resource, m.AuthorizationServers = "http://127.0.0.1:8080", []string{"http://localhost:9000", "http://[::1]/"}
		}), ""},
		{"trailing slash", md(func(m *middleware.ResourceMetadata) { m.Resource = "https://api.example.com/" }), ""},
		{"no resource", md(func(m *middleware.ResourceMetadata) { m.Resource = "" }), "Config.Metadata.Resource"},
		{"relative resource", md(func(m *middleware.ResourceMetadata) { m.Resource = "/api" }), "Config.Metadata.Resource"},
		{"http resource", md(func(m *middleware.ResourceMetadata) { m.Resource = "http://api.example.com" }), "Config.Metadata.Resource"},
		{"ftp resource", md(func(m *middleware.ResourceMetadata) { m.Resource = "ftp://api.example.com" }), "Config.Metadata.Resource"},
		{"resource with a query", md(func(m *middleware.ResourceMetadata) { m.Resource = "https://api.example.com/?v=1" }), "Config.Metadata.Resource"},
		{"resource with an empty query", md(func(m *middleware.ResourceMetadata) { m.Resource = "https://api.example.com/?" }), "Config.Metadata.Resource"},
		{"resource with a fragment", md(func(m *middleware.ResourceMetadata) { m.Resource = "https://api.example.com/#x" }), "Config.Metadata.Resource"},
		{"resource with user", md(func(m *middleware.ResourceMetadata) { m.Resource = "https://u:p@api.example.com" }), "Config.Metadata.Resource"},
		{"resource with an escape", md(func(m *middleware.ResourceMetadata) { m.Resource = "https://example.com/a%20b" }), "Config.Metadata.Resource"},
		{"resource with a dot segment", md(func(m *middleware.ResourceMetadata) { m.Resource = "https://example.com/a/../b" }), "Config.Metadata.Resource"},
		{"resource with //", md(func(m *middleware.ResourceMetadata) { m.Resource = "https://example.com//api" }), "Config.Metadata.Resource"},
		{"resource without host", md(func(m *middleware.ResourceMetadata) { m.Resource = "https:///api" }), "Config.Metadata.Resource"},
		{"http issuer", md(func(m *middleware.ResourceMetadata) {
			m.AuthorizationServers = []string{"https://a.example", "http://b.example"}
		}),
			"Config.Metadata.AuthorizationServers[1]"},
		{"issuer with a query", md(func(m *middleware.ResourceMetadata) { m.AuthorizationServers = []string{"https://a.example/?t=1"} }),
			"Config.Metadata.AuthorizationServers[0]"},
		{"empty scope", md(func(m *middleware.ResourceMetadata) { m.ScopesSupported = []string{"a", ""} }), "Config.Metadata.ScopesSupported[1]"},
		{"scope with a space", md(func(m *middleware.ResourceMetadata) { m.ScopesSupported = []string{"a b"} }), "Config.Metadata.ScopesSupported[0]"},
		{"details type with a quote", md(func(m *middleware.ResourceMetadata) { m.AuthorizationDetailsTypesSupported = []string{`a"`} }),
			"Config.Metadata.AuthorizationDetailsTypesSupported[0]"},
		{"name with a newline", md(func(m *middleware.ResourceMetadata) { m.ResourceName = "a\nb" }), "Config.Metadata.ResourceName"},
		{"name with invalid UTF-8", md(func(m *middleware.ResourceMetadata) { m.ResourceName = "a\xff" }), "Config.Metadata.ResourceName"},
		{"relative documentation", md(func(m *middleware.ResourceMetadata) { m.ResourceDocumentation = "/docs" }), "Config.Metadata.ResourceDocumentation"},
		{"http policy", md(func(m *middleware.ResourceMetadata) { m.ResourcePolicyURI = "http://example.com/p" }), "Config.Metadata.ResourcePolicyURI"},
		{"javascript tos", md(func(m *middleware.ResourceMetadata) { m.ResourceTOSURI = "javascript:alert(1)" }), "Config.Metadata.ResourceTOSURI"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := middleware.NewGuard(noAuth, middleware.Config{Metadata: tc.m})
			if tc.field == "" {
				if err != nil || g == nil {
					t.Fatalf("NewGuard = %v, %v; want a Guard", g, err)
				}
				return
			}
			if !errors.Is(err, jwtverify.ErrConfig) || g != nil {
				t.Fatalf("NewGuard = %v, %v; want an error matching jwtverify.ErrConfig", g, err)
			}
			if prefix := "middleware: invalid configuration: " + tc.field + " "; !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q does not begin with %q", err, prefix)
			}
		})
	}
}

// TestMetadataDocument: the document holds the configured members and
// derives the others from the Guard's configuration; it is served at the
// path of RFC 9728 §3.1 with the headers MetadataHandler documents.
func TestMetadataDocument(t *testing.T) {
	base := middleware.ResourceMetadata{Resource: "https://example.com/api", AuthorizationServers: []string{"https://auth.example.com/"}}
	for _, tc := range []struct {
		name string
		cfg  middleware.Config
		path string
		want map[string]any // beyond resource and authorization_servers
	}{
		{"defaults", middleware.Config{}, "/.well-known/oauth-protected-resource/api",
			map[string]any{"bearer_methods_supported": []any{"header"}}},
		{"every source", middleware.Config{FormToken: true, InsecureQueryToken: true, CookieName: "at"}, "/.well-known/oauth-protected-resource/api",
			map[string]any{"bearer_methods_supported": []any{"header", "body", "query"}}},
		{"DPoP allowed", middleware.Config{DPoP: middleware.DPoPConfig{Mode: middleware.DPoPAllowed, Algorithms: []string{"PS256", "ES256"}}},
			"/.well-known/oauth-protected-resource/api",
			map[string]any{"bearer_methods_supported": []any{"header"}, "dpop_signing_alg_values_supported": []any{"ES256", "PS256"}}},
		{"DPoP required", middleware.Config{DPoP: middleware.DPoPConfig{Mode: middleware.DPoPRequired, Algorithms: []string{"EdDSA"}}},
			"/.well-known/oauth-protected-resource/api",
			map[string]any{"bearer_methods_supported": []any{}, "dpop_signing_alg_values_supported": []any{"EdDSA"},
				"dpop_bound_access_tokens_required": true}},
		{"certificate binding required", middleware.Config{RequireCertificateBinding: true}, "/.well-known/oauth-protected-resource/api",
			map[string]any{"bearer_methods_supported": []any{"header"}, "tls_client_certificate_bound_access_tokens": true}},
		{"every optional member", middleware.Config{Metadata: &middleware.ResourceMetadata{Resource: "https://example.com/",
			AuthorizationServers: []string{"https://auth.example.com/"}, ScopesSupported: []string{"orders:read"},
			AuthorizationDetailsTypesSupported: []string{"payment"}, ResourceName: "Shop",
			ResourceDocumentation: "https://docs.example.com", ResourcePolicyURI: "https://example.com/policy",
			ResourceTOSURI: "https://example.com/tos"}},
			"/.well-known/oauth-protected-resource",
			map[string]any{"bearer_methods_supported": []any{"header"}, "scopes_supported": []any{"orders:read"},
				"authorization_details_types_supported": []any{"payment"}, "resource_name": "Shop",
				"resource_documentation": "https://docs.example.com", "resource_policy_uri": "https://example.com/policy",
				"resource_tos_uri": "https://example.com/tos"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			if cfg.Metadata == nil {
				m := base
				cfg.Metadata = &m
			}
			g := guard(t, noAuth, cfg)
			if got := g.MetadataPath(); got != tc.path {
				t.Errorf("MetadataPath() = %q, want %q", got, tc.path)
			}
			want := map[string]any{"resource": cfg.Metadata.Resource, "authorization_servers": []any{"https://auth.example.com/"}}
			for k, v := range tc.want {
				want[k] = v
			}
			w := httptest.NewRecorder()
			g.MetadataHandler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, tc.path, nil))
			if w.Code != 200 {
				t.Fatalf("GET %s = %d, want 200", tc.path, w.Code)
			}
			for k, v := range map[string]string{"Content-Type": "application/json", "Cache-Control": "public, max-age=3600",
				"Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff"} {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			var got map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("document = %v\nwant       %v", got, want)
			}
		})
	}
}

// TestMetadataHandlerMethods: HEAD gets the headers without the body,
// other methods 405; without Config.Metadata the handler answers 404 and
// MetadataPath is empty.
func TestMetadataHandlerMethods(t *testing.T) {
	g := guard(t, noAuth, middleware.Config{Metadata: &middleware.ResourceMetadata{Resource: "https://api.example.com"}})
	for _, tc := range []struct {
		method string
		status int
		body   bool
	}{
		{http.MethodGet, 200, true},
		{http.MethodHead, 200, false},
		{http.MethodPost, 405, false},
		{http.MethodDelete, 405, false},
	} {
		t.Run(tc.method, func(t *testing.T) {
			w := httptest.NewRecorder()
			g.MetadataHandler().ServeHTTP(w, httptest.NewRequest(tc.method, g.MetadataPath(), nil))
			if w.Code != tc.status {
				t.Fatalf("%s = %d, want %d", tc.method, w.Code, tc.status)
			}
			if tc.status == 405 && w.Header().Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow = %q, want \"GET, HEAD\"", w.Header().Get("Allow"))
			}
			if tc.status == 200 && (w.Body.Len() > 0) != tc.body {
				t.Errorf("body of %d bytes, want a body: %v", w.Body.Len(), tc.body)
			}
		})
	}
	t.Run("no metadata", func(t *testing.T) {
		g := guard(t, noAuth, middleware.Config{})
		w := httptest.NewRecorder()
		g.MetadataHandler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/.well-known/oauth-protected-resource", nil))
		if w.Code != 404 || g.MetadataPath() != "" {
			t.Errorf("without Metadata: GET = %d, MetadataPath = %q; want 404 and \"\"", w.Code, g.MetadataPath())
		}
	})
}

// TestMetadataChallenge: with Config.Metadata, every challenge carries
// resource_metadata with the document's URL (RFC 9728 §5.1), the one for a
// missing token and both of a Guard that takes DPoP included; without it,
// none does. The Guard lets the metadata path through without a token.
func TestMetadataChallenge(t *testing.T) {
	f := newFixture(t)
	md := &middleware.ResourceMetadata{Resource: "https://example.com/api"}
	param := `resource_metadata="https://example.com/.well-known/oauth-protected-resource/api"`
	for _, tc := range []struct {
		name  string
		cfg   middleware.Config
		token string
		rules []middleware.Rule
		want  string
	}{
		{"no token", middleware.Config{Realm: "r", Metadata: md}, "", nil, `Bearer realm="r", ` + param},
		{"expired token", middleware.Config{Realm: "r", Metadata: md}, f.expired, nil,
			`Bearer realm="r", ` + param + `, error="invalid_token", error_description="the access token expired"`},
		{"missing scope", middleware.Config{Realm: "r", Metadata: md}, f.profile, []middleware.Rule{middleware.Scopes("orders:read")},
			`Bearer realm="r", ` + param + `, error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders:read"`},
		{"DPoP allowed, no token", middleware.Config{Realm: "r", Metadata: md,
			DPoP: middleware.DPoPConfig{Mode: middleware.DPoPAllowed, Algorithms: []string{"ES256"}}}, "", nil,
			`Bearer realm="r", ` + param + `, DPoP realm="r", ` + param + `, algs="ES256"`},
		{"DPoP allowed, expired token", middleware.Config{Realm: "r", Metadata: md,
			DPoP: middleware.DPoPConfig{Mode: middleware.DPoPAllowed, Algorithms: []string{"ES256"}}}, f.expired, nil,
			`Bearer realm="r", ` + param + `, error="invalid_token", error_description="the access token expired", DPoP realm="r", ` + param + `, algs="ES256"`},
		{"without metadata", middleware.Config{Realm: "r"}, "", nil, `Bearer realm="r"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := guard(t, f.verifier, tc.cfg)
			req := httptest.NewRequest(http.MethodGet, "/api/orders", nil)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			w, _ := serve(t, g, req, tc.rules...)
			if got := w.Header().Values("WWW-Authenticate"); len(got) != 1 || got[0] != tc.want {
				t.Errorf("WWW-Authenticate = %q\nwant                %q", got, tc.want)
			}
		})
	}
	t.Run("metadata path needs no token", func(t *testing.T) {
		g := guard(t, f.verifier, middleware.Config{Metadata: md, ExcludePaths: []string{"/healthz"}})
		mux := http.NewServeMux()
		mux.Handle("GET "+g.MetadataPath(), g.MetadataHandler())
		mux.Handle("GET /api/", http.NotFoundHandler())
		for target, want := range map[string]int{g.MetadataPath(): 200, "/api/x": 401,
			g.MetadataPath() + "/": 401, strings.Replace(g.MetadataPath(), "api", "ap%69", 1): 401} {
			w := httptest.NewRecorder()
			g.Handler(mux).ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
			if w.Code != want {
				t.Errorf("GET %s = %d, want %d", target, w.Code, want)
			}
		}
	})
}
