package introspect

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sync/singleflight"

	"github.com/tokenguard/tokenguard/internal/discovery"
	"github.com/tokenguard/tokenguard/internal/fetch"
	"github.com/tokenguard/tokenguard/internal/jose"
	"github.com/tokenguard/tokenguard/jwtverify"
)

// Client asks an authorization server whether access tokens are active (RFC
// 7662) and caches the answers. It is safe for concurrent use. Each call to
// the server runs in a goroutine that belongs to the Client and ends, at the
// latest, in [Client.Close].
type Client struct {
	endpoint      string
	http          *http.Client
	auth          *clientAuth
	issuer        string
	requireIssuer bool
	audiences     map[string]struct{}
	audienceList  []string // Config.Audiences, for errors
	leeway        time.Duration
	timeout       time.Duration
	activeTTL     time.Duration
	inactiveTTL   time.Duration
	maxBody       int64
	maxToken      int
	now           func() time.Time
	logger        *slog.Logger
	hooks         Hooks
	cache         *resultCache
	slots         chan struct{} // MaxConcurrentCalls
	calls         singleflight.Group

	life   context.Context // ended by Close; bounds every call
	cancel context.CancelFunc

	mu        sync.Mutex // guards closed with respect to Close
	closed    bool
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// Defaults of the zero fields of [Config], stated in their docs.
const (
	defaultTimeout            = 5 * time.Second
	defaultCacheTTL           = 5 * time.Minute
	defaultInactiveCacheTTL   = 30 * time.Second
	defaultCacheSize          = 10000
	defaultMaxBodyBytes       = 64 << 10
	defaultMaxTokenBytes      = 16 << 10
	defaultMaxConcurrentCalls = 100
	defaultLeeway             = 60 * time.Second
)

// New checks cfg and returns a ready Client. When cfg.Endpoint is empty it
// discovers the introspection endpoint from cfg.Issuer's metadata; ctx bounds
// only that start-up I/O. A configuration mistake, including metadata that
// names another issuer or a URL that may not be used, is an error matching
// [jwtverify.ErrConfig]; a discovery that gets no answer is an
// [EndpointError] (matching [jwtverify.ErrUnavailable]). Nothing keeps
// running after an error.
func New(ctx context.Context, cfg Config) (*Client, error) {
	c, err := newClient(&cfg)
	if err != nil {
		return nil, err
	}
	// Client authentication is checked before any I/O: it does not depend
	// on the discovered metadata.
	if c.auth, err = newClientAuth(&cfg); err != nil {
		return nil, err
	}
	if c.endpoint, err = endpoint(ctx, &cfg, c.timeout); err != nil {
		return nil, err
	}
	c.http = fetch.Client(cfg.HTTPClient, callTimeout(cfg.HTTPClient, c.timeout), fetch.NoRedirects) // a 3xx is refused, never followed
	c.life, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

// newClient checks the settings of cfg that need no I/O and returns a
// Client with them and its cache.
func newClient(cfg *Config) (*Client, error) {
	if err := checkLimits(cfg); err != nil {
		return nil, err
	}
	audiences, err := audienceSet(cfg)
	if err != nil {
		return nil, err
	}
	c := &Client{
		requireIssuer: cfg.RequireIssuer,
		issuer:        cfg.Issuer,
		audiences:     audiences,
		audienceList:  slices.Clone(cfg.Audiences),
		leeway:        orDefault(cfg.Leeway, defaultLeeway),
		timeout:       orDefault(cfg.Timeout, defaultTimeout),
		activeTTL:     orDefault(cfg.CacheTTL, defaultCacheTTL),
		inactiveTTL:   orDefault(cfg.InactiveCacheTTL, defaultInactiveCacheTTL),
		maxBody:       orDefault(cfg.MaxBodyBytes, defaultMaxBodyBytes),
		maxToken:      orDefault(cfg.MaxTokenBytes, defaultMaxTokenBytes),
		now:           cfg.Now,
		logger:        cfg.Logger,
		hooks:         cfg.Hooks,
		slots:         make(chan struct{}, orDefault(cfg.MaxConcurrentCalls, defaultMaxConcurrentCalls)),
	}
	if c.now == nil {
		c.now = time.Now
	}
	if size := orDefault(cfg.CacheSize, defaultCacheSize); size > 0 {
		c.cache = newResultCache(size)
	}
	return c, nil
}

// checkLimits refuses negative limits, and RequireIssuer without an
// Issuer. CacheTTL, InactiveCacheTTL and CacheSize are not checked: a
// negative one is the documented way to keep nothing.
func checkLimits(cfg *Config) error {
	for _, n := range []struct {
		name     string
		negative bool
	}{
		{"Leeway", cfg.Leeway < 0},
		{"Timeout", cfg.Timeout < 0},
		{"MaxBodyBytes", cfg.MaxBodyBytes < 0},
		{"MaxTokenBytes", cfg.MaxTokenBytes < 0},
		{"MaxConcurrentCalls", cfg.MaxConcurrentCalls < 0},
	} {
		if n.negative {
			return fmt.Errorf("%w: Config.%s must not be negative", errConfig, n.name)
		}
	}
	if cfg.RequireIssuer && cfg.Issuer == "" {
		return fmt.Errorf("%w: Config.RequireIssuer is set but Config.Issuer is empty", errConfig)
	}
	return nil
}

// audienceSet returns the accepted audiences, nil when the check is off.
func audienceSet(cfg *Config) (map[string]struct{}, error) {
	switch {
	case len(cfg.Audiences) == 0 && !cfg.InsecureSkipAudienceCheck:
		return nil, fmt.Errorf("%w: Config.Audiences is required (the aud values of this service's tokens); "+
			"set InsecureSkipAudienceCheck instead only if every access token of the server is meant for this service", errConfig)
	case len(cfg.Audiences) > 0 && cfg.InsecureSkipAudienceCheck:
		return nil, fmt.Errorf("%w: Config.Audiences is set together with InsecureSkipAudienceCheck; set one of them", errConfig)
	case cfg.InsecureSkipAudienceCheck:
		return nil, nil
	}
	set := make(map[string]struct{}, len(cfg.Audiences))
	for _, a := range cfg.Audiences {
		if a == "" {
			return nil, fmt.Errorf("%w: Config.Audiences holds an empty string", errConfig)
		}
		set[a] = struct{}{}
	}
	return set, nil
}

// endpoint returns the introspection endpoint: cfg.Endpoint, checked, or the
// one cfg.Issuer's metadata names.
func endpoint(ctx context.Context, cfg *Config, timeout time.Duration) (string, error) {
	if cfg.Endpoint != "" {
		if _, err := fetch.CheckURL(cfg.Endpoint); err != nil {
			return "", fmt.Errorf("%w: Config.Endpoint: %w", errConfig, err)
		}
		return cfg.Endpoint, nil
	}
	if cfg.Issuer == "" {
		return "", fmt.Errorf("%w: Config.Endpoint is required (or Config.Issuer, to discover it)", errConfig)
	}
	return discover(ctx, cfg, timeout)
}

// callTimeout is the timeout of each request: Config.Timeout, or the
// caller's client's own Timeout when that is shorter.
func callTimeout(base *http.Client, timeout time.Duration) time.Duration {
	if base != nil && base.Timeout > 0 {
		return min(timeout, base.Timeout)
	}
	return timeout
}

// orDefault returns def for a zero v.
func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// discover returns the introspection endpoint of cfg.Issuer's metadata.
// Mistakes of configuration or metadata are errConfig errors; only a missing
// answer is an EndpointError.
func discover(ctx context.Context, cfg *Config, timeout time.Duration) (string, error) {
	if _, err := fetch.CheckURL(cfg.Issuer); err != nil {
		return "", fmt.Errorf("%w: Config.Issuer: %w", errConfig, err)
	}
	client := fetch.Client(cfg.HTTPClient, callTimeout(cfg.HTTPClient, timeout), fetch.SameHost)
	m, err := discovery.Discover(ctx, client, cfg.Issuer)
	if err != nil {
		return "", discoveryError(cfg, err)
	}
	if m.IntrospectionEndpoint == "" {
		return "", fmt.Errorf("%w: the metadata of Config.Issuer %q has no introspection_endpoint; set Config.Endpoint", errConfig, cfg.Issuer)
	}
	if _, err := fetch.CheckURL(m.IntrospectionEndpoint); err != nil {
		return "", fmt.Errorf("%w: the metadata of Config.Issuer %q names an introspection_endpoint that may not be used: %w", errConfig, cfg.Issuer, err)
	}
	return m.IntrospectionEndpoint, nil
}

// discoveryError sorts a failed discovery: metadata that names another
// issuer or a URL that may not be fetched is a configuration mistake; the
// rest is an outage.
func discoveryError(cfg *Config, err error) error {
	var mismatch *discovery.IssuerMismatchError
	switch {
	case errors.As(err, &mismatch):
		return &withCause{fmt.Errorf("%w: the metadata of Config.Issuer %q names the issuer %s; "+
			"Config.Issuer must be exactly the issuer identifier the server publishes", errConfig, mismatch.Want, quote(mismatch.Got)), mismatch}
	case errors.Is(err, fetch.ErrInsecureURL):
		return fmt.Errorf("%w: discovering the introspection endpoint: %w", errConfig, err)
	}
	return &EndpointError{Endpoint: cfg.Issuer, Err: fmt.Errorf("discovering the introspection endpoint: %w", err)}
}

// quote renders a remote string briefly and safely for an error message.
func quote(s string) string { return strconv.Quote(fetch.Excerpt(s)) }

// Close stops the client: calls in flight are cancelled, their waiters get an
// error matching [ErrClosed], and Close waits for every goroutine the client
// started. It is safe to call more than once and from several goroutines.
// After Close, Authenticate answers from the cache only.
func (c *Client) Close() {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.cancel()
		c.mu.Unlock()
		c.wg.Wait()
	})
}

