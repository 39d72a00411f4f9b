package jwtverify_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

var allAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

func newVerifier(t *testing.T, cfg jwtverify.Config) *jwtverify.Verifier {
	t.Helper()
	v, err := jwtverify.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	t.Cleanup(v.Close)
	return v
}

func TestVerifyEveryAlgorithm(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{Algorithms: allAlgs})
	v := newVerifier(t, jwtverify.Config{Issuer: iss.URL, Audiences: []string{"api"}, CacheSize: -1})
	for _, alg := range allAlgs {
		t.Run(alg, func(t *testing.T) {
			tok := iss.MintWith(t, jwttest.Token{Alg: alg, Claims: map[string]any{"aud": "api", "sub": "alice"}})
			c, err := v.Verify(t.Context(), tok)
			if err != nil {
				t.Fatalf("Verify(%s) = %v", alg, err)
			}
			if c.Subject != "alice" || c.Issuer != iss.URL {
				t.Errorf("claims = %+v, want sub alice, iss %s", c, iss.URL)
			}
		})
	}
}

func TestClaimsTyped(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}, Now: func() time.Time { return now }})
	v := newVerifier(t, jwtverify.Config{Issuer: iss.URL, Audiences: []string{"api"}, Now: func() time.Time { return now }})
	tok := iss.Mint(t, map[string]any{
		"aud": []string{"other", "api"}, "sub": "alice", "client_id": "c1", "jti": "j1",
		"scp": []string{"orders:read", "orders:write"}, "nbf": now.Unix() - 10, "tid": "tenant-7",
	})
	c, err := v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Audience, []string{"other", "api"}) || c.ClientID != "c1" || c.ID != "j1" ||
		!c.Expiry.Equal(now.Add(time.Hour)) || !c.IssuedAt.Equal(now) || !c.NotBefore.Equal(now.Add(-10*time.Second)) {
		t.Errorf("claims = %+v", c)
	}
	if !c.HasAllScopes("orders:read", "orders:write") || c.HasScope("admin") || !c.HasAnyScope("admin", "orders:read") {
		t.Errorf("Scopes = %v", c.Scopes)
	}
	var custom struct {
		Tenant string `json:"tid"`
	}
	if err := c.Decode(&custom); err != nil || custom.Tenant != "tenant-7" {
		t.Errorf("Decode = %v, %+v; want tid tenant-7", err, custom)
	}
	// The scope claim (space-separated string) types the same way.
	c2, err := v.Verify(t.Context(), iss.Mint(t, map[string]any{"aud": "api", "scope": "a  b c"}))
	if err != nil || !slices.Equal(c2.Scopes, []string{"a", "b", "c"}) {
		t.Errorf("Verify(scope string) = %v, %v; want [a b c]", c2, err)
	}
	// A caller modifying its Claims does not change what the cache returns.
	c.Subject = "mallory"
	c3, _ := v.Verify(t.Context(), tok)
	if c3.Subject != "alice" {
		t.Errorf("cached Subject = %q after caller edit, want alice", c3.Subject)
	}
}

