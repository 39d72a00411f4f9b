package jwks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokenguard/tokenguard/internal/fetch"
	"github.com/tokenguard/tokenguard/internal/jose"
)

// Set is one remote JWK Set kept fresh by its [Cache]. Readers never block
// on a refresh: each fetch publishes a new immutable snapshot atomically. A
// set of [Cache.IssuerSet] follows its issuer's jwks_uri when the metadata
// moves it, and stays the same *Set. It is safe for concurrent use.
type Set struct {
	c       *Cache
	url     string // the URL of [Cache.Set]; empty for an issuer's set
	issuer  string // for [Cache.IssuerSet]: the URL is this issuer's jwks_uri
	cur     atomic.Pointer[snapshot]
	life    context.Context
	cancel  context.CancelFunc
	stopped atomic.Bool   // evicted or closed: no refresh will run again
	expired atomic.Bool   // the keys are older than MaxStale (set by loop)
	kick    chan struct{} // wakes the refresh loop when its schedule moved

	mu       sync.Mutex
	flight   *call[*snapshot]
	failures int
	retryAt  time.Time // no on-demand fetch before this after a failure
	lastErr  error
	next     time.Time // next background refresh
	misses   []time.Time
	unknown  map[string]time.Time
	metaSeen time.Time // when the last metadata without jwks_uri was read
}

type snapshot struct {
	byKid   map[string][]*Key
	keys    []*Key
	url     string // where the keys were fetched from
	fetched time.Time
	etag    string
}

// call is one in-flight fetch that several callers may wait on.
//
// Key sets keep this hand-written flight instead of singleflight, which
// cannot express what they need: whether a fetch may start is decided under
// s.mu together with the unknown-kid budget (charged only by a caller that
// starts a fetch, never by one that joins) and the backoff after a failure;
// a caller that joined a fetch that did not bring its kid gets one fetch of
// its own (the joined one may have read the set before the kid was
// published), so it must know whether it joined or started; and the refresh
// loop runs its fetch in its own goroutine, publishes it as s.flight for
// on-demand callers to join, and is woken (kick) when an on-demand fetch
// moves its schedule. Metadata reads and introspection calls, which need
// none of this, use singleflight.
type call[T any] struct {
	done chan struct{}
	val  T
	err  error
}

// wait waits for cl, leaving early when ctx or life ends; the fetch itself
// is not cancelled by ctx.
func wait[T any](ctx, life context.Context, cl *call[T]) (T, error) {
	var zero T
	select {
	case <-cl.done:
		return cl.val, cl.err
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-life.Done():
		return zero, ErrClosed
	}
}

func newSet(c *Cache, url, issuer string) *Set {
	s := &Set{c: c, url: url, issuer: issuer, kick: make(chan struct{}, 1), unknown: make(map[string]time.Time)}
	s.life, s.cancel = context.WithCancel(c.life)
	s.next = time.Now().Add(c.cfg.refresh)
	return s
}

// stop ends the set's refresh loop and in-flight fetch (on eviction or
// Close).
func (s *Set) stop() {
	s.stopped.Store(true)
	s.cancel()
}

// URL returns the address the current keys were fetched from. For a set of
// [Cache.IssuerSet] it is the issuer's jwks_uri, which may change, and it is
// empty before the first successful fetch.
func (s *Set) URL() string {
	if snap := s.cur.Load(); snap != nil {
		return snap.url
	}
	return s.url
}

// Keys returns the usable keys of the last good fetch (nil before the first
// one, empty when the issuer publishes no usable key). The slice must not be
// modified.
func (s *Set) Keys() []*Key {
	if snap := s.cur.Load(); snap != nil {
		return snap.keys
	}
	return nil
}

// Contains reports whether k is still published in the set, the set is not
// older than [Config.MaxStale], and the set is still kept fresh (not evicted
// from its cache, cache not closed). It never blocks and does no I/O:
// jwtverify's verified-token cache asks it on every hit.
func (s *Set) Contains(k *Key) bool {
	snap := s.cur.Load() // no clock read: the refresh loop flags expiry
	return snap != nil && !s.stopped.Load() && !s.expired.Load() && slices.Contains(snap.byKid[k.ID], k)
}

