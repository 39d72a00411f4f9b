// Command customclaims shows claims that tokenguard does not type: a struct
// of your own read with Claims.Decode, a validator that refuses tokens for
// every route (jwtverify.Config.Validators, answered 401), and a per-route
// rule (a middleware.Rule given to Guard.Require, answered 403). It runs in
// one process against a test issuer and prints what each call got.
//
//	go run ./examples/customclaims
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
)

const audience = "https://api.example.com"

// AppClaims are the claims this API cares about beyond the registered ones.
type AppClaims struct {
	Tenant        string   `json:"tid"`
	Roles         []string `json:"roles"`
	EmailVerified bool     `json:"email_verified"`
}

// appClaims decodes the custom claims of a verified token.
func appClaims(c *jwtverify.Claims) (AppClaims, error) {
	var a AppClaims
	err := c.Decode(&a)
	return a, err
}

// verifiedEmail is a validator: it runs inside Verify, after the signature,
// times, issuer and audience passed, for every route. Its error makes the
// token invalid (401 invalid_token).
func verifiedEmail(_ context.Context, c *jwtverify.Claims) error {
	a, err := appClaims(c)
	if err != nil {
		return err
	}
	if !a.EmailVerified {
		return errors.New("email address not verified")
	}
	return nil
}

// requireRole is a per-route rule: the token is fine, but this route wants
// more (403 insufficient_scope).
func requireRole(role string) middleware.Rule {
	return func(_ *http.Request, c *jwtverify.Claims) error {
		a, err := appClaims(c)
		if err != nil || !slices.Contains(a.Roles, role) {
			return fmt.Errorf("role %q required", role)
		}
		return nil
	}
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	iss, err := jwttest.NewIssuer(jwttest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer iss.Close()

	v, err := jwtverify.New(ctx, jwtverify.Config{
		Issuer:     iss.URL,
		Audiences:  []string{audience},
		Validators: []func(context.Context, *jwtverify.Claims) error{verifiedEmail},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	why := make(chan middleware.Rejection, 1)
	guard, err := middleware.NewGuard(v, middleware.Config{
		Hooks: middleware.Hooks{Rejected: func(_ context.Context, rej middleware.Rejection) { why <- rej }},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtverify.ClaimsFromContext(r.Context())
		a, err := appClaims(c)
		if err != nil {
			http.Error(w, "bad claims", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "%s of tenant %s, roles %v", c.Subject, a.Tenant, a.Roles)
	})
	mux.Handle("GET /admin", guard.Require(requireRole("admin"))(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "welcome to the admin area") })))
	api := httptest.NewServer(guard.Handler(mux))
	defer api.Close()

	admin := mint(iss, map[string]any{"aud": audience, "sub": "alice", "tid": "acme", "roles": []string{"admin", "staff"}, "email_verified": true})
	staff := mint(iss, map[string]any{"aud": audience, "sub": "bob", "tid": "acme", "roles": []string{"staff"}, "email_verified": true})
	unverified := mint(iss, map[string]any{"aud": audience, "sub": "carol", "tid": "acme", "roles": []string{"admin"}})

	for _, c := range []struct{ name, path, token string }{
		{"admin reads her custom claims", "/me", admin},
		{"admin on /admin", "/admin", admin},
		{"staff on /admin (route rule refuses)", "/admin", staff},
		{"unverified email (validator refuses)", "/me", unverified},
	} {
		fmt.Printf("%s:\n", c.name)
		call(api.Client(), api.URL+c.path, c.token)
		select {
		case rej := <-why:
			fmt.Printf("    why (server side only): %s: %v\n", rej.Reason, rej.Err)
		default:
		}
	}
}

func mint(iss *jwttest.Issuer, claims map[string]any) string {
	tok, err := iss.Sign(jwttest.Token{Claims: claims})
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
