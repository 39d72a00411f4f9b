package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
)

// wellKnown is the well-known path of RFC 9728 §3.
const wellKnown = "/.well-known/oauth-protected-resource"

// metadataCases are the rows of RFC 9728: a client that knows nothing but
// a URL calls it, and from the 401 finds the metadata, checks it as the RFC
// says and finds the authorization server.
func (h *harness) metadataCases() []testCase {
	header := []any{"header"}
	common := func(resource string, more map[string]any) map[string]any {
		m := map[string]any{"resource": resource, "authorization_servers": []any{h.issuer},
			"scopes_supported": []any{"orders:read", "profile"}, "resource_name": "conformance " + resource[1:]}
		for k, v := range more {
			m[k] = v
		}
		return m
	}
	rows := []struct {
		name, target string
		doc          map[string]any // the document, its resource a path on the server
	}{
		{"metadata: from a 401 of a Bearer route", "/api/me", common("/api", map[string]any{"bearer_methods_supported": header})},
		{"metadata: from a 401 of a route under the resource", "/api/orders?x=1", common("/api", map[string]any{"bearer_methods_supported": header})},
		{"metadata: from a 401 with two challenges", "/dpop/me", common("/dpop", map[string]any{"bearer_methods_supported": header,
			"dpop_signing_alg_values_supported": []any{"ES256", "EdDSA", "PS256"}})},
		{"metadata: DPoP required", "/nonce/me", common("/nonce", map[string]any{"bearer_methods_supported": []any{},
			"dpop_signing_alg_values_supported": []any{"ES256", "RS256"}, "dpop_bound_access_tokens_required": true})},
		{"metadata: certificate binding required", "/mtls/me", common("/mtls", map[string]any{"bearer_methods_supported": header,
			"tls_client_certificate_bound_access_tokens": true})},
	}
	cases := make([]testCase, 0, len(rows))
	for _, r := range rows {
		cases = append(cases, testCase{name: r.name, target: r.target, want: want{metadata: r.doc}})
	}
	return cases
}

// followMetadata acts as a client of RFC 9728: it calls target without a
// token, takes resource_metadata from the 401's challenges (§5.1), fetches
// the document (§3.1, §3.2), checks that its resource is the URL it called
// or a prefix of it ending at a path segment (§3.3, §7.3) and that the
// document's URL is where §3.1 puts the metadata of that resource, compares
// the document with want (whose resource is a path on the server), and
// fetches the metadata of the authorization server it names, which must
// name itself as issuer (RFC 8414 §3.3).
func (h *harness) followMetadata(ctx context.Context, target string, want map[string]any) []string {
	var p problems
	called := h.srv.URL + target
	res, body, err := h.get(ctx, called)
	if err != nil {
		return []string{err.Error()}
	}
	if res.StatusCode != http.StatusUnauthorized {
		return []string{fmt.Sprintf("GET %s without a token = %d, want 401; body %s", target, res.StatusCode, body)}
	}
	values := res.Header.Values("WWW-Authenticate")
	if len(values) != 1 {
		return []string{fmt.Sprintf("WWW-Authenticate = %q, want one", values)}
	}
	challenges, order, err := parseChallenges(values[0])
	if err != nil {
		return []string{fmt.Sprintf("WWW-Authenticate %q: %v", values[0], err)}
	}
	metaURL := ""
	for _, scheme := range order {
		u, ok := challenges[scheme]["resource_metadata"]
		switch {
		case !ok:
			p.add("the %s challenge of %q has no resource_metadata", scheme, values[0])
		case metaURL != "" && u != metaURL:
			p.add("the challenges of %q name different metadata", values[0])
		}
		metaURL = u
	}
	if metaURL == "" {
		return p
	}
	mu, err := url.Parse(metaURL)
	if err != nil || mu.Scheme != "https" {
		return append(p, fmt.Sprintf("resource_metadata %q is not an https URL (%v)", metaURL, err))
	}
	res, body, err = h.get(ctx, metaURL)
	if err != nil {
		return append(p, err.Error())
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
		return append(p, fmt.Sprintf("GET %s = %d, Content-Type %q; want 200 and application/json", metaURL, res.StatusCode, res.Header.Get("Content-Type")))
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return append(p, fmt.Sprintf("the metadata %q is not a JSON object: %v", body, err))
	}
	resource, _ := doc["resource"].(string)
	base, _, _ := strings.Cut(called, "?")
	if resource == "" || base != resource && !strings.HasPrefix(base, strings.TrimSuffix(resource, "/")+"/") {
		p.add("the metadata's resource %q is not the URL called, %q, nor a prefix of it (RFC 9728 §3.3): the client must not use it", resource, base)
	}
	if ru, err := url.Parse(resource); err == nil {
		path := strings.TrimSuffix(ru.EscapedPath(), "/")
		if wantURL := ru.Scheme + "://" + ru.Host + wellKnown + path; metaURL != wantURL {
			p.add("resource_metadata = %q, want %q, where RFC 9728 §3.1 puts the metadata of %q", metaURL, wantURL, resource)
		}
	}
	exp := map[string]any{}
	for k, v := range want {
		exp[k] = v
	}
	exp["resource"] = h.srv.URL + want["resource"].(string)
	if !reflect.DeepEqual(doc, exp) {
		p.add("metadata = %v\nwant       %v", doc, exp)
	}
	servers, _ := doc["authorization_servers"].([]any)
	if len(servers) == 0 {
		return append(p, "the metadata names no authorization server")
	}
	issuer, _ := servers[0].(string)
	res, body, err = h.get(ctx, strings.TrimSuffix(issuer, "/")+"/.well-known/oauth-authorization-server")
	if err != nil {
		return append(p, err.Error())
	}
	var as struct {
		Issuer string `json:"issuer"`
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal(body, &as) != nil || as.Issuer != issuer {
		p.add("the authorization server %q answered %d with issuer %q; want 200 and itself", issuer, res.StatusCode, as.Issuer)
	}
	return p
}

// get fetches u with the server's client (which trusts the kit's servers)
// and returns the answer with its body, at most 64 KiB.
func (h *harness) get(ctx context.Context, u string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	res, err := h.client(nil).Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", u, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(http.MaxBytesReader(nil, res.Body, 1<<16))
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: reading the body: %w", u, err)
	}
	return res, body, nil
}
