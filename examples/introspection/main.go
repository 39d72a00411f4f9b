// Command introspection shows an API that accepts opaque access tokens: the
// API asks the authorization server about each token with OAuth 2.0 Token
// Introspection (RFC 7662) and caches the answers. Everything runs in one
// process: a small fake authorization server, the protected API, and a
// client that calls it with good and bad tokens, printing what happened.
//
//	go run ./examples/introspection
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/tokenguard/tokenguard/introspect"
	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
)

const (
	audience = "https://api.example.com"
	// The API's own credentials at the authorization server.
	apiClientID     = "orders-api"
	apiClientSecret = "example-secret-do-not-use"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// 1. An authorization server that issues opaque tokens and answers
	//    introspection requests. In production: Keycloak, Okta, Ory
	//    Hydra, ...
	as := newAuthServer()
	asServer := httptest.NewServer(as)
	defer asServer.Close()
	as.issuer = asServer.URL

	// 2. The introspection client: the endpoint is discovered from the
	//    issuer's metadata; answers are cached (active ones at most 5
	//    minutes and never past exp, inactive ones 30 seconds). Audiences
	//    is required: a token the server issued for another API must not
	//    get in. Only access tokens are accepted: a refresh token, active
	//    at the server too, is refused.
	client, err := introspect.New(ctx, introspect.Config{
		Issuer:       asServer.URL,
		ClientID:     apiClientID,
		ClientSecret: apiClientSecret,
		Audiences:    []string{audience},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// 3. The API: every route needs a valid token, /orders needs the
	//    orders:read scope too.
	guard, err := middleware.NewGuard(client, middleware.Config{})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /orders", guard.Require(middleware.Scopes("orders:read"))(http.HandlerFunc(orders)))
	mux.HandleFunc("GET /profile", profile)
	api := httptest.NewServer(guard.Handler(mux))
	defer api.Close()

	good := as.issue(map[string]any{"sub": "alice", "scope": "orders:read", "aud": audience, "username": "alice@example.com"})
	profileOnly := as.issue(map[string]any{"sub": "bob", "scope": "profile", "aud": audience})
	otherAPI := as.issue(map[string]any{"sub": "alice", "scope": "orders:read", "aud": "https://other.example.com"})
	revoked := as.issue(map[string]any{"sub": "carol", "scope": "orders:read", "aud": audience})
	as.revoke(revoked)
	refresh := as.issue(map[string]any{"sub": "alice", "scope": "orders:read", "aud": audience, "token_type": "refresh_token"})

	for _, c := range []struct{ name, path, token string }{
		{"valid token", "/orders", good},
		{"same token again (answered from the cache)", "/orders", good},
		{"valid token, missing scope", "/orders", profileOnly},
		{"valid token, route without scope", "/profile", profileOnly},
		{"revoked token", "/orders", revoked},
		{"token for another API", "/orders", otherAPI},
		{"refresh token instead of an access token", "/orders", refresh},
		{"unknown token", "/orders", "made-up-token"},
		{"no token", "/orders", ""},
	} {
		fmt.Printf("%s:\n", c.name)
		call(api.URL+c.path, c.token)
	}
	fmt.Printf("introspection calls made: %d\n", as.calls())

	// 4. Fail closed: when the authorization server is down, a token the
	//    cache does not know is answered 503, never let through.
	fresh := as.issue(map[string]any{"sub": "dave", "scope": "orders:read", "aud": audience})
	asServer.Close()
	fmt.Println("authorization server down, new token:")
	call(api.URL+"/orders", fresh)
}

func orders(w http.ResponseWriter, r *http.Request) {
	c, _ := jwtverify.ClaimsFromContext(r.Context())
	fmt.Fprintf(w, "orders of %s", c.Subject)
}

func profile(w http.ResponseWriter, r *http.Request) {
	c, _ := jwtverify.ClaimsFromContext(r.Context())
	fmt.Fprintf(w, "profile of %s, scopes %v", c.Subject, c.Scopes)
}

// apiClient calls the demo API; like every client, it has a timeout.
var apiClient = &http.Client{Timeout: 5 * time.Second}

func call(url, token string) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := apiClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	fmt.Printf("    HTTP %d %s\n", resp.StatusCode, strings.TrimSpace(string(body)))
	if h := resp.Header.Get("WWW-Authenticate"); h != "" {
		fmt.Printf("    WWW-Authenticate: %s\n", h)
	}
}

// authServer is a fake authorization server: metadata, and an introspection
// endpoint that requires the API's client credentials. Tokens are random
// strings that mean nothing without the server's records.
type authServer struct {
	issuer string
	mux    *http.ServeMux

	mu     sync.Mutex
	tokens map[string]map[string]any
	n      int
}

func newAuthServer() *authServer {
	as := &authServer{mux: http.NewServeMux(), tokens: make(map[string]map[string]any)}
	as.mux.HandleFunc("GET /.well-known/openid-configuration", as.metadata)
	as.mux.HandleFunc("POST /introspect", as.introspect)
	return as
}

func (as *authServer) ServeHTTP(w http.ResponseWriter, r *http.Request) { as.mux.ServeHTTP(w, r) }

func (as *authServer) metadata(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"issuer":                 as.issuer,
		"jwks_uri":               as.issuer + "/jwks",
		"token_endpoint":         as.issuer + "/token",
		"introspection_endpoint": as.issuer + "/introspect",
	})
}

func (as *authServer) introspect(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if id, secret, ok := r.BasicAuth(); !ok || id != apiClientID || secret != apiClientSecret {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":"invalid_client"}`))
		return
	}
	as.mu.Lock()
	as.n++
	claims, ok := as.tokens[r.PostFormValue("token")]
	as.mu.Unlock()
	if !ok {
		w.Write([]byte(`{"active":false}`))
		return
	}
	json.NewEncoder(w).Encode(claims)
}

// issue records a new opaque token with claims, valid for an hour.
func (as *authServer) issue(claims map[string]any) string {
	token := rand.Text()
	now := time.Now()
	c := map[string]any{"active": true, "iss": as.issuer, "client_id": "web-app", "token_type": "Bearer",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range claims {
		c[k] = v
	}
	as.mu.Lock()
	defer as.mu.Unlock()
	as.tokens[token] = c
	return token
}

func (as *authServer) revoke(token string) {
	as.mu.Lock()
	defer as.mu.Unlock()
	delete(as.tokens, token)
}

func (as *authServer) calls() int {
	as.mu.Lock()
	defer as.mu.Unlock()
	return as.n
}
