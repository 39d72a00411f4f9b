package jwks_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tokenguard/tokenguard/internal/jwks"
)

const issuerURL = "http://127.0.0.1"

// movingAS is an authorization server, in memory, whose metadata can move its
// jwks_uri between two key sets, /keys-a and /keys-b (each a fakeAS, with
// kids of their own), or answer with broken metadata.
type movingAS struct {
	a, b     *fakeAS
	metaHits atomic.Int64
	mu       sync.Mutex
	jwksURI  string
	metaMode string // "", "500", "other issuer", "insecure jwks_uri", "no jwks_uri"
}

func newMovingAS(t *testing.T) *movingAS {
	t.Helper()
	m := &movingAS{a: newFakeAS(t), b: newFakeAS(t), jwksURI: issuerURL + "/keys-a"}
	first := m.b.iss.KeyID("ES256") // the same kid as a's key: give b its own
	if _, err := m.b.iss.Rotate("ES256"); err != nil {
		t.Fatal(err)
	}
	m.b.iss.Remove(first)
	return m
}

func (m *movingAS) move(uri, metaMode string) {
	m.mu.Lock()
	m.jwksURI, m.metaMode = uri, metaMode
	m.mu.Unlock()
}

func (m *movingAS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		m.metaHits.Add(1)
		m.mu.Lock()
		doc := map[string]any{"issuer": issuerURL, "jwks_uri": m.jwksURI}
		mode := m.metaMode
		m.mu.Unlock()
		switch mode {
		case "500":
			http.Error(w, "down", http.StatusInternalServerError)
			return
		case "other issuer":
			doc["issuer"] = "https://evil.example"
		case "insecure jwks_uri":
			doc["jwks_uri"] = "http://evil.example/keys"
		case "no jwks_uri":
			delete(doc, "jwks_uri")
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(doc)
	case "/keys-a":
		m.a.ServeHTTP(w, r)
	case "/keys-b":
		m.b.ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (m *movingAS) client() *http.Client { return &http.Client{Transport: handlerTransport{m}} }

func mustKey(t *testing.T, set *jwks.Set, kid string) *jwks.Key {
	t.Helper()
	keys, err := set.Key(t.Context(), kid)
	if err != nil || len(keys) != 1 {
		t.Fatalf("Key(%s) = %v, %v; want one key", kid, keys, err)
	}
	return keys[0]
}

// TestIssuerSetFollowsMovedJWKSURI: when the issuer's metadata moves its
// jwks_uri, the issuer's set follows at the next refresh: same *Set, keys of
// the new set, and keys that only the old set held are no longer contained.
func TestIssuerSetFollowsMovedJWKSURI(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		as := newMovingAS(t)
		logs := &logRecorder{}
		c := newCache(t, jwks.Config{HTTPClient: as.client(), Logger: slog.New(logs)})
		defer c.Close()
		set, err := c.IssuerSet(t.Context(), issuerURL)
		if err != nil {
			t.Fatal(err)
		}
		if got := set.URL(); got != issuerURL+"/keys-a" {
			t.Errorf("URL() = %q, want the jwks_uri %q", got, issuerURL+"/keys-a")
		}
		oldKey := mustKey(t, set, as.a.iss.KeyID("ES256"))

		as.move(issuerURL+"/keys-b", "")
		time.Sleep(defaultRefresh + time.Second)
		synctest.Wait()

		if got := set.URL(); got != issuerURL+"/keys-b" {
			t.Errorf("URL() after the move = %q, want %q", got, issuerURL+"/keys-b")
		}
		if set.Contains(oldKey) {
			t.Error("Contains(key of the old set only) = true after the move, want false")
		}
		mustKey(t, set, as.b.iss.KeyID("ES256"))
		again, err := c.IssuerSet(t.Context(), issuerURL)
		if err != nil || again != set {
			t.Errorf("IssuerSet after the move = %p, %v; want the same *Set %p", again, err, set)
		}
		if n := len(logs.at(slog.LevelInfo)); n != 1 {
			t.Errorf("Info records = %d, want 1 for the move", n)
		}
	})
}

