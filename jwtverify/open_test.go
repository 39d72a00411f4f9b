package jwtverify_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

// barrierJWKS serves iss's key set at /a and /b, but only once both have
// been asked for: a verifier that opens its issuers one after another waits
// in vain for the first answer.
type barrierJWKS struct {
	iss  *jwttest.Issuer
	both chan struct{}
	mu   sync.Mutex
	seen map[string]bool
}

func (b *barrierJWKS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.seen[r.URL.Path] = true
	if len(b.seen) == 2 {
		select {
		case <-b.both:
		default:
			close(b.both)
		}
	}
	b.mu.Unlock()
	select {
	case <-b.both:
	case <-r.Context().Done():
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b.iss.JWKS())
}

// TestNewOpensIssuersConcurrently: New fetches the key sets of its
// configured issuers at the same time, not one after another.
func TestNewOpensIssuersConcurrently(t *testing.T) {
	iss, err := jwttest.NewIssuer(jwttest.Options{Algorithms: []string{"ES256"}})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	synctest.Test(t, func(t *testing.T) {
		js := &barrierJWKS{iss: iss, both: make(chan struct{}), seen: map[string]bool{}}
		start := time.Now()
		v, err := jwtverify.New(t.Context(), jwtverify.Config{
			Issuer: iss.URL, JWKSURL: "http://127.0.0.1/a", Audiences: []string{"api"},
			Issuers:    []jwtverify.IssuerConfig{{Issuer: "https://b.example", JWKSURL: "http://127.0.0.1/b"}},
			HTTPClient: &http.Client{Transport: inMemory{js}},
		})
		if err != nil {
			t.Fatalf("New(two issuers whose key sets answer only together) = %v, want nil", err)
		}
		defer v.Close()
		if d := time.Since(start); d != 0 {
			t.Errorf("New took %v of fake time, want 0", d)
		}
		if _, err := v.Verify(t.Context(), iss.Mint(t, map[string]any{"aud": "api"})); err != nil {
			t.Errorf("Verify = %v, want nil", err)
		}
	})
}

// TestNewFailsAtTheFirstFailure: when one issuer's key set fails, New
// returns that failure at once, without waiting for another issuer's key set
// that hangs, and leaves nothing running (synctest checks).
func TestNewFailsAtTheFirstFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/hangs" {
				<-r.Context().Done()
				return
			}
			http.Error(w, "down", http.StatusServiceUnavailable)
		})
		start := time.Now()
		v, err := jwtverify.New(t.Context(), jwtverify.Config{
			Issuer: "https://a.example", JWKSURL: "http://127.0.0.1/hangs", Audiences: []string{"api"},
			Issuers:    []jwtverify.IssuerConfig{{Issuer: "https://b.example", JWKSURL: "http://127.0.0.1/down"}},
			HTTPClient: &http.Client{Transport: inMemory{h}, Timeout: time.Hour},
		})
		if err == nil {
			v.Close()
			t.Fatal("New = nil error, want the failure of https://b.example")
		}
		var kse *jwtverify.KeySourceError
		if !errors.As(err, &kse) || kse.Issuer != "https://b.example" || !errors.Is(err, jwtverify.ErrUnavailable) {
			t.Errorf("New = %v, want a KeySourceError of https://b.example", err)
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("New took %v of fake time, want 0: it waited for the hanging key set", d)
		}
	})
}

