package jwks_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tokenguard/tokenguard/internal/jwks"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

const setURL = "http://127.0.0.1/jwks"

// The package's documented defaults and fixed limits.
const (
	defaultRefresh = 10 * time.Minute // Config.RefreshInterval
	minRefresh     = time.Minute      // shortest Cache-Control max-age obeyed
	missBudget     = 3                // unknown-kid refreshes that miss, per window
	missWindow     = 30 * time.Second
)

// newCache returns jwks.New(cfg), failing t on error.
func newCache(t testing.TB, cfg jwks.Config) *jwks.Cache {
	t.Helper()
	c, err := jwks.New(cfg)
	if err != nil {
		t.Fatalf("jwks.New = %v", err)
	}
	return c
}

// withTimeout sets c's Timeout, which bounds each request of the cache.
func withTimeout(c *http.Client, d time.Duration) *http.Client {
	c.Timeout = d
	return c
}

// fakeAS serves an issuer's JWK Set through an in-memory transport, so tests
// can run inside a synctest bubble on a fake clock. mode switches it into a
// failure.
type fakeAS struct {
	iss      *jwttest.Issuer
	requests atomic.Int64
	mu       sync.Mutex
	mode     string
	header   http.Header
}

func newFakeAS(t *testing.T, algs ...string) *fakeAS {
	t.Helper()
	if len(algs) == 0 {
		algs = []string{"ES256"}
	}
	iss, err := jwttest.NewIssuer(jwttest.Options{Algorithms: algs})
	if err != nil {
		t.Fatal(err)
	}
	iss.Close() // only its keys are used; requests never reach its server
	return &fakeAS{iss: iss}
}

func (f *fakeAS) setMode(m string) {
	f.mu.Lock()
	f.mode = m
	f.mu.Unlock()
}

func (f *fakeAS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	f.mu.Lock()
	mode, extra := f.mode, f.header
	f.mu.Unlock()
	for k, v := range extra {
		w.Header()[k] = v
	}
	switch mode {
	case "500":
		http.Error(w, "boom", http.StatusInternalServerError)
		return
	case "garbage":
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"keys":[{"kty":`))
		return
	case "html":
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>login</html>"))
		return
	case "huge":
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"keys":[],"pad":"` + strings.Repeat("x", 2<<20) + `"}`))
		return
	case "not a set": // a JSON document that is no JWK Set (metadata, say)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"issuer":"http://127.0.0.1","jwks_uri":"http://127.0.0.1/jwks"}`))
		return
	case "hang":
		<-r.Context().Done()
		return
	case "404":
		http.NotFound(w, r)
		return
	case "redirect": // to another host: never followed
		http.Redirect(w, r, "http://localhost/jwks", http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Write(f.iss.JWKS())
}

type handlerTransport struct{ h http.Handler }

// RoundTrip serves r with the handler in memory. A *fakeAS in mode
// "refuse", "reset" or "slow" fails at the transport level instead.
func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if f, ok := t.h.(*fakeAS); ok {
		f.mu.Lock()
		mode := f.mode
		f.mu.Unlock()
		switch mode {
		case "refuse":
			f.requests.Add(1)
			return nil, syscall.ECONNREFUSED
		case "reset", "slow":
			f.requests.Add(1)
			body := &faultyBody{ctx: r.Context(), data: f.iss.JWKS(), slow: mode == "slow"}
			return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
				Body: body, Request: r}, nil
		}
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// faultyBody yields a key set that breaks off half way with a connection
// reset, or arrives one byte per second.
type faultyBody struct {
	ctx  context.Context
	data []byte
	slow bool
	pos  int
}

func (b *faultyBody) Read(p []byte) (int, error) {
	if b.slow {
		select {
		case <-time.After(time.Second):
		case <-b.ctx.Done():
			return 0, b.ctx.Err()
		}
		if b.pos == len(b.data) {
			return 0, io.EOF
		}
		p[0] = b.data[b.pos]
		b.pos++
		return 1, nil
	}
	if b.pos >= len(b.data)/2 {
		return 0, syscall.ECONNRESET
	}
	n := copy(p, b.data[b.pos:len(b.data)/2])
	b.pos += n
	return n, nil
}

func (b *faultyBody) Close() error { return nil }

func (f *fakeAS) client() *http.Client {
	return &http.Client{Transport: handlerTransport{f}}
}

func TestSetFetchesOnceAndServesKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		as := newFakeAS(t, "RS256", "ES256", "EdDSA")
		c := newCache(t, jwks.Config{HTTPClient: as.client()})
		defer c.Close()
		set, err := c.Set(t.Context(), setURL)
		if err != nil {
			t.Fatalf("Set = %v", err)
		}
		for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
			keys, err := set.Key(t.Context(), as.iss.KeyID(alg))
			if err != nil || len(keys) != 1 || !keys[0].Fits(alg) {
				t.Fatalf("Key(%s) = %v, %v; want one key fitting %s", alg, keys, err, alg)
			}
		}
		if n := as.requests.Load(); n != 1 {
			t.Errorf("requests = %d, want 1", n)
		}
	})
}

