package jwtverify

import (
	"fmt"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/jwks"
)

func TestTokenCacheIsBounded(t *testing.T) {
	c := newTokenCache(64)
	cl := &Claims{Expiry: time.Now().Add(time.Hour)}
	for i := range 1000 {
		c.add(fmt.Sprintf("header.payload.signature-%d", i), cl, &jwks.Key{}, nil)
	}
	n := 0
	for _, s := range c.shards {
		n += s.Len()
	}
	if n > 64 {
		t.Errorf("entries after 1000 adds = %d, want at most CacheSize 64", n)
	}
	if n < 32 {
		t.Errorf("entries after 1000 adds = %d, want the cache to hold most of its 64", n)
	}
}

func TestDisabledCacheIsNil(t *testing.T) {
	var c *tokenCache // CacheSize < 0
	c.add("a.b.c", &Claims{}, nil, nil)
	if _, ok := c.get("a.b.c", time.Now(), time.Minute); ok {
		t.Error("disabled cache returned an entry")
	}
}
