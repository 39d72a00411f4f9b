// Package jwks fetches, caches and refreshes JSON Web Key Sets (RFC 7517)
// for jwtverify, which is its only user; it is not API.
//
// A [Cache] holds many key sets, bounded by an LRU of Config.MaxSets. Each
// [Set] turns its JWKs into standard-library public keys once per fetch,
// publishes them as an immutable snapshot that readers load without locking,
// and refreshes in the background (at most Config.RefreshInterval apart,
// sooner when Cache-Control max-age says so, but not more often than once a
// minute), with ETag revalidation. A kid that is not in the set triggers one
// refresh shared by all callers, within a budget of 3 refreshes that miss
// per 30 seconds, so that tokens with random kids cannot turn into a flood
// of requests; a kid a refresh did not find is "unknown" for 30 seconds. A
// failed refresh keeps the last good keys (stale-if-error) for up to
// Config.MaxStale and retries with jittered backoff (1s doubling, up to 5
// minutes or RefreshInterval). A refresh that gets a well-formed set without
// usable keys is no failure: the issuer withdrew its keys, and the set is
// emptied at once (and the Logger told at Error level). Every failure a
// caller gets carries the end of the backoff ([RetryError], [RetryAfter]),
// which becomes the Retry-After of the 503 answer.
//
// [Set.Pick] is the key selection of every signature the library checks:
// access tokens (jwtverify) and signed introspection answers (introspect).
//
// [Cache.IssuerSet] finds a key set through its issuer's metadata (package
// discovery reads it) and reads the metadata again as it refreshes, so it
// follows a jwks_uri that moves; [Cache.Discover] keeps metadata for
// Config.RefreshInterval.
//
// Only https URLs are fetched (http only on loopback hosts), redirects stay on
// the same host, bodies are capped at 1 MiB, and every request has the
// client's timeout (5s if it has none). Keys are filtered for hygiene: see
// [ParseSet].
package jwks
