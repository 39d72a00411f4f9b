package dpop

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

var benchAlgs = []string{"ES256", "EdDSA", "RS256", "PS256"}

const (
	benchURL   = "https://api.example.com/orders"
	benchToken = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMzQiLCJjbmYiOnsiamt0IjoieCJ9fQ.c2lnbmF0dXJl"
)

// benchProofs signs n distinct proofs for GET benchURL and benchToken at now,
// and returns them with their replay keys and the key's public key.
func benchProofs(b *testing.B, k *jwttest.ProofKey, now time.Time, n int) (proofs, keys []string, pub crypto.PublicKey) {
	sum := sha256.Sum256([]byte(benchToken))
	ath := b64.EncodeToString(sum[:])
	for i := range n {
		p, err := k.SignProof(nil, map[string]any{"htm": "GET", "htu": benchURL, "iat": now.Unix(), "ath": ath, "jti": "bench-" + strconv.Itoa(i)})
		if err != nil {
			b.Fatal(err)
		}
		parsed, perr := parseProof(p)
		if perr != nil {
			b.Fatal(perr)
		}
		proofs = append(proofs, p)
		keys = append(keys, replayKey(benchURL, parsed.jti))
		if pub == nil {
			key, perr := parseJWK(parsed.jwk, string(parsed.alg))
			if perr != nil {
				b.Fatal(perr)
			}
			pub = key.pub
		}
	}
	return proofs, keys, pub
}

// forget removes key from the store, so a benchmark can present a proof
// again.
func (s *memoryStore) forget(key string) {
	h := sha256.Sum256([]byte(key))
	var k [16]byte
	copy(k[:], h[:16])
	sh := &s.shards[h[16]&(memStoreShards-1)]
	sh.mu.Lock()
	delete(sh.m, k)
	sh.mu.Unlock()
}

// floorVerify is the raw crypto cost of a proof: split it, decode the
// signature, hash the signing input and verify with the standard library.
// Nothing of this package runs in it.
func floorVerify(b *testing.B, alg, proof string, pub crypto.PublicKey) {
	dot := strings.LastIndexByte(proof, '.')
	sig, err := b64.DecodeString(proof[dot+1:])
	if err != nil {
		b.Fatal(err)
	}
	input := []byte(proof[:dot])
	ok := false
	switch alg {
	case "ES256":
		d := sha256.Sum256(input)
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		ok = ecdsa.Verify(pub.(*ecdsa.PublicKey), d[:], r, s)
	case "EdDSA":
		ok = ed25519.Verify(pub.(ed25519.PublicKey), input, sig)
	case "RS256":
		d := sha256.Sum256(input)
		ok = rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, d[:], sig) == nil
	case "PS256":
		d := sha256.Sum256(input)
		ok = rsa.VerifyPSS(pub.(*rsa.PublicKey), crypto.SHA256, d[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
	}
	if !ok {
		b.Fatalf("floor: %s does not verify", alg)
	}
}

type passStore struct{}

func (passStore) Claim(context.Context, string, time.Time) (bool, error) { return true, nil }

// BenchmarkCheck measures, per algorithm and side by side:
//
//   - path=floor: the raw signature verification of the proof with the
//     standard library, none of this package's code;
//   - path=check: Check of a proof never seen before, everything included
//     (parsing, the jwk, the thumbprint, both URLs, ath, the signature, the
//     binding, and the default in-memory store, half full);
//   - path=check-no-store: the same with a store that does nothing.
//
// benchstat -col /path shows check as a ratio of the floor: what a DPoP
// request adds to a Bearer request of the same token, in signature
// verifications (the budget is one).
func BenchmarkCheck(b *testing.B) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	store := newMemoryStore(memStoreLimit, 121*time.Second, clock)
	for i := range memStoreLimit / 2 { // a store in use
		if _, err := store.Claim(b.Context(), "prefill-"+strconv.Itoa(i), now.Add(time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
	withStore, err := New(Config{Now: clock, Replay: store})
	if err != nil {
		b.Fatal(err)
	}
	noStore, err := New(Config{Now: clock, Replay: passStore{}})
	if err != nil {
		b.Fatal(err)
	}
	const pool = 512
	for _, alg := range benchAlgs {
		k, err := jwttest.NewProofKey(alg)
		if err != nil {
			b.Fatal(err)
		}
		proofs, keys, pub := benchProofs(b, k, now, pool)
		req := Request{Method: "GET", URL: benchURL, AccessToken: benchToken, KeyThumbprint: k.Thumbprint()}
		b.Run("alg="+alg+"/path=floor", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				floorVerify(b, alg, proofs[0], pub)
			}
		})
		b.Run("alg="+alg+"/path=check", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if i%pool == 0 && i > 0 { // present the pool again
					b.StopTimer()
					for _, key := range keys {
						store.forget(key)
					}
					b.StartTimer()
				}
				if _, err := withStore.Check(b.Context(), proofs[i%pool], req); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			for _, key := range keys {
				store.forget(key)
			}
		})
		b.Run("alg="+alg+"/path=check-no-store", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := noStore.Check(b.Context(), proofs[i%pool], req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMemoryStore claims distinct keys on every core. Run it with
// -cpu 1,2 and compare: throughput should scale with the cores. A fake clock
// moves one second every 2^16 claims, so that entries expire and full
// shards sweep as they would in service.
func BenchmarkMemoryStore(b *testing.B) {
	var secs atomic.Int64
	secs.Store(1_800_000_000)
	clock := func() time.Time { return time.Unix(secs.Load(), 0) }
	s := newMemoryStore(memStoreLimit, 121*time.Second, clock)
	var worker atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var buf [16]byte // worker and counter: distinct across runs and goroutines
		binary.BigEndian.PutUint64(buf[:8], uint64(worker.Add(1)))
		for i := uint64(0); pb.Next(); i++ {
			binary.BigEndian.PutUint64(buf[8:], i)
			if i&(1<<16-1) == 0 {
				secs.Add(1)
			}
			key := unsafe.String(&buf[0], len(buf)) // Claim keeps no key
			if first, err := s.Claim(context.Background(), key, time.Unix(secs.Load()+1, 0)); err != nil || !first {
				b.Errorf("Claim = %v, %v", first, err)
				return
			}
		}
	})
}