func TestRotationPickedUpOnFirstSight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		as := newFakeAS(t)
		c := newCache(t, jwks.Config{HTTPClient: as.client()})
		defer c.Close()
		set, err := c.Set(t.Context(), setURL)
		if err != nil {
			t.Fatal(err)
		}
		old := as.iss.KeyID("ES256")
		oldKeys, _ := set.Key(t.Context(), old)
		// A new key every second for 10 s: each is accepted on first sight,
		// and real rotations never spend the unknown-kid budget.
		for i := range 10 {
			time.Sleep(time.Second)
			kid, _ := as.iss.Rotate("ES256")
			if _, err := set.Key(t.Context(), kid); err != nil {
				t.Fatalf("rotation %d: Key(%s) = %v, want the new key", i, kid, err)
			}
		}
		if n := as.requests.Load(); n != 11 {
			t.Errorf("requests = %d, want 11 (1 initial + 1 per rotation)", n)
		}
		// The old key leaves the set: after the next refresh it is gone.
		as.iss.Remove(old)
		if !set.Contains(oldKeys[0]) {
			t.Fatal("old key dropped before any refresh")
		}
		time.Sleep(defaultRefresh + time.Second)
		if set.Contains(oldKeys[0]) {
			t.Error("Contains(removed key) = true after background refresh, want false")
		}
		if _, err := set.Key(t.Context(), old); !errors.Is(err, jwks.ErrUnknownKey) {
			t.Errorf("Key(removed) = %v, want ErrUnknownKey", err)
		}
	})
}

func TestUnknownKidFloodIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		as := newFakeAS(t)
		c := newCache(t, jwks.Config{HTTPClient: as.client()})
		defer c.Close()
		set, err := c.Set(t.Context(), setURL)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		var wg sync.WaitGroup
		var unknown atomic.Int64
		for i := range 1000 {
			wg.Go(func() {
				_, err := set.Key(t.Context(), fmt.Sprintf("random-%d", i))
				if errors.Is(err, jwks.ErrUnknownKey) {
					unknown.Add(1)
				}
			})
		}
		wg.Wait()
		if unknown.Load() != 1000 {
			t.Errorf("unknown = %d, want all 1000 rejected as ErrUnknownKey", unknown.Load())
		}
		if n := as.requests.Load() - 1; n > missBudget+1 {
			t.Errorf("JWKS requests for 1000 random kids = %d, want at most %d", n, missBudget+1)
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("callers waited %v of (fake) time, want none", d)
		}
		// Known keys keep working, and the budget comes back after the window.
		if _, err := set.Key(t.Context(), as.iss.KeyID("ES256")); err != nil {
			t.Errorf("Key(known) during flood = %v", err)
		}
		time.Sleep(missWindow)
		kid, _ := as.iss.Rotate("ES256")
		if _, err := set.Key(t.Context(), kid); err != nil {
			t.Errorf("Key(new kid after window) = %v, want found", err)
		}
	})
}

