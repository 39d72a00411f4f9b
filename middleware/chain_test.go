package middleware_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
)

// tokenLog is an Authenticator that records the tokens it is asked about.
// It accepts the tokens of active (answering with claims for subject
// active[token]) and refuses the others with errInactive; with no table
// at all it accepts every token, as subject name.
type tokenLog struct {
	name   string
	active map[string]string
	mu     sync.Mutex
	tokens []string
}

var errInactive = fmt.Errorf("test: token not active: %w", jwtverify.ErrInvalidToken)

func (l *tokenLog) Authenticate(_ context.Context, token string) (*jwtverify.Claims, error) {
	l.mu.Lock()
	l.tokens = append(l.tokens, token)
	l.mu.Unlock()
	sub := l.name
	if l.active != nil {
		s, ok := l.active[token]
		if !ok {
			return nil, errInactive
		}
		sub = s
	}
	return &jwtverify.Claims{Subject: sub}, nil
}

func (l *tokenLog) calls() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.tokens)
}

func TestChainRouting(t *testing.T) {
	for _, tc := range []struct {
		token string
		want  string // which Authenticator gets it
	}{
		{"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln", "jwt"},
		{"a.b.c", "jwt"},
		{"A-_z.0-9_.x", "jwt"},
		{"opaque-2YotnFZFEjr1zCsicMWpAA", "opaque"},
		{"a.b", "opaque"},
		{"a.b.c.d.e", "opaque"}, // JWE shape
		{"a..c", "opaque"},
		{".b.c", "opaque"},
		{"a.b.", "opaque"},
		{"a.b.c.", "opaque"},
		{"a.b.c=", "opaque"},
		{"a+b.c/d.e", "opaque"},
		{"", "opaque"},
	} {
		t.Run(tc.token, func(t *testing.T) {
			jwt, opaque := &tokenLog{name: "jwt"}, &tokenLog{name: "opaque"}
			claims, err := middleware.Chain(jwt, opaque).Authenticate(t.Context(), tc.token)
			if err != nil || claims.Subject != tc.want {
				t.Fatalf("Authenticate(%q) = %v, %v; want the %s Authenticator's claims", tc.token, claims, err, tc.want)
			}
			if n := jwt.calls() + opaque.calls(); n != 1 {
				t.Errorf("Authenticate(%q) asked %d Authenticators, want 1", tc.token, n)
			}
		})
	}
}

