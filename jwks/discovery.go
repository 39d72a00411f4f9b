package jwks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/tokenguard/tokenguard/internal/fetch"
)

// Metadata is the part of an authorization server's metadata (OpenID Connect
// Discovery 1.0, RFC 8414) that a resource server uses.
type Metadata struct {
	// Issuer is the issuer identifier; [Cache.Discover] checks that it
	// equals the issuer asked for, exactly.
	Issuer string `json:"issuer"`
	// JWKSURI is the URL of the issuer's JWK Set; empty when the server
	// publishes none (an introspection-only server).
	JWKSURI string `json:"jwks_uri"`
	// IntrospectionEndpoint is the RFC 7662 endpoint, if the server has one.
	IntrospectionEndpoint string `json:"introspection_endpoint"`
	// IntrospectionAuthMethods lists the client authentication methods the
	// introspection endpoint accepts, if the server says.
	IntrospectionAuthMethods []string `json:"introspection_endpoint_auth_methods_supported"`
	// TokenEndpoint is the token endpoint (the audience of RFC 7523 client
	// assertions).
	TokenEndpoint string `json:"token_endpoint"`
}

// IssuerMismatchError reports metadata whose issuer differs from the issuer
// it was fetched for (an attempt, or a misconfiguration, that would let one
// issuer's keys stand for another's). It matches [ErrFetch].
type IssuerMismatchError struct {
	Want, Got string
}

func (e *IssuerMismatchError) Error() string {
	return fmt.Sprintf("jwks: metadata of issuer %q names issuer %q; they must be equal exactly", e.Want, fetch.Excerpt(e.Got))
}
func (e *IssuerMismatchError) Unwrap() error { return ErrFetch }

type discovery struct {
	mu       sync.Mutex
	meta     *Metadata
	flight   *call[*Metadata]
	failures int
	retryAt  time.Time
	lastErr  error
}

// Discover returns the metadata of issuer, fetched once and then kept: from
// issuer + "/.well-known/openid-configuration" and, when that is not found,
// from the RFC 8414 address (/.well-known/oauth-authorization-server inserted
// before the issuer's path). The metadata's issuer must equal issuer exactly
// and its jwks_uri, when present, must be https (http only on loopback). A failure is
// remembered and retried with backoff (1s doubling to 5m): calls in between
// fail fast with the last error. ctx bounds only this caller's wait.
func (c *Cache) Discover(ctx context.Context, issuer string) (*Metadata, error) {
	if _, err := fetch.CheckURL(issuer); err != nil {
		return nil, &FetchError{URL: issuer, Err: err}
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	d, ok := c.meta.Get(issuer)
	if !ok {
		d = &discovery{}
		c.meta.Add(issuer, d)
	}
	c.mu.Unlock()

	d.mu.Lock()
	if d.meta != nil {
		d.mu.Unlock()
		return d.meta, nil
	}
	cl := d.flight
	if cl == nil {
		if time.Now().Before(d.retryAt) {
			err := d.lastErr
			d.mu.Unlock()
			return nil, err
		}
		cl = &call[*Metadata]{done: make(chan struct{})}
		d.flight = cl
		started := c.goOwned(func() {
			m, err := c.discover(issuer)
			d.mu.Lock()
			if err == nil {
				d.meta = m
			} else {
				d.failures++
				d.lastErr = err
				d.retryAt = time.Now().Add(backoff(d.failures, 5*time.Minute))
			}
			d.flight = nil
			cl.val, cl.err = m, err
			d.mu.Unlock()
			close(cl.done)
		})
		if !started {
			d.flight = nil
			d.mu.Unlock()
			return nil, ErrClosed
		}
	}
	d.mu.Unlock()
	return wait(ctx, c.life, cl)
}

func (c *Cache) discover(issuer string) (*Metadata, error) {
	var tried []error
	for _, u := range metadataURLs(issuer) {
		m, err := c.fetchMetadata(u)
		if err == nil {
			if m.Issuer != issuer {
				return nil, &IssuerMismatchError{Want: issuer, Got: m.Issuer}
			}
			if m.JWKSURI != "" { // absent for introspection-only servers
				if _, err := fetch.CheckURL(m.JWKSURI); err != nil {
					return nil, &FetchError{URL: u, Err: fmt.Errorf("jwks_uri: %w", err)}
				}
			}
			return m, nil
		}
		tried = append(tried, err)
		var se *fetch.StatusError
		if !errors.As(err, &se) || se.Status != http.StatusNotFound {
			break // only "not found" moves on to the next well-known address
		}
	}
	return nil, errors.Join(tried...)
}

// metadataURLs lists the well-known addresses for issuer, OpenID Connect
// first.
func metadataURLs(issuer string) []string {
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

func (c *Cache) fetchMetadata(u string) (*Metadata, error) {
	ctx, cancel := context.WithTimeout(c.life, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, &FetchError{URL: u, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, &FetchError{URL: u, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		excerpt, _ := fetch.ReadBody(resp.Body, 128)
		return nil, &FetchError{URL: u, Err: &fetch.StatusError{URL: u, Status: resp.StatusCode, Excerpt: fetch.Excerpt(string(excerpt))}}
	}
	if err := fetch.CheckJSON(resp); err != nil {
		return nil, &FetchError{URL: u, Err: err}
	}
	body, err := fetch.ReadBody(resp.Body, c.cfg.MaxBodyBytes)
	if err != nil {
		return nil, &FetchError{URL: u, Err: err}
	}
	var m Metadata
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, &FetchError{URL: u, Err: fmt.Errorf("metadata is not a JSON object: %w", err)}
	}
	return &m, nil
}