func TestFaultsKeepKnownKeys(t *testing.T) {
	for _, mode := range []string{"refuse", "reset", "slow", "hang", "redirect", "404", "500", "html", "garbage", "not a set", "huge"} {
		t.Run(mode, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				as := newFakeAS(t)
				c := newCache(t, jwks.Config{HTTPClient: withTimeout(as.client(), 2*time.Second)})
				defer c.Close()
				set, err := c.Set(t.Context(), setURL)
				if err != nil {
					t.Fatal(err)
				}
				known := as.iss.KeyID("ES256")
				as.setMode(mode)
				newKid, _ := as.iss.Rotate("ES256")

				start := time.Now()
				_, err = set.Key(t.Context(), newKid)
				if !errors.Is(err, jwks.ErrFetch) {
					t.Errorf("Key(new kid) with endpoint %s = %v, want ErrFetch", mode, err)
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("Key waited %v, longer than the 2s timeout", d)
				}
				// Stale-if-error: the background refresh fails too, known keys stay.
				time.Sleep(defaultRefresh + time.Minute)
				if _, err := set.Key(t.Context(), known); err != nil {
					t.Errorf("Key(known) after failed refreshes = %v, want stale key served", err)
				}
				// A later good response is picked up.
				as.setMode("")
				time.Sleep(6 * time.Minute) // past the longest backoff
				if _, err := set.Key(t.Context(), newKid); err != nil {
					t.Errorf("Key(new kid) after recovery = %v", err)
				}
			})
		})
	}
}

func TestMaxStale(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		as := newFakeAS(t)
		c := newCache(t, jwks.Config{HTTPClient: as.client(), MaxStale: time.Hour})
		defer c.Close()
		set, err := c.Set(t.Context(), setURL)
		if err != nil {
			t.Fatal(err)
		}
		keys, _ := set.Key(t.Context(), as.iss.KeyID("ES256"))
		as.setMode("500")
		time.Sleep(59 * time.Minute)
		if !set.Contains(keys[0]) {
			t.Fatal("key dropped before MaxStale")
		}
		time.Sleep(2 * time.Minute)
		if set.Contains(keys[0]) {
			t.Error("Contains = true past MaxStale, want false")
		}
		if _, err := set.Key(t.Context(), keys[0].ID); !errors.Is(err, jwks.ErrFetch) {
			t.Errorf("Key past MaxStale = %v, want ErrFetch", err)
		}
	})
}

func TestCacheControlMaxAge(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   time.Duration // interval until the next background fetch
	}{
		{"max-age=120", 2 * time.Minute},
		{"max-age=5", minRefresh},
		{"max-age=999999999", defaultRefresh},
		{"max-age=-10", defaultRefresh},
		{"no-store", defaultRefresh},
	} {
		t.Run(tc.header, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				as := newFakeAS(t)
				as.header = http.Header{"Cache-Control": {tc.header}}
				c := newCache(t, jwks.Config{HTTPClient: as.client()})
				defer c.Close()
				if _, err := c.Set(t.Context(), setURL); err != nil {
					t.Fatal(err)
				}
				time.Sleep(tc.want - time.Second)
				synctest.Wait()
				if n := as.requests.Load(); n != 1 {
					t.Fatalf("requests before %v = %d, want 1", tc.want, n)
				}
				time.Sleep(2 * time.Second)
				synctest.Wait()
				if n := as.requests.Load(); n != 2 {
					t.Errorf("requests after %v = %d, want 2", tc.want, n)
				}
			})
		})
	}
}

func TestConditionalRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		as := newFakeAS(t)
		var requests, notModified atomic.Int64
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			requests.Add(1)
			if r.Header.Get("If-None-Match") == `"v1"` {
				notModified.Add(1)
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", `"v1"`)
			as.ServeHTTP(w, r)
		})
		c := newCache(t, jwks.Config{HTTPClient: &http.Client{Transport: handlerTransport{h}}})
		defer c.Close()
		set, err := c.Set(t.Context(), setURL)
		if err != nil {
			t.Fatal(err)
		}
		keys, _ := set.Key(t.Context(), as.iss.KeyID("ES256"))
		time.Sleep(defaultRefresh + time.Second)
		if notModified.Load() != 1 {
			t.Fatalf("304 answers to If-None-Match = %d, want 1", notModified.Load())
		}
		if !set.Contains(keys[0]) {
			t.Error("key lost after 304 Not Modified")
		}
		// A 304 is a success: the next refresh is a whole interval away. A
		// failure would be retried within seconds.
		time.Sleep(time.Minute)
		if n := requests.Load(); n != 2 {
			t.Errorf("requests a minute after the 304 = %d, want 2 (no retry)", n)
		}
	})
}

func TestCloseStopsEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		as := newFakeAS(t)
		as.setMode("hang")
		c := newCache(t, jwks.Config{HTTPClient: withTimeout(as.client(), time.Hour)})
		errc := make(chan error, 1)
		go func() {
			_, err := c.Set(context.Background(), setURL)
			errc <- err
		}()
		synctest.Wait() // the fetch is in flight and hanging
		c.Close()
		if err := <-errc; !errors.Is(err, jwks.ErrFetch) {
			t.Errorf("Set during Close = %v, want an ErrFetch error", err)
		}
		c.Close() // twice is fine
		if _, err := c.Set(t.Context(), setURL); !errors.Is(err, jwks.ErrClosed) {
			t.Errorf("Set after Close = %v, want ErrClosed", err)
		}
		// synctest.Test fails if any goroutine of the cache outlives Close.
	})
}

func TestCallerContextLeavesWithoutCancellingSharedFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		as := newFakeAS(t)
		release := make(chan struct{})
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-release
			as.ServeHTTP(w, r)
		})
		c := newCache(t, jwks.Config{HTTPClient: &http.Client{Transport: handlerTransport{h}, Timeout: time.Minute}})
		defer c.Close()
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if _, err := c.Set(ctx, setURL); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Set with 1s ctx = %v, want DeadlineExceeded", err)
		}
		close(release)
		synctest.Wait()
		set, ok := c.Lookup(setURL)
		if !ok || len(set.Keys()) == 0 {
			t.Error("the shared fetch was cancelled with the first caller's context")
		}
	})
}

func TestMaxSetsEvicts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		as := newFakeAS(t)
		c := newCache(t, jwks.Config{HTTPClient: as.client(), MaxSets: 2})
		defer c.Close()
		for i := range 3 {
			if _, err := c.Set(t.Context(), fmt.Sprintf("http://127.0.0.1/jwks/%d", i)); err != nil {
				t.Fatal(err)
			}
		}
		if _, ok := c.Lookup("http://127.0.0.1/jwks/0"); ok {
			t.Error("least recently used set still cached with MaxSets 2")
		}
		synctest.Wait() // the evicted set's refresh loop has ended
		time.Sleep(defaultRefresh + time.Second)
		if n := as.requests.Load(); n != 5 {
			t.Errorf("requests = %d, want 5 (3 initial + 2 refreshes of kept sets)", n)
		}
	})
}

func TestURLPolicy(t *testing.T) {
	c := newCache(t, jwks.Config{})
	defer c.Close()
	for _, u := range []string{"http://example.com/jwks", "ftp://127.0.0.1/jwks", "/jwks", "http://user:pw@127.0.0.1/jwks"} {
		if _, err := c.Set(t.Context(), u); !errors.Is(err, jwks.ErrFetch) {
			t.Errorf("Set(%q) = %v, want ErrFetch (refused)", u, err)
		}
	}
}

