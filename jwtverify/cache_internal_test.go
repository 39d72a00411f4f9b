package jwtverify

import (
	"fmt"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/internal/jwks"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

func TestTokenCacheIsBounded(t *testing.T) {
	c := newTokenCache(64, time.Minute)
	cl := &Claims{Expiry: time.Now().Add(time.Hour)}
	for i := range 1000 {
		c.add(fmt.Sprintf("header.payload.signature-%d", i), cl, &jwks.Key{}, nil, time.Now())
	}
	n := c.len()
	indexed := 0
	for i := range c.shards {
		c.shards[i].index.Range(func(any, any) bool { indexed++; return true })
	}
	if indexed != n {
		t.Errorf("lock-free index holds %d entries, LRU %d: they must agree", indexed, n)
	}
	if n > 64 {
		t.Errorf("entries after 1000 adds = %d, want at most CacheSize 64", n)
	}
	if n < 32 {
		t.Errorf("entries after 1000 adds = %d, want the cache to hold most of its 64", n)
	}
}

// TestTokenCacheSizeIsExact: the cache never holds more than CacheSize
// entries, small sizes included (16 shards once kept 16 entries for a
// CacheSize of 1), and it holds a fair share of them.
func TestTokenCacheSizeIsExact(t *testing.T) {
	now := time.Now()
	cl := &Claims{Expiry: now.Add(time.Hour)}
	for _, size := range []int{1, 2, 3, 5, 8, 15, 16, 17, 31, 33, 100, 4096} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			c := newTokenCache(size, time.Minute)
			most := 0
			for i := range 3*size + 64 {
				c.add(fmt.Sprintf("header.payload.signature-%d", i), cl, &jwks.Key{}, nil, now)
				n := c.len()
				if n > size {
					t.Fatalf("entries after %d adds = %d, want at most CacheSize %d", i+1, n, size)
				}
				most = max(most, n)
			}
			if most < (size+1)/2 {
				t.Errorf("at most %d entries were ever held, want at least half of CacheSize %d", most, size)
			}
		})
	}
}

// TestCacheRecencyFollowsTheVerifierClock: a hit refreshes its entry's
// recency on the clock that get compares with (Config.Now), so it protects the
// entry from eviction even when that clock is far from the wall clock.
func TestCacheRecencyFollowsTheVerifierClock(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}})
	keys, err := jwks.New(jwks.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	set, err := keys.Set(t.Context(), iss.JWKSURL)
	if err != nil {
		t.Fatal(err)
	}
	key, err := set.Key(t.Context(), iss.KeyID("ES256"))
	if err != nil {
		t.Fatal(err)
	}
	c := newTokenCache(2*cacheShards, time.Minute) // two entries per shard
	var same []string                              // three tokens of one shard
	for i := 0; len(same) < 3; i++ {
		tok := fmt.Sprintf("header.payload.signature-%d", i)
		if len(same) == 0 || c.shard(tok) == c.shard(same[0]) {
			same = append(same, tok)
		}
	}
	now := time.Unix(1_000_000_000, 0) // 2001: far from the wall clock
	cl := &Claims{Expiry: now.Add(time.Hour)}
	c.add(same[0], cl, key[0], set, now)
	c.add(same[1], cl, key[0], set, now)
	if _, _, ok := c.get(same[0], now.Add(2*time.Second)); !ok {
		t.Fatal("fresh entry missed")
	}
	c.add(same[2], cl, key[0], set, now.Add(2*time.Second)) // evicts the least recently used
	if _, _, ok := c.get(same[0], now.Add(3*time.Second)); !ok {
		t.Error("entry hit a moment ago was evicted; want the other one evicted")
	}
	if _, _, ok := c.get(same[1], now.Add(3*time.Second)); ok {
		t.Error("least recently used entry survived")
	}
}

func TestDisabledCacheIsNil(t *testing.T) {
	var c *tokenCache // CacheSize < 0
	c.add("a.b.c", &Claims{}, nil, nil, time.Now())
	if _, _, ok := c.get("a.b.c", time.Now()); ok {
		t.Error("disabled cache returned an entry")
	}
}