// TestChainWithVerifier runs Chain and Both over a real Verifier and an
// Authenticator that stands in for introspection: a JWS-shaped token that
// fails verification is never introspected, with or without Both, and Both
// refuses a revoked JWT.
func TestChainWithVerifier(t *testing.T) {
	f := newFixture(t)
	revoked := f.iss.Mint(t, map[string]any{"aud": audience, "sub": "revoked-user"})
	shaped := "eyJhbGciOiJub25lIn0.eyJzdWIiOiJtYWxsb3J5In0.c2ln" // JWS-shaped, signed by nobody

	for _, tc := range []struct {
		name      string
		both      bool
		token     string
		wantSub   string
		wantErr   error
		wantCalls int // introspection calls
	}{
		{name: "opaque token is introspected", token: "opaque-good", wantSub: "opaque-user", wantCalls: 1},
		{name: "unknown opaque token is refused", token: "opaque-unknown", wantErr: errInactive, wantCalls: 1},
		{name: "JWT is verified locally", token: f.valid, wantSub: "alice"},
		{name: "revoked JWT passes without Both", token: revoked, wantSub: "revoked-user"},
		{name: "tampered JWT is refused, not introspected", token: f.tampered, wantErr: jwtverify.ErrSignature},
		{name: "tampered JWT is refused, not introspected, Both", both: true, token: f.tampered, wantErr: jwtverify.ErrSignature},
		{name: "expired JWT is refused, not introspected", token: f.expired, wantErr: jwtverify.ErrExpired},
		{name: "JWS-shaped garbage is refused, not introspected, Both", both: true, token: shaped, wantErr: jwtverify.ErrInvalidToken},
		{name: "JWT is also introspected with Both", both: true, token: f.valid, wantSub: "alice", wantCalls: 1},
		{name: "revoked JWT is refused with Both", both: true, token: revoked, wantErr: errInactive, wantCalls: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			introspection := &tokenLog{active: map[string]string{
				"opaque-good": "opaque-user",
				f.valid:       "from-introspection", // Both answers with the JWT's claims
				shaped:        "from-introspection",
				f.tampered:    "from-introspection",
			}}
			var jwt middleware.Authenticator = f.verifier
			if tc.both {
				jwt = middleware.Both(f.verifier, introspection)
			}
			claims, err := middleware.Chain(jwt, introspection).Authenticate(t.Context(), tc.token)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || claims != nil {
					t.Fatalf("Authenticate = %v, %v; want %v", claims, err, tc.wantErr)
				}
			} else if err != nil || claims.Subject != tc.wantSub {
				t.Fatalf("Authenticate = %v, %v; want subject %q", claims, err, tc.wantSub)
			}
			if got := introspection.calls(); got != tc.wantCalls {
				t.Errorf("introspection calls = %d, want %d", got, tc.wantCalls)
			}
		})
	}

	t.Run("through the Guard", func(t *testing.T) {
		introspection := &tokenLog{active: map[string]string{f.tampered: "mallory"}}
		h := middleware.New(middleware.Chain(middleware.Both(f.verifier, introspection), introspection))(
			http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("the handler ran") }))
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Authorization", "Bearer "+f.tampered)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Header().Get("WWW-Authenticate"), "signature") {
			t.Errorf("answer = %d %q, want 401 for the signature", w.Code, w.Header().Get("WWW-Authenticate"))
		}
		if n := introspection.calls(); n != 0 {
			t.Errorf("introspection calls = %d, want 0", n)
		}
	})
}

// TestBoth: second is asked only after first accepted; the claims are
// first's; a refusal, or an Authenticator that answers nothing, refuses.
func TestBoth(t *testing.T) {
	errFirst := fmt.Errorf("first: %w", jwtverify.ErrExpired)
	errSecond := fmt.Errorf("second: %w", jwtverify.ErrUnavailable)
	answer := func(sub string, err error) middleware.AuthenticatorFunc {
		return func(context.Context, string) (*jwtverify.Claims, error) {
			if sub == "" {
				return nil, err
			}
			return &jwtverify.Claims{Subject: sub}, err
		}
	}
	for _, tc := range []struct {
		name          string
		first         middleware.AuthenticatorFunc
		second        middleware.AuthenticatorFunc
		wantSub       string
		wantErr       error // nil: accepted; else errors.Is
		secondIsAsked bool
	}{
		{"both accept: first's claims", answer("first", nil), answer("second", nil), "first", nil, true},
		{"first refuses", answer("", errFirst), answer("second", nil), "", errFirst, false},
		{"second refuses", answer("first", nil), answer("", errSecond), "", errSecond, true},
		{"first answers nothing", answer("", nil), answer("second", nil), "", nil, false},
		{"second answers nothing", answer("first", nil), answer("", nil), "", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asked := false
			second := middleware.AuthenticatorFunc(func(ctx context.Context, tok string) (*jwtverify.Claims, error) {
				asked = true
				return tc.second(ctx, tok)
			})
			claims, err := middleware.Both(tc.first, second).Authenticate(t.Context(), "a.b.c")
			switch {
			case tc.wantSub != "":
				if err != nil || claims == nil || claims.Subject != tc.wantSub {
					t.Errorf("Authenticate = %v, %v; want subject %q", claims, err, tc.wantSub)
				}
			case tc.wantErr != nil:
				if claims != nil || !errors.Is(err, tc.wantErr) {
					t.Errorf("Authenticate = %v, %v; want %v", claims, err, tc.wantErr)
				}
			default: // refused for want of claims
				if claims != nil || err == nil {
					t.Errorf("Authenticate = %v, %v; want a refusal", claims, err)
				}
			}
			if asked != tc.secondIsAsked {
				t.Errorf("second asked = %v, want %v", asked, tc.secondIsAsked)
			}
		})
	}
}
