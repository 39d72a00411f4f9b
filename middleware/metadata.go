package middleware

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ResourceMetadata is what a [Guard] publishes about the resource it
// protects as OAuth 2.0 protected resource metadata (RFC 9728), so that a
// client that got a 401 can find out where to get a token and how to send
// it: set [Config.Metadata], mount [Guard.MetadataHandler] at
// [Guard.MetadataPath], and every challenge carries a resource_metadata
// parameter with the document's URL (RFC 9728 §5.1).
//
// It holds only what the Guard cannot know. The members that follow from
// the Guard's configuration are derived from it, so that the document
// cannot promise what the Guard refuses:
//
//   - bearer_methods_supported: "header", plus "body" with
//     [Config.FormToken] and "query" with [Config.InsecureQueryToken]
//     (cookies have no RFC 9728 method), or none at all with
//     [DPoPRequired];
//   - dpop_signing_alg_values_supported: the proof algorithms, when DPoP is
//     on; dpop_bound_access_tokens_required: true with [DPoPRequired];
//   - tls_client_certificate_bound_access_tokens: true with
//     [Config.RequireCertificateBinding], the one setting that says the
//     service runs mutual TLS (a Guard checks certificate-bound tokens by
//     default, but cannot know whether the TLS server asks for client
//     certificates).
//
// [NewGuard] checks every field: an invalid one is an error that names it.
// The document is built once, by NewGuard.
type ResourceMetadata struct {
	// Resource is the resource identifier (RFC 9728 §1.2): the https URL
	// clients call, such as "https://api.example.com" or
	// "https://example.com/api", which a client checks against the URL it
	// called (§3.3). It is required. It must have no query and no
	// fragment, and its path only characters that a request path carries
	// unescaped (ASCII letters, digits and $&+,-./:;=@_~), with no empty,
	// "." or ".." segment. http is accepted only for a loopback host
	// (localhost, 127.0.0.1, [::1]), for tests. It is configured, never
	// derived from a request's Host header, which a client chooses.
	Resource string
	// AuthorizationServers lists the issuer identifiers (RFC 8414) of the
	// authorization servers that issue tokens for the resource: https URLs
	// (http on loopback) without query or fragment, such as
	// "https://auth.example.com/". If empty, the member is left out, and
	// clients must learn the server some other way.
	AuthorizationServers []string
	// ScopesSupported lists the scopes (RFC 6749 scope tokens) that
	// clients may ask for to call the resource. If empty, the member is
	// left out.
	ScopesSupported []string
	// AuthorizationDetailsTypesSupported lists the type values of RFC 9396
	// authorization_details the resource understands. If empty, the
	// member is left out.
	AuthorizationDetailsTypesSupported []string
	// ResourceName is a human-readable name of the resource, for display
	// to end users. If empty, left out.
	ResourceName string
	// ResourceDocumentation is the https URL of the resource's
	// documentation for developers. If empty, left out.
	ResourceDocumentation string
	// ResourcePolicyURI is the https URL of the resource's policy on how
	// clients may use its data. If empty, left out.
	ResourcePolicyURI string
	// ResourceTOSURI is the https URL of the resource's terms of
	// service. If empty, left out.
	ResourceTOSURI string
}

// wellKnown is the well-known URI suffix of RFC 9728 §3.
const wellKnown = "/.well-known/oauth-protected-resource"

// metadataDoc is the JSON document of RFC 9728 §2.
type metadataDoc struct {
	Resource                      string   `json:"resource"`
	AuthorizationServers          []string `json:"authorization_servers,omitempty"`
	ScopesSupported               []string `json:"scopes_supported,omitempty"`
	BearerMethodsSupported        []string `json:"bearer_methods_supported"`
	ResourceName                  string   `json:"resource_name,omitempty"`
	ResourceDocumentation         string   `json:"resource_documentation,omitempty"`
	ResourcePolicyURI             string   `json:"resource_policy_uri,omitempty"`
	ResourceTOSURI                string   `json:"resource_tos_uri,omitempty"`
	TLSClientCertificateBound     bool     `json:"tls_client_certificate_bound_access_tokens,omitempty"`
	AuthorizationDetailsTypes     []string `json:"authorization_details_types_supported,omitempty"`
	DPoPSigningAlgValues          []string `json:"dpop_signing_alg_values_supported,omitempty"`
	DPoPBoundAccessTokensRequired bool     `json:"dpop_bound_access_tokens_required,omitempty"`
}