// Authenticate asks the authorization server whether token is active (or
// finds the answer in the cache) and returns the claims of its response: the
// RFC 7662 members scope, client_id, username, token_type, exp, iat, nbf,
// sub, aud, iss and jti, the cnf, acr and auth_time claims, typed, and the
// whole response for
// [jwtverify.Claims.Decode]. Like every Claims, the result is read-only.
//
// A token is accepted only when the response's active member is the JSON
// boolean true, the response describes an access token (token_type, when
// present, is Bearer, DPoP or access_token in any case; Ory Hydra's
// token_use, when present, is access_token; Keycloak's typ, when present, is
// Bearer or DPoP: refresh and ID tokens are refused), exp has not passed and
// nbf has come (both with Config.Leeway), iss is Config.Issuer (when set and
// present) and aud names one of Config.Audiences (unless
// InsecureSkipAudienceCheck). Concurrent calls for the same token share one
// call to the server; ctx ends only this caller's wait.
//
// It does NOT check that the token was issued for the client presenting it
// (DPoP, mTLS: a DPoP-bound token is accepted like a bearer token), nor any
// scope: use [jwtverify.Claims.HasScope] or the middleware's scope
// requirements.
//
// Errors match [jwtverify.ErrInvalidToken] (see [ErrInactive], the time,
// issuer and audience errors of jwtverify, and [jwtverify.ErrType] for a
// token that is not an access token) or [jwtverify.ErrUnavailable] (see
// [ErrEndpoint] and [ErrClosed]): it fails closed.
func (c *Client) Authenticate(ctx context.Context, token string) (*jwtverify.Claims, error) {
	if token == "" {
		return nil, &jwtverify.MalformedError{Reason: "empty token"}
	}
	if len(token) > c.maxToken {
		return nil, &jwtverify.MalformedError{Reason: fmt.Sprintf("token is %d bytes, over the limit of %d (Config.MaxTokenBytes)", len(token), c.maxToken)}
	}
	// The bytes are only read: no copy of the token for hashing.
	key := sha256.Sum256(unsafe.Slice(unsafe.StringData(token), len(token)))
	now := c.now()
	r, ok := c.cache.get(&key, now)
	if !ok {
		var err error
		if r, err = c.shared(ctx, &key, token); err != nil {
			return nil, err
		}
		now = c.now()
	}
	return c.accept(ctx, r, now)
}

