package jwks

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/tokenguard/tokenguard/internal/discovery"
	"github.com/tokenguard/tokenguard/internal/fetch"
)

// metadataError is a failure to read, or to accept, an issuer's metadata.
// It matches [ErrFetch] and the cause of package discovery, such as a
// *discovery.IssuerMismatchError or a *fetch.URLError.
type metadataError struct{ err error }

func (e *metadataError) Error() string   { return "jwks: " + e.err.Error() }
func (e *metadataError) Unwrap() []error { return []error{ErrFetch, e.err} }

// issuerMeta is what the cache knows of one issuer's metadata.
type issuerMeta struct {
	mu       sync.Mutex
	meta     *discovery.Metadata // the last metadata read and accepted; nil before
	fetched  time.Time           // when meta was read
	failures int
	retryAt  time.Time // no read before this after a failure
	lastErr  error
}

// read is the outcome of one successful metadata read.
type read struct {
	meta *discovery.Metadata
	at   time.Time
}

// Discover returns the metadata of issuer, as package discovery reads it:
// from the OpenID Connect address or, when that is not found, the RFC 8414
// one; its issuer must equal issuer exactly and its jwks_uri, when present,
// must pass the URL policy.
//
// The metadata is kept for RefreshInterval, then read again by the next call.
// When that read fails, the metadata read before is returned for up to
// MaxStale after it was read (stale-if-error); the failure is logged. A
// failure is remembered and retried with backoff (1s doubling to 5m): calls
// in between do not fetch. ctx bounds only this caller's wait.
func (c *Cache) Discover(ctx context.Context, issuer string) (*discovery.Metadata, error) {
	m, fetched, err := c.metadata(ctx, issuer, c.cfg.refresh)
	if err != nil {
		if m != nil && time.Since(fetched) <= c.cfg.maxStale {
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
//
// Concurrent reads of one issuer are one read (singleflight), which runs
// under the cache's life, never under a caller's ctx.
func (c *Cache) metadata(ctx context.Context, issuer string, maxAge time.Duration) (*discovery.Metadata, time.Time, error) {
	if _, err := fetch.CheckURL(issuer); err != nil {
		return nil, time.Time{}, &metadataError{&discovery.FetchError{URL: issuer, Err: err}}
	}
	d, err := c.issuerMeta(issuer)
	if err != nil {
		return nil, time.Time{}, err
	}
	if m, at, err, ok := d.held(maxAge); ok {
		return m, at, err
	}
	ch := c.metaFlight.DoChan(issuer, func() (any, error) { return c.rediscover(d, issuer, maxAge) })
	select {
	case r := <-ch:
		if r.Err == nil {
			got := r.Val.(read)
			return got.meta, got.at, nil
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.meta, d.fetched, r.Err
	case <-ctx.Done():
		return nil, time.Time{}, ctx.Err()
	case <-c.life.Done():
		return nil, time.Time{}, ErrClosed
	}
}

// issuerMeta returns the entry of issuer, adding it when absent.
func (c *Cache) issuerMeta(issuer string) (*issuerMeta, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	d, ok := c.meta.Get(issuer)
	if !ok {
		d = &issuerMeta{}
		c.meta.Add(issuer, d)
	}
	return d, nil
}

// held returns what d holds when no read is due: metadata younger than
// maxAge, or the last failure while its backoff runs. ok is false when a
// read is due.
func (d *issuerMeta) held(maxAge time.Duration) (m *discovery.Metadata, at time.Time, err error, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.meta != nil && time.Since(d.fetched) < maxAge:
		return d.meta, d.fetched, nil, true
	case time.Now().Before(d.retryAt):
		return d.meta, d.fetched, d.lastErr, true
	}
	return nil, time.Time{}, nil, false
}

// rediscover reads issuer's metadata for d, in the goroutine of a
// singleflight call. It holds the cache first, so that Close waits for it;
// after Close it reads nothing. A read that ended just before this one began
// is not repeated.
func (c *Cache) rediscover(d *issuerMeta, issuer string, maxAge time.Duration) (any, error) {
	if !c.hold() {
		return nil, ErrClosed
	}
	defer c.wg.Done()
	if m, at, err, ok := d.held(maxAge); ok {
		if err != nil {
			return nil, err
		}
		return read{meta: m, at: at}, nil
	}
	m, err := discovery.Discover(c.life, c.client, issuer)
	if err != nil {
		err = &metadataError{err}
	}
	now := time.Now()
	d.mu.Lock()
	held := d.meta
	if err == nil {
		d.meta, d.fetched = m, now
		d.failures, d.retryAt, d.lastErr = 0, time.Time{}, nil
	} else {
		d.failures++
		d.lastErr = err
		d.retryAt = now.Add(backoff(d.failures, 5*time.Minute))
	}
	d.mu.Unlock()
	if err != nil {
		c.logMetadataFailure(issuer, held != nil, err) // before the waiters go: a caller finds it in the log
		return nil, err
	}
	return read{meta: m, at: now}, nil
}

// logMetadataFailure logs a failed metadata read: at Error level when the
// metadata was refused (retrying does not help: the authorization server's
// configuration, or an attack, is the problem), at Warn level otherwise.
func (c *Cache) logMetadataFailure(issuer string, held bool, err error) {
	if c.life.Err() != nil {
		return // closing, not failing
	}
	level := slog.LevelWarn
	var mm *discovery.IssuerMismatchError
	var ue *fetch.URLError
	if errors.As(err, &mm) || errors.As(err, &ue) {
		level = slog.LevelError
	}
	msg := "jwks: issuer metadata could not be read"
	if held {
		msg = "jwks: issuer metadata could not be read again; the metadata read before stays in use until Config.MaxStale"
	}
	c.log(c.life, level, msg, slog.String("iss", issuer), slog.Any("error", err))
}
