package middleware_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tokenguard/tokenguard/middleware"
)

// capture is a slog.Handler that keeps every record it is given at or above
// its level, with its attributes rendered as text.
type capture struct {
	level slog.Level
	mu    sync.Mutex
	recs  []captured
}

type captured struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func (c *capture) Enabled(_ context.Context, l slog.Level) bool { return l >= c.level }
func (c *capture) Handle(_ context.Context, r slog.Record) error {
	rec := captured{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value.String()
		return true
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recs = append(c.recs, rec)
	return nil
}
func (c *capture) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *capture) WithGroup(string) slog.Handler      { return c }

func (c *capture) take() []captured {
	c.mu.Lock()
	defer c.mu.Unlock()
	recs := c.recs
	c.recs = nil
	return recs
}

// setDefault makes h the default logger for the rest of the test.
func setDefault(t *testing.T, h slog.Handler) {
	t.Helper()
	old := slog.Default()
	t.Cleanup(func() { slog.SetDefault(old) })
	slog.SetDefault(slog.New(h))
}

// TestDefaultLogger: with no Config.Logger, rejections go to slog.Default(),
// looked up when logging, all at Debug (503 too), and never with the token;
// a Config.Logger gets 503s at Warn.
func TestDefaultLogger(t *testing.T) {
	f := newFixture(t)
	down, downToken := downAuthenticator(t)
	// The Guards exist before the default logger changes: the change must
	// still count.
	g := guard(t, f.verifier, middleware.Config{ExcludePaths: []string{"/healthz"}})
	gDown := guard(t, down, middleware.Config{})
	h := g.Handler(http.NotFoundHandler())
	hDown := gDown.Handler(http.NotFoundHandler())
	ruleAlone := g.Require(middleware.Scopes("orders:read"))(http.NotFoundHandler())

	cases := []struct {
		name    string
		handler http.Handler
		target  string
		auth    string
		token   string // must not appear in the record
		level   slog.Level
		reason  string
		status  string
	}{
		{"no token", h, "/orders", "", "", slog.LevelDebug, "no_token", "401"},
		{"encoded excluded path", h, "/health%7a", "", "", slog.LevelDebug, "no_token", "401"},
		{"expired token", h, "/orders", "Bearer " + f.expired, f.expired, slog.LevelDebug, "expired", "401"},
		{"tampered token", h, "/orders", "Bearer " + f.tampered, f.tampered, slog.LevelDebug, "signature", "401"},
		{"malformed header", h, "/orders", "Bearer " + f.valid + " x", f.valid, slog.LevelDebug, "invalid_request", "400"},
		{"route rule without its Guard in front", ruleAlone, "/orders", "", "", slog.LevelDebug, "no_token", "401"},
		{"key source down", hDown, "/orders", "Bearer " + downToken, downToken, slog.LevelDebug, "unavailable", "503"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &capture{level: slog.LevelDebug}
			setDefault(t, c)
			req := httptest.NewRequest(http.MethodGet, tc.target, nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			tc.handler.ServeHTTP(httptest.NewRecorder(), req)

			recs := c.take()
			if len(recs) != 1 {
				t.Fatalf("%d records logged to slog.Default(), want 1: %+v", len(recs), recs)
			}
			rec := recs[0]
			if rec.level != tc.level || rec.attrs["reason"] != tc.reason || rec.attrs["status"] != tc.status {
				t.Errorf("record = %v %q %v, want level %v, reason %s, status %s", rec.level, rec.msg, rec.attrs, tc.level, tc.reason, tc.status)
			}
			if rec.attrs["path"] != tc.target {
				t.Errorf("record path = %q, want the path as sent, %q", rec.attrs["path"], tc.target)
			}
			all := rec.msg
			for k, v := range rec.attrs {
				all += " " + k + "=" + v
			}
			var secrets []string // the header value and each part of the token
			if tc.auth != "" {
				secrets = append(secrets, tc.auth)
			}
			if tc.token != "" {
				secrets = append(secrets, strings.Split(tc.token, ".")...)
			}
			for _, s := range secrets {
				if strings.Contains(all, s) {
					t.Errorf("record %q contains %q", all, s)
				}
			}
		})
	}

	t.Run("quiet unless debug is on", func(t *testing.T) {
		c := &capture{level: slog.LevelInfo} // slog's own default level
		setDefault(t, c)
		req := httptest.NewRequest(http.MethodGet, "/orders", nil)
		req.Header.Set("Authorization", "Bearer "+f.expired)
		h.ServeHTTP(httptest.NewRecorder(), req)
		if recs := c.take(); len(recs) != 0 {
			t.Errorf("a 401 logged %+v at Info level, want nothing", recs)
		}
		req = httptest.NewRequest(http.MethodGet, "/orders", nil)
		req.Header.Set("Authorization", "Bearer "+downToken)
		hDown.ServeHTTP(httptest.NewRecorder(), req)
		if recs := c.take(); len(recs) != 0 {
			t.Errorf("a 503 logged %+v at Info level, want nothing", recs)
		}
	})

	t.Run("Config.Logger wins", func(t *testing.T) {
		def, own := &capture{level: slog.LevelDebug}, &capture{level: slog.LevelDebug}
		setDefault(t, def)
		g := guard(t, f.verifier, middleware.Config{Logger: slog.New(own)})
		g.Handler(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		if d, o := def.take(), own.take(); len(d) != 0 || len(o) != 1 {
			t.Errorf("default logger got %d records, Config.Logger %d; want 0 and 1", len(d), len(o))
		}
		gd := guard(t, down, middleware.Config{Logger: slog.New(own)})
		req := httptest.NewRequest(http.MethodGet, "/orders", nil)
		req.Header.Set("Authorization", "Bearer "+downToken)
		gd.Handler(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), req)
		if o := own.take(); len(o) != 1 || o[0].level != slog.LevelWarn {
			t.Errorf("a 503 logged %+v to Config.Logger, want one warning", o)
		}
	})
}
