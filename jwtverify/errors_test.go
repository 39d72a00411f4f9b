package jwtverify_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

// The message of a rejection is the feature these tests check: it must name
// what the token had and what was expected. They look for the pieces, not for
// the whole text.

func wantInMessage(t *testing.T, err error, pieces ...string) {
	t.Helper()
	for _, p := range pieces {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("message %q does not mention %q", err.Error(), p)
		}
	}
}

func TestIssuerErrorNamesAcceptedIssuers(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}})
	other := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}})
	for _, tt := range []struct {
		name      string
		cfg       jwtverify.Config
		tokenIss  string
		want      []string
		slashHint bool
	}{
		{
			name:     "token iss has a trailing slash the config lacks",
			cfg:      jwtverify.Config{Issuer: iss.URL, Audiences: []string{"api"}},
			tokenIss: iss.URL + "/", want: []string{iss.URL}, slashHint: true,
		},
		{
			name:     "config has a trailing slash the token iss lacks",
			cfg:      jwtverify.Config{Issuer: iss.URL + "/", JWKSURL: iss.JWKSURL, Audiences: []string{"api"}},
			tokenIss: iss.URL, want: []string{iss.URL + "/"}, slashHint: true,
		},
		{
			name: "another issuer, several accepted",
			cfg: jwtverify.Config{Issuer: iss.URL, Audiences: []string{"api"},
				Issuers: []jwtverify.IssuerConfig{{Issuer: other.URL}}},
			tokenIss: "https://evil.example", want: sortedCopy(iss.URL, other.URL),
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := newVerifier(t, tt.cfg)
			_, err := v.Verify(t.Context(), iss.Mint(t, map[string]any{"aud": "api", "iss": tt.tokenIss}))
			var ie *jwtverify.IssuerError
			if !errors.As(err, &ie) || !errors.Is(err, jwtverify.ErrIssuer) {
				t.Fatalf("Verify = %v, want *IssuerError", err)
			}
			if ie.Got != tt.tokenIss || !slices.Equal(ie.Want, tt.want) {
				t.Errorf("IssuerError = {Got: %q, Want: %q}, want {%q, %q}", ie.Got, ie.Want, tt.tokenIss, tt.want)
			}
			wantInMessage(t, err, `"`+tt.tokenIss+`"`)
			for _, w := range tt.want {
				wantInMessage(t, err, `"`+w+`"`)
			}
			if hint := strings.Contains(err.Error(), "trailing slash"); hint != tt.slashHint {
				t.Errorf("message %q: trailing-slash hint = %v, want %v", err, hint, tt.slashHint)
			}
		})
	}
}

func sortedCopy(s ...string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestIssuerErrorOfResolverNamesAcceptedIssuers: a resolver's refusal is an
// IssuerError too, on first sight and for a cached token.
func TestIssuerErrorOfResolverNamesAcceptedIssuers(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}})
	refuse := errors.New("tenant unknown")
	var refusing atomic.Bool
	v := newVerifier(t, jwtverify.Config{Issuer: "https://static.example", JWKSURL: iss.JWKSURL, Audiences: []string{"api"},
		IssuerResolver: func(_ context.Context, _ string) (string, error) {
			if refusing.Load() {
				return "", refuse
			}
			return iss.JWKSURL, nil
		}})
	cached := iss.Mint(t, map[string]any{"aud": "api"})
	if _, err := v.Verify(t.Context(), cached); err != nil {
		t.Fatalf("Verify while the resolver accepts = %v", err)
	}
	refusing.Store(true)
	for name, tok := range map[string]string{"first sight": iss.Mint(t, map[string]any{"aud": "api", "sub": "new"}), "cached": cached} {
		t.Run(name, func(t *testing.T) {
			_, err := v.Verify(t.Context(), tok)
			var ie *jwtverify.IssuerError
			if !errors.As(err, &ie) || !errors.Is(err, refuse) {
				t.Fatalf("Verify = %v, want *IssuerError wrapping the resolver's error", err)
			}
			if ie.Got != iss.URL || !slices.Equal(ie.Want, []string{"https://static.example"}) {
				t.Errorf("IssuerError = {Got: %q, Want: %q}, want {%q, [https://static.example]}", ie.Got, ie.Want, iss.URL)
			}
			wantInMessage(t, err, `"https://static.example"`, `"`+iss.URL+`"`, refuse.Error())
		})
	}
}

func TestAudienceErrorNamesAcceptedAudiences(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}})
	v := newVerifier(t, jwtverify.Config{Issuer: iss.URL, Audiences: []string{"https://api.example", "api"}})
	_, err := v.Verify(t.Context(), iss.Mint(t, map[string]any{"aud": []string{"https://other.example", "account"}}))
	var ae *jwtverify.AudienceError
	if !errors.As(err, &ae) || !errors.Is(err, jwtverify.ErrAudience) {
		t.Fatalf("Verify = %v, want *AudienceError", err)
	}
	if !slices.Equal(ae.Got, []string{"https://other.example", "account"}) || !slices.Equal(ae.Want, []string{"api", "https://api.example"}) {
		t.Errorf("AudienceError = {Got: %q, Want: %q}", ae.Got, ae.Want)
	}
	wantInMessage(t, err, `"https://other.example"`, `"account"`, `"api"`, `"https://api.example"`, "Config.Audiences")
}

