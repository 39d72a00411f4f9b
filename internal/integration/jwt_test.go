package integration

import (
	"errors"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
)

// newVerifier builds a Verifier for srv's issuer through discovery (no
// JWKS URL is ever configured here) and closes it when t ends.
func newVerifier(t *testing.T, srv *authServer, cfg jwtverify.Config) *jwtverify.Verifier {
	t.Helper()
	cfg.Issuer = srv.Issuer
	v, err := jwtverify.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("jwtverify.New(issuer %s) = %v", srv.Issuer, err)
	}
	t.Cleanup(v.Close)
	return v
}

// TestAlgorithms checks that a JWT access token of each algorithm the
// server signs with is accepted, with the RFC 9068 profile enforced and the
// allow-list narrowed to that one algorithm.
func TestAlgorithms(t *testing.T) {
	srv := sharedServer(t)
	srv.logOnFailure(t)
	for _, tc := range []struct {
		alg, resource string
	}{
		{"RS256", resRS256},
		{"PS256", resPS256},
		{"ES256", resES256},
		{"EdDSA", resEdDSA},
	} {
		t.Run(tc.alg, func(t *testing.T) {
			t.Parallel()
			token := srv.token(t, tc.resource, "orders:read")
			if alg, _, typ := joseHeader(t, token); alg != tc.alg || typ != "at+jwt" {
				t.Fatalf("server sent alg %q, typ %q; want %q, at+jwt", alg, typ, tc.alg)
			}
			v := newVerifier(t, srv, jwtverify.Config{
				Audiences:     []string{tc.resource},
				Algorithms:    []string{tc.alg},
				StrictRFC9068: true,
			})
			c, err := v.Verify(t.Context(), token)
			if err != nil {
				t.Fatalf("Verify(%s token) = %v, want nil", tc.alg, err)
			}
			if c.Issuer != srv.Issuer || !slices.Equal(c.Audience, []string{tc.resource}) ||
				c.ClientID != apiClientID || c.Subject != apiClientID || c.ID == "" {
				t.Errorf("claims: iss %q aud %q client_id %q sub %q jti %q; want %q, [%s], %q, %q, non-empty",
					c.Issuer, c.Audience, c.ClientID, c.Subject, c.ID, srv.Issuer, tc.resource, apiClientID, apiClientID)
			}
			if !c.HasScope("orders:read") || c.HasScope("orders:write") {
				t.Errorf("claims scopes = %q, want [orders:read]", c.Scopes)
			}
			if d := time.Until(c.Expiry); d <= 0 || d > 301*time.Second {
				t.Errorf("claims expiry in %v, want about 300s", d)
			}

			// The same token under an allow-list without its algorithm.
			other := "ES256"
			if tc.alg == "ES256" {
				other = "EdDSA"
			}
			strict := newVerifier(t, srv, jwtverify.Config{Audiences: []string{tc.resource}, Algorithms: []string{other}})
			if _, err := strict.Verify(t.Context(), token); !errors.Is(err, jwtverify.ErrAlgorithm) {
				t.Errorf("Verify(%s token) with only %s allowed = %v, want ErrAlgorithm", tc.alg, other, err)
			}
		})
	}
}

// TestAudience checks that a token for another resource is refused.
func TestAudience(t *testing.T) {
	srv := sharedServer(t)
	srv.logOnFailure(t)
	t.Parallel()
	token := srv.token(t, resOther, "orders:read")
	v := newVerifier(t, srv, jwtverify.Config{Audiences: []string{resRS256, resES256}})
	_, err := v.Verify(t.Context(), token)
	if !errors.Is(err, jwtverify.ErrAudience) {
		t.Fatalf("Verify(token for %s) = %v, want ErrAudience", resOther, err)
	}
	var ae *jwtverify.AudienceError
	if !errors.As(err, &ae) || !slices.Equal(ae.Got, []string{resOther}) {
		t.Errorf("Verify(token for %s) = %#v, want *AudienceError{Got: [%s]}", resOther, err, resOther)
	}
}

