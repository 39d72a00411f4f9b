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
// and writes errors identically. Per-route rules ([RequireScopes],
// [RequireAnyScope], [Require]) run after the Guard, read the claims from the
// request context, and answer through the same renderer.
//
//	v, err := jwtverify.New(ctx, jwtverify.Config{Issuer: iss, Audiences: []string{aud}})
//	...
//	mux := http.NewServeMux()
//	mux.Handle("GET /orders", middleware.RequireScopes("orders:read")(http.HandlerFunc(orders)))
//	http.ListenAndServe(":8080", middleware.New(v)(mux))
//
//	func orders(w http.ResponseWriter, r *http.Request) {
//		claims, _ := jwtverify.ClaimsFromContext(r.Context())
//		...
//	}
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
//	key source or AS unreachable  503  (no challenge)
//
// Every answer carries Cache-Control: no-store and a JSON body with the same
// error, error_description and scope. Descriptions are fixed phrases per
// category; the text of an error never reaches the client. The status is
// chosen with [errors.Is] alone (see [ErrNoToken] for the categories), so a
// custom Authenticator only has to wrap [jwtverify.ErrInvalidToken] or
// [jwtverify.ErrUnavailable]; any other error fails closed as invalid_token.
//
// # What it does not do
//
// It does not check that the token was issued to the client that sends it
// (DPoP, mTLS), and it does not protect cookie tokens against cross-site
// requests: see [Config.CookieName].
package middleware