// metadata is a Guard's published metadata, ready to serve.
type metadata struct {
	path string // where RFC 9728 §3.1 puts the document
	url  string // the document's URL, for resource_metadata
	body []byte // the JSON document
}

// newMetadata checks m and builds the document of the Guard g, whose DPoP
// and certificate settings cfg holds and g has already derived.
func newMetadata(m *ResourceMetadata, cfg *Config, g *Guard) (*metadata, error) {
	u, err := checkResource(m.Resource)
	if err != nil {
		return nil, err
	}
	for i, s := range m.AuthorizationServers {
		if err := checkMetadataURL("Metadata.AuthorizationServers["+strconv.Itoa(i)+"]", s, true); err != nil {
			return nil, err
		}
	}
	for _, f := range [...]struct {
		name string
		list []string
	}{{"ScopesSupported", m.ScopesSupported}, {"AuthorizationDetailsTypesSupported", m.AuthorizationDetailsTypesSupported}} {
		for i, s := range f.list {
			if s == "" || !quotable(s) || strings.ContainsRune(s, ' ') {
				return nil, configError("Metadata."+f.name+"["+strconv.Itoa(i)+"]", "%q is not a valid token; want printable ASCII without space, '\"' or '\\'", s)
			}
		}
	}
	if c, ok := firstBad(m.ResourceName, func(r rune) bool { return r >= 0x20 && r != 0x7f }); ok {
		return nil, configError("Metadata.ResourceName", "%q holds %q; want text without control characters", m.ResourceName, c)
	}
	for _, f := range [...]struct{ name, value string }{
		{"ResourceDocumentation", m.ResourceDocumentation},
		{"ResourcePolicyURI", m.ResourcePolicyURI},
		{"ResourceTOSURI", m.ResourceTOSURI},
	} {
		if f.value == "" {
			continue
		}
		if err := checkMetadataURL("Metadata."+f.name, f.value, false); err != nil {
			return nil, err
		}
	}

	doc := metadataDoc{
		Resource:                  m.Resource,
		AuthorizationServers:      m.AuthorizationServers,
		ScopesSupported:           m.ScopesSupported,
		BearerMethodsSupported:    []string{}, // [] means none (RFC 9728 §2), not "unknown"
		ResourceName:              m.ResourceName,
		ResourceDocumentation:     m.ResourceDocumentation,
		ResourcePolicyURI:         m.ResourcePolicyURI,
		ResourceTOSURI:            m.ResourceTOSURI,
		TLSClientCertificateBound: cfg.RequireCertificateBinding,
		AuthorizationDetailsTypes: m.AuthorizationDetailsTypesSupported,
	}
	if cfg.DPoP.Mode != DPoPRequired {
		doc.BearerMethodsSupported = append(doc.BearerMethodsSupported, "header")
		if cfg.FormToken {
			doc.BearerMethodsSupported = append(doc.BearerMethodsSupported, "body")
		}
		if cfg.InsecureQueryToken {
			doc.BearerMethodsSupported = append(doc.BearerMethodsSupported, "query")
		}
	}
	if g.dpop != nil {
		doc.DPoPSigningAlgValues = g.dpop.Algorithms()
		doc.DPoPBoundAccessTokensRequired = cfg.DPoP.Mode == DPoPRequired
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, configError("Metadata", "cannot be encoded: %v", err) // unreachable: strings and bools only
	}
	path := wellKnown
	if p := u.EscapedPath(); p != "/" {
		path += p
	}
	return &metadata{path: path, url: u.Scheme + "://" + u.Host + path, body: append(body, '\n')}, nil
}

