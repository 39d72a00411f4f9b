package integration

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tokenguard/tokenguard/introspect"
	"github.com/tokenguard/tokenguard/jwtverify"
)

// The resource server of authserver/server.mjs that gets signed
// introspection answers (RFC 9701): introspection_signed_response_alg ES256.
const (
	signedRSClientID     = "tokenguard-signed-resource-server"
	signedRSClientSecret = "signed-resource-server-secret-for-tests-only"
)

// signedAnswers records the Content-Type and the JOSE header alg and typ
// of every answer to a POST (the introspection calls).
type signedAnswers struct {
	mu  sync.Mutex
	got []string // "Content-Type alg typ"
}

func (c *signedAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || r.Method != http.MethodPost {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var h struct{ Alg, Typ string }
	if head, _, ok := strings.Cut(string(body), "."); ok {
		if raw, err := base64.RawURLEncoding.DecodeString(head); err == nil {
			_ = json.Unmarshal(raw, &h)
		}
	}
	c.mu.Lock()
	c.got = append(c.got, resp.Header.Get("Content-Type")+" "+h.Alg+" "+h.Typ)
	c.mu.Unlock()
	return resp, nil
}

func (c *signedAnswers) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}

// TestSignedIntrospection introspects real opaque tokens with signed answers
// (oidc-provider's features.jwtIntrospection): the keys come from the
// server's jwks_uri, the answer's typ, iss, aud and iat are checked, and the
// claims are those of its token_introspection claim. oidc-provider signs
// the answers of a client that asks for them with its
// introspection_signed_response_alg: ES256 for the signed resource server,
// the default RS256 for the other one.
func TestSignedIntrospection(t *testing.T) {
	srv := sharedServer(t)
	srv.logOnFailure(t)
	t.Parallel()
	for _, tt := range []struct {
		name, clientID, secret, alg string
	}{
		{"ES256, registered", signedRSClientID, signedRSClientSecret, "ES256"},
		{"RS256, the server's default", rsClientID, rsClientSecret, "RS256"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			live := srv.token(t, resOpaque, clientScopes)
			revoked := srv.token(t, resOpaque, clientScopes)
			srv.revoke(t, revoked)
			seen := &signedAnswers{}
			c := newIntrospector(t, srv, introspect.Config{ClientID: tt.clientID, ClientSecret: tt.secret,
				SignedResponses: true, CacheTTL: -1, HTTPClient: &http.Client{Transport: seen}})

			claims, err := c.Authenticate(t.Context(), live)
			if err != nil {
				t.Fatalf("Authenticate(live opaque token, signed answer) = %v, want nil", err)
			}
			if claims.ClientID != apiClientID || claims.Issuer != srv.Issuer || claims.TokenType != "Bearer" ||
				!slices.Equal(claims.Audience, []string{resOpaque}) || !claims.HasAllScopes("orders:read", "orders:write") {
				t.Errorf("claims: client_id %q iss %q token_type %q aud %q scopes %q; want %q, %q, Bearer, [%s], [orders:read orders:write]",
					claims.ClientID, claims.Issuer, claims.TokenType, claims.Audience, claims.Scopes, apiClientID, srv.Issuer, resOpaque)
			}
			_, err = c.Authenticate(t.Context(), revoked)
			if !errors.Is(err, introspect.ErrInactive) || !errors.Is(err, jwtverify.ErrInvalidToken) {
				t.Errorf("Authenticate(revoked opaque token, signed answer) = %v, want ErrInactive", err)
			}
			want := "application/token-introspection+jwt; charset=utf-8 " + tt.alg + " token-introspection+jwt"
			if got := seen.list(); len(got) != 2 || got[0] != want || got[1] != want {
				t.Errorf("introspection answers were %q, want two %q", got, want)
			}
		})
	}
}