// TestExpiry checks that a token with a 2 s lifetime is accepted at first
// and refused once its exp has passed (leeway 1 ms), by polling the clock.
func TestExpiry(t *testing.T) {
	srv := sharedServer(t)
	srv.logOnFailure(t)
	t.Parallel()
	const leeway = time.Millisecond
	token := srv.token(t, resShort, "orders:read")
	v := newVerifier(t, srv, jwtverify.Config{Audiences: []string{resShort}, Leeway: leeway})
	c, err := v.Verify(t.Context(), token)
	if err != nil {
		t.Fatalf("Verify(fresh 2s token) = %v, want nil", err)
	}
	if life := c.Expiry.Sub(c.IssuedAt); life != 2*time.Second {
		t.Fatalf("token lives %v (iat %v, exp %v), want 2s", life, c.IssuedAt, c.Expiry)
	}
	var lastErr error
	expired := poll(t, time.Until(c.Expiry)+5*time.Second, 50*time.Millisecond, func() bool {
		_, lastErr = v.Verify(t.Context(), token)
		return lastErr != nil
	})
	if !expired {
		t.Fatalf("Verify still accepts a token that expired at %v (now %v)", c.Expiry, time.Now())
	}
	if now := time.Now(); now.Before(c.Expiry) {
		t.Errorf("Verify refused the token at %v, before its exp %v", now, c.Expiry)
	}
	if !errors.Is(lastErr, jwtverify.ErrExpired) {
		t.Fatalf("Verify(expired token) = %v, want ErrExpired", lastErr)
	}
	var ee *jwtverify.ExpiredError
	if !errors.As(lastErr, &ee) || !ee.Expiry.Equal(c.Expiry) {
		t.Errorf("Verify(expired token) = %#v, want *ExpiredError{Expiry: %v}", lastErr, c.Expiry)
	}
}

// fetchLog is the transport of a Verifier's HTTPClient: it passes every
// request on and records the key-set fetches (requests for jwksURI), with
// their outcome, before the Verifier sees the answer.
type fetchLog struct {
	jwksURI string
	mu      sync.Mutex
	fetches []keyFetch
}

// keyFetch is one recorded key-set fetch.
type keyFetch struct {
	Status int // 0 when no response came
	Err    error
}

func (l *fetchLog) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if r.URL.String() == l.jwksURI {
		f := keyFetch{Err: err}
		if resp != nil {
			f.Status = resp.StatusCode
		}
		l.mu.Lock()
		l.fetches = append(l.fetches, f)
		l.mu.Unlock()
	}
	return resp, err
}

func (l *fetchLog) client() *http.Client { return &http.Client{Transport: l} }

// since returns the fetches after the first n.
func (l *fetchLog) since(n int) []keyFetch {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.fetches[min(n, len(l.fetches)):])
}

func (l *fetchLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.fetches)
}

