package jwtverify

import (
	"encoding/base64"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/tokenguard/tokenguard/internal/jwks"
)

var base64URLStrict = base64.RawURLEncoding.Strict()

// tokenCache remembers verified tokens, keyed by the exact token string.
// Lookups are lock-free (a sync.Map per shard); an LRU per shard, under a
// mutex, bounds the size and picks what to evict. A hit refreshes the
// entry's recency at most once per touchEvery, so the hot path of a busy
// token never takes the lock. A nil *tokenCache is a disabled cache.
type tokenCache struct {
	shards [cacheShards]cacheShard // the first mask+1 are used
	mask   uint32
	leeway time.Duration
}

const (
	cacheShards = 16 // at most
	touchEvery  = int64(time.Second)
)

type cacheShard struct {
	index sync.Map // string → *cacheEntry; mirrors order
	mu    sync.Mutex
	order *simplelru.LRU[string, *cacheEntry]
}

// cacheEntry holds two copies of a token's claims: view, which every hit
// returns and callers must treat as read-only, and pristine, which no caller
// ever sees and whose slices have their own backing array. A hit whose view
// no longer equals pristine was modified by a caller, and is a miss: the
// token is verified afresh into a new entry, so one handler's mutation never
// reaches the next request that presents the token.
type cacheEntry struct {
	view        Claims
	pristine    Claims
	key         *jwks.Key
	set         *jwks.Set
	from, until time.Time    // Claims.validity, computed once
	touched     atomic.Int64 // unix nanoseconds of the last recency update
}

// newTokenCache returns a cache of at most size (> 0) entries: the shards'
// capacities add up to size exactly, so a small size uses fewer shards (a
// power of two, so that picking one stays a mask).
func newTokenCache(size int, leeway time.Duration) *tokenCache {
	c := &tokenCache{leeway: leeway}
	n := cacheShards
	for n > size {
		n /= 2
	}
	c.mask = uint32(n - 1)
	for i := range n {
		per := size / n
		if i < size%n {
			per++
		}
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
	return &c.shards[h&c.mask]
}

// get returns the shared claims of a verified token whose times are still
// valid at now, whose key is still published and whose claims no caller has
// modified, with the key set that verified it; anything else is a miss (and
// the full check reports why).
func (c *tokenCache) get(token string, now time.Time) (*Claims, *jwks.Set, bool) {
	if c == nil {
		return nil, nil, false
	}
	s := c.shard(token)
	v, ok := s.index.Load(token)
	if !ok {
		return nil, nil, false
	}
	e := v.(*cacheEntry)
	if now.After(e.until) || now.Before(e.from) || !e.view.same(&e.pristine) || !e.set.Contains(e.key) {
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
	return &e.view, e.set, true
}

// add remembers the claims of a verified token and returns the view that
// callers share; with the cache off it returns claims itself.
func (c *tokenCache) add(token string, claims *Claims, key *jwks.Key, set *jwks.Set, now time.Time) *Claims {
	if c == nil {
		return claims
	}
	e := &cacheEntry{view: *claims, key: key, set: set}
	e.from, e.until = claims.validity(c.leeway)
	// Clipped, so a caller's append reallocates instead of writing into
	// the shared array.
	e.view.Audience = slices.Clip(e.view.Audience)
	e.view.Scopes = slices.Clip(e.view.Scopes)
	e.pristine = e.view
	own := slices.Concat(e.view.Audience, e.view.Scopes)
	e.pristine.Audience = own[:len(e.view.Audience):len(e.view.Audience)]
	e.pristine.Scopes = own[len(e.view.Audience):]
	e.touched.Store(now.UnixNano()) // the clock get compares with
	s := c.shard(token)
	s.mu.Lock()
	s.order.Add(token, e)
	s.index.Store(token, e)
	s.mu.Unlock()
	return &e.view
}

// len reports the number of entries, for tests.
func (c *tokenCache) len() int {
	n := 0
	for i := range c.mask + 1 {
		s := &c.shards[i]
		s.mu.Lock()
		n += s.order.Len()
		s.mu.Unlock()
	}
	return n
}
