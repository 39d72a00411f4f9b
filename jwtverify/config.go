package jwtverify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tokenguard/tokenguard/internal/discovery"
	"github.com/tokenguard/tokenguard/internal/fetch"
	"github.com/tokenguard/tokenguard/internal/jose"
)

// Defaults of the zero fields of [Config], stated in their docs.
const (
	defaultLeeway        = 60 * time.Second
	defaultMaxTokenBytes = 16 << 10
	defaultCacheSize     = 4096
	defaultMaxIssuers    = 100
)

// Config configures a [Verifier]. Issuer (or Issuers, or IssuerResolver) and
// Audiences are required; every other zero field means the documented safe
// default, and no number or duration may be negative unless its doc says
// what a negative value means. [New] copies the Config: later changes to it
// have no effect. Its mistakes are errors of New matching [ErrConfig].
type Config struct {
	// Issuer is the accepted iss, compared exactly (a trailing slash
	// matters). Unless JWKSURL is set, the key set is found through the
	// issuer's metadata (OpenID Connect Discovery, then RFC 8414), and
	// Issuer must then be an https URL (http only for loopback hosts). The
	// metadata is read again as the keys are refreshed, so a key set that
	// the issuer moves to another jwks_uri is followed without a restart.
	Issuer string
	// JWKSURL is the key set of Issuer: an https URL (http only for
	// loopback hosts). If empty, it is discovered.
	JWKSURL string
	// Issuers lists more trusted issuers, each with its own keys: keys of
	// one issuer never verify a token that names another.
	Issuers []IssuerConfig
	// IssuerResolver, if set, is asked about an iss that is neither Issuer
	// nor in Issuers. It returns the issuer's JWK Set URL ("" to discover
	// it from the issuer's metadata), or an error to refuse the issuer;
	// refused issuers never cause a fetch. It must be safe for concurrent
	// use and should be fast: it runs on every request of such an issuer,
	// tokens in the verified-token cache included, so that refusing an
	// issuer takes effect at once.
	// Key sets of resolved issuers are kept in an LRU of MaxIssuers.
	IssuerResolver func(ctx context.Context, iss string) (jwksURL string, err error)
	// MaxIssuers bounds how many resolved issuers' key sets are kept. If
	// zero, 100 is used.
	MaxIssuers int

	// Audiences are the accepted aud values; a token must name at least
	// one. Required unless InsecureSkipAudienceCheck is set.
	Audiences []string
	// InsecureSkipAudienceCheck accepts tokens whatever their aud. Only
	// safe when every token the issuer signs is meant for this service.
	InsecureSkipAudienceCheck bool

	// Algorithms is the allow-list of alg values, compared exactly. If
	// empty, every supported algorithm is allowed: RS256, RS384, RS512,
	// PS256, PS384, PS512, ES256, ES384, ES512, EdDSA and Ed25519. HMAC and
	// "none" are never supported: a JWK Set publishes public keys, and a
	// public key must never act as a shared secret.
	Algorithms []string
	// Leeway is the clock skew allowed when checking exp, nbf and iat. If
	// zero, 60s is used.
	Leeway time.Duration
	// MaxTokenBytes bounds the length of a token. If zero, 16 KiB is used
	// (an Entra ID token of a user in 200 groups is about 12 KB).
	MaxTokenBytes int

	// StrictRFC9068 enforces the JWT access token profile of RFC 9068:
	// typ must be at+jwt (or application/at+jwt), and sub, client_id, iat
	// and jti are required. When false, typ may also be JWT or absent, as
	// many servers still issue; every other explicit typ (id tokens marked
	// as such, dpop+jwt, logout+jwt, secevent+jwt, token-introspection+jwt,
	// ...) is always refused.
	StrictRFC9068 bool
	// RequiredClaims are claim names that must be present, in addition to
	// exp and iss (and aud unless InsecureSkipAudienceCheck).
	RequiredClaims []string
	// Validators are custom checks run, in order, after every built-in
	// check passed, on every Verify (cached tokens included). A non-nil
	// error rejects the token as invalid_token; wrap [ErrUnavailable] to
	// answer 503 instead. They must be safe for concurrent use and must not
	// modify c.
	Validators []func(ctx context.Context, c *Claims) error

	// CacheSize bounds the cache of verified tokens, which lets a token
	// seen before skip parsing and signature checking (its times are still
	// checked on every hit, and an entry dies with the key that verified
	// it). If zero, 4096 entries are kept: about 3 KiB each for a 1 KiB
	// token, token included, so 12 MiB at most; a negative value turns
	// the cache off.
	CacheSize int

	// HTTPClient fetches metadata and key sets. If nil, a client with a 5s
	// timeout is used. A caller's client is copied, never modified: its
	// transport, proxy and TLS settings are kept, its own Timeout (5s if
	// zero) bounds each request, body included, and redirects are followed
	// only to the same scheme and host (three at most).
	//
	// Fixed limits apply to what it fetches: a key set or metadata document
	// of at most 1 MiB; after a failed fetch, retries back off from 1s,
	// doubling up to 5 minutes (or RefreshInterval, if shorter); at most 3
	// refreshes for unknown kids that find nothing per 30s, past which
	// unknown kids fail at once without a request, and a kid that a refresh
	// did not find is answered "unknown" for 30s without asking again.
	HTTPClient *http.Client
	// RefreshInterval is the background refresh period of key sets, and
	// of the issuer metadata that finds them. A shorter Cache-Control
	// max-age on a key set brings its refresh forward, down to 1 minute
	// (or RefreshInterval, if shorter). If zero, 10 minutes is used.
	RefreshInterval time.Duration
	// MaxStale bounds how long the keys of the last good fetch are served
	// while refreshes fail (stale-if-error); past it, tokens of that
	// issuer fail with [ErrUnavailable] until a fetch succeeds. A
	// well-formed key set without usable keys is no failure: it replaces
	// the keys at once. If zero, 24 hours is used.
	MaxStale time.Duration

	// Logger receives key-source failures (Warn); key sets that hold no
	// usable key, whose tokens are all rejected, and issuer metadata that is
	// refused (Error); dropped keys and moved key sets (Info). If nil,
	// nothing is logged.
	Logger *slog.Logger
	// Now returns the current time. If nil, time.Now is used.
	Now func() time.Time
}

