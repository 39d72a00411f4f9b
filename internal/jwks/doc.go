// Package jwks fetches, caches and refreshes JSON Web Key Sets (RFC 7517)
// and the authorization server metadata that points to them (OpenID Connect
// Discovery, RFC 8414).
//
// A [Cache] holds many key sets, bounded by an LRU. Each [Set] turns its JWKs
// into standard-library public keys once per fetch, publishes them as an
// immutable snapshot that readers load without locking, and refreshes in the
// background (at most every Config.RefreshInterval, sooner when Cache-Control
// max-age says so), with ETag revalidation. A kid that is not in the set
// triggers one refresh shared by all callers, within a budget of misses per
// window so that tokens with random kids cannot turn into a flood of
// requests. A failed refresh keeps the last good keys (stale-if-error) for up
// to Config.MaxStale and retries with jittered backoff. A refresh that gets a
// well-formed set without usable keys is no failure: the issuer withdrew its
// keys, and the set is emptied at once (and the Logger told at Error level).
//
// [Cache.IssuerSet] finds a key set through its issuer's metadata and reads
// the metadata again as it refreshes, so it follows a jwks_uri that moves;
// [Cache.Discover] keeps metadata for Config.RefreshInterval.
//
// Only https URLs are fetched (http only on loopback hosts), redirects stay on
// the same host, bodies are capped, and every request has a timeout. Keys are
// filtered for hygiene: see [ParseSet].
//
// Most programs never use this package directly: jwtverify.New builds one.
//
//	c := jwks.New(jwks.Config{})
//	defer c.Close()
//	set, err := c.Set(ctx, "https://auth.example.com/.well-known/jwks.json")
//	keys, err := set.Key(ctx, kid)
package jwks
