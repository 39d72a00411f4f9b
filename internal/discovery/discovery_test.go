package discovery_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/internal/discovery"
	"github.com/tokenguard/tokenguard/internal/fetch"
)

// metadataServer serves metadata documents by path (a nil document answers
// 500); anything else is 404. It records the paths asked for.
type metadataServer struct {
	*httptest.Server
	mu    sync.Mutex
	asked []string
}

func newMetadataServer(t *testing.T, docs map[string]func(base string) any) *metadataServer {
	t.Helper()
	s := &metadataServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.asked = append(s.asked, r.URL.Path)
		s.mu.Unlock()
		doc, ok := docs[r.URL.Path]
		switch {
		case !ok:
			http.NotFound(w, r)
		case doc == nil:
			http.Error(w, "down", http.StatusInternalServerError)
		default:
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(doc(s.URL))
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *metadataServer) paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.asked)
}

func client() *http.Client { return fetch.Client(nil, 5*time.Second, fetch.SameHost) }

const (
	oidcPath    = "/tenant/.well-known/openid-configuration"
	rfc8414Path = "/.well-known/oauth-authorization-server/tenant"
)

func doc(issuerPath string, members map[string]string) func(string) any {
	return func(base string) any {
		m := map[string]any{"issuer": base + issuerPath}
		for k, v := range members {
			m[k] = base + v
		}
		return m
	}
}

// TestDiscover reads metadata from each well-known address and checks
// which addresses were asked, in order.
func TestDiscover(t *testing.T) {
	for _, tc := range []struct {
		name      string
		docs      map[string]func(string) any
		wantJWKS  string // path of the jwks_uri, "" for none
		wantPaths []string
	}{
		{
			name:      "OpenID Connect address",
			docs:      map[string]func(string) any{oidcPath: doc("/tenant", map[string]string{"jwks_uri": "/keys", "introspection_endpoint": "/introspect"})},
			wantJWKS:  "/keys",
			wantPaths: []string{oidcPath},
		},
		{
			name:      "RFC 8414 address after a 404",
			docs:      map[string]func(string) any{rfc8414Path: doc("/tenant", map[string]string{"jwks_uri": "/keys"})},
			wantJWKS:  "/keys",
			wantPaths: []string{oidcPath, rfc8414Path},
		},
		{
			name:      "introspection-only server",
			docs:      map[string]func(string) any{oidcPath: doc("/tenant", map[string]string{"introspection_endpoint": "/introspect"})},
			wantPaths: []string{oidcPath},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newMetadataServer(t, tc.docs)
			m, err := discovery.Discover(t.Context(), client(), srv.URL+"/tenant")
			if err != nil {
				t.Fatalf("Discover = %v, want nil", err)
			}
			want := ""
			if tc.wantJWKS != "" {
				want = srv.URL + tc.wantJWKS
			}
			if m.Issuer != srv.URL+"/tenant" || m.JWKSURI != want {
				t.Errorf("Discover = %+v, want issuer %s/tenant and jwks_uri %q", m, srv.URL, want)
			}
			if got := srv.paths(); !slices.Equal(got, tc.wantPaths) {
				t.Errorf("paths asked = %q, want %q", got, tc.wantPaths)
			}
		})
	}
}

// TestDiscoverRefuses: metadata that names another issuer or a key set
// that may not be fetched is refused with a typed error, and only a 404
// moves on to the second address.
func TestDiscoverRefuses(t *testing.T) {
	insecure := func(base string) any {
		return map[string]any{"issuer": base + "/tenant", "jwks_uri": "http://keys.example.com/jwks"}
	}
	for _, tc := range []struct {
		name       string
		docs       map[string]func(string) any
		wantAs     any // pointer to the error type wanted
		wantStatus int // of a *fetch.StatusError, 0 for none
		wantPaths  []string
	}{
		{name: "another issuer", docs: map[string]func(string) any{oidcPath: func(string) any {
			return map[string]any{"issuer": "https://evil.example", "jwks_uri": "https://evil.example/keys"}
		}}, wantAs: new(*discovery.IssuerMismatchError), wantPaths: []string{oidcPath}},
		{name: "trailing slash", docs: map[string]func(string) any{oidcPath: doc("/tenant/", nil)},
			wantAs: new(*discovery.IssuerMismatchError), wantPaths: []string{oidcPath}},
		{name: "http jwks_uri on a public host", docs: map[string]func(string) any{oidcPath: insecure},
			wantAs: new(*fetch.URLError), wantPaths: []string{oidcPath}},
		{name: "500 does not move on", docs: map[string]func(string) any{oidcPath: nil, rfc8414Path: doc("/tenant", nil)},
			wantAs: new(*fetch.StatusError), wantStatus: 500, wantPaths: []string{oidcPath}},
		{name: "not found anywhere", docs: map[string]func(string) any{},
			wantAs: new(*fetch.StatusError), wantStatus: 404, wantPaths: []string{oidcPath, rfc8414Path}},
		{name: "not JSON", docs: map[string]func(string) any{oidcPath: func(string) any { return []int{1} }},
			wantAs: new(*json.UnmarshalTypeError), wantPaths: []string{oidcPath}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newMetadataServer(t, tc.docs)
			m, err := discovery.Discover(t.Context(), client(), srv.URL+"/tenant")
			if m != nil || !errors.As(err, tc.wantAs) {
				t.Fatalf("Discover = %+v, %v; want an error of type %T", m, err, tc.wantAs)
			}
			var se *fetch.StatusError
			if errors.As(err, &se) != (tc.wantStatus != 0) || tc.wantStatus != 0 && se.Status != tc.wantStatus {
				t.Errorf("Discover = %v, want HTTP status %d in the error", err, tc.wantStatus)
			}
			if got := srv.paths(); !slices.Equal(got, tc.wantPaths) {
				t.Errorf("paths asked = %q, want %q", got, tc.wantPaths)
			}
		})
	}
}

// TestDiscoverRefusesIssuerURL: an issuer that may not be fetched is
// refused before any request.
func TestDiscoverRefusesIssuerURL(t *testing.T) {
	for _, issuer := range []string{"http://auth.example.com", "auth.example.com", "https://u:p@auth.example.com"} {
		var ue *fetch.URLError
		if _, err := discovery.Discover(t.Context(), &http.Client{Transport: refuseAll{t}}, issuer); !errors.As(err, &ue) {
			t.Errorf("Discover(%q) = %v, want a *fetch.URLError", issuer, err)
		}
	}
}

type refuseAll struct{ t *testing.T }

func (r refuseAll) RoundTrip(req *http.Request) (*http.Response, error) {
	r.t.Errorf("request to %s, want none", req.URL)
	return nil, errors.New("no requests")
}
