package jwtverify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tokenguard/tokenguard/internal/jose"
	"github.com/tokenguard/tokenguard/internal/jwks"
)

// Verifier checks compact JWS access tokens against the keys of trusted
// issuers. It is safe for concurrent use. Its background key refresh runs
// until [Verifier.Close].
type Verifier struct {
	issuers   map[string]*jwks.Set // configured issuers and their keys
	resolver  func(context.Context, string) (string, error)
	static    *jwks.Cache
	dynamic   *jwks.Cache
	algs      map[string]*jose.Alg
	audiences map[string]struct{}
	skipAud   bool
	strict    bool
	required  []string
	valids    []func(context.Context, *Claims) error
	leeway    time.Duration
	maxLen    int
	now       func() time.Time
	cache     *tokenCache
}

// New checks cfg and returns a ready Verifier: it discovers each configured
// issuer's key set (unless its JWKS URL is given) and fetches it once. ctx
// bounds only that start-up I/O; key refresh afterwards runs until Close.
//
// A mistake in cfg is an error matching [ErrConfig], found before any
// request where it can be: a missing or negative setting, a URL that may not
// be fetched (https is required, http only for loopback hosts), and issuer
// metadata that contradicts cfg (it names another issuer, names a jwks_uri
// that may not be fetched, or names none). A key source that does not answer
// well is a [*KeySourceError] matching [ErrUnavailable]. On either error the
// Verifier is not returned and nothing keeps running.
//
// A key source that answers with a well-formed key set holding no usable key
// is not an error: the issuer is reachable and may have withdrawn its keys.
// New succeeds, Config.Logger gets an Error record that names the URL, and
// every token fails with [ErrUnknownKey] until the issuer publishes a key,
// which the first token signed with it brings in.
func New(ctx context.Context, cfg Config) (*Verifier, error) {
	static, err := checkConfig(&cfg)
	if err != nil {
		return nil, err
	}
	v := newVerifier(&cfg)
	if err := v.openCaches(&cfg, len(static)); err != nil {
		return nil, err
	}
	if err := v.openIssuers(ctx, static); err != nil {
		v.Close()
		return nil, err
	}
	return v, nil
}

// newVerifier prepares everything that follows from a checked cfg alone:
// the checks each token goes through, and the verified-token cache.
func newVerifier(cfg *Config) *Verifier {
	v := &Verifier{
		resolver:  cfg.IssuerResolver,
		algs:      allowList(cfg.Algorithms),
		audiences: make(map[string]struct{}, len(cfg.Audiences)),
		skipAud:   cfg.InsecureSkipAudienceCheck,
		strict:    cfg.StrictRFC9068,
		required:  slices.Clone(cfg.RequiredClaims),
		valids:    slices.Clone(cfg.Validators),
		leeway:    orDefault(cfg.Leeway, defaultLeeway),
		maxLen:    orDefault(cfg.MaxTokenBytes, defaultMaxTokenBytes),
		now:       cfg.Now,
	}
	if v.now == nil {
		v.now = time.Now
	}
	for _, a := range cfg.Audiences {
		v.audiences[a] = struct{}{}
	}
	if size := orDefault(cfg.CacheSize, defaultCacheSize); size > 0 {
		v.cache = newTokenCache(size, v.leeway)
	}
	return v
}

// allowList returns the algorithms of names (checked by checkConfig), or
// every supported one when names is empty.
func allowList(names []string) map[string]*jose.Alg {
	if len(names) == 0 {
		names = jose.Names()
	}
	algs := make(map[string]*jose.Alg, len(names))
	for _, name := range names {
		algs[name], _ = jose.Lookup(name)
	}
	return algs
}

