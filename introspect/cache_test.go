package introspect_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tokenguard/tokenguard/introspect"
	"github.com/tokenguard/tokenguard/jwtverify"
)

func TestCache_Active(t *testing.T) {
	tests := []struct {
		name     string
		exp      time.Duration // token exp after t0
		ttl      time.Duration // Config.CacheTTL
		wantLife time.Duration // how long the first answer serves
	}{
		{name: "CacheTTL before exp", exp: time.Hour, wantLife: defaultCacheTTL},
		{name: "exp before CacheTTL", exp: 90 * time.Second, wantLife: 90 * time.Second},
		{name: "configured CacheTTL", exp: time.Hour, ttl: 10 * time.Second, wantLife: 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := &endpoint{}
			ep.answer("opaque", activeJSON(t0, map[string]any{"exp": t0.Add(tt.exp).Unix()}))
			clk := newClock()
			cfg := baseConfig(ep.serve(t), clk)
			cfg.CacheTTL = tt.ttl
			c := newClient(t, cfg)

			mustAuth(t, c, "opaque")
			clk.Advance(tt.wantLife - time.Second)
			mustAuth(t, c, "opaque")
			if n := ep.calls.Load(); n != 1 {
				t.Fatalf("endpoint calls within the cache lifetime = %d, want 1", n)
			}
			clk.Advance(time.Second)
			mustAuth(t, c, "opaque")
			if n := ep.calls.Load(); n != 2 {
				t.Fatalf("endpoint calls once the entry is due = %d, want 2", n)
			}
		})
	}
}

func TestCache_NoActiveCaching(t *testing.T) {
	ep := &endpoint{}
	ep.answer("opaque", activeJSON(t0, nil))
	cfg := baseConfig(ep.serve(t), newClock())
	cfg.CacheTTL = -1
	c := newClient(t, cfg)
	for range 3 {
		mustAuth(t, c, "opaque")
	}
	if n := ep.calls.Load(); n != 3 {
		t.Errorf("endpoint calls with CacheTTL < 0 = %d, want 3", n)
	}
}

func TestCache_Inactive(t *testing.T) {
	for _, tt := range []struct {
		name      string
		ttl       time.Duration
		wantCalls []int64 // after a call at 0, ttl-1s and ttl
	}{
		{name: "default", wantCalls: []int64{1, 1, 2}},
		{name: "configured", ttl: 5 * time.Second, wantCalls: []int64{1, 1, 2}},
		{name: "off", ttl: -1, wantCalls: []int64{1, 2, 3}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ep := &endpoint{}
			clk := newClock()
			cfg := baseConfig(ep.serve(t), clk)
			cfg.InactiveCacheTTL = tt.ttl
			c := newClient(t, cfg)
			life := tt.ttl
			if life == 0 {
				life = defaultInactiveCacheTTL
			}
			if life < 0 {
				life = time.Second
			}
			steps := []time.Duration{0, life - time.Second, time.Second}
			for i, d := range steps {
				clk.Advance(d)
				_, err := c.Authenticate(t.Context(), "revoked")
				if !errors.Is(err, introspect.ErrInactive) {
					t.Fatalf("Authenticate(inactive) = %v, want ErrInactive", err)
				}
				if n := ep.calls.Load(); n != tt.wantCalls[i] {
					t.Fatalf("step %d: endpoint calls = %d, want %d", i, n, tt.wantCalls[i])
				}
			}
		})
	}
}

func TestCache_RejectionsOfCachedAnswers(t *testing.T) {
	// An answer cached while valid is checked again on every hit.
	ep := &endpoint{}
	ep.answer("soon-expired", activeJSON(t0, map[string]any{"exp": t0.Add(time.Minute).Unix()}))
	clk := newClock()
	cfg := baseConfig(ep.serve(t), clk)
	cfg.Leeway = time.Second
	c := newClient(t, cfg)
	mustAuth(t, c, "soon-expired")
	clk.Advance(time.Minute + 2*time.Second)
	_, err := c.Authenticate(t.Context(), "soon-expired")
	if !errors.Is(err, jwtverify.ErrExpired) {
		t.Errorf("Authenticate(expired since) = %v, want ErrExpired", err)
	}
}

func TestCache_ReturnsCopies(t *testing.T) {
	ep := &endpoint{}
	ep.answer("opaque", activeJSON(t0, nil))
	c := newClient(t, baseConfig(ep.serve(t), newClock()))
	first := mustAuth(t, c, "opaque")
	first.Subject = "mallory"
	first.Scopes[0] = "admin"
	first.Audience[0] = "elsewhere"
	second := mustAuth(t, c, "opaque")
	if second.Subject != "alice" || second.Scopes[0] != "orders:read" || second.Audience[0] != testAudience {
		t.Errorf("cached claims changed through a returned copy: %+v", *second)
	}
	if n := ep.calls.Load(); n != 1 {
		t.Errorf("endpoint calls = %d, want 1", n)
	}
}

