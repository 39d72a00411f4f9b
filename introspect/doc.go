// Package introspect makes a service accept opaque access tokens: it asks
// the authorization server whether a token is active, with OAuth 2.0 Token
// Introspection (RFC 7662), and answers with the same [jwtverify.Claims] that
// local JWT verification produces, so one middleware serves both.
//
// # Model
//
// A [Client] POSTs token=…&token_type_hint=access_token to the configured (or
// discovered) introspection endpoint, authenticated as the resource server
// with client_secret_basic (the default), client_secret_post,
// private_key_jwt (RFC 7523) or a bearer token. A token is accepted only when
// the response's active member is the JSON boolean true; the response's exp
// and nbf are checked locally as well, and iss and aud when configured.
//
// Answers are cached by the SHA-256 of the token in a bounded LRU: an active
// one until the earlier of the token's exp and [Config.CacheTTL] (5 minutes),
// an inactive one for [Config.InactiveCacheTTL] (30 seconds), so that a flood
// of bad tokens does not become a flood of calls. Concurrent requests for the
// same token share one call. A revoked token is therefore refused at the
// latest CacheTTL after its revocation; set a negative CacheTTL for instant
// revocation at the price of a call per request.
//
// Every failure to get an answer (network error, timeout, status other than
// 200, a response that is not JSON or too large) fails closed with an error
// matching [jwtverify.ErrUnavailable], which the middleware turns into 503;
// a token the server does not call active is refused with an error matching
// [jwtverify.ErrInvalidToken] (401). The endpoint must be https (http only on
// loopback), and redirects are never followed: the token and the client's
// credentials go to the configured endpoint or nowhere. Tokens, secrets and
// response bodies appear in no error, log record or hook argument.
//
// A [Chain] combines a [jwtverify.Verifier] for JWTs with a Client for
// everything else, optionally introspecting JWTs too for revocation.
//
// # Use
//
//	c, err := introspect.New(ctx, introspect.Config{
//		Issuer:       "https://auth.example.com/", // introspection_endpoint is discovered
//		ClientID:     "orders-api",
//		ClientSecret: os.Getenv("INTROSPECTION_SECRET"),
//		Audiences:    []string{"https://api.example.com"},
//	})
//	if err != nil { ... }
//	defer c.Close()
//	claims, err := c.Authenticate(ctx, token) // or: middleware.New(c)
//
// RFC 9701 signed introspection responses (application/token-introspection+jwt)
// are not supported.
package introspect