// TestIssuerSetKeepsKeysUntilTheNewSetIsFetched: a move to a key set that
// cannot be fetched keeps the old keys (and URL); the move completes once the
// new set answers, even if the metadata that named it has become unreadable
// meanwhile.
func TestIssuerSetKeepsKeysUntilTheNewSetIsFetched(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		as := newMovingAS(t)
		c := newCache(t, jwks.Config{HTTPClient: as.client()})
		defer c.Close()
		set, err := c.IssuerSet(t.Context(), issuerURL)
		if err != nil {
			t.Fatal(err)
		}
		oldKey := mustKey(t, set, as.a.iss.KeyID("ES256"))
		as.b.setMode("500")
		as.move(issuerURL+"/keys-b", "")
		time.Sleep(defaultRefresh + time.Second)
		synctest.Wait()
		if !set.Contains(oldKey) || set.URL() != issuerURL+"/keys-a" {
			t.Fatalf("after a move to a failing set: Contains(old key) = %v, URL() = %q; want true, the old URL", set.Contains(oldKey), set.URL())
		}
		as.move(issuerURL+"/keys-b", "500")
		as.b.setMode("")
		time.Sleep(5 * time.Second) // the first retry comes after 0.5 to 1s
		synctest.Wait()
		if set.Contains(oldKey) || set.URL() != issuerURL+"/keys-b" {
			t.Errorf("after the new set recovered: Contains(old key) = %v, URL() = %q; want false, %q", set.Contains(oldKey), set.URL(), issuerURL+"/keys-b")
		}
	})
}

// TestIssuerSetKeepsItsSetWhenMetadataFails: metadata that cannot be read,
// or that is refused, leaves the current key set in use, and still refreshed
// from its URL; refused metadata is logged at Error level.
func TestIssuerSetKeepsItsSetWhenMetadataFails(t *testing.T) {
	for _, tc := range []struct {
		mode       string
		errorLevel bool
	}{
		{mode: "500"},
		{mode: "other issuer", errorLevel: true},
		{mode: "insecure jwks_uri", errorLevel: true},
		{mode: "no jwks_uri", errorLevel: true},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				as := newMovingAS(t)
				logs := &logRecorder{}
				c := newCache(t, jwks.Config{HTTPClient: as.client(), Logger: slog.New(logs)})
				defer c.Close()
				set, err := c.IssuerSet(t.Context(), issuerURL)
				if err != nil {
					t.Fatal(err)
				}
				oldKey := mustKey(t, set, as.a.iss.KeyID("ES256"))
				as.move(issuerURL+"/keys-b", tc.mode)
				rotated, _ := as.a.iss.Rotate("ES256") // published at the current URL
				time.Sleep(defaultRefresh + time.Second)
				synctest.Wait()
				if !set.Contains(oldKey) || set.URL() != issuerURL+"/keys-a" {
					t.Errorf("Contains(current key) = %v, URL() = %q; want true, %q", set.Contains(oldKey), set.URL(), issuerURL+"/keys-a")
				}
				if len(set.Keys()) != 2 {
					t.Errorf("Keys() = %d keys, want 2: the current URL is still refreshed (key %s was added there)", len(set.Keys()), rotated)
				}
				if got := len(logs.at(slog.LevelError)) > 0; got != tc.errorLevel {
					t.Errorf("logged at Error level = %v, want %v (records: %v)", got, tc.errorLevel, logs.at(slog.LevelError))
				}
			})
		})
	}
}

