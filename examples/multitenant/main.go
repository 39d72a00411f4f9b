// Command multitenant serves several tenants, each with its own
// authorization server, from one API. The verifier learns issuers from a
// resolver (an unknown issuer is refused before any fetch), keys of one
// issuer never verify a token that names another, and a per-route rule
// checks that the token's issuer is the tenant named in the URL. It runs in
// one process against test issuers and prints what each call got.
//
//	go run ./examples/multitenant
package main

import (
	"context"
	"errors"
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

	// One authorization server per tenant, and one nobody trusts.
	acme, globex, evil := start(), start(), start()
	defer acme.Close()
	defer globex.Close()
	defer evil.Close()

	// The tenant registry: in production a database or a config file.
	issuerOf := map[string]string{"acme": acme.URL, "globex": globex.URL}
	trusted := map[string]bool{acme.URL: true, globex.URL: true}

	v, err := jwtverify.New(ctx, jwtverify.Config{
		// Asked about each issuer not seen before: "" means discover its
		// keys from its metadata; an error refuses it without any fetch.
		IssuerResolver: func(_ context.Context, iss string) (string, error) {
			if !trusted[iss] {
				return "", errors.New("not a tenant's issuer")
			}
			return "", nil
		},
		Audiences: []string{audience},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	// The URL names the tenant; the token must come from that tenant's
	// issuer.
	var sameTenant middleware.Rule = func(r *http.Request, c *jwtverify.Claims) error {
		if want, ok := issuerOf[r.PathValue("tenant")]; !ok || c.Issuer != want {
			return errors.New("token of another tenant")
		}
		return nil
	}

	why := make(chan middleware.Rejection, 1)
	guard, err := middleware.NewGuard(v, middleware.Config{
		Hooks: middleware.Hooks{Rejected: func(_ context.Context, rej middleware.Rejection) { why <- rej }},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /t/{tenant}/orders", guard.Require(sameTenant)(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			c, _ := jwtverify.ClaimsFromContext(r.Context())
			fmt.Fprintf(w, "orders of %s for %s", r.PathValue("tenant"), c.Subject)
		})))
	api := httptest.NewServer(guard.Handler(mux))
	defer api.Close()

	acmeAlice := mint(acme, jwttest.Token{Claims: map[string]any{"aud": audience, "sub": "alice"}})
	globexBob := mint(globex, jwttest.Token{Claims: map[string]any{"aud": audience, "sub": "bob"}})
	// Signed with globex's key, but claiming to come from acme.
	forged := mint(globex, jwttest.Token{Claims: map[string]any{"aud": audience, "sub": "mallory", "iss": acme.URL}})
	stranger := mint(evil, jwttest.Token{Claims: map[string]any{"aud": audience, "sub": "eve"}})

	for _, c := range []struct{ name, path, token string }{
		{"acme token, acme tenant", "/t/acme/orders", acmeAlice},
		{"globex token, globex tenant", "/t/globex/orders", globexBob},
		{"globex token, acme tenant", "/t/acme/orders", globexBob},
		{"globex key, iss claims acme", "/t/acme/orders", forged},
		{"issuer of no tenant", "/t/acme/orders", stranger},
	} {
		fmt.Printf("%s:\n", c.name)
		call(api.Client(), api.URL+c.path, c.token)
		select {
		case rej := <-why:
			fmt.Printf("    why (server side only): %s\n", rej.Reason)
		default:
		}
	}
}

func start() *jwttest.Issuer {
	iss, err := jwttest.NewIssuer(jwttest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	return iss
}

func mint(iss *jwttest.Issuer, t jwttest.Token) string {
	tok, err := iss.Sign(t)
	if err != nil {
		log.Fatal(err)
	}
	return tok
}

func call(client *http.Client, url, token string) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
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
}
