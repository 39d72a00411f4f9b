// Package middleware protects HTTP routes with OAuth 2.0 bearer tokens, as
// RFC 6750 describes: it takes the access token from the request, hands it to
// an [Authenticator] (a [*jwtverify.Verifier], an introspection client, or
// your own), and either passes the request on with the claims on its context
// or answers with the standard status and WWW-Authenticate challenge.
//
// # The model
//
// A [Guard] makes one decision per request, [Guard.Check] (request in, claims
// or a categorized error out), and has one renderer, [Guard.Reject]. The
// net/http middleware [Guard.Handler] is those two calls; the gin, echo v4
// and echo v5 adapters in the sub-packages ginguard, echoguard and echo5guard
// make the same two calls, so every framework extracts tokens, picks statuses
// and writes errors identically. Per-route rules ([Rule], such as [Scopes]
// and [AnyScope]) run behind the Guard through its own [Guard.Require]
// (decided by [Guard.Authorize]), read the claims from the request context,
// and answer through the same renderer. The request context carries the
// claims and nothing else; a Guard is configuration, held by the code that
// built it.
//
//	v, err := jwtverify.New(ctx, jwtverify.Config{Issuer: iss, Audiences: []string{aud}})
//	...
//	g, err := middleware.NewGuard(v, middleware.Config{ExcludePaths: []string{"/healthz"}})
//	...
//	mux := http.NewServeMux()
//	mux.Handle("GET /orders", g.Require(middleware.Scopes("orders:read"))(http.HandlerFunc(orders)))
//	http.ListenAndServe(":8080", g.Handler(mux))
//
//	func orders(w http.ResponseWriter, r *http.Request) {
//		claims, _ := jwtverify.ClaimsFromContext(r.Context())
//		...
//	}
//
// [New] is the short form for a Guard with the defaults: middleware.New(v)(mux).
// A service that takes both JWT and opaque tokens authenticates with
// [Chain] (and [Both], to check JWTs for revocation too).
//
// Every invalid setting of a [Config] is an error from [NewGuard] that
// matches [jwtverify.ErrConfig] and names the field. Only programming errors
// panic: a nil Authenticator, handler or Rule, and a scope literal given to
// [Scopes] or [AnyScope] that is not a valid scope token.
//
// # Token extraction
//
// The token comes from exactly one Authorization header of the form
// "Bearer <b64token>": the scheme in any case, one or more spaces, and the
// RFC 6750 token syntax. A form body, a query parameter and a cookie are further
// sources, each off by default ([Config]). A request that sends the token
// in more than one way, or more than one Authorization header, is malformed.
//
// # Answers
//
//	no token (or another scheme)  401  WWW-Authenticate: Bearer realm="api"
//	malformed request             400  Bearer realm="api", error="invalid_request", error_description="…"
//	bad, expired, foreign token   401  Bearer realm="api", error="invalid_token", error_description="…"
//	missing scope                 403  Bearer realm="api", error="insufficient_scope", error_description="…", scope="…"
//	refused by another Rule       403  Bearer realm="api", error="insufficient_scope", error_description="…"
//	key source or AS unreachable  503  (no challenge)
//
// Unless a [Config.ErrorHandler] renders them, refusals carry Cache-Control:
// no-store and a JSON body with
//
//   - "error", the error code, whenever one applies: on every refusal but
//     the 401 for a missing token ("temporarily_unavailable" on a 503);
//   - "error_description", always;
//   - "scope", the scopes the route asks for, on insufficient_scope from
//     [Scopes] or [AnyScope].
//
// The challenge carries the same error, error_description and scope, except
// on the 401 for a missing token, which carries the realm alone (RFC 6750
// §3.1: a client that sent no credentials gets no error information in the
// challenge), and on the 503, which has no challenge at all: the token may
// be fine. Descriptions are fixed phrases per category; the text of an error
// never reaches the client. The status is chosen with [errors.Is] alone (see
// [ErrNoToken] for the categories), so a custom Authenticator only has to
// wrap [jwtverify.ErrInvalidToken] or [jwtverify.ErrUnavailable]; any other
// error fails closed as invalid_token.
//
// # Public routes
//
// [Config.ExcludePaths] lets requests for paths such as "/healthz" through
// without a check, and [Config.Exclude] other chosen requests. A request is
// excluded by path only when its path is byte for byte a listed one:
// "/health%7a", "//healthz", "/x/../healthz" and "/healthz/" need a token,
// because routers disagree on where such paths go, and some would route them
// to a protected handler. Mounting the Guard on a route group that holds only the protected
// routes avoids exclusion altogether.
//
// # What it does not do
//
// It does not check that the token was issued to the client that sends it
// (DPoP, mTLS), and it does not protect cookie tokens against cross-site
// requests: see [Config.CookieName].
package middleware