// TestIssuerSetUnknownKidRereadsMetadataSooner: a kid that the set does not
// hold re-reads metadata older than MinRefreshInterval, so a token of a
// moved set verifies without waiting for the full refresh interval.
func TestIssuerSetUnknownKidRereadsMetadataSooner(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		as := newMovingAS(t)
		c := newCache(t, jwks.Config{HTTPClient: as.client()})
		defer c.Close()
		set, err := c.IssuerSet(t.Context(), issuerURL)
		if err != nil {
			t.Fatal(err)
		}
		as.move(issuerURL+"/keys-b", "")
		time.Sleep(minRefresh + time.Second)
		mustKey(t, set, as.b.iss.KeyID("ES256"))
	})
}

// TestIssuerSetReadsMetadataAtItsOwnPace: key refreshes that a short
// Cache-Control max-age brings forward do not re-read metadata each time:
// metadata is read at most once per RefreshInterval while all goes well.
func TestIssuerSetReadsMetadataAtItsOwnPace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		as := newMovingAS(t)
		as.a.header = http.Header{"Cache-Control": {"max-age=60"}}
		c := newCache(t, jwks.Config{HTTPClient: as.client()})
		defer c.Close()
		if _, err := c.IssuerSet(t.Context(), issuerURL); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30*time.Minute + time.Second)
		synctest.Wait()
		if n := as.a.requests.Load(); n < 30 {
			t.Errorf("key set fetches in 30 min with max-age=60 = %d, want about 31", n)
		}
		if n := as.metaHits.Load(); n > 4 {
			t.Errorf("metadata reads in 30 min = %d, want at most 4 (one per RefreshInterval, plus the first)", n)
		}
	})
}

func TestIssuerSetRefusesInsecureIssuer(t *testing.T) {
	tr := &countingRT{}
	c := newCache(t, jwks.Config{HTTPClient: &http.Client{Transport: tr}})
	defer c.Close()
	for _, iss := range []string{"http://auth.example.com", "auth.example.com", "https://u:p@auth.example.com"} {
		if _, err := c.IssuerSet(t.Context(), iss); !errors.Is(err, jwks.ErrFetch) {
			t.Errorf("IssuerSet(%q) = %v, want ErrFetch", iss, err)
		}
	}
	if n := tr.n.Load(); n != 0 {
		t.Errorf("requests = %d, want 0", n)
	}
}

type countingRT struct{ n atomic.Int64 }

func (c *countingRT) RoundTrip(*http.Request) (*http.Response, error) {
	c.n.Add(1)
	return nil, errors.New("no network in this test")
}

// TestDiscoverRereadsMetadata: Discover keeps metadata for RefreshInterval,
// then reads it again, so a changed jwks_uri is seen; when the read fails, the
// metadata read before is served until MaxStale.
func TestDiscoverRereadsMetadata(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		as := newMovingAS(t)
		c := newCache(t, jwks.Config{HTTPClient: as.client(), MaxStale: time.Hour})
		defer c.Close()
		discover := func() string {
			t.Helper()
			m, err := c.Discover(t.Context(), issuerURL)
			if err != nil {
				return "error"
			}
			return m.JWKSURI
		}
		if got := discover(); got != issuerURL+"/keys-a" {
			t.Fatalf("Discover = %q, want /keys-a", got)
		}
		as.move(issuerURL+"/keys-b", "")
		if got := discover(); got != issuerURL+"/keys-a" || as.metaHits.Load() != 1 {
			t.Errorf("Discover within RefreshInterval = %q after %d reads, want the kept /keys-a after 1", got, as.metaHits.Load())
		}
		time.Sleep(defaultRefresh)
		if got := discover(); got != issuerURL+"/keys-b" {
			t.Errorf("Discover after RefreshInterval = %q, want /keys-b", got)
		}
		as.move(issuerURL+"/keys-a", "500")
		time.Sleep(defaultRefresh)
		if got := discover(); got != issuerURL+"/keys-b" {
			t.Errorf("Discover while the metadata fails = %q, want the stale /keys-b", got)
		}
		time.Sleep(time.Hour)
		if got := discover(); got != "error" {
			t.Errorf("Discover past MaxStale = %q, want an error", got)
		}
	})
}