func TestRedirectToOtherHostRefused(t *testing.T) {
	var reached atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
	defer other.Close()
	srv := httptest.NewServer(http.RedirectHandler(strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/jwks", http.StatusFound))
	defer srv.Close()
	c := newCache(t, jwks.Config{})
	defer c.Close()
	if _, err := c.Set(t.Context(), srv.URL+"/jwks"); !errors.Is(err, jwks.ErrFetch) {
		t.Errorf("Set(redirecting URL) = %v, want ErrFetch", err)
	}
	if reached.Load() != 0 {
		t.Error("redirect to another host was followed")
	}
}

// TestKeyPublishedDuringInFlightFetch: a caller whose kid was published after
// an in-flight fetch had read the set joins that fetch, does not find its
// kid, and gets one fetch of its own instead of a false "unknown".
func TestKeyPublishedDuringInFlightFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		as := newFakeAS(t)
		var stale atomic.Bool
		gate := make(chan struct{})
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body := as.iss.JWKS() // read the set now...
			if stale.Load() {
				<-gate // ...and answer later
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
		})
		c := newCache(t, jwks.Config{HTTPClient: &http.Client{Transport: handlerTransport{h}}})
		defer c.Close()
		set, err := c.Set(t.Context(), setURL)
		if err != nil {
			t.Fatal(err)
		}
		stale.Store(true)
		go set.Key(t.Context(), "random-kid") // starts a fetch that reads the old set
		synctest.Wait()
		stale.Store(false)
		kid, _ := as.iss.Rotate("ES256")
		got := make(chan error)
		go func() {
			_, err := set.Key(t.Context(), kid) // joins the in-flight fetch
			got <- err
		}()
		synctest.Wait()
		close(gate)
		if err := <-got; err != nil {
			t.Errorf("Key(kid published during an in-flight fetch) = %v, want found", err)
		}
	})
}

// TestUnknownKidWhileUnreachableIsFetchError: during the backoff after a
// failed refresh, a new kid is "unavailable" (503), not "unknown" (401), so
// that clients keep a token that may well be good.
func TestUnknownKidWhileUnreachableIsFetchError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		as := newFakeAS(t)
		c := newCache(t, jwks.Config{HTTPClient: as.client()})
		defer c.Close()
		set, err := c.Set(t.Context(), setURL)
		if err != nil {
			t.Fatal(err)
		}
		as.setMode("500")
		if _, err := set.Key(t.Context(), "kid-1"); !errors.Is(err, jwks.ErrFetch) {
			t.Fatalf("Key(new kid, endpoint down) = %v, want ErrFetch", err)
		}
		_, err = set.Key(t.Context(), "kid-2") // within the backoff: no request
		if !errors.Is(err, jwks.ErrFetch) || errors.Is(err, jwks.ErrUnknownKey) {
			t.Errorf("Key(new kid during backoff) = %v, want ErrFetch and not ErrUnknownKey", err)
		}
	})
}

// TestLoopWaitsForInFlightFetch: when the background refresh falls due while
// an on-demand fetch is still running, the loop waits for that fetch instead
// of waking again and again (it used to spin a core for the whole fetch).
func TestLoopWaitsForInFlightFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		as := newFakeAS(t)
		gate := make(chan struct{})
		var slow atomic.Bool
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if slow.Load() {
				<-gate
			}
			as.ServeHTTP(w, r)
		})
		c := newCache(t, jwks.Config{HTTPClient: &http.Client{Transport: handlerTransport{h}, Timeout: time.Hour}, RefreshInterval: time.Minute})
		defer c.Close()
		set, err := c.Set(t.Context(), setURL)
		if err != nil {
			t.Fatal(err)
		}
		slow.Store(true)
		time.Sleep(30 * time.Second)
		go set.Key(t.Context(), "unknown") // an on-demand fetch that outlasts the refresh time
		synctest.Wait()
		time.Sleep(2 * time.Minute) // the background refresh falls due meanwhile
		synctest.Wait()             // a spinning loop would never let the bubble idle
		slow.Store(false)
		close(gate)
		synctest.Wait()
		if n := as.requests.Load(); n < 2 || n > 3 {
			t.Errorf("fetches = %d, want the initial one, the on-demand one and at most one background refresh", n)
		}
	})
}

// TestNewRefusesNegativeValues: a negative setting is an error, never
// silently the default.
func TestNewRefusesNegativeValues(t *testing.T) {
	for name, cfg := range map[string]jwks.Config{
		"RefreshInterval": {RefreshInterval: -time.Minute},
		"MaxStale":        {MaxStale: -time.Hour},
		"MaxSets":         {MaxSets: -1},
	} {
		t.Run(name, func(t *testing.T) {
			if c, err := jwks.New(cfg); err == nil {
				c.Close()
				t.Errorf("New(negative %s) = nil error, want an error", name)
			}
		})
	}
}