// checkResource checks Metadata.Resource and returns it parsed.
func checkResource(s string) (*url.URL, error) {
	const field = "Metadata.Resource"
	if s == "" {
		return nil, configError(field, "is empty; set it to the https URL clients call, such as \"https://api.example.com\", or leave Metadata nil")
	}
	if err := checkMetadataURL(field, s, true); err != nil {
		return nil, err
	}
	u, _ := url.Parse(s) // checked
	if p := u.EscapedPath(); p != "" && p != "/" {
		if err := checkPath(p); err != "" {
			return nil, configError(field, "%q: its path %s", s, err)
		}
	}
	return u, nil
}

// checkMetadataURL checks that s is an absolute https URL (http on a
// loopback host), without user information or fragment, and, for an
// identifier (a resource or an issuer), without query.
func checkMetadataURL(field, s string, identifier bool) error {
	u, err := url.Parse(s)
	if err != nil {
		return configError(field, "%q is not a URL: %v", s, err)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && loopback(u.Hostname()):
	case u.Scheme == "http":
		return configError(field, "%q uses http; want https (http only for a loopback host such as 127.0.0.1)", s)
	default:
		return configError(field, "%q is not an absolute https URL", s)
	}
	switch {
	case u.Host == "" || u.Opaque != "":
		return configError(field, "%q has no host; want an absolute https URL such as \"https://api.example.com\"", s)
	case u.User != nil:
		return configError(field, "%q holds user information; want a URL without it", s)
	case u.Fragment != "" || strings.Contains(s, "#"):
		return configError(field, "%q has a fragment; want a URL without one", s)
	case identifier && (u.RawQuery != "" || u.ForceQuery):
		return configError(field, "%q has a query; an identifier has none (RFC 9728 §1.2, RFC 8414 §2)", s)
	case !quotable(s):
		return configError(field, "%q holds characters a URL does not; want it percent-encoded", s)
	}
	return nil
}

// loopback reports whether host names the local machine.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// MetadataHandler returns the handler of the Guard's protected resource
// metadata (RFC 9728 §3.2): a GET or HEAD request gets the JSON document
// built from [Config.Metadata] and the Guard's configuration, with
// Cache-Control: public, max-age=3600 and Access-Control-Allow-Origin: *
// (the document is public, and browser-based clients fetch it from other
// origins); any other method gets 405. It serves the same document on
// whatever path it is mounted: mount it at [Guard.MetadataPath], in front
// of the Guard or behind it (the Guard lets requests for that exact path
// through without a token):
//
//	mux.Handle("GET "+g.MetadataPath(), g.MetadataHandler())          // net/http
//	r.GET(g.MetadataPath(), gin.WrapH(g.MetadataHandler()))            // gin
//	e.GET(g.MetadataPath(), echo.WrapHandler(g.MetadataHandler()))     // echo
//
// Without Config.Metadata it answers 404 to every request.
func (g *Guard) MetadataHandler() http.Handler {
	m := g.meta
	if m == nil {
		return http.NotFoundHandler()
	}
	length := strconv.Itoa(len(m.body))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", length)
		h.Set("Cache-Control", "public, max-age=3600")
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			w.Write(m.body)
		}
	})
}

// MetadataPath returns the path at which RFC 9728 §3.1 puts the metadata
// of [ResourceMetadata.Resource]: "/.well-known/oauth-protected-resource",
// followed by the resource's path when it has one
// ("/.well-known/oauth-protected-resource/api" for
// "https://example.com/api"). Mount [Guard.MetadataHandler] there, on the
// host of the resource; the resource_metadata parameter of the Guard's
// challenges points there. Without [Config.Metadata] it returns "".
func (g *Guard) MetadataPath() string {
	if g.meta == nil {
		return ""
	}
	return g.meta.path
}