// TestCachedClaimsEditedByCaller changes each exported field of the shared
// Claims that a cache hit returns, and checks that the next request with the
// same token gets the claims the token holds, not the edit. A field this test
// cannot change (a new kind) fails it, so that Claims.same learns about it.
func TestCachedClaimsEditedByCaller(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}, Now: clock})
	v := newVerifier(t, jwtverify.Config{Issuer: iss.URL, Audiences: []string{"api"}, Now: clock})
	tok := iss.Mint(t, map[string]any{
		"aud": []string{"api", "other"}, "sub": "alice", "client_id": "c1", "jti": "j1", "nbf": now.Unix() - 5,
		"scope": "orders:read orders:write", "username": "al", "token_type": "Bearer",
		"cnf": map[string]any{"jkt": sha256B64("key"), "x5t#S256": sha256B64("certificate")},
		"acr": "urn:mace:incommon:iap:silver", "auth_time": now.Unix() - 300,
	})
	verify := func() *jwtverify.Claims {
		t.Helper()
		c, err := v.Verify(t.Context(), tok)
		if err != nil {
			t.Fatalf("Verify = %v", err)
		}
		return c
	}
	want := verify().Clone()
	if a, b := verify(), verify(); a != b {
		t.Fatalf("two hits returned different *Claims; the cache should share one")
	}
	edits := map[string]func(c *jwtverify.Claims){
		"append a scope":  func(c *jwtverify.Claims) { c.Scopes = append(c.Scopes, "admin") },
		"drop a scope":    func(c *jwtverify.Claims) { c.Scopes = c.Scopes[:1] },
		"replace the aud": func(c *jwtverify.Claims) { c.Audience = []string{"api"} },
	}
	// Every exported field, nested structs (Confirmation) included, by its
	// index path from Claims.
	var walk func(typ reflect.Type, path []int, name string)
	walk = func(typ reflect.Type, path []int, name string) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			if !f.IsExported() {
				continue
			}
			at := append(slices.Clip(path), i)
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[time.Time]() {
				walk(f.Type, at, name+f.Name+".")
				continue
			}
			edits["field "+name+f.Name] = func(c *jwtverify.Claims) {
				fv := reflect.ValueOf(c).Elem().FieldByIndex(at)
				switch x := fv.Interface().(type) {
				case string:
					fv.SetString(x + "-edited")
				case bool:
					fv.SetBool(!x)
				case time.Time:
					fv.Set(reflect.ValueOf(x.Add(time.Hour)))
				case []string:
					x[0] += "-edited" // in place, in the shared backing array
				default:
					t.Fatalf("field %s%s has type %T, which this test cannot edit; teach it and Claims.same", name, f.Name, x)
				}
			}
		}
	}
	walk(reflect.TypeFor[jwtverify.Claims](), nil, "")
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			edited := verify()
			edit(edited)
			got := verify()
			if got == edited || !reflect.DeepEqual(got, want) {
				t.Errorf("after the edit, Verify = %+v, want a fresh %+v", got, want)
			}
		})
	}
}

// TestCachedVerifyAllocatesNothing pins the promise of the cached path: a
// token seen before costs no allocation (Validators aside).
func TestCachedVerifyAllocatesNothing(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"RS256"}})
	v := newVerifier(t, jwtverify.Config{Issuer: iss.URL, Audiences: []string{"api"}})
	tok := iss.Mint(t, map[string]any{"aud": "api", "scope": "a b"})
	ctx := t.Context()
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("cached Verify allocates %v times, want 0", allocs)
	}
}

func TestClaimsClone(t *testing.T) {
	cnf := jwtverify.Confirmation{KeyThumbprint: sha256B64("key"), CertificateThumbprint: sha256B64("certificate")}
	authTime := time.Unix(1_800_000_000, 0)
	c := &jwtverify.Claims{Subject: "alice", Audience: []string{"api"}, Scopes: []string{"a", "b"}, Confirmation: cnf, ACR: "mfa", AuthTime: authTime}
	d := c.Clone()
	if !reflect.DeepEqual(c, d) {
		t.Errorf("Clone() = %+v, want %+v", d, c)
	}
	d.Subject, d.Audience[0], d.Scopes[1] = "bob", "other", "admin"
	d.Confirmation.KeyThumbprint, d.Confirmation.Unsupported = "", true
	d.ACR, d.AuthTime = "pwd", authTime.Add(time.Hour)
	if c.Subject != "alice" || c.Audience[0] != "api" || c.Scopes[1] != "b" || c.Confirmation != cnf || c.ACR != "mfa" || !c.AuthTime.Equal(authTime) {
		t.Errorf("editing the clone changed the original: %+v", c)
	}
	if (*jwtverify.Claims)(nil).Clone() != nil {
		t.Error("nil.Clone() != nil")
	}
}

func TestCachedTokenRecheckedOnEveryHit(t *testing.T) {
	var now atomic.Int64
	now.Store(1_800_000_000)
	clock := func() time.Time { return time.Unix(now.Load(), 0) }
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}, Now: clock})
	v := newVerifier(t, jwtverify.Config{Issuer: iss.URL, Audiences: []string{"api"}, Now: clock, Leeway: time.Second})
	tok := iss.Mint(t, map[string]any{"aud": "api", "exp": now.Load() + 60, "nbf": now.Load()})
	for range 3 {
		if _, err := v.Verify(t.Context(), tok); err != nil {
			t.Fatalf("Verify(fresh) = %v", err)
		}
	}
	now.Add(-5) // the clock steps back before nbf
	var early *jwtverify.NotYetValidError
	if _, err := v.Verify(t.Context(), tok); !errors.As(err, &early) || early.Claim != "nbf" {
		t.Errorf("Verify(cached, now before nbf) = %v, want *NotYetValidError for nbf", err)
	}
	now.Add(5 + 62)
	var exp *jwtverify.ExpiredError
	if _, err := v.Verify(t.Context(), tok); !errors.As(err, &exp) {
		t.Errorf("Verify(cached, now past exp) = %v, want *ExpiredError", err)
	}
}

