package jwtverify

import (
	"encoding/base64"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/tokenguard/tokenguard/jwks"
)

var base64URLStrict = base64.RawURLEncoding.Strict()

// tokenCache remembers verified tokens, keyed by the exact token string, in
// shards so that parallel requests rarely share a lock. A nil *tokenCache is
// a disabled cache.
type tokenCache struct {
	shards [cacheShards]*lru.Cache[string, *cacheEntry]
}

const cacheShards = 16

type cacheEntry struct {
	claims *Claims
	key    *jwks.Key
	set    *jwks.Set
}

func newTokenCache(size int) *tokenCache {
	c := new(tokenCache)
	per := max(size/cacheShards, 1)
	for i := range c.shards {
		c.shards[i], _ = lru.New[string, *cacheEntry](per)
	}
	return c
}

// shard picks a shard from the token's last bytes: the signature, which only
// the issuer can choose (only verified tokens are ever stored).
func (c *tokenCache) shard(token string) *lru.Cache[string, *cacheEntry] {
	var h uint32 = 2166136261
	for i := max(len(token)-8, 0); i < len(token); i++ {
		h = (h ^ uint32(token[i])) * 16777619
	}
	return c.shards[h%cacheShards]
}

// get returns a copy of the claims of a verified token whose times are still
// valid at now and whose key is still published; anything else is a miss
// (and the full check reports why).
func (c *tokenCache) get(token string, now time.Time, leeway time.Duration) (*Claims, bool) {
	if c == nil {
		return nil, false
	}
	s := c.shard(token)
	e, ok := s.Get(token)
	if !ok {
		return nil, false
	}
	cl := e.claims
	if now.After(cl.Expiry.Add(leeway)) || (!cl.NotBefore.IsZero() && now.Add(leeway).Before(cl.NotBefore)) ||
		(!cl.IssuedAt.IsZero() && now.Add(leeway).Before(cl.IssuedAt)) || !e.set.Contains(e.key) {
		s.Remove(token)
		return nil, false
	}
	return cl.clone(), true
}

func (c *tokenCache) add(token string, claims *Claims, key *jwks.Key, set *jwks.Set) {
	if c == nil {
		return
	}
	c.shard(token).Add(token, &cacheEntry{claims: claims, key: key, set: set})
}