// IssuerConfig is one more trusted issuer for [Config.Issuers].
type IssuerConfig struct {
	// Issuer is the accepted iss, compared exactly.
	Issuer string
	// JWKSURL is its key set; if empty, discovered from its metadata.
	JWKSURL string
}

// orDefault returns def for a zero v.
func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// configErrorf returns an error matching [ErrConfig] whose text is
// "jwtverify: invalid configuration: " and the formatted message.
func configErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
}

// configError is a configuration mistake found in what a key source
// answered. It matches [ErrConfig] and its cause.
type configError struct {
	msg   string
	cause error
}

func (e *configError) Error() string   { return ErrConfig.Error() + ": " + e.msg }
func (e *configError) Unwrap() []error { return []error{ErrConfig, e.cause} }

// errNoJWKSURI reports metadata without a jwks_uri at start-up.
var errNoJWKSURI = errors.New("the issuer's metadata names no jwks_uri")

// staticIssuer is a configured issuer with the names of its Config fields,
// for error messages.
type staticIssuer struct {
	IssuerConfig
	issuerField, jwksField string
}

// checkConfig reports the first mistake in cfg, before any I/O, and returns
// the configured issuers.
func checkConfig(cfg *Config) ([]staticIssuer, error) {
	if err := checkLimits(cfg); err != nil {
		return nil, err
	}
	if err := checkChecks(cfg); err != nil {
		return nil, err
	}
	return staticIssuers(cfg)
}

// checkLimits refuses negative numbers and durations. CacheSize is not
// checked: a negative one is the documented way to turn the cache off.
func checkLimits(cfg *Config) error {
	for _, d := range []struct {
		name string
		val  time.Duration
		zero string
	}{
		{"Leeway", cfg.Leeway, "60s"},
		{"RefreshInterval", cfg.RefreshInterval, "10m, or a shorter Cache-Control max-age"},
		{"MaxStale", cfg.MaxStale, "24h"},
	} {
		if d.val < 0 {
			return configErrorf("Config.%s is %v; it must not be negative (zero means %s)", d.name, d.val, d.zero)
		}
	}
	for _, n := range []struct {
		name string
		val  int
		zero string
	}{
		{"MaxTokenBytes", cfg.MaxTokenBytes, "16 KiB"},
		{"MaxIssuers", cfg.MaxIssuers, "100"},
	} {
		if n.val < 0 {
			return configErrorf("Config.%s is %d; it must not be negative (zero means %s)", n.name, n.val, n.zero)
		}
	}
	return nil
}

