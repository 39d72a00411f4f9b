package introspect_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/introspect"
)

// benchClient returns a client of an endpoint that answers every token as
// active, on the real clock.
func benchClient(b *testing.B, cacheSize int) *introspect.Client {
	b.Helper()
	body := []byte(activeJSON(time.Now(), nil))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	b.Cleanup(srv.Close)
	c, err := introspect.New(context.Background(), introspect.Config{
		Endpoint:     srv.URL + "/introspect",
		Issuer:       testIssuer,
		Audiences:    []string{testAudience},
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
		CacheSize:    cacheSize,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return c
}

const benchToken = "2YotnFZFEjr1zCsicMWpAA-opaque-access-token-of-a-typical-length-0123456789"

// BenchmarkAuthenticate_Cached is the hot path: a token seen before.
func BenchmarkAuthenticate_Cached(b *testing.B) {
	c := benchClient(b, 0)
	ctx := context.Background()
	if _, err := c.Authenticate(ctx, benchToken); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Authenticate(ctx, benchToken); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticate_Uncached makes a call to a loopback endpoint per
// token (the cache is off).
func BenchmarkAuthenticate_Uncached(b *testing.B) {
	c := benchClient(b, -1)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Authenticate(ctx, benchToken); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticate_CachedParallel is the hot path under parallel load.
func BenchmarkAuthenticate_CachedParallel(b *testing.B) {
	c := benchClient(b, 0)
	ctx := context.Background()
	if _, err := c.Authenticate(ctx, benchToken); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Authenticate(ctx, benchToken); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkBaseline_SHA256 is the floor of the cached path: hashing the
// token for the cache key.
func BenchmarkBaseline_SHA256(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sha256.Sum256([]byte(benchToken))
	}
}
