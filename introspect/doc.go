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
// private_key_jwt (RFC 7523; the assertion's aud is the issuer identifier) or
// a bearer token; [AuthNone], for an endpoint the network protects (Ory
// Hydra's admin port), sends no credentials.
//
// A token is accepted only when the response's active member is the JSON
// boolean true and the response describes an access token: token_type, when
// present, must be Bearer, DPoP or access_token (in any case), and the other
// members some servers use to say which kind of token it is (Ory Hydra's
// token_use, Keycloak's typ) must name an access token too, so that a
// refresh or ID token another application introspects is refused. aud must
// name one of [Config.Audiences], which are required: as with jwtverify, only
// [Config.InsecureSkipAudienceCheck] turns the check off. exp and nbf are
// checked locally as well, and iss when [Config.Issuer] is set.
//
// Answers are cached by the SHA-256 of the token in a bounded LRU: an active
// one until the earlier of the token's exp and [Config.CacheTTL] (5 minutes),
// an inactive one for [Config.InactiveCacheTTL] (30 seconds), so that a flood
// of bad tokens does not become a flood of calls. Concurrent requests for the
// same token share one call, and at most [Config.MaxConcurrentCalls] calls
// run at once. A revoked token is therefore refused at the latest CacheTTL
// after its revocation; set a negative CacheTTL for instant revocation at the
// price of a call per request.
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
// Every configuration mistake, including issuer metadata that names another
// issuer and a URL that is not https (http is allowed only on loopback), is
// an error from [New] matching [jwtverify.ErrConfig]; a discovery that gets
// no answer matches [jwtverify.ErrUnavailable].
//
// A service that takes both JWTs and opaque tokens combines a
// [jwtverify.Verifier] for the JWTs with a Client for everything else using
// [github.com/tokenguard/tokenguard/middleware.Chain], and
// [github.com/tokenguard/tokenguard/middleware.Both] to introspect JWTs too,
// for revocation:
//
//	auth := middleware.Chain(verifier, client)
//	auth := middleware.Chain(middleware.Both(verifier, client), client) // JWTs introspected too
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
// # Signed answers (RFC 9701)
//
// Over TLS, an introspection answer comes from the endpoint; but a TLS
// proxy, a service mesh or a compromised hop between the two can rewrite
// it, and an answer rewritten from "active": false to true lets any token
// in. With [Config.SignedResponses] the Client asks for
// application/token-introspection+jwt and accepts only an answer the
// authorization server signed: a compact JWS checked like an access token
// (same parser, key selection and signature code as jwtverify, asymmetric
// algorithms only) with the server's keys (the jwks_uri of Issuer's
// metadata, or [Config.JWKSURL], refreshed in the background), typ
// token-introspection+jwt, iss equal to Issuer, aud naming ClientID, and an
// iat within Leeway of now, so that an old answer cannot be replayed. The
// introspection response is its token_introspection claim, checked as an
// unsigned answer is, and cached the same way.
//
//	c, err := introspect.New(ctx, introspect.Config{
//		Issuer:          "https://auth.example.com/",
//		ClientID:        "orders-api",
//		ClientSecret:    os.Getenv("INTROSPECTION_SECRET"),
//		Audiences:       []string{"https://api.example.com"},
//		SignedResponses: true, // the client must be registered for it at the server
//	})
//
// Any fault in a signed answer (not a JWS, unsigned, a bad signature, an
// unknown key, the wrong typ, iss or aud, a stale iat, a plain JSON answer)
// is an [EndpointError] (503), never an inactive token (401): the answer was
// tampered with or the server is misconfigured, and the token it describes
// may be good, so the client is told to retry rather than to throw its
// token away. Encrypted answers (JWE) are not supported.
//
// # Retry hints
//
// [EndpointError.RetryAfter] says how long a client should wait after a
// failure: the endpoint's own Retry-After on a 503 or 429 answer, or the
// backoff of the key set of signed answers; the middleware sends it as the
// Retry-After header of its 503 answer.
package introspect
