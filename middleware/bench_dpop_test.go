package middleware_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
)

// BenchmarkDPoP times a DPoP request (token from the verified-token cache,
// proof check with an ES256 signature, the default in-memory replay store,
// thumbprint) beside a Bearer request of a cached token through the same
// Guard (DPoPAllowed), and the floor: one raw ES256 verification. The
// target is dpop - bearer <= about one floor. Proofs are signed ahead, in
// pools, with the timer stopped; the Guard's clock moves on between pools
// so that the replay store drops the proofs of the pool before.
func BenchmarkDPoP(b *testing.B) {
	iss := jwttest.Start(b, jwttest.Options{})
	v, err := jwtverify.New(b.Context(), jwtverify.Config{Issuer: iss.URL, Audiences: []string{audience}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(v.Close)
	key, err := jwttest.NewProofKey("ES256")
	if err != nil {
		b.Fatal(err)
	}
	bearer := iss.Mint(b, map[string]any{"aud": audience, "sub": "alice"})
	bound := iss.Mint(b, map[string]any{"aud": audience, "sub": "alice", "cnf": map[string]any{"jkt": key.Thumbprint()}})
	now := time.Now()
	g, err := middleware.NewGuard(v, middleware.Config{DPoP: middleware.DPoPConfig{
		Mode: middleware.DPoPAllowed, Now: func() time.Time { return now }}})
	if err != nil {
		b.Fatal(err)
	}
	h := g.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	const url = "http://example.com/me"

	b.Run("path=bearer", func(b *testing.B) {
		req := httptest.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+bearer)
		w := httptest.NewRecorder()
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(w, req)
		}
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	})
	b.Run("path=dpop", func(b *testing.B) {
		sum := sha256.Sum256([]byte(bound))
		ath := base64.RawURLEncoding.EncodeToString(sum[:])
		const pool = 1024
		reqs := make([]*http.Request, pool)
		fill := func() {
			now = now.Add(3 * time.Minute) // past every earlier proof's window
			for i := range reqs {
				p, err := key.SignProof(nil, map[string]any{"htm": "GET", "htu": url, "ath": ath, "iat": now.Unix()})
				if err != nil {
					b.Fatal(err)
				}
				r := httptest.NewRequest(http.MethodGet, url, nil)
				r.Header.Set("Authorization", "DPoP "+bound)
				r.Header.Set("DPoP", p)
				reqs[i] = r
			}
		}
		w := httptest.NewRecorder()
		i := pool
		b.ReportAllocs()
		for b.Loop() {
			if i == pool {
				b.StopTimer()
				fill()
				i = 0
				b.StartTimer()
			}
			h.ServeHTTP(w, reqs[i])
			i++
		}
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	})
	b.Run("path=floor-es256", func(b *testing.B) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		digest := sha256.Sum256([]byte("header.claims"))
		sig, err := ecdsa.SignASN1(rand.Reader, k, digest[:])
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			d := sha256.Sum256([]byte("header.claims"))
			if !ecdsa.VerifyASN1(&k.PublicKey, d[:], sig) {
				b.Fatal("no")
			}
		}
	})
}
