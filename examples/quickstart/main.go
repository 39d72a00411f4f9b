// Command quickstart shows tokenguard end to end in one process: it starts a
// test authorization server (metadata + JWK Set), a verifier that discovers
// the server's keys, and an API protected by the middleware; then it calls
// the API with a good token and with bad ones, printing the answer each got
// and, from the server's side, why.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
)

const audience = "https://api.example.com"

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// 1. An authorization server. In production this is your Auth0, Keycloak,
	//    Okta, Entra ID...; here it is an in-process test issuer.
	issuer, err := jwttest.NewIssuer(jwttest.Options{Algorithms: []string{"RS256"}})
	if err != nil {
		log.Fatal(err)
	}
	defer issuer.Close()

	// 2. The verifier: the issuer's keys are found through its metadata,
	//    fetched once, cached, and refreshed in the background.
	verifier, err := jwtverify.New(ctx, jwtverify.Config{
		Issuer:    issuer.URL,
		Audiences: []string{audience},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer verifier.Close()

	// 3. A protected API: the Guard checks the token of every request, and
	//    /orders also needs the orders:read scope. The Rejected hook tells us
	//    why a request was refused; the client only ever sees a safe phrase.
	why := make(chan middleware.Rejection, 1)
	guard, err := middleware.NewGuard(verifier, middleware.Config{
		Realm: "quickstart",
		Hooks: middleware.Hooks{Rejected: func(_ context.Context, rej middleware.Rejection) { why <- rej }},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /orders", guard.Require(middleware.Scopes("orders:read"))(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			claims, _ := jwtverify.ClaimsFromContext(r.Context())
			fmt.Fprintf(w, "hello %s, your scopes are %v", claims.Subject, claims.Scopes)
		})))
	api := httptest.NewServer(guard.Handler(mux))
	defer api.Close()

	now := time.Now()
	good := mint(issuer, map[string]any{"aud": audience, "sub": "alice", "scope": "orders:read"})
	for _, c := range []struct{ name, token string }{
		{"valid token", good},
		{"expired token", mint(issuer, map[string]any{"aud": audience, "sub": "alice", "scope": "orders:read",
			"iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()})},
		{"token for another API", mint(issuer, map[string]any{"aud": "https://other.example.com", "sub": "alice", "scope": "orders:read"})},
		{"tampered token (sub changed, signature kept)", tamper(good)},
		{"token without the orders:read scope", mint(issuer, map[string]any{"aud": audience, "sub": "alice", "scope": "profile"})},
		{"no token", ""},
	} {
		fmt.Printf("%s:\n", c.name)
		call(api.Client(), api.URL, c.token)
		select { // the hook ran before the answer was written
		case rej := <-why:
			fmt.Printf("    why (server side only): %s: %v\n", rej.Reason, rej.Err)
		default:
		}
	}
}

func mint(i *jwttest.Issuer, claims map[string]any) string {
	s, err := i.Sign(jwttest.Token{Claims: claims})
	if err != nil {
		log.Fatal(err)
	}
	return s
}

// tamper rewrites the payload of a signed token to name another subject,
// keeping its issuer and its original signature, which then no longer fits.
func tamper(token string) string {
	parts := strings.Split(token, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		log.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		log.Fatal(err)
	}
	claims["sub"] = "mallory"
	forged, err := json.Marshal(claims)
	if err != nil {
		log.Fatal(err)
	}
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(forged) + "." + parts[2]
}

func call(client *http.Client, url, token string) {
	req, err := http.NewRequest(http.MethodGet, url+"/orders", nil)
	if err != nil {
		log.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("    HTTP %d %s\n", resp.StatusCode, strings.TrimSpace(string(body)))
	if h := resp.Header.Get("WWW-Authenticate"); h != "" {
		fmt.Printf("    WWW-Authenticate: %s\n", h)
	}
}
