package jwks_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tokenguard/tokenguard/internal/jwks"
)

// logRecorder is a slog.Handler that keeps every record, for tests that
// check what was logged.
type logRecorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.recs = append(r.recs, rec.Clone())
	r.mu.Unlock()
	return nil
}

// at returns the attributes of every record logged at level.
func (r *logRecorder) at(level slog.Level) []map[string]slog.Value {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []map[string]slog.Value
	for _, rec := range r.recs {
		if rec.Level != level {
			continue
		}
		attrs := map[string]slog.Value{"msg": slog.StringValue(rec.Message)}
		rec.Attrs(func(a slog.Attr) bool {
			attrs[a.Key] = a.Value.Resolve()
			return true
		})
		out = append(out, attrs)
	}
	return out
}

// TestEmptyAnswerWithdrawsKeys: a well-formed 200 answer that holds no usable
// key is the issuer's word, not a failure. The next refresh publishes the
// empty set, so keys the issuer withdrew (after a compromise, say) stop
// verifying at once instead of living on for MaxStale under stale-if-error;
// and the withdrawal is logged at Error level with the URL and the count.
func TestEmptyAnswerWithdrawsKeys(t *testing.T) {
	for _, tc := range []struct {
		name    string
		body    string
		dropped int64
	}{
		{name: "empty keys array", body: `{"keys":[]}`},
		{name: "only unusable keys", body: `{"keys":[{"kty":"oct","k":"c2VjcmV0"},{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"}]}`, dropped: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				as := newFakeAS(t)
				var withdrawn sync.Mutex
				gone := false
				h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					withdrawn.Lock()
					g := gone
					withdrawn.Unlock()
					if !g {
						as.ServeHTTP(w, r)
						return
					}
					w.Header().Set("Content-Type", "application/json")
					w.Write([]byte(tc.body))
				})
				logs := &logRecorder{}
				c := newCache(t, jwks.Config{HTTPClient: &http.Client{Transport: handlerTransport{h}}, Logger: slog.New(logs)})
				defer c.Close()
				set, err := c.Set(t.Context(), setURL)
				if err != nil {
					t.Fatal(err)
				}
				kid := as.iss.KeyID("ES256")
				keys, err := set.Key(t.Context(), kid)
				if err != nil {
					t.Fatal(err)
				}

				withdrawn.Lock()
				gone = true
				withdrawn.Unlock()
				time.Sleep(defaultRefresh + time.Second)
				synctest.Wait()

				if set.Contains(keys[0]) {
					t.Error("Contains(withdrawn key) = true after the refresh that withdrew it, want false")
				}
				if n := len(set.Keys()); n != 0 {
					t.Errorf("len(Keys()) = %d after an empty answer, want 0", n)
				}
				_, err = set.Key(t.Context(), kid)
				if !errors.Is(err, jwks.ErrUnknownKey) || errors.Is(err, jwks.ErrFetch) {
					t.Errorf("Key(withdrawn kid) = %v, want ErrUnknownKey and not ErrFetch", err)
				}
				errs := logs.at(slog.LevelError)
				if len(errs) != 1 {
					t.Fatalf("Error records = %d (%v), want 1 for the withdrawal", len(errs), errs)
				}
				rec := errs[0]
				t.Logf("logged: %v", rec)
				if got := rec["url"].String(); got != setURL {
					t.Errorf("logged url = %q, want %q", got, setURL)
				}
				if got := rec["withdrawn"].Int64(); got != 1 {
					t.Errorf("logged withdrawn = %d, want 1 (the key served until then)", got)
				}
				if got := rec["dropped"].Int64(); got != tc.dropped {
					t.Errorf("logged dropped = %d, want %d", got, tc.dropped)
				}
				if tc.dropped > 0 && rec["dropped_reasons"].String() == "" {
					t.Error("logged no reason for the dropped keys")
				}

				// The issuer publishes a new key: the first token that names
				// it brings it in.
				withdrawn.Lock()
				gone = false
				withdrawn.Unlock()
				fresh, _ := as.iss.Rotate("ES256")
				if _, err := set.Key(t.Context(), fresh); err != nil {
					t.Errorf("Key(newly published kid) = %v, want found", err)
				}
			})
		})
	}
}

// TestFirstAnswerEmpty: a source that answers with an empty set at once is
// reachable; Set succeeds with no keys and logs the empty answer.
func TestFirstAnswerEmpty(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"keys":[]}`))
		})
		logs := &logRecorder{}
		c := newCache(t, jwks.Config{HTTPClient: &http.Client{Transport: handlerTransport{h}}, Logger: slog.New(logs)})
		defer c.Close()
		set, err := c.Set(t.Context(), setURL)
		if err != nil {
			t.Fatalf("Set(empty set) = %v, want nil", err)
		}
		if len(set.Keys()) != 0 {
			t.Errorf("Keys() = %v, want none", set.Keys())
		}
		if _, err := set.Key(t.Context(), "any"); !errors.Is(err, jwks.ErrUnknownKey) {
			t.Errorf("Key(any) = %v, want ErrUnknownKey", err)
		}
		if n := len(logs.at(slog.LevelError)); n != 1 {
			t.Errorf("Error records = %d, want 1", n)
		}
	})
}