// Key returns the keys whose kid is kid (every key when kid is empty). A kid
// that the set does not hold triggers one refresh shared by all concurrent
// callers, within the miss budget (3 misses per 30s); past the budget,
// or for a kid a recent refresh did not find, it fails fast with an error
// matching [ErrUnknownKey]. Errors reaching the key set match [ErrFetch].
// ctx bounds only this caller's wait.
func (s *Set) Key(ctx context.Context, kid string) ([]*Key, error) {
	snap, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if kid == "" {
		return snap.keys, nil
	}
	if ks := snap.byKid[kid]; ks != nil {
		return ks, nil
	}
	// A fetch that was already in flight may have started before the key
	// was published; then one more, of our own, is worth its budget.
	for attempt := 0; attempt < 2; attempt++ {
		s.mu.Lock()
		now := time.Now()
		if t, ok := s.unknown[kid]; ok && now.Sub(t) < missWindow {
			s.mu.Unlock()
			return nil, fmt.Errorf("%w %q: not in the set at the last refresh", ErrUnknownKey, kid)
		}
		cl, joined := s.flight, true
		if cl == nil {
			if !s.budgetLeft(now) {
				s.mu.Unlock()
				return nil, fmt.Errorf("%w %q: refresh budget for unknown kids spent", ErrUnknownKey, kid)
			}
			if now.Before(s.retryAt) {
				err, at := s.lastErr, s.retryAt
				s.mu.Unlock()
				// Unreachable, not unknown: the caller should answer "try
				// again later", not "your token is bad".
				return nil, &RetryError{Err: fmt.Errorf("jwks: kid %q not in the set, which is unreachable and not retried before %s: %w", kid, at.Format(time.RFC3339), err), At: at}
			}
			cl, joined = s.start("unknown-kid", kid), false
		}
		s.mu.Unlock()
		snap, err = wait(ctx, s.life, cl)
		if err != nil {
			return nil, err
		}
		if ks := snap.byKid[kid]; ks != nil {
			return ks, nil
		}
		if !joined {
			break
		}
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownKey, kid)
}

// ErrKeyAlgorithm reports a kid whose keys cannot verify the token's alg
// (another key type or curve, or a key restricted to another alg).
var ErrKeyAlgorithm = errors.New("jwks: key does not fit the algorithm")

// Pick returns the key of s that verifies alg for kid: the one key with that
// kid that fits alg (see [Key.Fits]) or, when kid is empty, the only key of
// the set that fits alg. It is the key selection of every signature the
// library checks, access tokens and signed introspection answers alike.
// Errors match [ErrUnknownKey] (no such kid, or no kid and no key or several
// keys that fit), [ErrKeyAlgorithm] (the kid's keys do not fit alg), or come
// from [Set.Key] (fetch failures, matching [ErrFetch] or a caller's ctx).
func (s *Set) Pick(ctx context.Context, kid string, alg *jose.Alg) (*Key, error) {
	keys, err := s.Key(ctx, kid)
	if err != nil {
		return nil, err
	}
	var key *Key
	for _, k := range keys {
		if k.Fits(alg.Name) {
			if key != nil { // only without kid: ambiguous
				return nil, errAmbiguous
			}
			key = k
			if kid != "" {
				break
			}
		}
	}
	switch {
	case key != nil:
		return key, nil
	case kid != "":
		return nil, ErrKeyAlgorithm
	}
	return nil, errNoFit
}

var (
	errAmbiguous = fmt.Errorf("%w: no kid, and several keys fit the algorithm", ErrUnknownKey)
	errNoFit     = fmt.Errorf("%w: no kid, and no key fits the algorithm", ErrUnknownKey)
)

// snapshot returns the current keys, fetching them when there are none yet
// or when they are older than MaxStale.
func (s *Set) snapshot(ctx context.Context) (*snapshot, error) {
	snap := s.cur.Load()
	if snap != nil && time.Since(snap.fetched) <= s.c.cfg.maxStale {
		return snap, nil
	}
	s.mu.Lock()
	cl := s.flight
	if cl == nil {
		if time.Now().Before(s.retryAt) {
			err, at := s.lastErr, s.retryAt
			s.mu.Unlock()
			if snap != nil {
				err = fmt.Errorf("%w (last error: %w)", errStale, err)
			}
			return nil, &RetryError{Err: err, At: at}
		}
		reason := "initial"
		if snap != nil {
			reason = "background"
		}
		cl = s.start(reason, "")
	}
	s.mu.Unlock()
	return wait(ctx, s.life, cl)
}