// accept applies the local checks to a result and returns a copy of its
// claims.
func (c *Client) accept(ctx context.Context, r *result, now time.Time) (*jwtverify.Claims, error) {
	var err error
	switch {
	case r.inactive != nil:
		err = r.inactive
	case r.kind != nil:
		err = r.kind
	default:
		err = c.check(r.claims, now)
	}
	if err != nil {
		if c.logger != nil {
			c.logger.LogAttrs(ctx, slog.LevelDebug, "introspect: token rejected", slog.String("reason", err.Error()))
		}
		return nil, err
	}
	return r.claims.Clone(), nil
}

func (c *Client) check(cl *jwtverify.Claims, now time.Time) error {
	if !cl.Expiry.IsZero() && now.After(cl.Expiry.Add(c.leeway)) {
		return &jwtverify.ExpiredError{Expiry: cl.Expiry, Now: now, Leeway: c.leeway}
	}
	if !cl.NotBefore.IsZero() && now.Add(c.leeway).Before(cl.NotBefore) {
		return &jwtverify.NotYetValidError{Claim: "nbf", Time: cl.NotBefore, Now: now, Leeway: c.leeway}
	}
	if c.issuer != "" {
		if cl.Issuer == "" {
			if c.requireIssuer {
				return &jwtverify.MissingClaimError{Claim: "iss"}
			}
		} else if cl.Issuer != c.issuer {
			return &jwtverify.IssuerError{Got: cl.Issuer, Want: []string{c.issuer}}
		}
	}
	if c.audiences != nil {
		if len(cl.Audience) == 0 {
			return &jwtverify.MissingClaimError{Claim: "aud"}
		}
		ok := false
		for _, a := range cl.Audience {
			if _, ok = c.audiences[a]; ok {
				break
			}
		}
		if !ok {
			return &jwtverify.AudienceError{Got: cl.Audience, Want: c.audienceList}
		}
	}
	return nil
}

