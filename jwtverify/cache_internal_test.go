package jwtverify

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tokenguard/tokenguard/jwks"
)

func TestTokenCacheIsBounded(t *testing.T) {
	c := newTokenCache(64, time.Minute)
	cl := &Claims{Expiry: time.Now().Add(time.Hour)}
	for i := range 1000 {
		c.add(fmt.Sprintf("header.payload.signature-%d", i), cl, &jwks.Key{}, nil)
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

func TestDisabledCacheIsNil(t *testing.T) {
	var c *tokenCache // CacheSize < 0
	c.add("a.b.c", &Claims{}, nil, nil)
	if _, _, ok := c.get("a.b.c", time.Now()); ok {
		t.Error("disabled cache returned an entry")
	}
}

func TestQuoteKeepsUTF8(t *testing.T) {
	long := strings.Repeat("a", 63) + "é" + strings.Repeat("b", 10) // é straddles the cut
	q := quote(long + "\"\n")
	if !utf8.ValidString(q) || strings.ContainsAny(q[1:len(q)-1], "\"\n") {
		t.Errorf("quote(%q) = %q, want valid UTF-8 without quotes or control characters inside", long, q)
	}
}
