package introspect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/tokenguard/tokenguard/internal/fetch"
)

// shared returns the answer about the token whose hash is key: concurrent
// callers for one token share one call (singleflight). The call runs under
// the client's lifetime, not under ctx: ctx ends only this caller's wait.
func (c *Client) shared(ctx context.Context, key *tokenKey, token string) (*result, error) {
	if ctx.Err() != nil { // a caller that has left starts nothing
		return nil, c.gaveUp(ctx)
	}
	if c.life.Err() != nil {
		return nil, ErrClosed
	}
	k := *key // a copy for the call: the caller's key stays on its stack
	ch := c.calls.DoChan(string(k[:]), func() (any, error) { return c.call(&k, token) })
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*result), nil
	case <-ctx.Done():
		return nil, c.gaveUp(ctx)
	}
}

func (c *Client) gaveUp(ctx context.Context) error {
	return &EndpointError{Endpoint: c.endpoint, Err: fmt.Errorf("gave up waiting for the answer: %w", context.Cause(ctx))}
}

// call makes the one call for key, in the goroutine of a singleflight call.
// It holds the client first, so that Close waits for it (after Close it
// calls nothing), takes one of the MaxConcurrentCalls slots, and caches the
// answer before its waiters get it.
func (c *Client) call(key *tokenKey, token string) (*result, error) {
	if !c.hold() {
		return nil, ErrClosed
	}
	defer c.wg.Done()
	if r, ok := c.cache.get(key, c.now()); ok { // a call that ended just before
		return r, nil
	}
	if err := c.takeSlot(); err != nil {
		return nil, err
	}
	defer func() { <-c.slots }()
	res, err := c.introspect(token)
	if err == nil {
		now := c.now()
		c.cache.add(key, res, now, c.until(res, now))
	}
	return res, err
}

// hold counts the caller's goroutine in what Close waits for, unless the
// client is closed; the caller then calls c.wg.Done when it ends.
func (c *Client) hold() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.wg.Add(1)
	return true
}

// errNoSlot is the cause of a call that found no free slot in time.
var errNoSlot = errors.New("no call slot became free within Config.Timeout (Config.MaxConcurrentCalls calls in flight)")

// takeSlot waits for one of the MaxConcurrentCalls slots, for at most
// Timeout: calls that wait longer would only pile up behind a slow server.
func (c *Client) takeSlot() error {
	select {
	case c.slots <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(c.timeout)
	defer t.Stop()
	select {
	case c.slots <- struct{}{}:
		return nil
	case <-c.life.Done():
		return ErrClosed
	case <-t.C:
		if c.logger != nil {
			c.logger.LogAttrs(c.life, slog.LevelWarn, "introspect: introspection call not made: every call slot stayed taken",
				slog.String("endpoint", c.endpoint), slog.Int("max_concurrent_calls", cap(c.slots)))
		}
		return &EndpointError{Endpoint: c.endpoint, Err: errNoSlot}
	}
}

// until returns when a cached result dies: an active one at the earlier of
// CacheTTL and the token's exp, an inactive one after InactiveCacheTTL.
func (c *Client) until(r *result, now time.Time) time.Time {
	if r.inactive != nil {
		if c.inactiveTTL <= 0 {
			return now
		}
		return now.Add(c.inactiveTTL)
	}
	if c.activeTTL <= 0 {
		return now
	}
	until := now.Add(c.activeTTL)
	if exp := r.claims.Expiry; !exp.IsZero() && exp.Before(until) {
		until = exp
	}
	return until
}

// introspect makes one call to the endpoint, under the client's lifetime and
// its own deadline.
func (c *Client) introspect(token string) (res *result, err error) {
	start := time.Now()
	status := 0
	defer func() {
		if c.life.Err() != nil && err != nil {
			err = &EndpointError{Endpoint: c.endpoint, Status: status, Err: ErrClosed}
		}
		c.report(status, res, err, time.Since(start))
	}()
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	authorization, err := c.auth.apply(form, c.now())
	if err != nil {
		return nil, &EndpointError{Endpoint: c.endpoint, Err: err}
	}
	header := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"application/json"}}
	if authorization != "" {
		header.Set("Authorization", authorization)
	}
	resp, err := fetch.Do(c.life, c.http, &fetch.Request{Method: http.MethodPost, URL: c.endpoint, Header: header, Body: form.Encode(), MaxBytes: c.maxBody})
	if resp != nil {
		status = resp.Status
	}
	var se *fetch.StatusError
	switch {
	case errors.As(err, &se):
		// Only the status and the OAuth error code: never the body.
		e := &EndpointError{Endpoint: c.endpoint, Status: status, Code: se.Code}
		if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
			e.retryAfter = fetch.RetryAfter(resp.Header, c.now())
		}
		return nil, e
	case err != nil:
		return nil, &EndpointError{Endpoint: c.endpoint, Status: status, Err: err}
	}
	if res, err = parseResponse(resp.Body); err != nil {
		return nil, &EndpointError{Endpoint: c.endpoint, Status: status, Err: err}
	}
	return res, nil
}

func (c *Client) report(status int, res *result, err error, d time.Duration) {
	if c.hooks.Introspected != nil {
		c.hooks.Introspected(CallInfo{Endpoint: c.endpoint, Status: status, Active: res != nil && res.inactive == nil, Err: err, Duration: d})
	}
	if err != nil && c.logger != nil && !errors.Is(err, ErrClosed) {
		c.logger.LogAttrs(c.life, slog.LevelWarn, "introspect: introspection call failed",
			slog.String("endpoint", c.endpoint), slog.Int("status", status), slog.String("reason", err.Error()))
	}
}