func TestCache_Bounded(t *testing.T) {
	ep := &endpoint{}
	for i := range 64 {
		ep.answer(fmt.Sprint("tok-", i), activeJSON(t0, nil))
	}
	cfg := baseConfig(ep.serve(t), newClock())
	cfg.CacheSize = 16
	c := newClient(t, cfg)
	for i := range 64 {
		mustAuth(t, c, fmt.Sprint("tok-", i))
	}
	for i := range 64 {
		mustAuth(t, c, fmt.Sprint("tok-", i))
	}
	if n := ep.calls.Load(); n <= 64 {
		t.Errorf("endpoint calls = %d for 64 tokens twice through a 16-entry cache, want > 64 (evictions)", n)
	}
}

// TestCache_ExactSize checks that CacheSize is the exact number of results
// kept: after more tokens than that, asking for them again, newest first,
// finds exactly CacheSize of them in the cache.
func TestCache_ExactSize(t *testing.T) {
	for _, size := range []int{1, 2, 5, 15, 16, 17, 63, 100, 1000, 1500} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			ep := &endpoint{handle: func(w http.ResponseWriter, _ *http.Request, _ string) {
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(activeJSON(t0, nil)))
			}}
			cfg := baseConfig("http://127.0.0.1/introspect", newClock())
			cfg.HTTPClient = memClient(ep)
			cfg.CacheSize = size
			c := newClient(t, cfg)
			tokens := size + size/2 + 16
			for i := range tokens {
				mustAuth(t, c, fmt.Sprint("tok-", i))
			}
			before := ep.calls.Load()
			hits := 0
			for i := tokens - 1; i >= 0; i-- {
				n := ep.calls.Load()
				mustAuth(t, c, fmt.Sprint("tok-", i))
				if ep.calls.Load() == n {
					hits++
				}
			}
			if hits > size {
				t.Errorf("CacheSize %d: %d of %d tokens answered from the cache, want at most %d", size, hits, tokens, size)
			}
			if size < 128 && hits != size { // one exact LRU below 128 entries
				t.Errorf("CacheSize %d: %d of %d tokens answered from the cache, want %d", size, hits, tokens, size)
			}
			if size >= 128 && hits < size/2 {
				t.Errorf("CacheSize %d: only %d of %d tokens answered from the cache, want about %d", size, hits, tokens, size)
			}
			t.Logf("CacheSize %d: %d hits of %d, %d calls", size, hits, tokens, ep.calls.Load()-before)
		})
	}
}

func mustAuth(t *testing.T, c interface {
	Authenticate(context.Context, string) (*jwtverify.Claims, error)
}, token string) *jwtverify.Claims {
	t.Helper()
	claims, err := c.Authenticate(t.Context(), token)
	if err != nil {
		t.Fatalf("Authenticate = %v, want nil", err)
	}
	return claims
}

// TestSingleflight runs 1,000 concurrent requests for one token, all of
// which arrive while the endpoint is still thinking: exactly one call.
func TestSingleflight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		ep := &endpoint{handle: func(w http.ResponseWriter, r *http.Request, _ string) {
			<-release
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(activeJSON(t0, nil)))
		}}
		cfg := baseConfig("http://127.0.0.1/introspect", newClock())
		cfg.HTTPClient = memClient(ep)
		c := newClient(t, cfg)

		const n = 1000
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				claims, err := c.Authenticate(context.Background(), "opaque-shared")
				if err == nil && claims.Subject != "alice" {
					err = fmt.Errorf("subject %q", claims.Subject)
				}
				errs <- err
			})
		}
		synctest.Wait() // every caller is waiting
		if got := ep.calls.Load(); got != 1 {
			t.Errorf("endpoint calls with %d callers waiting = %d, want 1", n, got)
		}
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("Authenticate = %v, want nil", err)
			}
		}
		if got := ep.calls.Load(); got != 1 {
			t.Errorf("endpoint calls for %d concurrent requests = %d, want 1", n, got)
		}
		c.Close()
	})
}

// TestSingleflight_CallerLeaves checks that a caller's cancellation ends
// only its own wait: the shared call goes on for the others.
func TestSingleflight_CallerLeaves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var callCtxErr error
		ep := &endpoint{handle: func(w http.ResponseWriter, r *http.Request, _ string) {
			<-release
			callCtxErr = r.Context().Err()
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(activeJSON(t0, nil)))
		}}
		cfg := baseConfig("http://127.0.0.1/introspect", newClock())
		cfg.HTTPClient = memClient(ep)
		c := newClient(t, cfg)

		first, cancelFirst := context.WithCancel(context.Background())
		var firstErr, secondErr error
		var wg sync.WaitGroup
		wg.Go(func() { _, firstErr = c.Authenticate(first, "opaque") })
		synctest.Wait()
		wg.Go(func() { _, secondErr = c.Authenticate(context.Background(), "opaque") })
		synctest.Wait()
		cancelFirst() // the caller that started the call leaves
		synctest.Wait()
		if !errors.Is(firstErr, context.Canceled) || !errors.Is(firstErr, jwtverify.ErrUnavailable) {
			t.Errorf("Authenticate(cancelled caller) = %v, want context.Canceled and ErrUnavailable", firstErr)
		}
		close(release)
		wg.Wait()
		if secondErr != nil || callCtxErr != nil {
			t.Errorf("second caller = %v, call context = %v; want nil, nil (the call outlives the first caller)", secondErr, callCtxErr)
		}
		if got := ep.calls.Load(); got != 1 {
			t.Errorf("endpoint calls = %d, want 1", got)
		}
		c.Close()
	})
}

func TestMaxConcurrentCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		ep := &endpoint{handle: func(w http.ResponseWriter, r *http.Request, _ string) {
			<-release
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"active":false}`))
		}}
		cfg := baseConfig("http://127.0.0.1/introspect", newClock())
		cfg.HTTPClient = memClient(ep)
		cfg.MaxConcurrentCalls = 2
		c := newClient(t, cfg)
		var wg sync.WaitGroup
		for i := range 5 {
			wg.Go(func() { c.Authenticate(context.Background(), fmt.Sprint("distinct-", i)) })
		}
		synctest.Wait()
		if got := ep.calls.Load(); got != 2 {
			t.Errorf("calls in flight = %d, want 2 (MaxConcurrentCalls)", got)
		}
		close(release)
		wg.Wait()
		if got := ep.calls.Load(); got != 5 {
			t.Errorf("calls = %d, want 5", got)
		}
		c.Close()
	})
}

// TestClose_InFlight closes the client while calls hang: waiters get
// ErrClosed, Close waits for every goroutine (synctest fails on a leak), and
// a second Close returns at once.
func TestClose_InFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ep := &endpoint{handle: func(w http.ResponseWriter, r *http.Request, _ string) {
			<-r.Context().Done()
		}}
		cfg := baseConfig("http://127.0.0.1/introspect", newClock())
		cfg.HTTPClient = memClient(ep)
		cfg.MaxConcurrentCalls = 3
		c, err := introspect.New(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		const n = 20
		errs := make(chan error, n)
		for i := range n {
			go func() {
				_, err := c.Authenticate(context.Background(), fmt.Sprint("tok-", i%5))
				errs <- err
			}()
		}
		synctest.Wait()
		c.Close()
		for range n {
			err := <-errs
			if !errors.Is(err, introspect.ErrClosed) || !errors.Is(err, jwtverify.ErrUnavailable) {
				t.Errorf("Authenticate during Close = %v, want ErrClosed", err)
			}
		}
		c.Close()
		if _, err := c.Authenticate(context.Background(), "after-close"); !errors.Is(err, introspect.ErrClosed) {
			t.Errorf("Authenticate after Close = %v, want ErrClosed", err)
		}
	})
}

// TestTimeout_Exact checks with the fake clock that a hanging call ends at
// Config.Timeout (the default, 5s), whatever the caller's deadline.
func TestTimeout_Exact(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ep := &endpoint{handle: func(w http.ResponseWriter, r *http.Request, _ string) { <-r.Context().Done() }}
		cfg := baseConfig("http://127.0.0.1/introspect", newClock())
		cfg.HTTPClient = memClient(ep)
		c := newClient(t, cfg)
		start := time.Now()
		_, err := c.Authenticate(context.Background(), "opaque")
		if d := time.Since(start); d != defaultTimeout || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Authenticate(hanging endpoint) = %v after %v, want DeadlineExceeded after %v", err, d, defaultTimeout)
		}
		c.Close()
	})
}

// TestMaxConcurrentCalls_WaitBounded: a call that finds every slot taken
// waits for one at most Config.Timeout, then fails with ErrEndpoint (503),
// so that a slow server cannot make waiting calls pile up without bound.
func TestMaxConcurrentCalls_WaitBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ep := &endpoint{handle: func(w http.ResponseWriter, r *http.Request, _ string) {
			time.Sleep(4 * time.Second) // each call takes 4s of the 5s timeout
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"active":false}`))
		}}
		cfg := baseConfig("http://127.0.0.1/introspect", newClock())
		cfg.HTTPClient = memClient(ep)
		cfg.MaxConcurrentCalls = 1
		c := newClient(t, cfg)
		start := time.Now()
		type outcome struct {
			err  error
			took time.Duration
		}
		got := make([]chan outcome, 3)
		for i := range got {
			got[i] = make(chan outcome, 1)
			go func() {
				_, err := c.Authenticate(context.Background(), fmt.Sprint("distinct-", i))
				got[i] <- outcome{err, time.Since(start)}
			}()
			synctest.Wait() // in order: the first call takes the slot
		}
		for i, want := range []struct {
			err  error
			took time.Duration
		}{
			{introspect.ErrInactive, 4 * time.Second}, // the slot at once
			{introspect.ErrInactive, 8 * time.Second}, // the slot after 4s
			{introspect.ErrEndpoint, 5 * time.Second}, // no slot within 5s
		} {
			o := <-got[i]
			if !errors.Is(o.err, want.err) || o.took != want.took {
				t.Errorf("call %d = %v after %v, want %v after %v", i, o.err, o.took, want.err, want.took)
			}
		}
		if n := ep.calls.Load(); n != 2 {
			t.Errorf("endpoint calls = %d, want 2", n)
		}
		c.Close()
	})
}
