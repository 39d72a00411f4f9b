// Package discovery reads the metadata of an authorization server (OpenID
// Connect Discovery 1.0, RFC 8414): the two well-known addresses, the check
// that the metadata names the issuer it was fetched for, and the URL policy
// of the key set it names. Key sets (internal/jwks) and introspection both
// use it. It keeps nothing: caching is its callers' business. It is not API.
package discovery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/tokenguard/tokenguard/internal/fetch"
)

// Metadata is the part of an authorization server's metadata that a
// resource server uses.
type Metadata struct {
	// Issuer is the issuer identifier; [Discover] checks that it equals
	// the issuer asked for, exactly.
	Issuer string `json:"issuer"`
	// JWKSURI is the URL of the issuer's JWK Set, which [Discover] checked
	// against the URL policy; empty when the server publishes none (an
	// introspection-only server).
	JWKSURI string `json:"jwks_uri"`
	// IntrospectionEndpoint is the RFC 7662 endpoint, if the server has
	// one. It is not checked: a caller that uses it checks it.
	IntrospectionEndpoint string `json:"introspection_endpoint"`
}

// FetchError reports metadata that could not be read from URL, or that
// names a jwks_uri that may not be fetched. It matches Err.
type FetchError struct {
	URL string
	Err error
}

func (e *FetchError) Error() string {
	var ue *fetch.URLError
	if errors.As(e.Err, &ue) && ue.URL == e.URL {
		return e.Err.Error() // the URL may not be fetched; the cause names it
	}
	return "fetch " + e.URL + ": " + e.Err.Error()
}

func (e *FetchError) Unwrap() error { return e.Err }

// IssuerMismatchError reports metadata whose issuer differs from the issuer
// it was fetched for: an attempt, or a misconfiguration, that would let one
// issuer's keys stand for another's.
type IssuerMismatchError struct {
	Want, Got string
}

func (e *IssuerMismatchError) Error() string {
	return fmt.Sprintf("metadata of issuer %q names issuer %q; they must be equal exactly", e.Want, fetch.Excerpt(e.Got))
}

// maxBodyBytes caps a metadata document; real ones are a few KiB.
const maxBodyBytes = 1 << 20

// Discover reads the metadata of issuer with c, from issuer +
// "/.well-known/openid-configuration" and, when that answers 404, from the
// RFC 8414 address (/.well-known/oauth-authorization-server inserted before
// the issuer's path). The metadata's issuer must equal issuer exactly
// (else *IssuerMismatchError), and its jwks_uri, when present, must pass
// the URL policy of [fetch.CheckURL] (else a *FetchError that wraps a
// *fetch.URLError). ctx bounds the whole call; each request also has c's
// Timeout. Every error names the URL it concerns.
func Discover(ctx context.Context, c *http.Client, issuer string) (*Metadata, error) {
	if _, err := fetch.CheckURL(issuer); err != nil {
		return nil, &FetchError{URL: issuer, Err: err}
	}
	var notFound []*FetchError
	for _, u := range wellKnown(issuer) {
		m, fe := read(ctx, c, u)
		var se *fetch.StatusError
		switch {
		case fe == nil:
			if err := accept(m, issuer, u); err != nil {
				return nil, err
			}
			return m, nil
		case errors.As(fe.Err, &se) && se.Status == http.StatusNotFound:
			notFound = append(notFound, fe) // only "not found" moves on
		default:
			return nil, fe
		}
	}
	return nil, &notFoundError{tried: notFound}
}

// read fetches and decodes the metadata document at u.
func read(ctx context.Context, c *http.Client, u string) (*Metadata, *FetchError) {
	resp, err := fetch.Do(ctx, c, &fetch.Request{URL: u, Header: http.Header{"Accept": {"application/json"}}, MaxBytes: maxBodyBytes})
	if err != nil {
		return nil, &FetchError{URL: u, Err: err}
	}
	var m Metadata
	if err := json.Unmarshal(resp.Body, &m); err != nil {
		return nil, &FetchError{URL: u, Err: fmt.Errorf("metadata is not a JSON object: %w", err)}
	}
	return &m, nil
}

// accept checks the metadata m, read at u, for issuer.
func accept(m *Metadata, issuer, u string) error {
	if m.Issuer != issuer {
		return &IssuerMismatchError{Want: issuer, Got: m.Issuer}
	}
	if m.JWKSURI != "" { // absent for introspection-only servers
		var ue *fetch.URLError
		if _, err := fetch.CheckURL(m.JWKSURI); errors.As(err, &ue) {
			return &FetchError{URL: u, Err: &jwksURIError{ue}}
		}
	}
	return nil
}

// jwksURIError reports metadata whose jwks_uri may not be fetched. It
// matches the *fetch.URLError.
type jwksURIError struct{ ue *fetch.URLError }

func (e *jwksURIError) Error() string {
	return fmt.Sprintf("its jwks_uri %q %s", fetch.Excerpt(e.ue.URL), e.ue.Problem)
}
func (e *jwksURIError) Unwrap() error { return e.ue }

// notFoundError reports an issuer whose metadata is at none of the
// well-known addresses. It matches each address's error.
type notFoundError struct{ tried []*FetchError }

func (e *notFoundError) Error() string {
	var b strings.Builder
	b.WriteString("no issuer metadata")
	for i, fe := range e.tried {
		if i > 0 {
			b.WriteString(" nor")
		}
		b.WriteString(" at " + fe.URL)
	}
	b.WriteString(" (HTTP 404 Not Found)")
	return b.String()
}

func (e *notFoundError) Unwrap() []error {
	errs := make([]error, len(e.tried))
	for i, fe := range e.tried {
		errs[i] = fe
	}
	return errs
}

// wellKnown lists the metadata addresses of issuer, OpenID Connect first.
func wellKnown(issuer string) []string {
	oidc := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	u, err := url.Parse(issuer)
	if err != nil {
		return []string{oidc}
	}
	path := strings.TrimSuffix(u.Path, "/")
	u.Path = "/.well-known/oauth-authorization-server" + path
	u.RawPath = ""
	return []string{oidc, u.String()}
}
