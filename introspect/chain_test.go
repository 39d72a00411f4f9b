package introspect_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/tokenguard/tokenguard/introspect"
	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

// recorder is an Authenticator that records the tokens it saw.
type recorder struct {
	name   string
	mu     sync.Mutex
	tokens []string
	err    error
}

func (r *recorder) Authenticate(_ context.Context, token string) (*jwtverify.Claims, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tokens = append(r.tokens, token)
	if r.err != nil {
		return nil, r.err
	}
	return &jwtverify.Claims{Subject: r.name}, nil
}

func TestChain_Routing(t *testing.T) {
	tests := []struct {
		token string
		want  string // which Authenticator gets it
	}{
		{"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln", "jwt"},
		{"a.b.c", "jwt"},
		{"A-_z.0-9_.x", "jwt"},
		{"opaque-2YotnFZFEjr1zCsicMWpAA", "introspection"},
		{"a.b", "introspection"},
		{"a.b.c.d.e", "introspection"}, // JWE shape
		{"a..c", "introspection"},
		{".b.c", "introspection"},
		{"a.b.", "introspection"},
		{"a.b.c=", "introspection"},
		{"a+b.c/d.e", "introspection"},
	}
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			jwt, intro := &recorder{name: "jwt"}, &recorder{name: "introspection"}
			ch := introspect.NewChain(introspect.ChainConfig{JWT: jwt, Introspection: intro})
			claims, err := ch.Authenticate(t.Context(), tt.token)
			if err != nil || claims.Subject != tt.want {
				t.Fatalf("Authenticate(%q) = %v, %v; want the %s authenticator", tt.token, claims, err, tt.want)
			}
			if len(jwt.tokens)+len(intro.tokens) != 1 {
				t.Errorf("Authenticate(%q) asked %d authenticators, want 1", tt.token, len(jwt.tokens)+len(intro.tokens))
			}
		})
	}
}

func TestChain_NilPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewChain(nil Introspection) did not panic")
		}
	}()
	introspect.NewChain(introspect.ChainConfig{JWT: &recorder{}})
}

func TestChain_WithVerifierAndClient(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{})
	v, err := jwtverify.New(t.Context(), jwtverify.Config{Issuer: iss.URL, Audiences: []string{testAudience}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)

	good := iss.Mint(t, map[string]any{"aud": testAudience, "sub": "jwt-user"})
	revoked := iss.Mint(t, map[string]any{"aud": testAudience, "sub": "revoked-user"})
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))

	ep := &endpoint{}
	ep.answer("opaque-good", activeJSON(t0, map[string]any{"iss": iss.URL}))
	ep.answer(good, activeJSON(t0, map[string]any{"iss": iss.URL, "sub": "from-introspection"}))
	// revoked: unknown to the endpoint, hence inactive
	cfg := baseConfig(ep.serve(t), newClock())
	cfg.Issuer = iss.URL
	c := newClient(t, cfg)

	tests := []struct {
		name      string
		both      bool
		token     string
		wantSub   string
		wantErr   error
		wantCalls int64
	}{
		{name: "opaque token is introspected", token: "opaque-good", wantSub: "alice", wantCalls: 1},
		{name: "JWT is verified locally", token: good, wantSub: "jwt-user", wantCalls: 0},
		{name: "revoked JWT passes without IntrospectJWTs", token: revoked, wantSub: "revoked-user", wantCalls: 0},
		{name: "tampered JWT is refused, not introspected", token: tampered, wantErr: jwtverify.ErrSignature, wantCalls: 0},
		{name: "tampered JWT is refused, not introspected, IntrospectJWTs", both: true, token: tampered, wantErr: jwtverify.ErrSignature, wantCalls: 0},
		{name: "JWT is also introspected with IntrospectJWTs", both: true, token: good, wantSub: "jwt-user", wantCalls: 1},
		{name: "revoked JWT is refused with IntrospectJWTs", both: true, token: revoked, wantErr: introspect.ErrInactive, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := ep.calls.Load()
			ch := introspect.NewChain(introspect.ChainConfig{JWT: v, Introspection: c, IntrospectJWTs: tt.both})
			claims, err := ch.Authenticate(t.Context(), tt.token)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Authenticate = %v, want %v", err, tt.wantErr)
				}
			} else if err != nil || claims.Subject != tt.wantSub {
				t.Fatalf("Authenticate = %v, %v; want subject %q", claims, err, tt.wantSub)
			}
			if got := ep.calls.Load() - before; got != tt.wantCalls {
				t.Errorf("introspection calls = %d, want %d", got, tt.wantCalls)
			}
		})
	}
}
