package dpop

import (
	"context"
	"crypto/sha256"
	"errors"
	"math"
	"sync"
	"time"
	"unsafe"
)

// ReplayStore remembers the proofs already presented, so that each is
// accepted once (RFC 9449 §11.1). Implementations must be safe for
// concurrent use; several instances of a service that share one store
// refuse a proof replayed to any of them.
type ReplayStore interface {
	// Claim records key until until and reports whether key was new: true
	// the first time, false while an earlier record lasts. An error fails
	// the request closed (HTTP 503). key is an opaque ASCII string of 43
	// characters; the store never sees a proof.
	Claim(ctx context.Context, key string, until time.Time) (first bool, err error)
}

// The in-memory store's bounds. An entry costs about 29 bytes (measured by
// TestMemoryStoreBounded), so memStoreLimit entries take about 43 MiB.
const (
	memStoreShards = 64                      // a power of two; it must scale with cores
	memStoreLimit  = memStoreShards * 24_000 // entries, all shards together
)

// errStoreFull reports a store full of live entries.
var errStoreFull = errors.New("dpop: the in-memory replay store is full of proofs still within their window: more proofs per second than it holds (see Config.Replay)")

// memoryStore is the bounded in-memory ReplayStore. Keys are reduced to 128
// bits of their SHA-256 (a collision would only refuse a proof as replayed)
// and spread over shards, each with its own lock and map, the expiry kept in
// whole seconds, rounded up. Expired entries are dropped lazily, when a shard
// is full; a shard full of live entries refuses new ones (errStoreFull)
// rather than forget one that could be replayed.
type memoryStore struct {
	now    func() time.Time
	per    int   // entries per shard
	bucket int64 // seconds per histogram bucket of sweep
	shards [memStoreShards]memShard
}

type memShard struct {
	mu sync.Mutex
	m  map[[16]byte]uint32 // key → last second it lives (unix)
	// sweepAt is when, at the earliest, a full shard is worth sweeping:
	// when at least an eighth of its entries will have expired. Sweeping
	// costs a pass over the shard, so this keeps it amortised.
	sweepAt int64
	_       [40]byte // pad to a cache line, so shards do not share one
}

// newMemoryStore returns a store of at most limit entries whose expiries lie
// at most horizon ahead of now (longer ones are kept, and counted as lasting
// horizon when sweeps plan ahead).
func newMemoryStore(limit int, horizon time.Duration, now func() time.Time) *memoryStore {
	s := &memoryStore{now: now, per: max(limit/memStoreShards, 1)}
	s.bucket = max(int64(math.Ceil(horizon.Seconds()/sweepBuckets)), 1)
	return s
}

const sweepBuckets = 256

func (s *memoryStore) Claim(_ context.Context, key string, until time.Time) (bool, error) {
	h := sha256.Sum256(unsafe.Slice(unsafe.StringData(key), len(key)))
	var k [16]byte
	copy(k[:], h[:16])
	sh := &s.shards[h[16]&(memStoreShards-1)]
	now := s.now().Unix()
	last := until.Unix()
	if until.Nanosecond() > 0 {
		last++
	}
	last = min(max(last, 0), math.MaxUint32)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.m == nil {
		sh.m = make(map[[16]byte]uint32)
	}
	if e, ok := sh.m[k]; ok {
		if int64(e) >= now {
			return false, nil
		}
		sh.m[k] = uint32(last)
		return true, nil
	}
	if len(sh.m) >= s.per && (now < sh.sweepAt || !sh.sweep(now, s.bucket, s.per)) {
		return false, errStoreFull
	}
	sh.m[k] = uint32(last)
	return true, nil
}

// sweep drops the expired entries of a full shard, plans the next sweep,
// and reports whether there is room now.
func (sh *memShard) sweep(now, bucket int64, per int) bool {
	var hist [sweepBuckets]int
	for k, e := range sh.m {
		if int64(e) < now {
			delete(sh.m, k)
			continue
		}
		hist[min((int64(e)-now)/bucket, sweepBuckets-1)]++
	}
	sh.sweepAt = now // few left: the next sweep is amortised by the room made
	need := per / 8
	if len(sh.m) >= need {
		n := 0
		for b, c := range hist {
			if n += c; n >= need {
				// Every entry of buckets 0..b lasts until at most
				// now+(b+1)*bucket-1, so it has expired then.
				sh.sweepAt = now + int64(b+1)*bucket
				break
			}
		}
	}
	return len(sh.m) < per
}

// len reports the number of entries, for tests.
func (s *memoryStore) len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}