// checkChecks refuses unusable token checks: unknown algorithms, missing or
// empty audiences, empty required claim names, nil validators.
func checkChecks(cfg *Config) error {
	for i, f := range cfg.Validators {
		if f == nil {
			return configErrorf("Config.Validators[%d] is nil", i)
		}
	}
	for i, name := range cfg.Algorithms {
		if _, ok := jose.Lookup(name); !ok {
			return configErrorf("Config.Algorithms[%d] %q is not supported (supported: %s; HMAC and none never are)", i, name, strings.Join(jose.Names(), ", "))
		}
	}
	if len(cfg.Audiences) == 0 && !cfg.InsecureSkipAudienceCheck {
		return configErrorf("Config.Audiences is empty; list the aud values this service accepts (set InsecureSkipAudienceCheck only if every token of the issuer is meant for this service)")
	}
	for i, a := range cfg.Audiences {
		if a == "" {
			return configErrorf("Config.Audiences[%d] is empty", i)
		}
	}
	for i, name := range cfg.RequiredClaims {
		if name == "" {
			return configErrorf("Config.RequiredClaims[%d] is empty; name a claim", i)
		}
	}
	return nil
}

// staticIssuers returns Issuer and Issuers, each checked: named once, with
// a URL that may be fetched.
func staticIssuers(cfg *Config) ([]staticIssuer, error) {
	var static []staticIssuer
	if cfg.Issuer != "" {
		static = append(static, staticIssuer{IssuerConfig{cfg.Issuer, cfg.JWKSURL}, "Config.Issuer", "Config.JWKSURL"})
	} else if cfg.JWKSURL != "" {
		return nil, configErrorf("Config.JWKSURL is set but Config.Issuer is empty; set Config.Issuer to the iss of the tokens signed by its keys")
	}
	for i, ic := range cfg.Issuers {
		f := fmt.Sprintf("Config.Issuers[%d]", i)
		static = append(static, staticIssuer{ic, f + ".Issuer", f + ".JWKSURL"})
	}
	if len(static) == 0 && cfg.IssuerResolver == nil {
		return nil, configErrorf("Config.Issuer is empty; set it (or Issuers, or IssuerResolver) to the iss of the tokens to accept")
	}
	seen := make(map[string]string, len(static))
	for _, ic := range static {
		if ic.Issuer == "" {
			return nil, configErrorf("%s is empty", ic.issuerField)
		}
		if first, dup := seen[ic.Issuer]; dup {
			return nil, configErrorf("%s %q is configured twice (also as %s)", ic.issuerField, ic.Issuer, first)
		}
		seen[ic.Issuer] = ic.issuerField
		if err := ic.checkURL(); err != nil {
			return nil, err
		}
	}
	return static, nil
}

// checkURL refuses an issuer whose key set, or whose metadata, may not be
// fetched.
func (ic staticIssuer) checkURL() error {
	var ue *fetch.URLError
	if ic.JWKSURL != "" {
		if _, err := fetch.CheckURL(ic.JWKSURL); errors.As(err, &ue) {
			return configErrorf("%s %q %s", ic.jwksField, ic.JWKSURL, ue.Problem)
		}
	} else if _, err := fetch.CheckURL(ic.Issuer); errors.As(err, &ue) {
		return configErrorf("%s %q %s, and the key set is discovered from it unless %s is set", ic.issuerField, ic.Issuer, ue.Problem, ic.jwksField)
	}
	return nil
}

// startError turns a failure to get the keys of a configured issuer into a
// configuration error when the configuration, or the issuer's metadata, must
// change; outages stay [*KeySourceError].
func (ic staticIssuer) startError(err error) error {
	var mm *discovery.IssuerMismatchError
	var ue *fetch.URLError
	switch {
	case errors.As(err, &mm):
		hint := "check " + ic.issuerField + ", or the issuer setting of the authorization server"
		if strings.TrimSuffix(mm.Want, "/") == strings.TrimSuffix(mm.Got, "/") {
			hint = "they differ by a trailing slash, which matters: use the metadata's value, as tokens carry it in iss"
		}
		return &configError{msg: fmt.Sprintf("%s %q does not equal the issuer %q named by its metadata; %s", ic.issuerField, ic.Issuer, excerpt(mm.Got), hint), cause: mm}
	case errors.As(err, &ue):
		// Configured URLs were checked before any request: this one came
		// from the metadata.
		return configErrorf("the metadata of %s %q names jwks_uri %q, which %s; correct the authorization server's metadata, or set %s",
			ic.issuerField, ic.Issuer, excerpt(ue.URL), ue.Problem, ic.jwksField)
	case errors.Is(err, errNoJWKSURI):
		return configErrorf("the metadata of %s %q names no jwks_uri (an introspection-only server?); set %s, or use introspection", ic.issuerField, ic.Issuer, ic.jwksField)
	}
	var kse *KeySourceError
	if errors.As(err, &kse) {
		return err
	}
	return &KeySourceError{Issuer: ic.Issuer, Err: err}
}

// excerpt bounds a value that a remote server chose, for an error message.
func excerpt(s string) string {
	const max = 256
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
