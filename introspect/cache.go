package introspect

import (
	"encoding/binary"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/tokenguard/tokenguard/jwtverify"
)

// result is what the authorization server said about one token: the claims
// of an active token, or the reason it is inactive. It is never modified
// after it is made, so cache hits and concurrent waiters share it.
type result struct {
	claims   *jwtverify.Claims // nil when inactive
	inactive *InactiveError
	kind     *kindError // set when the active token is no access token
}

// tokenKey is the SHA-256 of a token: the cache and the keys of in-flight
// calls never hold the token itself.
type tokenKey = [32]byte

// resultCache is a bounded LRU of results, in shards so that parallel
// requests rarely share a lock. A nil *resultCache is a disabled cache.
type resultCache struct {
	shards []*lru.Cache[tokenKey, cacheEntry]
}

const (
	maxCacheShards = 16
	minShardSize   = 64 // below twice this, one LRU: exact recency matters more than lock contention
)

type cacheEntry struct {
	res   *result
	until time.Time // the entry is dead from this instant on
}

// newResultCache returns a cache of exactly size (> 0) entries in all.
func newResultCache(size int) *resultCache {
	n := min(max(size/minShardSize, 1), maxCacheShards)
	c := &resultCache{shards: make([]*lru.Cache[tokenKey, cacheEntry], n)}
	for i := range c.shards {
		per := size / n
		if i < size%n {
			per++ // the remainder, one each: the sizes add up to size
		}
		c.shards[i], _ = lru.New[tokenKey, cacheEntry](per)
	}
	return c
}

// shard picks a shard from the first 8 bytes of the hash, which no client
// can steer without finding SHA-256 preimages.
func (c *resultCache) shard(k *tokenKey) *lru.Cache[tokenKey, cacheEntry] {
	return c.shards[binary.LittleEndian.Uint64(k[:8])%uint64(len(c.shards))]
}

func (c *resultCache) get(k *tokenKey, now time.Time) (*result, bool) {
	if c == nil {
		return nil, false
	}
	s := c.shard(k)
	e, ok := s.Get(*k)
	if !ok {
		return nil, false
	}
	if !now.Before(e.until) {
		s.Remove(*k)
		return nil, false
	}
	return e.res, true
}

func (c *resultCache) add(k *tokenKey, r *result, now, until time.Time) {
	if c == nil || !now.Before(until) {
		return
	}
	c.shard(k).Add(*k, cacheEntry{res: r, until: until})
}