// maxMembers bounds the members of a response, as jwtverify does for claims.
const maxMembers = 256

// parseResponse reads an introspection response. Only the JSON boolean true
// makes a token active; a body that is not one well-formed JSON object, or
// whose registered members have the wrong types, is an error (the server is
// broken, not the token).
//
// An active result whose members say it describes no access token (see
// jose.KindClaim) carries the reason in kind.
func parseResponse(data []byte) (*result, error) {
	var active []byte
	var kind *kindError // the first kind claim that names no access token
	err := jose.ScanObject(data, maxMembers, func(name, value []byte) error {
		if string(name) == "active" {
			active = value
			return nil
		}
		if k := jose.Kind(name); k != nil && kind == nil {
			kind = checkKind(k, value)
		}
		return nil
	})
	if err != nil {
		return nil, &errResponse{"is not a well-formed JSON object: " + err.Error()}
	}
	switch {
	case active == nil:
		return &result{inactive: errInactiveMissing}, nil
	case string(active) == "false":
		return &result{inactive: errInactiveFalse}, nil
	case string(active) != "true":
		return &result{inactive: errInactiveType}, nil
	}
	cl, err := jwtverify.ParseClaims(data)
	if err != nil {
		var me *jwtverify.MalformedError
		if errors.As(err, &me) {
			// Not wrapped: a broken response is no reason to blame the token.
			return nil, &errResponse{"is malformed: " + me.Reason}
		}
		return nil, &errResponse{"is malformed"}
	}
	return &result{claims: cl, kind: kind}, nil
}

// LogValue implements [slog.LogValuer]: it logs the endpoint and client ID,
// never a credential.
func (c *Client) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("endpoint", c.endpoint),
		slog.String("auth_method", string(c.auth.method)),
		slog.String("client_id", c.auth.clientID),
	)
}

// String describes the client without its credentials, so that fmt's %v and
// %+v never print them.
func (c *Client) String() string {
	return "introspect.Client{endpoint=" + c.endpoint + " auth_method=" + string(c.auth.method) + "}"
}

// GoString is String, so that %#v redacts too.
func (c *Client) GoString() string { return c.String() }