// budgetLeft reports whether an unknown-kid refresh may run. s.mu is held.
func (s *Set) budgetLeft(now time.Time) bool {
	i := 0
	for i < len(s.misses) && now.Sub(s.misses[i]) >= missWindow {
		i++
	}
	s.misses = s.misses[i:]
	return len(s.misses) < missBudget
}

// start begins a fetch in a goroutine owned by the cache. s.mu is held.
func (s *Set) start(reason, kid string) *call[*snapshot] {
	cl := &call[*snapshot]{done: make(chan struct{})}
	s.flight = cl
	if !s.c.goOwned(func() { s.run(cl, reason, kid) }) {
		s.flight = nil
		cl.err = ErrClosed
		close(cl.done)
	}
	return cl
}

// run performs one fetch for cl and publishes its result. A well-formed
// answer is published even when it holds no usable key: the issuer may have
// withdrawn its keys, and must be obeyed at once; only failures to get such
// an answer keep the previous keys (stale-if-error).
func (s *Set) run(cl *call[*snapshot], reason, kid string) {
	prev := s.cur.Load()
	snap, info := s.refresh(reason, prev)
	info.Reason = reason

	now := time.Now()
	s.mu.Lock()
	if info.Err == nil {
		s.cur.Store(snap)
		s.expired.Store(false)
		s.failures, s.retryAt, s.lastErr = 0, time.Time{}, nil
		s.next = now.Add(info.refreshIn)
		if kid != "" && snap.byKid[kid] == nil {
			s.misses = append(s.misses, now)
			if len(s.unknown) >= 1024 {
				clear(s.unknown)
			}
			s.unknown[kid] = now
		}
		// A new set may now hold kids that were unknown before.
		for k := range s.unknown {
			if snap.byKid[k] != nil {
				delete(s.unknown, k)
			}
		}
	} else {
		s.failures++
		s.lastErr = info.Err
		s.retryAt = now.Add(s.backoff())
		s.next = s.retryAt
	}
	s.flight = nil
	cl.val, cl.err = snap, info.Err
	if info.Err != nil {
		cl.err = &RetryError{Err: info.Err, At: s.retryAt}
	}
	s.mu.Unlock()
	// Logged before the waiters go: a caller that got the answer (New,
	// say) finds it in the log.
	s.logResult(prev, snap, info)
	close(cl.done)
	select {
	case s.kick <- struct{}{}:
	default:
	}

}

// logResult logs a failed fetch (Warn), an answer without usable keys (Error
// when it withdraws the keys in use or is the first, Warn while it stays
// so), dropped keys (Info) and a set that moved to another URL (Info).
func (s *Set) logResult(prev, snap *snapshot, info fetchResult) {
	c := s.c
	if info.Err != nil {
		c.log(s.life, slog.LevelWarn, "jwks: key set fetch failed; the keys fetched before stay in use until Config.MaxStale",
			slog.String("url", info.URL), slog.String("reason", info.Reason), slog.Int("status", info.Status), slog.Any("error", info.Err))
		return
	}
	if prev != nil && prev.url != snap.url {
		c.log(s.life, slog.LevelInfo, "jwks: the issuer's metadata moved its key set", slog.String("iss", s.issuer),
			slog.String("from", prev.url), slog.String("url", snap.url), slog.Int("keys", info.Keys))
	}
	switch {
	case info.Keys == 0 && !info.NotChanged:
		level, withdrawn := slog.LevelError, 0
		if prev != nil {
			withdrawn = len(prev.keys)
			if withdrawn == 0 && prev.url == snap.url {
				level = slog.LevelWarn // still empty: said at Error level already
			}
		}
		c.log(s.life, level, "jwks: key set holds no usable key; every token it would verify is rejected until the issuer publishes one",
			slog.String("url", snap.url), slog.String("reason", info.Reason), slog.Int("withdrawn", withdrawn),
			slog.Int("dropped", info.Dropped), slog.String("dropped_reasons", droppedReasons(info.dropped)))
	case info.Dropped > 0:
		c.log(s.life, slog.LevelInfo, "jwks: unusable keys dropped", slog.String("url", snap.url), slog.Int("dropped", info.Dropped),
			slog.Int("keys", info.Keys), slog.String("dropped_reasons", droppedReasons(info.dropped)))
	}
}