// TestKeyRotation rotates every signing key of a server: it restarts the
// server on the same port with the new keys first and the old ones still
// published, then with the new keys alone.
func TestKeyRotation(t *testing.T) {
	requireNode(t)
	t.Parallel()
	dir := t.TempDir()
	began := time.Now()
	oldKeys, err := newKeySet("old")
	if err != nil {
		t.Fatal(err)
	}
	newKeys, err := newKeySet("new")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("two key sets generated in %v", time.Since(began).Round(time.Millisecond))
	start := func(port int, sets ...*keySet) *authServer {
		t.Helper()
		file, err := writeKeyFile(dir, sets...)
		if err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		srv, err := startAuthServer(t.Context(), port, file, nil)
		if err != nil {
			t.Fatalf("starting the authorization server with keys %s: %v", file, err)
		}
		t.Logf("authorization server %s started in %v", srv.Issuer, time.Since(began).Round(time.Millisecond))
		t.Cleanup(srv.Stop)
		srv.logOnFailure(t)
		return srv
	}
	tokenFrom := func(srv *authServer, wantKID string) string {
		t.Helper()
		token := srv.token(t, resRS256, "orders:read")
		if _, kid, _ := joseHeader(t, token); kid != wantKID {
			t.Fatalf("server signed with kid %q, want %q", kid, wantKID)
		}
		return token
	}
	verify := func(v *jwtverify.Verifier, token string) error {
		t.Helper()
		_, err := v.Verify(t.Context(), token)
		return err
	}

	// Phase 1: old keys only. The slow verifier has the default refresh
	// interval: it can only learn a new key by refresh-on-unknown-kid.
	srv := start(0, oldKeys)
	port, issuer := srv.Port, srv.Issuer
	oldToken := tokenFrom(srv, oldKeys.rsaKID())
	slowLog := &fetchLog{jwksURI: srv.Metadata(t).JWKSURI}
	fastLog := &fetchLog{jwksURI: slowLog.jwksURI} // the port, and so the URL, stays
	slow := newVerifier(t, srv, jwtverify.Config{
		Audiences:  []string{resRS256},
		HTTPClient: slowLog.client(),
	})
	if n := slowLog.len(); n != 1 {
		t.Fatalf("phase 1: slow verifier fetched its key set %d times in New, want 1", n)
	}
	if err := verify(slow, oldToken); err != nil {
		t.Fatalf("phase 1: slow.Verify(old-key token) = %v, want nil", err)
	}

	// Phase 2: same port, new keys first, old keys still published.
	srv.Stop()
	srv = start(port, newKeys, oldKeys)
	if srv.Issuer != issuer {
		t.Fatalf("restarted server has issuer %q, want %q", srv.Issuer, issuer)
	}
	newToken := tokenFrom(srv, newKeys.rsaKID())
	slowBefore := slowLog.len()
	if err := verify(slow, newToken); err != nil {
		t.Fatalf("phase 2: slow.Verify(new-key token) = %v, want nil after one refresh", err)
	}
	// The slow verifier's next background refresh is 10 minutes away: a
	// fetch now is the refresh for the unknown kid.
	if got := slowLog.since(slowBefore); len(got) != 1 || got[0].Status != http.StatusOK || got[0].Err != nil {
		t.Errorf("phase 2: slow verifier fetched %+v, want one successful refresh for the unknown kid", got)
	}
	if err := verify(slow, oldToken); err != nil {
		t.Errorf("phase 2: slow.Verify(old-key token) = %v, want nil while the old key is published", err)
	}
	// The fast verifier refreshes in the background every 250ms. It starts
	// only now: a background fetch that fails while the server restarts
	// would make it refuse new kids until its backoff ends (see the
	// report on jwks backoff and unknown kids).
	fast := newVerifier(t, srv, jwtverify.Config{
		Audiences:       []string{resRS256},
		RefreshInterval: 250 * time.Millisecond,
		HTTPClient:      fastLog.client(),
	})
	for _, tok := range []string{oldToken, newToken} {
		if err := verify(fast, tok); err != nil {
			t.Fatalf("phase 2: fast.Verify(token) = %v, want nil", err)
		}
	}

	// Phase 3: the old keys are gone. The fast verifier drops them at its
	// next background refresh.
	srv.Stop()
	srv = start(port, newKeys)
	fastBefore := fastLog.len()
	removed := time.Now()
	var lastErr error
	if !poll(t, 15*time.Second, 50*time.Millisecond, func() bool {
		lastErr = verify(fast, oldToken)
		return lastErr != nil
	}) {
		t.Fatalf("phase 3: fast.Verify(old-key token) still accepted 15s after the old key was removed; fetches since: %+v", fastLog.since(fastBefore))
	}
	t.Logf("old-key token refused %v after the server restarted without the old keys", time.Since(removed).Round(time.Millisecond))
	if !errors.Is(lastErr, jwtverify.ErrUnknownKey) {
		t.Errorf("phase 3: fast.Verify(old-key token) = %v, want ErrUnknownKey", lastErr)
	}
	if err := verify(fast, newToken); err != nil {
		t.Errorf("phase 3: fast.Verify(new-key token) = %v, want nil", err)
	}
	if err := verify(fast, tokenFrom(srv, newKeys.rsaKID())); err != nil {
		t.Errorf("phase 3: fast.Verify(fresh new-key token) = %v, want nil", err)
	}
}