// TestMaxStale: the keys of the last good fetch are served while refreshes
// fail for Config.MaxStale, then tokens of the issuer fail with
// ErrUnavailable (503), not as invalid tokens.
func TestMaxStale(t *testing.T) {
	iss, err := jwttest.NewIssuer(jwttest.Options{Algorithms: []string{"ES256"}})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	synctest.Test(t, func(t *testing.T) {
		var down sync.Mutex
		failing := false
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			down.Lock()
			f := failing
			down.Unlock()
			if f {
				http.Error(w, "down", http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(iss.JWKS())
		})
		v, err := jwtverify.New(t.Context(), jwtverify.Config{
			Issuer: iss.URL, JWKSURL: "http://127.0.0.1/jwks", Audiences: []string{"api"},
			MaxStale: 2 * time.Hour, HTTPClient: &http.Client{Transport: inMemory{h}},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		tok := iss.Mint(t, map[string]any{"aud": "api", "exp": time.Now().Add(24 * time.Hour).Unix()})
		down.Lock()
		failing = true
		down.Unlock()
		time.Sleep(2*time.Hour - time.Minute)
		if _, err := v.Verify(t.Context(), tok); err != nil {
			t.Errorf("Verify within MaxStale = %v, want the stale key to verify", err)
		}
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		if _, err := v.Verify(t.Context(), tok); !errors.Is(err, jwtverify.ErrUnavailable) || errors.Is(err, jwtverify.ErrInvalidToken) {
			t.Errorf("Verify past MaxStale = %v, want ErrUnavailable", err)
		}
	})
}

// TestHTTPClientTimeout: the Timeout of Config.HTTPClient bounds each
// request, whether shorter or longer than the 5s used when it is zero.
func TestHTTPClientTimeout(t *testing.T) {
	iss, err := jwttest.NewIssuer(jwttest.Options{Algorithms: []string{"ES256"}})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	for _, tc := range []struct {
		name     string
		timeout  time.Duration
		wantOK   bool
		wantTook time.Duration
	}{
		{"zero means 5s", 0, false, 5 * time.Second},
		{"shorter", 2 * time.Second, false, 2 * time.Second},
		{"longer than the answer", time.Hour, true, 10 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					select { // answers after 10s
					case <-time.After(10 * time.Second):
					case <-r.Context().Done():
						return
					}
					w.Header().Set("Content-Type", "application/json")
					w.Write(iss.JWKS())
				})
				start := time.Now()
				v, err := jwtverify.New(t.Context(), jwtverify.Config{
					Issuer: iss.URL, JWKSURL: "http://127.0.0.1/jwks", Audiences: []string{"api"},
					HTTPClient: &http.Client{Transport: inMemory{h}, Timeout: tc.timeout},
				})
				if err == nil {
					v.Close()
				}
				if took := time.Since(start); (err == nil) != tc.wantOK || took != tc.wantTook {
					t.Errorf("New = %v after %v, want ok=%v after %v", err, took, tc.wantOK, tc.wantTook)
				}
			})
		})
	}
}

// TestHTTPClientCopied: a caller's client is used (its transport), copied,
// never modified, and its redirect policy does not apply: a redirect to
// another host is refused.
func TestHTTPClientCopied(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}})
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("redirect to another host followed: %s", r.URL)
	}))
	defer other.Close()
	redirecting := httptest.NewServer(http.RedirectHandler(strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/jwks", http.StatusFound))
	defer redirecting.Close()

	tr := &passingTransport{}
	followAll := func(*http.Request, []*http.Request) error { return nil }
	hc := &http.Client{Transport: tr, CheckRedirect: followAll, Timeout: time.Minute}
	v, err := jwtverify.New(t.Context(), jwtverify.Config{Issuer: iss.URL, JWKSURL: iss.JWKSURL, Audiences: []string{"api"}, HTTPClient: hc})
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	v.Close()
	if tr.n.Load() == 0 {
		t.Error("the caller's transport made no request")
	}
	_, err = jwtverify.New(t.Context(), jwtverify.Config{Issuer: iss.URL, JWKSURL: redirecting.URL + "/jwks", Audiences: []string{"api"}, HTTPClient: hc})
	if !errors.Is(err, jwtverify.ErrUnavailable) {
		t.Errorf("New(key set redirecting to another host) = %v, want ErrUnavailable", err)
	}
	if hc.Transport != tr || hc.Timeout != time.Minute || hc.CheckRedirect == nil {
		t.Error("New modified the caller's http.Client")
	}
}

// passingTransport counts the requests it passes on to the network.
type passingTransport struct{ n atomic.Int64 }

func (p *passingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	p.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}
