package jwtverify

import (
	"encoding/base64"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/tokenguard/tokenguard/jwks"
)

var base64URLStrict = base64.RawURLEncoding.Strict()

// tokenCache remembers verified tokens, keyed by the exact token string.
// Lookups are lock-free (a sync.Map per shard); an LRU per shard, under a
// mutex, bounds the size and picks what to evict. A hit refreshes the
// entry's recency at most once per touchEvery, so the hot path of a busy
// token never takes the lock. A nil *tokenCache is a disabled cache.
type tokenCache struct {
	shards [cacheShards]cacheShard
}

const (
	cacheShards = 16
	touchEvery  = int64(time.Second)
)

type cacheShard struct {
	index sync.Map // string → *cacheEntry; mirrors order
	mu    sync.Mutex
	order *simplelru.LRU[string, *cacheEntry]
}

type cacheEntry struct {
	claims  *Claims
	key     *jwks.Key
	set     *jwks.Set
	touched atomic.Int64 // unix nanoseconds of the last recency update
}

func newTokenCache(size int) *tokenCache {
	c := new(tokenCache)
	per := max(size/cacheShards, 1)
	for i := range c.shards {
		s := &c.shards[i]
		s.order, _ = simplelru.NewLRU(per, func(token string, _ *cacheEntry) { s.index.Delete(token) })
	}
	return c
}

// shard picks a shard from the token's last bytes: the signature, which only
// the issuer can choose (only verified tokens are ever stored).
func (c *tokenCache) shard(token string) *cacheShard {
	var h uint32 = 2166136261
	for i := max(len(token)-8, 0); i < len(token); i++ {
		h = (h ^ uint32(token[i])) * 16777619
	}
	return &c.shards[h%cacheShards]
}

// get returns a copy of the claims of a verified token whose times are still
// valid at now and whose key is still published, with the key set that
// verified it; anything else is a miss (and the full check reports why).
func (c *tokenCache) get(token string, now time.Time, leeway time.Duration) (*Claims, *jwks.Set, bool) {
	if c == nil {
		return nil, nil, false
	}
	s := c.shard(token)
	v, ok := s.index.Load(token)
	if !ok {
		return nil, nil, false
	}
	e := v.(*cacheEntry)
	cl := e.claims
	if now.After(cl.Expiry.Add(leeway)) || (!cl.NotBefore.IsZero() && now.Add(leeway).Before(cl.NotBefore)) ||
		(!cl.IssuedAt.IsZero() && now.Add(leeway).Before(cl.IssuedAt)) || !e.set.Contains(e.key) {
		s.mu.Lock()
		s.order.Remove(token)
		s.mu.Unlock()
		return nil, nil, false
	}
	if t := now.UnixNano(); t-e.touched.Load() > touchEvery {
		e.touched.Store(t)
		s.mu.Lock()
		s.order.Get(token)
		s.mu.Unlock()
	}
	return cl.clone(), e.set, true
}

func (c *tokenCache) add(token string, claims *Claims, key *jwks.Key, set *jwks.Set) {
	if c == nil {
		return
	}
	e := &cacheEntry{claims: claims, key: key, set: set}
	e.touched.Store(time.Now().UnixNano())
	s := c.shard(token)
	s.mu.Lock()
	s.order.Add(token, e)
	s.index.Store(token, e)
	s.mu.Unlock()
}

// len reports the number of entries, for tests.
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += s.order.Len()
		s.mu.Unlock()
	}
	return n
}
