package dpop

import (
	"crypto/sha256"
	"errors"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// TestMemoryStoreBounded fills the default in-memory store to its limit and
// measures what it holds: every entry kept, none beyond the limit, and the
// heap it takes near the figures doc.go states, under the 64 MiB the design
// allows. (A Go map of 16-byte keys and 4-byte values costs 21 bytes a
// slot; the limit sits where the shards' tables are about 3/4 full. Were
// they half full, as just after they grow, it would still be 62 MiB.)
func TestMemoryStoreBounded(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	limit := memStoreLimit
	if raceEnabled { // 1.5 million claims take 40 s under -race; the bound is the same
		limit = memStoreShards * 1024
	}
	s := newMemoryStore(limit, 121*time.Second, clock)
	until := now.Add(time.Minute)
	buf := []byte("proof-key-")
	full := 0
	for i := 0; s.len() < limit || i < limit; i++ {
		first, err := s.Claim(t.Context(), string(strconv.AppendInt(buf, int64(i), 10)), until)
		switch {
		case errors.Is(err, errStoreFull):
			full++
		case err != nil || !first:
			t.Fatalf("Claim(new key %d) = %v, %v", i, first, err)
		}
		if i > 2*limit {
			t.Fatalf("store holds %d entries after %d claims, want %d", s.len(), i, limit)
		}
		if i%(limit/4) == 0 && s.len() >= limit {
			break
		}
	}
	if n := s.len(); n != limit {
		t.Fatalf("store holds %d entries, want exactly its limit %d", n, limit)
	}
	if full == 0 {
		t.Fatal("no claim was refused: the store never filled up")
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(s)
	total := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	per := float64(total) / float64(limit)
	if raceEnabled {
		t.Logf("memory not measured under -race: the race detector shadows every allocation")
	} else {
		t.Logf("%d entries: %.1f MiB, %.1f bytes per entry (%d claims refused while the last shards filled)", limit, float64(total)/(1<<20), per, full)
	}
	if !raceEnabled && total > 48<<20 {
		t.Errorf("store at its limit takes %.1f MiB, want about the 43 MiB doc.go states (under 48), far from the design's 64 MiB", float64(total)/(1<<20))
	}
	if !raceEnabled && per > 34 {
		t.Errorf("store takes %.1f bytes per entry, want about the 29 doc.go states (at most 34)", per)
	}
	// Still full of live entries: a new proof is refused, a known one is
	// still a replay.
	if first, err := s.Claim(t.Context(), "one more", until); !errors.Is(err, errStoreFull) || first {
		t.Errorf("Claim(new key, store full) = %v, %v; want errStoreFull", first, err)
	}
	if first, err := s.Claim(t.Context(), "proof-key-0", until); err != nil || first {
		t.Errorf("Claim(known key, store full) = %v, %v; want a replay", first, err)
	}
}

// shardKeys returns n keys that fall in shard 0.
func shardKeys(n int) []string {
	var keys []string
	for i := 0; len(keys) < n; i++ {
		k := "key-" + strconv.Itoa(i)
		if h := sha256.Sum256([]byte(k)); h[16]&(memStoreShards-1) == 0 {
			keys = append(keys, k)
		}
	}
	return keys
}

// TestMemoryStoreExpiry: a full shard makes room by dropping expired
// entries, lazily; an entry lives to the end of its until, rounded up to the
// second; a full shard of live entries refuses, failing closed.
func TestMemoryStoreExpiry(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := newMemoryStore(memStoreShards*16, 2*time.Minute, func() time.Time { return now })
	keys := shardKeys(17)
	for i, k := range keys[:16] {
		if first, err := s.Claim(t.Context(), k, now.Add(time.Duration(i)*time.Second+time.Millisecond)); err != nil || !first {
			t.Fatalf("Claim(%s) = %v, %v", k, first, err)
		}
	}
	if first, err := s.Claim(t.Context(), keys[16], now.Add(time.Minute)); !errors.Is(err, errStoreFull) || first {
		t.Fatalf("Claim(17th key, shard full of live entries) = %v, %v; want errStoreFull", first, err)
	}
	// keys[0] lasts until now+1ms, so to the end of second now+1: live at
	// now+1s, expired at now+2s.
	now = now.Add(time.Second)
	if first, _ := s.Claim(t.Context(), keys[0], now.Add(time.Minute)); first {
		t.Fatal("Claim(keys[0]) within its second = new, want a replay")
	}
	now = now.Add(time.Second)
	if first, err := s.Claim(t.Context(), keys[0], now.Add(time.Minute)); err != nil || !first {
		t.Fatalf("Claim(keys[0]) after it expired = %v, %v; want new", first, err)
	}
	// keys[1] lasts to the end of second now: still live, the shard full.
	if first, err := s.Claim(t.Context(), keys[16], now.Add(time.Minute)); !errors.Is(err, errStoreFull) || first {
		t.Fatalf("Claim(17th key, shard full of live entries) = %v, %v; want errStoreFull", first, err)
	}
	// A second later it has expired, and the full shard drops it.
	now = now.Add(time.Second)
	if first, err := s.Claim(t.Context(), keys[16], now.Add(time.Minute)); err != nil || !first {
		t.Fatalf("Claim(17th key, one entry expired) = %v, %v; want new", first, err)
	}
	if n := s.len(); n != 16 {
		t.Fatalf("store holds %d entries, want 16", n)
	}
}

// TestMemoryStoreSweepAmortised: once a sweep of a full shard frees little,
// the next sweep waits until an eighth of the shard will have expired, so
// that a shard at its limit does not pay a pass over all its entries for
// every claim.
func TestMemoryStoreSweepAmortised(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	const per = 64
	s := newMemoryStore(memStoreShards*per, 2*time.Minute, func() time.Time { return now })
	keys := shardKeys(per + 16)
	for i, k := range keys[:per] { // key i lasts to the end of second now+i+1
		if _, err := s.Claim(t.Context(), k, now.Add(time.Duration(i+1)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(2 * time.Second) // keys 0 expired; a sweep frees one entry
	if first, err := s.Claim(t.Context(), keys[per], now.Add(time.Minute)); err != nil || !first {
		t.Fatalf("Claim(after one expiry) = %v, %v; want new", first, err)
	}
	sh := &s.shards[0]
	// An eighth of 64 is 8 entries: keys 1..8 last until now+8s at most
	// (second now-2+9), so the next sweep is due at the end of that.
	if want := now.Unix() + 8; sh.sweepAt != want {
		t.Fatalf("sweepAt = %d, want %d (when an eighth of the shard has expired)", sh.sweepAt, want)
	}
	now = now.Add(3 * time.Second) // keys 1..3 expired, under an eighth
	if _, err := s.Claim(t.Context(), keys[per+1], now.Add(time.Minute)); !errors.Is(err, errStoreFull) {
		t.Fatalf("Claim(before the planned sweep) = %v, want errStoreFull without a sweep", err)
	}
	if n := len(sh.m); n != per {
		t.Fatalf("shard holds %d entries, want %d: it swept before its time", n, per)
	}
	now = time.Unix(sh.sweepAt, 0)
	if first, err := s.Claim(t.Context(), keys[per+1], now.Add(time.Minute)); err != nil || !first {
		t.Fatalf("Claim(at the planned sweep) = %v, %v; want new", first, err)
	}
	if n := len(sh.m); n > per-7 {
		t.Fatalf("shard holds %d entries after the sweep, want at most %d", n, per-7)
	}
}
