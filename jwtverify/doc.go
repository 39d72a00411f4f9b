// Package jwtverify decides whether a compact JWS is a valid OAuth 2.0
// access token for this service, and returns its claims.
//
// A [Verifier] holds the public keys of one or more trusted issuers (fetched
// from their JWK Sets by package jwks, found through their metadata, cached
// and refreshed in the background) and checks each token against them:
//
//	v, err := jwtverify.New(ctx, jwtverify.Config{
//		Issuer:    "https://auth.example.com/",
//		Audiences: []string{"https://api.example.com"},
//	})
//	if err != nil { ... }
//	defer v.Close()
//	claims, err := v.Verify(ctx, token)
//
// The defaults are strict: only asymmetric algorithms (never HMAC or none),
// the alg must fit the key chosen by kid within the token's own issuer, exp
// is required, iss and aud must match, and tokens typed as anything but an
// access token (at+jwt, JWT or no typ) are refused. Set
// [Config.StrictRFC9068] to demand the full RFC 9068 profile.
//
// Errors are typed. Every rejection matches [ErrInvalidToken] (the RFC 6750
// invalid_token answer) and one finer sentinel such as [ErrExpired] or
// [ErrAudience]; a failure to obtain keys matches [ErrUnavailable] instead,
// which middleware answers with 503 so that clients keep their tokens.
//
// Tokens seen before are answered from a bounded cache of verified tokens,
// keyed by the exact token: each hit re-checks exp, nbf and iat against the
// current time and that the verifying key is still published. Every request
// presenting the token shares one *[Claims], so claims are read-only
// ([Claims.Clone] gives a copy to change).
//
// Handlers read the claims that middleware stored with [ClaimsFromContext];
// custom claims are decoded on demand with [Claims.Decode].
package jwtverify
