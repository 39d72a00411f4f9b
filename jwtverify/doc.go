// Package jwtverify decides whether a compact JWS is a valid OAuth 2.0
// access token for this service, and returns its claims.
//
// A [Verifier] holds the public keys of one or more trusted issuers (fetched
// from their JWK Sets, found through their metadata, cached and refreshed in
// the background) and checks each token against them:
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
// which middleware answers with 503 so that clients keep their tokens; its
// [KeySourceError] says, in [KeySourceError.RetryAfter], when the key set
// will be fetched again, which the middleware sends as Retry-After.
//
// Tokens seen before are answered from a bounded cache of verified tokens,
// keyed by the exact token: each hit re-checks exp, nbf and iat against the
// current time and that the verifying key is still published. Every request
// presenting the token shares one *[Claims], so claims are read-only
// ([Claims.Clone] gives a copy to change).
//
// # Keys
//
// Key sets are fetched over HTTPS only (http only for loopback hosts), never
// from a URL that a token names (jku, x5u), with redirects kept to the same
// host, bodies capped at 1 MiB and a timeout on every request (see
// [Config.HTTPClient]). Each is parsed once per fetch, refreshed in the
// background every [Config.RefreshInterval] (sooner when Cache-Control
// max-age says so) with ETag revalidation, and read by Verify without a
// lock. A kid that is not in the set triggers one refresh shared by every
// waiting request, within a budget of misses so that tokens with random
// kids cannot become a flood of requests. While refreshes fail, the last
// good keys are served for [Config.MaxStale]; a well-formed key set without
// usable keys is obeyed at once. Keys are kept only when they are fit to
// verify: no private or symmetric material, RSA of 2048 bits or more, EC
// points on their curve, use and key_ops that allow verification.
//
// Handlers read the claims that middleware stored with [ClaimsFromContext];
// custom claims are decoded on demand with [Claims.Decode]. [Claims.ACR] and
// [Claims.AuthTime] (acr and auth_time, RFC 9068 §2.2.1) say how and when
// the user logged in, for step-up rules (RFC 9470); the Verifier reads them
// but does not judge them.
package jwtverify
