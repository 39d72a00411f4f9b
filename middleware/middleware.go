package middleware

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"net/http"

	"github.com/tokenguard/tokenguard/internal/dpop"
	"github.com/tokenguard/tokenguard/jwtverify"
)

// Authenticator turns a bearer token into claims. [*jwtverify.Verifier]
// implements it, and so can an introspection client, a combination of both
// ([Chain], [Both]) or your own type. Errors should match
// [jwtverify.ErrInvalidToken] (the token is refused, 401) or
// [jwtverify.ErrUnavailable] (the token could not be checked, 503); any
// other error is answered as invalid_token. Errors must not contain the
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
// logged to [slog.Default] at Debug. [NewGuard] checks it and copies it:
// later changes have no effect.
type Config struct {
	// Realm is the realm of the WWW-Authenticate challenge. If empty, "api"
	// is used. It may hold printable ASCII except '"' and '\'.
	Realm string

	// Optional lets a request without any token through to the handler,
	// without claims (jwtverify.ClaimsFromContext reports false). A token
	// that is sent is still checked and, if bad, rejected; so is an
	// Authorization header of another scheme. Routes that need a token
	// then say so with [Guard.Require], which answers 401 when there are
	// no claims.
	Optional bool
	// ExcludePaths lists paths, such as "/healthz", whose requests pass
	// without any check and without claims. The query does not count:
	// "/healthz?verbose=1" is excluded too. If empty, no path is excluded.
	//
	// A request is excluded only when its path is byte for byte a listed
	// one, as the request line carries it: a path with a percent-escape
	// anywhere (even of a plain letter: "/health%7a" is not "/healthz"), a
	// doubled slash, a dot segment, a trailing slash that the listed path
	// lacks, or another case is not excluded, and needs a token like any
	// other request. Routers do not agree on what such a path means: echo,
	// chi and gin with UseRawPath route on the path as sent, escapes and
	// all, while others decode or clean it first; a request let through
	// because its decoded path looked public could reach a protected
	// route. Requests are compared on r.URL (Path and RawPath), the URL
	// the router after the Guard routes on; a handler in front of the
	// Guard that rewrites r.URL (such as [http.StripPrefix]) changes what
	// is compared. Behind a chi Mount or a framework's route group, paths
	// are still full paths.
	//
	// Each path must begin with "/", hold only characters that a request
	// path carries unescaped (ASCII letters, digits and $&+,-./:;=@_~),
	// and have no empty segment ("//") and no "." or ".." segment: such a
	// path could never be excluded, or could be excluded on one router and
	// routed elsewhere on another. [NewGuard] returns an error for one
	// that does not.
	ExcludePaths []string
	// Exclude, if set, selects further requests that pass without any
	// check and without claims (a CORS preflight, for example); a request
	// that ExcludePaths or Exclude selects is excluded. It runs first, on
	// every request that ExcludePaths does not exclude, and must be safe
	// for concurrent use. It must decide on the path the router will
	// route, not on a decoded or cleaned copy of it: a function that
	// compares r.URL.Path alone lets "/health%7a" reach a protected route
	// on routers that route the path as sent (echo, chi, gin with
	// UseRawPath); list paths in ExcludePaths instead. If nil, it excludes
	// nothing.
	Exclude func(*http.Request) bool

	// FormToken also accepts the token as the access_token member of an
	// application/x-www-form-urlencoded body (RFC 6750 §2.2) of POST, PUT
	// and PATCH requests. The body is read, at most MaxFormBytes of it, and
	// its form is left in r.Form and r.PostForm as r.ParseForm would, so
	// the handler can still read it. Off by default.
	FormToken bool
	// MaxFormBytes bounds the body read for FormToken. If zero, 64 KiB.
	// It must not be negative.
	MaxFormBytes int64
	// InsecureQueryToken also accepts the token as the access_token query
	// parameter (RFC 6750 §2.3). The RFC discourages it: URLs end up in
	// logs, browser history and Referer headers, and the token with them.
	// Off by default.
	InsecureQueryToken bool
	// CookieName, if set, also accepts the token as the value of the cookie
	// of that name, for browser back-ends. It must be a valid cookie name
	// (an RFC 9110 token, such as "access_token"). Cookies are sent by
	// browsers on their own, so a service that turns this on MUST protect
	// state-changing routes against cross-site requests (SameSite cookies,
	// [http.CrossOriginProtection]); this package does not.
	CookieName string
	// MaxTokenBytes bounds the length of a token from any source; a longer
	// one is refused as invalid_token without reaching the Authenticator.
	// If zero, 16 KiB (the default limit of jwtverify.Config.MaxTokenBytes
	// too). It must not be negative.
	MaxTokenBytes int

	// DPoP configures DPoP-bound tokens (RFC 9449); see [DPoPConfig]. Its
	// zero value turns them off: Bearer tokens only, and a token bound to
	// a DPoP key is refused.
	DPoP DPoPConfig

	// RequireCertificateBinding accepts only certificate-bound tokens
	// (RFC 8705 §3: a cnf.x5t#S256 claim), presented over a TLS connection
	// with the client certificate they are bound to; every other token is
	// refused as invalid_token. It cannot be combined with
	// InsecureSkipCertificateBinding. Off by default: a token bound to a
	// certificate is still checked against the client certificate, and a
	// token bound to none passes.
	RequireCertificateBinding bool
	// InsecureSkipCertificateBinding turns the check of certificate-bound
	// tokens off: a token with cnf.x5t#S256 is accepted whatever client
	// certificate, if any, the request came with, so a stolen one works as
	// a bearer token. Off by default: the SHA-256 thumbprint of the
	// client certificate (see ClientCertificate) must equal the token's
	// cnf.x5t#S256, compared in constant time; a mismatch or a missing
	// certificate is 401 invalid_token.
	InsecureSkipCertificateBinding bool
	// ClientCertificate returns the client certificate of r, for the
	// check of certificate-bound tokens: nil and no error when r came
	// without one. Set it for certificates that a trusted proxy
	// terminating TLS forwards in a header (and make sure that no client
	// can set that header itself). An error that matches
	// [jwtverify.ErrUnavailable] is answered 503; any other error, 401
	// invalid_token. It must be safe for concurrent use, and is called
	// only for tokens that need it. If nil, r.TLS.PeerCertificates[0],
	// the certificate the client presented on the connection.
	ClientCertificate func(r *http.Request) (*x509.Certificate, error)

	// Metadata, if set, describes the protected resource as RFC 9728
	// protected resource metadata: [Guard.MetadataHandler] serves the
	// document at [Guard.MetadataPath], every WWW-Authenticate challenge
	// of the Guard (Bearer and DPoP, the 401 for a missing token included)
	// carries resource_metadata="<the document's URL>" (RFC 9728 §5.1),
	// and the Guard lets requests for that exact path through without a
	// token, as it does for ExcludePaths. See [ResourceMetadata] for what
	// is configured and what is derived. If nil, there is no metadata and
	// no resource_metadata parameter.
	Metadata *ResourceMetadata

	// ErrorHandler, if set, writes the answer to refused requests in place
	// of the built-in RFC 6750 renderer (to follow an organization's error
	// format, for example). It gets the [Rejection] with the status, the
	// WWW-Authenticate value it should send and a safe description; it
	// should send rej.DPoPNonce, when set, in a DPoP-Nonce header. It must
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

// Hooks observe a Guard's decisions, for metrics or audit. Any field may be
// nil. Hooks may run concurrently and must be fast: they run on the request's
// goroutine. They never get the token.
type Hooks struct {
	// Authenticated is called after a token was accepted.
	Authenticated func(ctx context.Context, c *jwtverify.Claims)
	// Rejected is called for every request the Guard refuses, including
	// refusals by the route rules of [Guard.Require] (and of the adapters'
	// Require, which answer through [Guard.Reject] too).
	Rejected func(ctx context.Context, rej Rejection)
}

// Guard authenticates requests. Its [Guard.Check] makes the decision and
// [Guard.Reject] writes the answer; [Guard.Handler] wires them for net/http,
// and the adapters in the sub-packages wire the same two calls for gin and
// echo. Route rules ([Guard.Require], [Guard.Authorize]) run behind it and
// answer through the same renderer. A Guard is safe for concurrent use.
type Guard struct {
	auth          Authenticator
	challenge     string // `Bearer realm="…"`
	optional      bool
	paths         map[string]struct{} // Config.ExcludePaths
	exclude       func(*http.Request) bool
	sources       []source // the optional token sources Config enables, in order
	maxForm       int64
	cookie        string
	maxToken      int
	onError       func(http.ResponseWriter, *http.Request, Rejection)
	log           *slog.Logger
	authenticated func(context.Context, *jwtverify.Claims)
	rejected      func(context.Context, Rejection)

	dpopMode      DPoPMode
	dpop          *dpop.Checker // nil when DPoP is off
	dpopChallenge string        // `DPoP realm="…"`, or "" when DPoP is off
	dpopAlgs      string        // `algs="…"`
	requireCert   bool
	skipCert      bool
	clientCert    func(*http.Request) (*x509.Certificate, error)

	meta *metadata // nil without Config.Metadata
}

// New returns net/http middleware that requires a valid bearer token on every
// request, with the defaults of a zero [Config]: it is
// [NewGuard](a, Config{}) followed by [Guard.Handler], and a zero Config
// cannot fail. It panics if a is nil.
//
//	http.ListenAndServe(addr, middleware.New(verifier)(mux))
func New(a Authenticator) func(http.Handler) http.Handler {
	g, err := NewGuard(a, Config{})
	if err != nil {
		panic(err) // unreachable: a zero Config is valid
	}
	return g.Handler
}

// NewGuard returns a Guard that authenticates tokens with a, configured by
// cfg. Every invalid setting of cfg (a realm or cookie name with characters
// HTTP does not allow there, a negative limit, a path of ExcludePaths that
// could never be excluded) is an error matching [jwtverify.ErrConfig] that
// names the field. It panics if a is nil: that is a programming error, not
// a configuration one.
func NewGuard(a Authenticator, cfg Config) (*Guard, error) {
	if a == nil {
		panic("middleware: NewGuard with a nil Authenticator")
	}
	g, err := newGuard(cfg)
	if err != nil {
		return nil, err
	}
	g.auth = a
	return g, nil
}

// errNoClaims is what an Authenticator that returned neither claims nor an
// error is taken to have said: the request is refused.
var errNoClaims = errors.New("middleware: Authenticator returned neither claims nor an error")

// Check decides whether r may proceed. It extracts the token as RFC 6750
// (and, with [Config.DPoP], RFC 9449) says, from the sources [Config]
// enables, authenticates it, and checks that the request satisfies the
// token's binding: the DPoP proof of a DPoP-bound token, the client
// certificate of a certificate-bound one. It returns the claims of an
// accepted token; nil claims and a nil error when r may proceed without a
// token (an excluded request, or [Config.Optional] and no token sent); or an
// error whose category (see [ErrNoToken]) decides the answer. It writes
// nothing; pass its error to [Guard.Reject], and the claims on to the
// handler with [jwtverify.ContextWithClaims]. It cannot hand over the fresh
// DPoP-Nonce that server nonces call for now and then: with
// [DPoPConfig.NonceSecrets] set, use [Guard.Admit].
//
// Check does not modify r, except that with [Config.FormToken] on a form
// request's body is consumed and its form stored in r.Form and r.PostForm,
// as [http.Request.ParseForm] does.
func (g *Guard) Check(r *http.Request) (*jwtverify.Claims, error) {
	c, _, err := g.decide(r)
	return c, err
}

// decide is Check, with the fresh server nonce to send on success, if any.
//
// Its order: first what costs nothing (the request's syntax, the one DPoP
// header and its size), then the token, then the binding (cheap checks,
// then the proof). The token comes before the proof because verifying the
// token is work any request makes us do anyway (a cached JWT costs a map
// lookup), whereas the proof's signature is work a client without any
// valid token could otherwise make us do with a proof of its own key; and
// an expired or foreign token then gets invalid_token, which tells the
// client what to fix first, rather than a proof error.
func (g *Guard) decide(r *http.Request) (*jwtverify.Claims, string, error) {
	if g.excluded(r) {
		return nil, "", nil
	}
	tok, sch, proof, err := g.token(r)
	if err != nil {
		if err == ErrNoToken && g.optional {
			return nil, "", nil
		}
		return nil, "", err
	}
	ctx := r.Context()
	c, err := g.auth.Authenticate(ctx, tok)
	if err != nil {
		return nil, "", err
	}
	if c == nil {
		return nil, "", errNoClaims
	}
	nonce, err := g.bind(r, tok, sch, proof, c)
	if err != nil {
		return nil, "", err
	}
	if g.authenticated != nil {
		g.authenticated(ctx, c)
	}
	return c, nonce, nil
}

// Admit is the whole decision and answer for one request, for any
// [http.ResponseWriter]: it runs [Guard.Check]; if the request is refused
// it answers with [Guard.Reject] and returns r and false. Otherwise it sets
// the headers the protocol asks of a successful answer (a fresh
// DPoP-Nonce, with Cache-Control: no-store, when the proof's server nonce
// is about to expire), and returns true and the request to pass on: r
// itself, or a copy whose context carries the claims (see
// [jwtverify.ClaimsFromContext]). It writes no status or body on success,
// and assumes nothing of w beyond its Header and, on refusal, WriteHeader
// and Write. [Guard.Handler] and the adapters call it; call it yourself to
// protect anything that handles requests its own way.
func (g *Guard) Admit(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	c, nonce, err := g.decide(r)
	if err != nil {
		g.Reject(w, r, err)
		return r, false
	}
	if nonce != "" {
		h := w.Header()
		h.Set("DPoP-Nonce", nonce)
		h.Set("Cache-Control", "no-store")
		exposeHeaders(h, r, "DPoP-Nonce")
	}
	if c != nil {
		r = r.WithContext(jwtverify.ContextWithClaims(r.Context(), c))
	}
	return r, true
}

// Handler returns next protected by g: requests that [Guard.Check] refuses
// are answered by [Guard.Reject] and never reach next; the others reach it
// with a request whose context carries the claims, if any (see
// [jwtverify.ClaimsFromContext]). It panics if next is nil.
func (g *Guard) Handler(next http.Handler) http.Handler {
	if next == nil {
		panic("middleware: Guard.Handler with a nil next handler")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r, ok := g.Admit(w, r); ok {
			next.ServeHTTP(w, r)
		}
	})
}