// droppedReasons renders the first few reasons keys were dropped, bounded.
func droppedReasons(dropped []error) string {
	const most, each = 3, 160
	var b strings.Builder
	for i, err := range dropped {
		if i == most {
			fmt.Fprintf(&b, "; and %d more", len(dropped)-most)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		r := err.Error()
		if len(r) > each {
			r = r[:each] + "…"
		}
		b.WriteString(strings.ToValidUTF8(r, "?"))
	}
	return b.String()
}

// backoff is the wait before retrying after s.failures consecutive failures:
// 1s doubling up to min(RefreshInterval, 5m), with jitter. s.mu is held.
func (s *Set) backoff() time.Duration {
	return backoff(s.failures, s.c.cfg.refresh)
}

func backoff(failures int, ceiling time.Duration) time.Duration {
	ceiling = min(ceiling, 5*time.Minute)
	d := time.Second << min(failures-1, 20)
	d = min(d, ceiling)
	return d/2 + rand.N(d/2+1) // jitter in [d/2, d]
}

// loop refreshes the set in the background until the set is stopped.
func (s *Set) loop() {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		s.mu.Lock()
		d := time.Until(s.next)
		s.mu.Unlock()
		if snap := s.cur.Load(); snap != nil && !s.expired.Load() {
			d = min(d, time.Until(snap.fetched.Add(s.c.cfg.maxStale))+time.Nanosecond)
		}
		t.Reset(max(d, 0))
		select {
		case <-s.life.Done():
			return
		case <-s.kick:
			continue
		case <-t.C:
		}
		if snap := s.cur.Load(); snap != nil && time.Since(snap.fetched) > s.c.cfg.maxStale {
			s.expired.Store(true)
		}
		s.mu.Lock()
		if s.flight != nil {
			// An on-demand fetch is running; it moves s.next and kicks us
			// when it ends. Re-arming the timer now would spin.
			s.mu.Unlock()
			select {
			case <-s.kick:
			case <-s.life.Done():
				return
			}
			continue
		}
		if time.Now().Before(s.next) {
			s.mu.Unlock()
			continue
		}
		cl := &call[*snapshot]{done: make(chan struct{})}
		s.flight = cl
		s.mu.Unlock()
		s.run(cl, "background", "")
		select { // run kicked itself; the loop reads the new schedule anyway
		case <-s.kick:
		default:
		}
	}
}

// fetchResult describes one key-set fetch, for the log.
type fetchResult struct {
	URL        string // the key set's URL; the issuer's when its metadata could not be read
	Reason     string // "initial", "background" or "unknown-kid"
	Status     int    // HTTP status, 0 if no response
	Keys       int    // usable keys in the new set (unchanged on 304 or error)
	Dropped    int    // keys dropped as unusable
	NotChanged bool   // the server answered 304 Not Modified
	Err        error
	refreshIn  time.Duration // until the next background refresh
	dropped    []error       // why keys were dropped
}

// refresh fetches the set once: from its URL or, for an issuer's set, from
// the jwks_uri of the issuer's metadata.
func (s *Set) refresh(reason string, prev *snapshot) (*snapshot, fetchResult) {
	url := s.url
	if s.issuer != "" {
		var err error
		if url, err = s.source(reason, prev); err != nil {
			return nil, fetchResult{URL: s.issuer, Err: err}
		}
	}
	return s.fetch(url, prev)
}

