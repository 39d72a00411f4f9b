package jwks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"github.com/tokenguard/tokenguard/internal/fetch"
)

// Fixed behaviour, documented in the package comment.
const (
	defaultTimeout     = 5 * time.Second  // per request, when the client has none
	maxBodyBytes       = 1 << 20          // of a key set
	minRefreshInterval = time.Minute      // the shortest Cache-Control max-age obeyed
	missBudget         = 3                // unknown-kid refreshes that miss, per missWindow
	missWindow         = 30 * time.Second // and how long a missed kid stays "unknown"
)

// Defaults of the zero fields of [Config].
const (
	defaultRefreshInterval = 10 * time.Minute
	defaultMaxStale        = 24 * time.Hour
	defaultMaxSets         = 100
)

// Errors of this package. Failures to fetch match [ErrFetch]; lookups of
// kids that the set does not hold match [ErrUnknownKey].
var (
	// ErrFetch is the category of every failure to get a key set or issuer
	// metadata: network errors, timeouts, bad status, bad content, oversized
	// bodies, refused URLs and refused metadata. A well-formed key set that
	// holds no usable key is not a failure: its keys are simply none.
	ErrFetch = errors.New("jwks: key set unavailable")
	// ErrUnknownKey reports a kid that the set does not hold, even after a
	// refresh (or when the refresh budget for unknown kids is spent).
	ErrUnknownKey = errors.New("jwks: unknown key id")
	// errStale reports a set whose last successful fetch is older than
	// [Config.MaxStale]: its keys are no longer served. It matches ErrFetch.
	errStale = fmt.Errorf("%w: keys are older than Config.MaxStale and no refresh succeeded", ErrFetch)
	// ErrClosed reports use of a [Cache] after Close. It matches ErrFetch.
	ErrClosed = fmt.Errorf("%w: cache closed", ErrFetch)
)

// RetryError is a failure to get a key set's keys that says when the set
// will next be fetched: every error of [Set.Key] and [Cache.Set] that comes
// from a failed fetch, or from the backoff after one, is one. It matches Err;
// its text is that of Err.
type RetryError struct {
	Err error
	// At is when the set's next fetch attempt may start: the end of its
	// backoff, when the background refresh retries (and an on-demand fetch
	// may start again).
	At time.Time
}

func (e *RetryError) Error() string { return e.Err.Error() }
func (e *RetryError) Unwrap() error { return e.Err }

// RetryAfter returns the time from now until the next fetch attempt of the
// key set whose failure err reports, bounded by [fetch.RetrySeconds] (whole
// seconds from 1s to 5m), or zero when err carries no [RetryError] (a caller
// that gave up waiting, a closed cache, a kid that is simply unknown). It
// reads the real clock, as the backoff does.
func RetryAfter(err error) time.Duration {
	var re *RetryError
	if !errors.As(err, &re) {
		return 0
	}
	return fetch.RetrySeconds(time.Until(re.At))
}

// fetchError describes a failed fetch of a key set. It matches [ErrFetch]
// and the underlying cause.
type fetchError struct {
	URL string
	Err error
}

func (e *fetchError) Error() string {
	var ue *fetch.URLError
	if errors.As(e.Err, &ue) && ue.URL == e.URL {
		return "jwks: " + e.Err.Error() // the URL may not be fetched; the cause names it
	}
	return "jwks: fetch " + e.URL + ": " + e.Err.Error()
}

func (e *fetchError) Unwrap() []error { return []error{ErrFetch, e.Err} }

// Config configures a [Cache]. The zero value is ready to use: every zero
// field means the documented default. [New] refuses negative values.
type Config struct {
	// HTTPClient makes the requests. If nil, a client with a 5s timeout is
	// used. A caller's client is copied, never modified: its transport,
	// proxy and TLS settings are kept, its own Timeout (5s if zero) bounds
	// each request, body included, and redirects are followed only to the
	// same scheme and host.
	HTTPClient *http.Client
	// RefreshInterval is how often a set is refreshed in the background
	// at most apart. A shorter Cache-Control max-age brings the refresh
	// forward, down to 1 minute (or RefreshInterval, if shorter). If zero,
	// 10 minutes is used.
	RefreshInterval time.Duration
	// MaxStale bounds how long the keys of the last good fetch (and the
	// issuer metadata read last) are served while refreshes fail
	// (stale-if-error). A well-formed answer without usable keys is not a
	// failure: it replaces the keys at once. If zero, 24 hours is used.
	MaxStale time.Duration
	// MaxSets bounds how many key sets (and issuer metadata documents) are
	// kept; the least recently used is dropped first. If zero, 100 is used.
	MaxSets int
	// Logger receives fetch failures (Warn), key sets without any usable
	// key and metadata that is refused (Error), dropped keys and moved key
	// sets (Info). If nil, nothing is logged.
	Logger *slog.Logger
}

// settings is a Config with its defaults applied.
type settings struct {
	refresh    time.Duration // RefreshInterval
	minRefresh time.Duration // min(minRefreshInterval, refresh)
	maxStale   time.Duration
	logger     *slog.Logger
}

// Cache fetches, caches and refreshes JWK Sets and issuer metadata. It is
// safe for concurrent use. Every background goroutine it starts belongs to it
// and ends in [Cache.Close].
type Cache struct {
	cfg    settings
	client *http.Client

	life   context.Context // ended by Close; bounds all shared fetches
	cancel context.CancelFunc

	mu   sync.Mutex // guards sets, meta and closed with respect to Close
	sets *lru.Cache[string, *Set]
	meta *lru.Cache[string, *issuerMeta]
	// metaFlight makes concurrent metadata reads of one issuer one read.
	metaFlight singleflight.Group
	closed     bool
	wg         sync.WaitGroup
	closeOne   sync.Once
}

