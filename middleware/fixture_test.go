package middleware_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
)

const audience = "https://api.test"

// fixture is what the table's requests need: tokens signed by a real issuer
// and verified by a real Verifier.
type fixture struct {
	iss      *jwttest.Issuer
	verifier *jwtverify.Verifier
	valid    string // alice, scopes orders:read profile
	bob      string // bob, scopes orders:read
	profile  string // alice, scope profile only
	expired  string
	otherAud string
	tampered string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	iss := jwttest.Start(t, jwttest.Options{})
	v, err := jwtverify.New(t.Context(), jwtverify.Config{Issuer: iss.URL, Audiences: []string{audience}})
	if err != nil {
		t.Fatalf("jwtverify.New: %v", err)
	}
	t.Cleanup(v.Close)
	now := time.Now()
	f := &fixture{
		iss:      iss,
		verifier: v,
		valid:    iss.Mint(t, map[string]any{"aud": audience, "sub": "alice", "scope": "orders:read profile"}),
		bob:      iss.Mint(t, map[string]any{"aud": audience, "sub": "bob", "scope": "orders:read"}),
		profile:  iss.Mint(t, map[string]any{"aud": audience, "sub": "alice", "scope": "profile"}),
		expired: iss.Mint(t, map[string]any{"aud": audience, "sub": "alice",
			"iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()}),
		otherAud: iss.Mint(t, map[string]any{"aud": "https://other.test", "sub": "alice"}),
	}
	other := iss.Mint(t, map[string]any{"aud": audience, "sub": "mallory", "scope": "orders:read"})
	parts, otherParts := strings.Split(f.valid, "."), strings.Split(other, ".")
	f.tampered = parts[0] + "." + otherParts[1] + "." + parts[2] // same issuer, payload swapped
	return f
}

// downAuthenticator returns a Verifier whose issuer has gone away, and a token
// signed by a key it has not fetched: verifying it needs the key set, which
// cannot be had. Each call makes a fresh pair, so that the key cache's
// back-off after a failed fetch never changes the answer.
func downAuthenticator(t *testing.T) (*jwtverify.Verifier, string) {
	t.Helper()
	iss, err := jwttest.NewIssuer(jwttest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := jwtverify.New(t.Context(), jwtverify.Config{Issuer: iss.URL, Audiences: []string{audience}})
	if err != nil {
		t.Fatalf("jwtverify.New: %v", err)
	}
	t.Cleanup(v.Close)
	if _, err := iss.Rotate("RS256"); err != nil {
		t.Fatal(err)
	}
	tok := iss.Mint(t, map[string]any{"aud": audience, "sub": "alice"})
	iss.Close()
	return v, tok
}

// recorder collects what the Guard's hooks report for one request; the hook
// finds it on the request context.
type recorder struct {
	mu  sync.Mutex
	rej []middleware.Rejection
}

type recorderKey struct{}

func recordingHooks() middleware.Hooks {
	return middleware.Hooks{Rejected: func(ctx context.Context, rej middleware.Rejection) {
		if rec, ok := ctx.Value(recorderKey{}).(*recorder); ok {
			rec.mu.Lock()
			rec.rej = append(rec.rej, rej)
			rec.mu.Unlock()
		}
	}}
}

// guard returns middleware.NewGuard(a, cfg), failing t on an error.
func guard(t testing.TB, a middleware.Authenticator, cfg middleware.Config) *middleware.Guard {
	t.Helper()
	g, err := middleware.NewGuard(a, cfg)
	if err != nil {
		t.Fatalf("NewGuard: %v", err)
	}
	return g
}