func TestCachedTokenDiesWithItsKey(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}})
	v := newVerifier(t, jwtverify.Config{Issuer: iss.URL, Audiences: []string{"api"}})
	old := iss.KeyID("ES256")
	tok := iss.Mint(t, map[string]any{"aud": "api"})
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	// Rotate and withdraw the old key; the first token of the new key makes
	// the verifier refresh, and the refreshed set no longer holds the old key.
	iss.Rotate("ES256")
	iss.Remove(old)
	if _, err := v.Verify(t.Context(), iss.Mint(t, map[string]any{"aud": "api"})); err != nil {
		t.Fatalf("Verify(new key) = %v", err)
	}
	if _, err := v.Verify(t.Context(), tok); !errors.Is(err, jwtverify.ErrUnknownKey) {
		t.Errorf("Verify(cached token of a withdrawn key) = %v, want ErrUnknownKey", err)
	}
}

func TestCacheOffAndVerifiersIsolated(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}})
	aud := []string{"api"}
	a := newVerifier(t, jwtverify.Config{Issuer: iss.URL, Audiences: aud})
	aud[0] = "changed" // New copied the slice: a still accepts "api"
	b := newVerifier(t, jwtverify.Config{Issuer: iss.URL, Audiences: []string{"other"}, CacheSize: -1})
	tok := iss.Mint(t, map[string]any{"aud": "api"})
	for range 2 {
		if _, err := a.Verify(t.Context(), tok); err != nil {
			t.Errorf("a.Verify = %v, want accepted", err)
		}
		if _, err := b.Verify(t.Context(), tok); !errors.Is(err, jwtverify.ErrAudience) {
			t.Errorf("b.Verify = %v, want ErrAudience (no entry shared with a)", err)
		}
	}
}

func TestValidatorsAndRequiredClaims(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}})
	errTenant := errors.New("wrong tenant")
	var calls atomic.Int64
	v := newVerifier(t, jwtverify.Config{
		Issuer: iss.URL, Audiences: []string{"api"}, RequiredClaims: []string{"tid"},
		Validators: []func(context.Context, *jwtverify.Claims) error{func(_ context.Context, c *jwtverify.Claims) error {
			calls.Add(1)
			var x struct{ Tid string }
			if err := c.Decode(&x); err != nil || x.Tid != "t1" {
				return errTenant
			}
			return nil
		}},
	})
	good := iss.Mint(t, map[string]any{"aud": "api", "tid": "t1"})
	for range 2 {
		if _, err := v.Verify(t.Context(), good); err != nil {
			t.Fatalf("Verify(good) = %v", err)
		}
	}
	if calls.Load() != 2 {
		t.Errorf("validator calls = %d, want 2 (it runs on cache hits too)", calls.Load())
	}
	_, err := v.Verify(t.Context(), iss.Mint(t, map[string]any{"aud": "api", "tid": "t2"}))
	if !errors.Is(err, jwtverify.ErrValidator) || !errors.Is(err, errTenant) || !errors.Is(err, jwtverify.ErrInvalidToken) {
		t.Errorf("Verify(wrong tenant) = %v, want ErrValidator wrapping the validator's error", err)
	}
	var mc *jwtverify.MissingClaimError
	if _, err := v.Verify(t.Context(), iss.Mint(t, map[string]any{"aud": "api"})); !errors.As(err, &mc) || mc.Claim != "tid" {
		t.Errorf("Verify(no tid) = %v, want MissingClaimError{tid}", err)
	}
}

func TestMultipleIssuers(t *testing.T) {
	a := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}})
	b := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}})
	v := newVerifier(t, jwtverify.Config{
		Issuer: a.URL, Audiences: []string{"api"},
		Issuers: []jwtverify.IssuerConfig{{Issuer: b.URL, JWKSURL: b.JWKSURL}},
	})
	for _, iss := range []*jwttest.Issuer{a, b} {
		if _, err := v.Verify(t.Context(), iss.Mint(t, map[string]any{"aud": "api"})); err != nil {
			t.Errorf("Verify(token of %s) = %v", iss.URL, err)
		}
	}
	// A token claiming issuer B but signed with A's key (and A's kid).
	forged := a.MintWith(t, jwttest.Token{Claims: map[string]any{"aud": "api", "iss": b.URL}})
	if _, err := v.Verify(t.Context(), forged); !errors.Is(err, jwtverify.ErrUnknownKey) && !errors.Is(err, jwtverify.ErrSignature) {
		t.Errorf("Verify(iss B, key A) = %v, want rejected by B's keys", err)
	}
}