// openCaches makes the key caches: one for the configured issuers, which
// never evicts them, and, with an IssuerResolver, one of MaxIssuers sets for
// the issuers it accepts. They do no I/O yet.
func (v *Verifier) openCaches(cfg *Config, static int) error {
	kc := jwks.Config{HTTPClient: cfg.HTTPClient, RefreshInterval: cfg.RefreshInterval, MaxStale: cfg.MaxStale, Logger: cfg.Logger}
	kc.MaxSets = max(static, 1)
	var err error
	if v.static, err = jwks.New(kc); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err) // checkConfig refused it first
	}
	if v.resolver == nil {
		return nil
	}
	kc.MaxSets = orDefault(cfg.MaxIssuers, defaultMaxIssuers)
	if v.dynamic, err = jwks.New(kc); err != nil {
		v.static.Close()
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// openIssuers gets the keys of every configured issuer, all at once; the
// first failure ends the wait of the others and is returned.
func (v *Verifier) openIssuers(ctx context.Context, static []staticIssuer) error {
	sets := make([]*jwks.Set, len(static))
	g, gctx := errgroup.WithContext(ctx)
	for i, ic := range static {
		g.Go(func() (err error) {
			sets[i], err = v.openIssuer(gctx, ic)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	v.issuers = make(map[string]*jwks.Set, len(static))
	for i, ic := range static {
		v.issuers[ic.Issuer] = sets[i]
	}
	return nil
}

// openIssuer gets the keys of one configured issuer. Without a JWKS URL it
// reads the issuer's metadata first, on its own: what is wrong with it is a
// configuration mistake, not an outage. The set then finds the metadata in
// the cache.
func (v *Verifier) openIssuer(ctx context.Context, ic staticIssuer) (*jwks.Set, error) {
	if ic.JWKSURL == "" {
		m, err := v.static.Discover(ctx, ic.Issuer)
		if err == nil && m.JWKSURI == "" {
			err = errNoJWKSURI
		}
		if err != nil {
			return nil, ic.startError(err)
		}
	}
	set, err := v.openSet(ctx, v.static, ic.Issuer, ic.JWKSURL)
	if err != nil {
		return nil, ic.startError(err)
	}
	return set, nil
}

// openSet returns an issuer's key set, fetched once: the set at url, or,
// when url is empty, the set that follows the jwks_uri of the issuer's
// metadata.
func (v *Verifier) openSet(ctx context.Context, c *jwks.Cache, iss, url string) (*jwks.Set, error) {
	var set *jwks.Set
	var err error
	if url != "" {
		set, err = c.Set(ctx, url)
	} else {
		set, err = c.IssuerSet(ctx, iss)
	}
	if err != nil {
		return nil, &KeySourceError{Issuer: iss, Err: err}
	}
	return set, nil
}

// Close stops background key refresh and waits for in-flight fetches. It is
// safe to call more than once. After Close, Verify still uses the keys it
// holds but never fetches again, so rotated keys are not picked up.
func (v *Verifier) Close() {
	v.static.Close()
	if v.dynamic != nil {
		v.dynamic.Close()
	}
}

// Authenticate is [Verifier.Verify]; it makes a Verifier satisfy the
// middleware's Authenticator interface.
func (v *Verifier) Authenticate(ctx context.Context, token string) (*Claims, error) {
	return v.Verify(ctx, token)
}

// Verify checks token and returns its claims. It accepts a compact JWS whose:
// header is well formed and names an allowed alg, no crit, no cty and no
// b64=false; signature verifies with a key of the token's own issuer (chosen
// by kid; jku, x5u, jwk and x5c are never used); exp has not passed; nbf and
// iat are not in the future (all with Config.Leeway); iss is trusted; aud
// names an accepted audience; typ is an access-token type; required claims
// are present; and every Config.Validators function agrees.
//
// It does NOT check that the token is used by the client it was issued to
// (sender-constrained tokens, DPoP and mTLS): it reads the binding into
// [Claims.Confirmation], and the middleware, which sees the request, checks
// it. Nor does it check revocation: use introspection for that.
//
// The returned Claims is read-only: every request that presents the same
// token gets the same *Claims from the cache (see [Claims]).
//
// Errors match [ErrInvalidToken] (with a finer sentinel such as [ErrExpired])
// or [ErrUnavailable] when the issuer's keys cannot be had.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	if len(token) > v.maxLen {
		return nil, &MalformedError{Reason: fmt.Sprintf("token is %d bytes, over the limit of %d (Config.MaxTokenBytes)", len(token), v.maxLen)}
	}
	now := v.now()
	c, set, ok := v.cache.get(token, now)
	if ok && v.resolver != nil {
		if _, static := v.issuers[c.Issuer]; !static {
			// Resolved issuers are asked on every request, cached or not: a
			// tenant the resolver now refuses loses its cached tokens too.
			current, err := v.keySet(ctx, c.Issuer)
			if err != nil {
				return nil, v.explainIssuer(err)
			}
			ok = current == set
		}
	}
	if !ok {
		var key *jwks.Key
		var set *jwks.Set
		var err error
		c, key, set, err = v.verify(ctx, token, now)
		if err != nil {
			return nil, err
		}
		c = v.cache.add(token, c, key, set, now)
	}
	for _, f := range v.valids {
		if err := f(ctx, c); err != nil {
			return nil, &ValidatorError{Err: err}
		}
	}
	return c, nil
}

type header struct {
	alg, kid, typ []byte
}

func (v *Verifier) verify(ctx context.Context, token string, now time.Time) (*Claims, *jwks.Key, *jwks.Set, error) {
	h, c, sig, signingInput, err := parseCompact(token)
	if err != nil {
		return nil, nil, nil, err
	}
	alg, ok := v.algs[string(h.alg)]
	if !ok {
		return nil, nil, nil, &algorithmError{Algorithm: string(h.alg), Reason: "not in Config.Algorithms"}
	}
	if c.Issuer == "" {
		return nil, nil, nil, &MissingClaimError{Claim: "iss"}
	}
	set, err := v.keySet(ctx, c.Issuer)
	if err != nil {
		return nil, nil, nil, v.explainIssuer(err)
	}
	key, err := pickKey(ctx, set, alias(h.kid), alg, c.Issuer)
	if err != nil {
		return nil, nil, nil, err
	}
	if alg.Verify(key.Public, signingInput, sig) != nil {
		return nil, nil, nil, ErrSignature
	}
	if err := v.checkClaims(c, h, now); err != nil {
		return nil, nil, nil, err
	}
	return c, key, set, nil
}

// pickKey returns the key of set that verifies alg for kid (jwks.Set.Pick),
// with the error of each refusal typed for the caller.
func pickKey(ctx context.Context, set *jwks.Set, kid string, alg *jose.Alg, iss string) (*jwks.Key, error) {
	key, err := set.Pick(ctx, kid, alg)
	switch {
	case err == nil:
		return key, nil
	case errors.Is(err, jwks.ErrUnknownKey):
		return nil, &unknownKeyError{KeyID: kid, Issuer: iss}
	case errors.Is(err, jwks.ErrKeyAlgorithm):
		return nil, &algorithmError{Algorithm: alg.Name, Reason: "key " + jose.Quote(kid) + " does not fit it"}
	}
	return nil, &KeySourceError{Issuer: iss, Err: err}
}

// keySet returns the key set of a trusted issuer. Unknown issuers never
// cause a fetch.
func (v *Verifier) keySet(ctx context.Context, iss string) (*jwks.Set, error) {
	if set, ok := v.issuers[iss]; ok {
		return set, nil
	}
	if v.resolver == nil {
		return nil, &IssuerError{Got: iss}
	}
	url, err := v.resolver(ctx, iss)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", &IssuerError{Got: iss}, err)
	}
	if url != "" {
		if set, ok := v.dynamic.Lookup(url); ok {
			return set, nil
		}
	}
	return v.openSet(ctx, v.dynamic, iss, url)
}

// parseCompact is the gate before any JOSE processing (jose.ParseCompact:
// a bounded compact JWS of exactly three strict base64url segments, a JSON
// header without duplicate members), followed by the claims.
func parseCompact(token string) (header, *Claims, []byte, []byte, error) {
	jh, payload, sig, signingInput, err := jose.ParseCompact(token)
	h := header{alg: jh.Alg, kid: jh.Kid, typ: jh.Typ}
	if err != nil {
		var fe *jose.FormatError
		if errors.As(err, &fe) {
			err = &MalformedError{Reason: fe.Reason}
		}
		return h, nil, nil, nil, err
	}
	c := new(Claims)
	if err := c.parse(payload); err != nil {
		return h, nil, nil, nil, err
	}
	return h, c, sig, signingInput, nil
}

func (v *Verifier) checkClaims(c *Claims, h header, now time.Time) error {
	if c.Expiry.IsZero() {
		return &MissingClaimError{Claim: "exp"}
	}
	from, until := c.validity(v.leeway)
	if now.After(until) {
		return &ExpiredError{Expiry: c.Expiry, Now: now, Leeway: v.leeway}
	}
	if now.Before(from) {
		if c.IssuedAt.After(c.NotBefore) {
			return &NotYetValidError{Claim: "iat", Time: c.IssuedAt, Now: now, Leeway: v.leeway}
		}
		return &NotYetValidError{Claim: "nbf", Time: c.NotBefore, Now: now, Leeway: v.leeway}
	}
	if !v.skipAud {
		if len(c.Audience) == 0 {
			return &MissingClaimError{Claim: "aud"}
		}
		found := false
		for _, a := range c.Audience {
			if _, found = v.audiences[a]; found {
				break
			}
		}
		if !found {
			return &AudienceError{Got: c.Audience, Want: sortedKeys(v.audiences)}
		}
	}
	if err := v.checkType(h.typ); err != nil {
		return err
	}
	if c.kind != nil {
		return c.kind
	}
	if v.strict {
		for _, m := range [...]struct {
			name    string
			missing bool
		}{{"sub", c.Subject == ""}, {"client_id", c.ClientID == ""}, {"iat", c.IssuedAt.IsZero()}, {"jti", c.ID == ""}} {
			if m.missing {
				return &MissingClaimError{Claim: m.name}
			}
		}
	}
	if len(v.required) > 0 {
		return requireClaims(c.raw, v.required)
	}
	return nil
}

// checkType applies RFC 8725 §3.11 explicit typing: media types compare
// case-insensitively, with an optional "application/" prefix.
func (v *Verifier) checkType(typ []byte) error {
	t := string(typ)
	if len(t) > len("application/") && strings.EqualFold(t[:len("application/")], "application/") {
		t = t[len("application/"):]
	}
	switch {
	case strings.EqualFold(t, "at+jwt"):
		return nil
	case v.strict:
		return &typeError{Type: string(typ), strict: true}
	case typ == nil, strings.EqualFold(t, "jwt"):
		return nil
	}
	return &typeError{Type: string(typ)}
}

// explainIssuer adds the accepted issuers to an *IssuerError in err (from
// keySet), so that its message shows both sides. Rejections only: this
// allocates.
func (v *Verifier) explainIssuer(err error) error {
	var ie *IssuerError
	if !errors.As(err, &ie) || ie.Want != nil {
		return err
	}
	ie.Want = sortedKeys(v.issuers)
	// keySet wraps a resolver's refusal as "%w: %w"; that text was made
	// before Want was known, so make it again.
	if w, ok := err.(interface{ Unwrap() []error }); ok {
		if errs := w.Unwrap(); len(errs) == 2 && errs[0] == ie {
			return fmt.Errorf("%w: %w", ie, errs[1])
		}
	}
	return err
}

// sortedKeys returns the keys of m in order, for error messages.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func requireClaims(raw []byte, names []string) error {
	present := make(map[string]bool, len(names))
	_ = jose.ScanObject(raw, maxClaims, func(name, value []byte) error {
		if string(value) != "null" {
			present[string(name)] = true
		}
		return nil
	})
	for _, n := range names {
		if !present[n] {
			return &MissingClaimError{Claim: n}
		}
	}
	return nil
}