func TestTimeErrorsNameNowAndLeeway(t *testing.T) {
	now := time.Date(2027, 1, 15, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}, Now: clock})
	v := newVerifier(t, jwtverify.Config{Issuer: iss.URL, Audiences: []string{"api"}, Now: clock, Leeway: 30 * time.Second})
	stamp := func(t time.Time) string { return t.Format(time.RFC3339) }

	t.Run("expired", func(t *testing.T) {
		exp := now.Add(-time.Hour)
		_, err := v.Verify(t.Context(), iss.Mint(t, map[string]any{"aud": "api", "exp": exp.Unix(), "iat": exp.Add(-time.Hour).Unix()}))
		var ee *jwtverify.ExpiredError
		if !errors.As(err, &ee) || !errors.Is(err, jwtverify.ErrExpired) {
			t.Fatalf("Verify = %v, want *ExpiredError", err)
		}
		if !ee.Expiry.Equal(exp) || !ee.Now.Equal(now) || ee.Leeway != 30*time.Second {
			t.Errorf("ExpiredError = %+v, want Expiry %v, Now %v, Leeway 30s", ee, exp, now)
		}
		wantInMessage(t, err, stamp(exp), stamp(now), "30s", "Config.Leeway")
	})
	for _, claim := range []string{"nbf", "iat"} {
		t.Run("future "+claim, func(t *testing.T) {
			at := now.Add(10 * time.Minute)
			_, err := v.Verify(t.Context(), iss.Mint(t, map[string]any{"aud": "api", claim: at.Unix(), "exp": at.Add(time.Hour).Unix()}))
			var ne *jwtverify.NotYetValidError
			if !errors.As(err, &ne) || !errors.Is(err, jwtverify.ErrNotYetValid) {
				t.Fatalf("Verify = %v, want *NotYetValidError", err)
			}
			if ne.Claim != claim || !ne.Time.Equal(at) || !ne.Now.Equal(now) || ne.Leeway != 30*time.Second {
				t.Errorf("NotYetValidError = %+v, want Claim %s, Time %v, Now %v, Leeway 30s", ne, claim, at, now)
			}
			wantInMessage(t, err, claim, stamp(at), stamp(now), "30s")
		})
	}
}

func TestTypeErrorNamesTheMode(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{Algorithms: []string{"ES256"}})
	claims := map[string]any{"aud": "api", "sub": "s", "client_id": "c"}
	for _, tt := range []struct {
		name   string
		strict bool
		typ    any // nil: no typ header
		pieces []string
	}{
		{"strict, typ JWT", true, "JWT", []string{`"JWT"`, "Config.StrictRFC9068", "at+jwt"}},
		{"strict, no typ", true, nil, []string{"Config.StrictRFC9068", "at+jwt"}},
		{"default, typ dpop+jwt", false, "dpop+jwt", []string{`"dpop+jwt"`, "at+jwt", "JWT", "Config.StrictRFC9068"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := newVerifier(t, jwtverify.Config{Issuer: iss.URL, Audiences: []string{"api"}, StrictRFC9068: tt.strict})
			_, err := v.Verify(t.Context(), iss.MintWith(t, jwttest.Token{Header: map[string]any{"typ": tt.typ}, Claims: claims}))
			if !errors.Is(err, jwtverify.ErrType) || !errors.Is(err, jwtverify.ErrInvalidToken) {
				t.Fatalf("Verify = %v, want ErrType", err)
			}
			wantInMessage(t, err, tt.pieces...)
			if strings.Contains(err.Error(), "Profile") {
				t.Errorf("message %q names Config.Profile, which does not exist", err)
			}
		})
	}
}

// TestErrorMessagesBounded: long lists and long strings are cut, and say how
// much was left out.
func TestErrorMessagesBounded(t *testing.T) {
	many := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s-%d-%s", prefix, i, strings.Repeat("x", 100))
		}
		return out
	}
	for _, tt := range []struct {
		name   string
		err    error
		pieces []string
	}{
		{"audience lists", &jwtverify.AudienceError{Got: many("got", 500), Want: many("want", 40)}, []string{"and 498 more", "and 38 more", `"got-0-`, `"want-0-`}},
		{"short audiences", &jwtverify.AudienceError{Got: []string{"a", "b", "c", "d", "e"}, Want: []string{"f"}}, []string{`"a" "b" "c" … and 2 more`, `"f"`}},
		{"issuer list", &jwtverify.IssuerError{Got: strings.Repeat("i", 10000), Want: many("iss", 12)}, []string{"and 10 more", `"iss-0-`}},
		{"issuer and a long twin", &jwtverify.IssuerError{Got: strings.Repeat("i", 10000), Want: []string{strings.Repeat("i", 10000) + "/"}}, []string{"trailing slash"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// FuzzVerify holds every error of Verify to 512 bytes.
			if n := len(tt.err.Error()); n > 512 {
				t.Errorf("message is %d bytes, want at most 512", n)
			}
			wantInMessage(t, tt.err, tt.pieces...)
		})
	}
}

// TestErrorMessagesOfBareValues: errors built with only their old fields
// (as code outside this package may) still read well.
func TestErrorMessagesOfBareValues(t *testing.T) {
	exp := time.Date(2027, 1, 15, 8, 0, 0, 0, time.UTC)
	for _, err := range []error{
		&jwtverify.ExpiredError{Expiry: exp},
		&jwtverify.NotYetValidError{Claim: "nbf", Time: exp},
		&jwtverify.IssuerError{Got: "https://a.example"},
		&jwtverify.AudienceError{Got: []string{"x"}},
	} {
		t.Run(fmt.Sprintf("%T", err), func(t *testing.T) {
			msg := err.Error()
			if strings.Contains(msg, "0001-01-01") || strings.Contains(msg, "[]") || strings.HasSuffix(msg, " ") {
				t.Errorf("message %q shows an empty field", msg)
			}
		})
	}
}