// source returns the URL of an issuer's set: the jwks_uri of the issuer's
// metadata, which is read again when older than RefreshInterval (than
// one minute when a kid is unknown: a new key may live at a new
// address), and before every retry after a failed fetch. Metadata that cannot
// be read, or is refused, keeps the jwks_uri of the metadata read before
// (and the failure is logged where it is read).
func (s *Set) source(reason string, prev *snapshot) (string, error) {
	cfg := &s.c.cfg
	maxAge := cfg.refresh
	if reason == "unknown-kid" {
		maxAge = cfg.minRefresh
	}
	s.mu.Lock()
	if s.failures > 0 {
		maxAge = 0
	}
	s.mu.Unlock()
	m, read, err := s.c.metadata(s.life, s.issuer, maxAge)
	if err == nil && m.JWKSURI == "" {
		err = &fetchError{URL: s.issuer, Err: errors.New("the issuer's metadata names no jwks_uri")}
		s.mu.Lock()
		news := read.After(s.metaSeen) // log each metadata document once
		s.metaSeen = read
		s.mu.Unlock()
		if prev != nil && news {
			s.c.log(s.life, slog.LevelError, "jwks: the issuer's metadata names no jwks_uri any more; its key set stays in use",
				slog.String("iss", s.issuer), slog.String("url", prev.url))
		}
	}
	switch {
	case err == nil:
		return m.JWKSURI, nil
	case m != nil && m.JWKSURI != "":
		return m.JWKSURI, nil // the metadata read before
	case prev != nil:
		return prev.url, nil
	}
	return "", err
}

// fetch gets the set at url once, under the set's life and the cache's
// timeout.
func (s *Set) fetch(url string, prev *snapshot) (*snapshot, fetchResult) {
	cfg := &s.c.cfg
	res := fetchResult{URL: url}
	fail := func(err error) (*snapshot, fetchResult) {
		res.Err = &fetchError{URL: url, Err: err}
		return nil, res
	}
	if prev != nil && prev.url != url {
		prev = &snapshot{byKid: prev.byKid} // other URL: no ETag, no 304
	}
	req := &fetch.Request{URL: url, Header: http.Header{"Accept": {"application/jwk-set+json, application/json"}}, MaxBytes: maxBodyBytes}
	if prev != nil && prev.etag != "" {
		req.Header.Set("If-None-Match", prev.etag)
	}
	resp, err := fetch.Do(s.life, s.c.client, req)
	if resp != nil {
		res.Status = resp.Status
	}
	if err != nil {
		return fail(err)
	}
	res.refreshIn = refreshInterval(resp.Header.Get("Cache-Control"), cfg.minRefresh, cfg.refresh)
	if resp.Status == http.StatusNotModified && prev != nil {
		next := *prev
		next.fetched = time.Now()
		res.NotChanged, res.Keys = true, len(prev.keys)
		return &next, res
	}
	keys, dropped, err := ParseSet(resp.Body)
	if err != nil {
		return fail(err)
	}
	res.Dropped, res.dropped, res.Keys = len(dropped), dropped, len(keys)
	return newSnapshot(keys, prev, url, resp.Header.Get("ETag")), res
}

// newSnapshot indexes keys by kid. A key that prev holds too keeps its
// identity: pointer equality means "still published".
func newSnapshot(keys []*Key, prev *snapshot, url, etag string) *snapshot {
	next := &snapshot{byKid: make(map[string][]*Key, len(keys)), url: url, fetched: time.Now(), etag: etag}
	for _, k := range keys {
		if prev != nil {
			for _, old := range prev.byKid[k.ID] {
				if old.equal(k) {
					k = old
					break
				}
			}
		}
		next.keys = append(next.keys, k)
		next.byKid[k.ID] = append(next.byKid[k.ID], k)
	}
	return next
}

// refreshInterval reads max-age from a Cache-Control header and clamps it to
// [lo, hi]; without a usable max-age it is hi.
func refreshInterval(cacheControl string, lo, hi time.Duration) time.Duration {
	for _, dir := range strings.Split(cacheControl, ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(dir), "=")
		if !strings.EqualFold(name, "max-age") {
			continue
		}
		secs, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64)
		if err != nil || secs < 0 {
			return hi
		}
		if secs > int64(hi/time.Second) {
			return hi
		}
		return max(time.Duration(secs)*time.Second, lo)
	}
	return hi
}
