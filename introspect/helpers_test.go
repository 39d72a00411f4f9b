package introspect_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/introspect"
)

const (
	testClientID     = "orders-api"
	testClientSecret = "s3cr3t:with+special/chars é"
	testIssuer       = "https://auth.example.com/"
	testAudience     = "https://api.example.com"
)

// The documented defaults of Config's zero fields, which tests rely on.
const (
	defaultTimeout          = 5 * time.Second  // Config.Timeout
	defaultCacheTTL         = 5 * time.Minute  // Config.CacheTTL
	defaultInactiveCacheTTL = 30 * time.Second // Config.InactiveCacheTTL
	defaultMaxBodyBytes     = 64 << 10         // Config.MaxBodyBytes
	defaultMaxTokenBytes    = 16 << 10         // Config.MaxTokenBytes
)

// t0 is the fixed "now" of most tests.
var t0 = time.Unix(1_750_000_000, 0)

// clock is a settable clock for Config.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// endpoint is an RFC 7662 introspection endpoint written for the tests: it
// counts requests, checks the request's shape and the client authentication
// (client_secret_basic with testClientID and testClientSecret unless
// authorize says otherwise), records the last request, and answers each
// token with the JSON in answers ({"active":false} for unknown tokens).
type endpoint struct {
	calls atomic.Int64
	// authorize replaces the default client_secret_basic check.
	authorize func(r *http.Request, form url.Values) bool
	// handle, when set, answers instead of answers.
	handle func(w http.ResponseWriter, r *http.Request, token string)

	mu      sync.Mutex
	answers map[string]string
	last    struct {
		header http.Header
		form   url.Values
	}
	problems []string
}

func (e *endpoint) answer(token, json string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.answers == nil {
		e.answers = make(map[string]string)
	}
	e.answers[token] = json
}

func (e *endpoint) lastRequest() (http.Header, url.Values) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.last.header, e.last.form
}

func (e *endpoint) problem(p string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.problems = append(e.problems, p)
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.calls.Add(1)
	if r.Method != http.MethodPost {
		e.problem("method " + r.Method)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		e.problem("Content-Type " + ct)
	}
	if a := r.Header.Get("Accept"); a != "application/json" {
		e.problem("Accept " + a)
	}
	if err := r.ParseForm(); err != nil {
		e.problem("form: " + err.Error())
	}
	form := r.PostForm
	if h := form.Get("token_type_hint"); h != "access_token" {
		e.problem("token_type_hint " + h)
	}
	if len(r.URL.Query()) != 0 {
		e.problem("query string " + r.URL.RawQuery)
	}
	e.mu.Lock()
	e.last.header, e.last.form = r.Header.Clone(), form
	e.mu.Unlock()

	ok := false
	if e.authorize != nil {
		ok = e.authorize(r, form)
	} else {
		id, secret, basic := r.BasicAuth()
		ok = basic && id == url.QueryEscape(testClientID) && secret == url.QueryEscape(testClientSecret)
	}
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":"invalid_client"}`))
		return
	}
	token := form.Get("token")
	if e.handle != nil {
		e.handle(w, r, token)
		return
	}
	e.mu.Lock()
	body, found := e.answers[token]
	e.mu.Unlock()
	if !found {
		body = `{"active":false}`
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write([]byte(body))
}

// checkClean fails t if the endpoint saw a malformed request.
func (e *endpoint) checkClean(t *testing.T) {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, p := range e.problems {
		t.Errorf("introspection request problem: %s", p)
	}
}

// serve starts e on a loopback httptest server and returns its URL.
func (e *endpoint) serve(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { e.checkClean(t) })
	return srv.URL + "/introspect"
}

// activeJSON returns an active response for the standard test token
// lifetime, with extra members merged in (a nil value removes a member).
func activeJSON(now time.Time, extra map[string]any) string {
	m := map[string]any{
		"active":     true,
		"iss":        testIssuer,
		"aud":        testAudience,
		"sub":        "alice",
		"client_id":  "web-app",
		"username":   "alice@example.com",
		"token_type": "Bearer",
		"scope":      "orders:read orders:write",
		"iat":        now.Add(-time.Minute).Unix(),
		"exp":        now.Add(time.Hour).Unix(),
		"jti":        "jti-1",
		"tenant":     "acme",
	}
	for k, v := range extra {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// baseConfig is a client_secret_basic Config for endpoint url with a fixed
// clock.
func baseConfig(url string, clk *clock) introspect.Config {
	return introspect.Config{
		Endpoint:     url,
		Issuer:       testIssuer,
		Audiences:    []string{testAudience},
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
		Now:          clk.Now,
	}
}

func newClient(t testing.TB, cfg introspect.Config) *introspect.Client {
	t.Helper()
	c, err := introspect.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("introspect.New: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// memTransport serves requests with a handler in memory: no network, so it
// works inside a testing/synctest bubble.
type memTransport struct{ h http.Handler }

func (m memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, req) // handlers that block watch req.Context()
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// memClient is an http.Client over memTransport.
func memClient(h http.Handler) *http.Client { return &http.Client{Transport: memTransport{h}} }
