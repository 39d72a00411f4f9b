package jwks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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
	meta     *Metadata // the last metadata read and accepted; nil before
	fetched  time.Time // when meta was read
	flight   *call[*Metadata]
	failures int
	retryAt  time.Time
	lastErr  error
}

// Discover returns the metadata of issuer: from issuer +
// "/.well-known/openid-configuration" and, when that is not found, from the
// RFC 8414 address (/.well-known/oauth-authorization-server inserted before
// the issuer's path). The metadata's issuer must equal issuer exactly and its
// jwks_uri, when present, must be https (http only on loopback).
//
// The metadata is kept for RefreshInterval, then read again by the next call.
// When that read fails, the metadata read before is returned for up to
// MaxStale after it was read (stale-if-error); the failure is logged. A
// failure is remembered and retried with backoff (1s doubling to 5m): calls
// in between do not fetch. ctx bounds only this caller's wait.
func (c *Cache) Discover(ctx context.Context, issuer string) (*Metadata, error) {
	m, fetched, err := c.metadata(ctx, issuer, c.cfg.RefreshInterval)
	if err != nil {
		if m != nil && time.Since(fetched) <= c.cfg.MaxStale {
			return m, nil
		}
		return nil, err
	}
	return m, nil
}

// metadata returns the metadata of issuer, read again when the copy held is
// older than maxAge (unless a failed read is in backoff). On failure it
// returns the error together with the copy held, if any, and when it was
// read; a caller whose ctx ends gets no metadata.
func (c *Cache) metadata(ctx context.Context, issuer string, maxAge time.Duration) (*Metadata, time.Time, error) {
	if _, err := fetch.CheckURL(issuer); err != nil {
		return nil, time.Time{}, &FetchError{URL: issuer, Err: err}
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, time.Time{}, ErrClosed
	}
	d, ok := c.meta.Get(issuer)
	if !ok {
		d = &discovery{}
		c.meta.Add(issuer, d)
	}
	c.mu.Unlock()

	d.mu.Lock()
	if d.meta != nil && time.Since(d.fetched) < maxAge {
		m, at := d.meta, d.fetched
		d.mu.Unlock()
		return m, at, nil
	}
	cl := d.flight
	if cl == nil {
		if time.Now().Before(d.retryAt) {
			m, at, err := d.meta, d.fetched, d.lastErr
			d.mu.Unlock()
			return m, at, err
		}
		cl = &call[*Metadata]{done: make(chan struct{})}
		d.flight = cl
		if !c.goOwned(func() { c.rediscover(d, cl, issuer) }) {
			d.flight = nil
			d.mu.Unlock()
			return nil, time.Time{}, ErrClosed
		}
	}
	d.mu.Unlock()
	if _, err := wait(ctx, c.life, cl); err != nil {
		select {
		case <-cl.done:
		default:
			return nil, time.Time{}, err // the caller left, or the cache closed
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.meta, d.fetched, cl.err
}

// rediscover reads issuer's metadata for the flight cl and records the
// result in d.
func (c *Cache) rediscover(d *discovery, cl *call[*Metadata], issuer string) {
	m, err := c.discover(issuer)
	d.mu.Lock()
	held := d.meta
	if err == nil {
		d.meta, d.fetched = m, time.Now()
		d.failures, d.retryAt, d.lastErr = 0, time.Time{}, nil
	} else {
		d.failures++
		d.lastErr = err
		d.retryAt = time.Now().Add(backoff(d.failures, 5*time.Minute))
	}
	d.flight = nil
	cl.val, cl.err = m, err
	d.mu.Unlock()
	defer close(cl.done) // after the log, so that a caller finds it there
	if err == nil || c.life.Err() != nil {
		return
	}
	// Metadata that is refused is a configuration (or security) problem at
	// the authorization server: retrying does not help.
	level := slog.LevelWarn
	var mm *IssuerMismatchError
	var ue *fetch.URLError
	if errors.As(err, &mm) || errors.As(err, &ue) {
		level = slog.LevelError
	}
	msg := "jwks: issuer metadata could not be read"
	if held != nil {
		msg = "jwks: issuer metadata could not be read again; the metadata read before stays in use until Config.MaxStale"
	}
	c.log(c.life, level, msg, slog.String("iss", issuer), slog.Any("error", err))
}

func (c *Cache) discover(issuer string) (*Metadata, error) {
	urls := metadataURLs(issuer)
	var notFound []*FetchError
	for _, u := range urls {
		m, err := c.fetchMetadata(u)
		if err == nil {
			if m.Issuer != issuer {
				return nil, &IssuerMismatchError{Want: issuer, Got: m.Issuer}
			}
			if m.JWKSURI != "" { // absent for introspection-only servers
				var ue *fetch.URLError
				if _, err := fetch.CheckURL(m.JWKSURI); errors.As(err, &ue) {
					return nil, &FetchError{URL: u, Err: &jwksURIError{ue}}
				}
			}
			return m, nil
		}
		var fe *FetchError
		var se *fetch.StatusError
		if !errors.As(err, &se) || se.Status != http.StatusNotFound || !errors.As(err, &fe) {
			return nil, err // only "not found" moves on to the next well-known address
		}
		notFound = append(notFound, fe)
	}
	return nil, &notFoundError{tried: notFound}
}

// jwksURIError reports metadata whose jwks_uri may not be fetched.
type jwksURIError struct{ ue *fetch.URLError }

func (e *jwksURIError) Error() string {
	return fmt.Sprintf("its jwks_uri %q %s", fetch.Excerpt(e.ue.URL), e.ue.Problem)
}
func (e *jwksURIError) Unwrap() error { return e.ue }

// notFoundError reports an issuer whose metadata is at none of the
// well-known addresses. It matches [ErrFetch] and each address's error.
type notFoundError struct{ tried []*FetchError }

func (e *notFoundError) Error() string {
	var b strings.Builder
	b.WriteString("jwks: no issuer metadata")
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
	errs := []error{ErrFetch}
	for _, fe := range e.tried {
		errs = append(errs, fe)
	}
	return errs
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
	resp, err := fetch.Do(c.life, c.client, &fetch.Request{URL: u, Header: http.Header{"Accept": {"application/json"}}, MaxBytes: c.cfg.MaxBodyBytes})
	if err != nil {
		return nil, &FetchError{URL: u, Err: err}
	}
	var m Metadata
	if err := json.Unmarshal(resp.Body, &m); err != nil {
		return nil, &FetchError{URL: u, Err: fmt.Errorf("metadata is not a JSON object: %w", err)}
	}
	return &m, nil
}
