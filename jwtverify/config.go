package jwtverify

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/tokenguard/tokenguard/jwks"
)

// Defaults of [Config]; each applies when its field is zero.
const (
	DefaultLeeway        = 60 * time.Second
	DefaultMaxTokenBytes = 8 << 10
	DefaultCacheSize     = 4096
	DefaultMaxIssuers    = 100
)

// DefaultAlgorithms returns the algorithms accepted when [Config.Algorithms]
// is empty: every supported asymmetric algorithm. HMAC and "none" are never
// supported: a JWK Set publishes public keys, and a public key must never act
// as a shared secret. Each call returns a new slice.
func DefaultAlgorithms() []string {
	return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}
}

// Config configures a [Verifier]. Issuer (or Issuers, or IssuerResolver) and
// Audiences are required; every other zero field means the documented safe
// default. [New] copies the Config: later changes to it have no effect.
type Config struct {
	// Issuer is the accepted iss, compared exactly (a trailing slash
	// matters). Unless JWKSURL is set, the key set is found through the
	// issuer's metadata (OpenID Connect Discovery, then RFC 8414).
	Issuer string
	// JWKSURL is the key set of Issuer. If empty, it is discovered.
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
	// empty, [DefaultAlgorithms] are used. HMAC and "none" are refused.
	Algorithms []string
	// Leeway is the clock skew allowed when checking exp, nbf and iat. If
	// zero, 60s is used.
	Leeway time.Duration
	// MaxTokenBytes bounds the length of a token. If zero, 8 KiB is used.
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
	// timeout is used. A caller's client is copied, never modified.
	HTTPClient *http.Client
	// RefreshInterval is the background refresh period of key sets. If
	// zero, 10 minutes (or a shorter Cache-Control max-age, down to 1m).
	RefreshInterval time.Duration
	// KeyCache tunes the key cache further (timeouts, body limit, stale
	// keys, unknown-kid budget, hooks). HTTPClient, RefreshInterval and
	// Logger above take precedence over its fields when set.
	KeyCache jwks.Config

	// Logger receives key-source failures. If nil, nothing is logged.
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
