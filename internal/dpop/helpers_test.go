package dpop_test

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/tokenguard/tokenguard/internal/dpop"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

const (
	testURL   = "https://api.example.com/orders"
	testToken = "an-access-token.of-the.client"
)

var epoch = time.Unix(1_800_000_000, 0)

// clock is a fake clock that tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: epoch} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// keys caches one ProofKey per algorithm: RSA keys take time to make.
var keys sync.Map

func proofKey(t testing.TB, alg string) *jwttest.ProofKey {
	t.Helper()
	if k, ok := keys.Load(alg); ok {
		return k.(*jwttest.ProofKey)
	}
	name, _, _ := strings.Cut(alg, "-") // "ES256-other": a second ES256 key
	k, err := jwttest.NewProofKey(name)
	if err != nil {
		t.Fatal(err)
	}
	actual, _ := keys.LoadOrStore(alg, k)
	return actual.(*jwttest.ProofKey)
}

func ath(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// sign signs a proof for GET testURL and testToken at now, with header and
// claims overriding the defaults (nil removes a member).
func sign(t testing.TB, k *jwttest.ProofKey, now time.Time, header, claims map[string]any) string {
	t.Helper()
	c := map[string]any{"htm": "GET", "htu": testURL, "iat": now.Unix(), "ath": ath(testToken)}
	for n, v := range claims {
		c[n] = v
	}
	p, err := k.SignProof(header, c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// request is the request that sign's proofs are made for, bound to k.
func request(k *jwttest.ProofKey) dpop.Request {
	return dpop.Request{Method: "GET", URL: testURL, AccessToken: testToken, KeyThumbprint: k.Thumbprint()}
}

func newChecker(t testing.TB, cfg dpop.Config) *dpop.Checker {
	t.Helper()
	c, err := dpop.New(cfg)
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	return c
}

// rawProof signs a proof whose header and claims are the JSON given, as
// written: for members that a map cannot hold twice.
func rawProof(t testing.TB, alg string, key crypto.Signer, header, claims string) string {
	t.Helper()
	in := b64(header) + "." + b64(claims)
	sig, err := jwttest.SignRaw(alg, key, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// recordingStore records the claims it gets and answers like an empty store
// that never forgets, or with err.
type recordingStore struct {
	mu     sync.Mutex
	keys   []string
	untils []time.Time
	seen   map[string]bool
	err    error
}

func (s *recordingStore) Claim(_ context.Context, key string, until time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, key)
	s.untils = append(s.untils, until)
	if s.err != nil {
		return false, s.err
	}
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	first := !s.seen[key]
	s.seen[key] = true
	return first, nil
}

// thumbprintOf is jwx's RFC 7638 thumbprint of pub: an implementation
// independent of this package's.
func thumbprintOf(t testing.TB, pub crypto.PublicKey) string {
	t.Helper()
	k, err := jwk.Import(pub)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(sum)
}

// runtimeMem reads the bytes allocated so far.
type runtimeMem struct{ total uint64 }

func (m *runtimeMem) read() {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	m.total = s.TotalAlloc
}

func httpHeader(name string, values []string) http.Header {
	h := http.Header{}
	for _, v := range values {
		h.Add(name, v)
	}
	return h
}