func TestIssuerResolver(t *testing.T) {
	a := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}})
	var unknownFetches atomic.Int64
	stranger := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { unknownFetches.Add(1) }))
	defer stranger.Close()
	v := newVerifier(t, jwtverify.Config{
		Audiences: []string{"api"},
		IssuerResolver: func(_ context.Context, iss string) (string, error) {
			if iss == a.URL {
				return "", nil // discover it
			}
			return "", errors.New("not a tenant")
		},
	})
	if _, err := v.Verify(t.Context(), a.Mint(t, map[string]any{"aud": "api"})); err != nil {
		t.Errorf("Verify(resolved issuer) = %v", err)
	}
	tok := a.MintWith(t, jwttest.Token{Claims: map[string]any{"aud": "api", "iss": stranger.URL}})
	if _, err := v.Verify(t.Context(), tok); !errors.Is(err, jwtverify.ErrIssuer) {
		t.Errorf("Verify(unknown issuer) = %v, want ErrIssuer", err)
	}
	if unknownFetches.Load() != 0 {
		t.Error("an unknown issuer caused a fetch")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{})
	for name, cfg := range map[string]jwtverify.Config{
		"no issuer":         {Audiences: []string{"api"}},
		"no audience":       {Issuer: iss.URL},
		"HMAC allowed":      {Issuer: iss.URL, Audiences: []string{"api"}, Algorithms: []string{"HS256"}},
		"none allowed":      {Issuer: iss.URL, Audiences: []string{"api"}, Algorithms: []string{"none"}},
		"negative leeway":   {Issuer: iss.URL, Audiences: []string{"api"}, Leeway: -time.Second},
		"insecure jwks URL": {Issuer: iss.URL, Audiences: []string{"api"}, JWKSURL: "http://example.com/jwks"},
		"duplicate issuer":  {Issuer: iss.URL, Audiences: []string{"api"}, Issuers: []jwtverify.IssuerConfig{{Issuer: iss.URL}}},
	} {
		t.Run(name, func(t *testing.T) {
			v, err := jwtverify.New(t.Context(), cfg)
			if err == nil {
				v.Close()
				t.Fatalf("New(%s) = nil error, want an error", name)
			}
		})
	}
}

func TestNewFailsWhenKeysUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	_, err := jwtverify.New(t.Context(), jwtverify.Config{Issuer: srv.URL, Audiences: []string{"api"}})
	var kse *jwtverify.KeySourceError
	if !errors.Is(err, jwtverify.ErrUnavailable) || !errors.As(err, &kse) {
		t.Errorf("New(issuer without metadata) = %v, want a KeySourceError matching ErrUnavailable", err)
	}
}

func TestNewFailsWithoutJWKSURI(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"issuer":"` + srv.URL + `","introspection_endpoint":"` + srv.URL + `/introspect"}`))
	}))
	defer srv.Close()
	_, err := jwtverify.New(t.Context(), jwtverify.Config{Issuer: srv.URL, Audiences: []string{"api"}})
	if !errors.Is(err, jwtverify.ErrConfig) || errors.Is(err, jwtverify.ErrUnavailable) {
		t.Errorf("New(issuer without jwks_uri) = %v, want ErrConfig (set Config.JWKSURL), not ErrUnavailable", err)
	}
}

// TestResolverRefusalReachesCachedTokens: once the resolver refuses an
// issuer, its tokens are refused even when the verified-token cache holds
// them.
func TestResolverRefusalReachesCachedTokens(t *testing.T) {
	a := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}})
	var trusted atomic.Bool
	trusted.Store(true)
	errRemoved := errors.New("tenant removed")
	v := newVerifier(t, jwtverify.Config{
		Audiences: []string{"api"},
		IssuerResolver: func(_ context.Context, iss string) (string, error) {
			if iss == a.URL && trusted.Load() {
				return a.JWKSURL, nil
			}
			return "", errRemoved
		},
	})
	tok := a.Mint(t, map[string]any{"aud": "api"})
	for range 2 {
		if _, err := v.Verify(t.Context(), tok); err != nil {
			t.Fatalf("Verify(trusted tenant) = %v", err)
		}
	}
	trusted.Store(false)
	if _, err := v.Verify(t.Context(), tok); !errors.Is(err, jwtverify.ErrIssuer) || !errors.Is(err, errRemoved) {
		t.Errorf("Verify(cached token of a refused tenant) = %v, want ErrIssuer wrapping the resolver's error", err)
	}
}