// New returns a Cache for cfg. It does no I/O. A negative value in cfg is
// an error.
func New(cfg Config) (*Cache, error) {
	switch {
	case cfg.RefreshInterval < 0:
		return nil, fmt.Errorf("jwks: Config.RefreshInterval is %v; it must not be negative", cfg.RefreshInterval)
	case cfg.MaxStale < 0:
		return nil, fmt.Errorf("jwks: Config.MaxStale is %v; it must not be negative", cfg.MaxStale)
	case cfg.MaxSets < 0:
		return nil, fmt.Errorf("jwks: Config.MaxSets is %d; it must not be negative", cfg.MaxSets)
	}
	st := settings{refresh: orDefault(cfg.RefreshInterval, defaultRefreshInterval), maxStale: orDefault(cfg.MaxStale, defaultMaxStale), logger: cfg.Logger}
	st.minRefresh = min(minRefreshInterval, st.refresh)
	timeout := defaultTimeout
	if cfg.HTTPClient != nil && cfg.HTTPClient.Timeout > 0 {
		timeout = cfg.HTTPClient.Timeout
	}
	c := &Cache{cfg: st, client: fetch.Client(cfg.HTTPClient, timeout, fetch.SameHost)}
	c.life, c.cancel = context.WithCancel(context.Background())
	maxSets := orDefault(cfg.MaxSets, defaultMaxSets)
	c.sets, _ = lru.NewWithEvict(maxSets, func(_ string, s *Set) { s.stop() })
	c.meta, _ = lru.New[string, *issuerMeta](maxSets)
	return c, nil
}

// orDefault returns def for a zero v.
func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Close stops every background refresh and waits for in-flight fetches to
// end. Callers waiting on a fetch get an error matching [ErrClosed]. Close is
// safe to call more than once; later calls return at once.
func (c *Cache) Close() {
	c.closeOne.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.cancel()
		c.sets.Purge()
		c.mu.Unlock()
		c.wg.Wait()
	})
}

// hold counts the caller's goroutine in what Close waits for, unless the
// cache is closed; the caller then calls c.wg.Done when it ends.
func (c *Cache) hold() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.wg.Add(1)
	return true
}

// goOwned runs f in a goroutine that Close waits for, unless the cache is
// closed.
func (c *Cache) goOwned(f func()) bool {
	if !c.hold() {
		return false
	}
	go func() {
		defer c.wg.Done()
		f()
	}()
	return true
}

// Set returns the key set at url, fetching it first if the cache does not
// hold it yet; it then keeps it fresh in the background. ctx bounds only this
// call's wait, never the shared fetch. url must be https (http only for
// loopback hosts). A set that holds no usable key is not an error (the
// issuer may have withdrawn its keys); it is logged at Error level.
func (c *Cache) Set(ctx context.Context, url string) (*Set, error) {
	if _, err := fetch.CheckURL(url); err != nil {
		return nil, &fetchError{URL: url, Err: err}
	}
	return c.open(ctx, url, url, "")
}

// IssuerSet returns the key set of issuer, found through its metadata (as
// [Cache.Discover] finds it) and fetched first if the cache does not hold it
// yet. The cache then keeps it fresh in the background and reads the metadata
// again when it is older than RefreshInterval (one minute when a kid
// is unknown) and before each retry after a failed fetch, so that a jwks_uri
// the issuer moves is followed without a restart. The keys of the old
// jwks_uri are served until the new one has been fetched; metadata that
// cannot be read, names another issuer, or names a jwks_uri that may not be
// fetched keeps the current keys, and is logged. The *Set stays the same
// across moves, so [Set.Contains] keeps its meaning. ctx bounds only this
// call's wait.
func (c *Cache) IssuerSet(ctx context.Context, issuer string) (*Set, error) {
	if _, err := fetch.CheckURL(issuer); err != nil {
		return nil, &fetchError{URL: issuer, Err: err}
	}
	// A NUL never appears in a URL that Set accepts: no key collides.
	return c.open(ctx, "\x00issuer "+issuer, "", issuer)
}

// open returns the set cached under key, creating it (and its refresh loop)
// when absent, and waits for its first keys.
func (c *Cache) open(ctx context.Context, key, url, issuer string) (*Set, error) {
	s, err := c.set(key, url, issuer)
	if err != nil {
		return nil, err
	}
	if _, err := s.snapshot(ctx); err != nil {
		return s, err
	}
	return s, nil
}

// Lookup returns the set at url without fetching or waiting; ok is false
// when the cache does not hold it. jwtverify uses it on every request of an
// issuer of its IssuerResolver, before falling back to [Cache.Set].
func (c *Cache) Lookup(url string) (*Set, bool) {
	return c.sets.Get(url)
}

func (c *Cache) set(key, url, issuer string) (*Set, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if s, ok := c.sets.Get(key); ok {
		return s, nil
	}
	s := newSet(c, url, issuer)
	c.sets.Add(key, s)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		s.loop()
	}()
	return s, nil
}

func (c *Cache) log(ctx context.Context, level slog.Level, msg string, attrs ...slog.Attr) {
	if c.cfg.logger != nil {
		c.cfg.logger.LogAttrs(ctx, level, msg, attrs...)
	}
}
