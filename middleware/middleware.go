package middleware

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/tokenguard/tokenguard/jwtverify"
)

// Authenticator turns a bearer token into claims. [*jwtverify.Verifier]
// implements it, and so can an introspection client or a chain of both.
// Errors should match [jwtverify.ErrInvalidToken] (the token is refused,
// 401) or [jwtverify.ErrUnavailable] (the token could not be checked, 503);
// any other error is answered as invalid_token. Errors must not contain the
// token.
//
// An Authenticator must be safe for concurrent use: one value serves every
// request.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*jwtverify.Claims, error)
}

// AuthenticatorFunc adapts a function to [Authenticator]. It is as safe for
// concurrent use as the function is.
type AuthenticatorFunc func(ctx context.Context, token string) (*jwtverify.Claims, error)

// Authenticate calls f(ctx, token).
func (f AuthenticatorFunc) Authenticate(ctx context.Context, token string) (*jwtverify.Claims, error) {
	return f(ctx, token)
}

// Config configures a [Guard]. The zero value is strict: a bearer token in
// the Authorization header only, on every request, realm "api", rejections
// logged to [slog.Default] at Debug. [NewGuard] copies it:
// later changes have no effect.
type Config struct {
	// Realm is the realm of the WWW-Authenticate challenge. If empty, "api"
	// is used. It may hold printable ASCII except '"' and '\'.
	Realm string

	// Optional lets a request without any token through to the handler,
	// without claims (jwtverify.ClaimsFromContext reports false). A token
	// that is sent is still checked and, if bad, rejected; so is an
	// Authorization header of another scheme. Routes that need a token
	// then say so with [RequireScopes], [RequireAnyScope] or [Require],
	// which answer 401 when there are no claims.
	Optional bool
	// Exclude, if set, selects requests that pass without any check and
	// without claims (health checks, metrics). It runs first, on every
	// request, and must be safe for concurrent use. It must decide on the
	// path the router will route, not on a decoded or cleaned copy of it:
	// [ExcludePaths] does, and says how; a function of your own that
	// compares r.URL.Path alone lets "/health%7a" reach a protected route
	// on routers that route the path as sent (echo, chi, gin with
	// UseRawPath). If nil, no request is excluded.
	Exclude func(*http.Request) bool

	// FormToken also accepts the token as the access_token member of an
	// application/x-www-form-urlencoded body (RFC 6750 §2.2) of POST, PUT
	// and PATCH requests. The body is read, at most MaxFormBytes of it, and
	// its form is left in r.Form and r.PostForm as r.ParseForm would, so
	// the handler can still read it. Off by default.
	FormToken bool
	// MaxFormBytes bounds the body read for FormToken. If zero, 64 KiB.
	MaxFormBytes int64
	// InsecureQueryToken also accepts the token as the access_token query
	// parameter (RFC 6750 §2.3). The RFC discourages it: URLs end up in
	// logs, browser history and Referer headers, and the token with them.
	// Off by default.
	InsecureQueryToken bool
	// CookieName, if set, also accepts the token as the value of the cookie
	// of that name, for browser back-ends. Cookies are sent by browsers
	// on their own, so a service that turns this on MUST protect
	// state-changing routes against cross-site requests (SameSite cookies,
	// [http.CrossOriginProtection]); this package does not.
	CookieName string
	// MaxTokenBytes bounds the length of a token from any source; a longer
	// one is refused as invalid_token without reaching the Authenticator.
	// If zero, [jwtverify.DefaultMaxTokenBytes] (8 KiB).
	MaxTokenBytes int

	// ErrorHandler, if set, writes the answer to refused requests in place
	// of the built-in RFC 6750 renderer (to follow an organization's error
	// format, for example). It gets the [Rejection] with the status, the
	// WWW-Authenticate value it should send and a safe description. It must
	// not send rej.Err's text to the client. Logging and hooks run before
	// it. It must be safe for concurrent use.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, rej Rejection)
	// Logger receives every rejection, with its reason, status, method,
	// path (as sent) and error: Debug for client errors (400, 401, 403: a
	// client's mistake must not flood the logs), Warn for 503. The token
	// and the Authorization header are never logged. If nil,
	// [slog.Default] is used, looked up at each rejection (so a later
	// [slog.SetDefault] counts), with every rejection at Debug, 503s
	// included: nothing shows until the application turns debug on
	// (slog.SetLogLoggerLevel(slog.LevelDebug)). To log nothing, pass
	// slog.New(slog.DiscardHandler).
	Logger *slog.Logger
	// Hooks are called on authentication outcomes; see [Hooks].
	Hooks Hooks
}

// Hooks observe the Guard's decisions, for metrics or audit. Any field may be
// nil. Hooks may run concurrently and must be fast: they run on the request's
// goroutine. They never get the token.
type Hooks struct {
	// Authenticated is called after a token was accepted.
	Authenticated func(ctx context.Context, c *jwtverify.Claims)
	// Rejected is called for every refused request, including refusals by
	// [RequireScopes], [RequireAnyScope] and [Require] behind the Guard.
	Rejected func(ctx context.Context, rej Rejection)
}

// Defaults of [Config].
const (
	// DefaultRealm is the realm of a zero Config.Realm.
	DefaultRealm = "api"
	// DefaultMaxFormBytes is the body limit of a zero Config.MaxFormBytes.
	DefaultMaxFormBytes = 64 << 10
)

