// Command quickstart shows tokenguard end to end in one process: it starts a
// test authorization server (metadata + JWK Set), a verifier that discovers
// the server's keys, and a protected API; then it calls the API with a good
// token and with bad ones, printing what happened and why.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
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

	// 3. A protected API.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="quickstart"`)
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		claims, err := verifier.Verify(r.Context(), token)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="quickstart", error="invalid_token"`)
			http.Error(w, "invalid token", http.StatusUnauthorized)
			log.Printf("    rejected: %v", err)
			return
		}
		fmt.Fprintf(w, "hello %s, your scopes are %v", claims.Subject, claims.Scopes)
	}))
	defer api.Close()

	good := mint(issuer, jwttest.Token{Claims: map[string]any{"aud": audience, "sub": "alice", "scope": "orders:read"}})
	expired := mint(issuer, jwttest.Token{Claims: map[string]any{"aud": audience, "sub": "alice",
		"iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": time.Now().Add(-time.Hour).Unix()}})
	otherAPI := mint(issuer, jwttest.Token{Claims: map[string]any{"aud": "https://other.example.com", "sub": "alice"}})
	tampered := tamper(good)

	for _, c := range []struct{ name, token string }{
		{"valid token", good},
		{"expired token", expired},
		{"token for another API", otherAPI},
		{"tampered token (sub changed)", tampered},
		{"no token", ""},
	} {
		fmt.Printf("%s:\n", c.name)
		call(api.URL, c.token)
	}

}

func mint(i *jwttest.Issuer, t jwttest.Token) string {
	s, err := i.Sign(t)
	if err != nil {
		log.Fatal(err)
	}
	return s
}

// tamper swaps the payload of a signed token for one naming another subject,
// keeping the original signature.
func tamper(token string) string {
	parts := strings.Split(token, ".")
	forged := `{"iss":"x","sub":"mallory","aud":"` + audience + `","exp":9999999999}`
	return parts[0] + "." + b64(forged) + "." + parts[2]
}

func call(url, token string) {
	req, _ := http.NewRequest(http.MethodGet, url+"/orders", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Printf("    HTTP %d %s\n", resp.StatusCode, strings.TrimSpace(string(body)))
	if h := resp.Header.Get("WWW-Authenticate"); h != "" {
		fmt.Printf("    WWW-Authenticate: %s\n", h)
	}
}

func b64(s string) string {
	return strings.TrimRight(base64.URLEncoding.EncodeToString([]byte(s)), "=")
}