// Guard authenticates requests. Its [Guard.Check] makes the decision and
// [Guard.Reject] writes the answer; [Guard.Handler] wires them for net/http,
// and the adapters in the sub-packages wire the same two calls for gin and
// echo. A Guard is safe for concurrent use.
type Guard struct {
	auth          Authenticator
	realm         string
	challenge     string // `Bearer realm="…"`
	optional      bool
	exclude       func(*http.Request) bool
	form          bool
	maxForm       int64
	query         bool
	cookie        string
	maxToken      int
	onError       func(http.ResponseWriter, *http.Request, Rejection)
	log           *slog.Logger
	authenticated func(context.Context, *jwtverify.Claims)
	rejected      func(context.Context, Rejection)
	plain         bool // renders like defaultGuard: NewContext need not carry it
}

// New returns net/http middleware that requires a valid bearer token on every
// request, with the defaults of a zero [Config]. It panics if a is nil.
//
//	http.ListenAndServe(addr, middleware.New(verifier)(mux))
func New(a Authenticator) func(http.Handler) http.Handler {
	return NewGuard(a, Config{}).Handler
}

// NewGuard returns a Guard for a and cfg. It panics if a is nil or cfg is
// invalid (a realm or cookie name with characters HTTP does not allow there,
// a negative limit): those are programming errors, like an invalid pattern
// given to [http.ServeMux.Handle].
func NewGuard(a Authenticator, cfg Config) *Guard {
	if a == nil {
		panic("middleware: nil Authenticator")
	}
	g := newGuard(cfg)
	g.auth = a
	return g
}

func newGuard(cfg Config) *Guard {
	g := &Guard{
		realm:         cfg.Realm,
		optional:      cfg.Optional,
		exclude:       cfg.Exclude,
		form:          cfg.FormToken,
		maxForm:       cfg.MaxFormBytes,
		query:         cfg.InsecureQueryToken,
		cookie:        cfg.CookieName,
		maxToken:      cfg.MaxTokenBytes,
		onError:       cfg.ErrorHandler,
		log:           cfg.Logger,
		authenticated: cfg.Hooks.Authenticated,
		rejected:      cfg.Hooks.Rejected,
	}
	if g.realm == "" {
		g.realm = DefaultRealm
	}
	if !quotable(g.realm) {
		panic("middleware: Config.Realm holds a character not allowed in a WWW-Authenticate quoted string")
	}
	if g.maxForm < 0 || g.maxToken < 0 {
		panic("middleware: Config.MaxFormBytes and Config.MaxTokenBytes must not be negative")
	}
	if g.maxForm == 0 {
		g.maxForm = DefaultMaxFormBytes
	}
	if g.maxToken == 0 {
		g.maxToken = jwtverify.DefaultMaxTokenBytes
	}
	if g.cookie != "" && strings.IndexFunc(g.cookie, func(r rune) bool { return !isTchar(r) }) >= 0 {
		panic("middleware: Config.CookieName is not a valid cookie name")
	}
	g.challenge = `Bearer realm="` + g.realm + `"`
	g.plain = g.realm == DefaultRealm && g.onError == nil && g.log == nil && g.rejected == nil
	return g
}

// errNoClaims is what an Authenticator that returned neither claims nor an
// error is taken to have said: the request is refused.
var errNoClaims = errors.New("middleware: Authenticator returned neither claims nor an error")

// Check decides whether r may proceed. It extracts the bearer token as
// RFC 6750 says, from the sources [Config] enables, and authenticates it. It
// returns the claims of an accepted token; nil claims and a nil error when r
// may proceed without a token (an excluded route, or [Config.Optional] and no
// token sent); or an error whose category (see [ErrNoToken]) decides the
// answer. It writes nothing; pass its error to [Guard.Reject].
//
// Check does not modify r, except that with [Config.FormToken] on a form
// request's body is consumed and its form stored in r.Form and r.PostForm,
// as [http.Request.ParseForm] does.
func (g *Guard) Check(r *http.Request) (*jwtverify.Claims, error) {
	if g.exclude != nil && g.exclude(r) {
		return nil, nil
	}
	tok, err := g.token(r)
	if err != nil {
		if err == ErrNoToken && g.optional {
			return nil, nil
		}
		return nil, err
	}
	ctx := r.Context()
	c, err := g.auth.Authenticate(ctx, tok)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errNoClaims
	}
	if g.authenticated != nil {
		g.authenticated(ctx, c)
	}
	return c, nil
}

// Handler returns next protected by g: requests that [Guard.Check] refuses
// are answered by [Guard.Reject] and never reach next; the others reach it
// with a request whose context carries the claims (see
// [jwtverify.ClaimsFromContext]) and g (see [Guard.NewContext]).
func (g *Guard) Handler(next http.Handler) http.Handler {
	if next == nil {
		panic("middleware: nil next handler")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := g.Check(r)
		if err != nil {
			g.Reject(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(g.NewContext(r.Context(), c)))
	})
}

type guardKey struct{}

// NewContext returns a copy of ctx that carries c (when not nil, through
// [jwtverify.ContextWithClaims]) and g, so that [RequireScopes],
// [RequireAnyScope], [Require] and [Reject] further down answer with g's
// realm, error handler, logger and hooks. Adapters call it after
// [Guard.Check].
func (g *Guard) NewContext(ctx context.Context, c *jwtverify.Claims) context.Context {
	if !g.plain { // a Guard that renders like the default one saves an allocation
		ctx = context.WithValue(ctx, guardKey{}, g)
	}
	if c != nil {
		ctx = jwtverify.ContextWithClaims(ctx, c)
	}
	return ctx
}

// defaultGuard renders rejections of requests that no Guard has seen.
var defaultGuard = newGuard(Config{})

// guardFrom returns the Guard that [Guard.NewContext] put on ctx, or one with
// the defaults of a zero [Config].
func guardFrom(ctx context.Context) *Guard {
	if g, ok := ctx.Value(guardKey{}).(*Guard); ok {
		return g
	}
	return defaultGuard
}
