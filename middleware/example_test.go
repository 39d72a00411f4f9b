package middleware_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
)

// start returns an in-process test issuer and a Verifier for it; production
// code points jwtverify.Config.Issuer at its authorization server instead.
func start() (*jwttest.Issuer, *jwtverify.Verifier) {
	iss, err := jwttest.NewIssuer(jwttest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	v, err := jwtverify.New(context.Background(), jwtverify.Config{
		Issuer:    iss.URL,
		Audiences: []string{"https://api.example.com"},
	})
	if err != nil {
		log.Fatal(err)
	}
	return iss, v
}

func mint(iss *jwttest.Issuer, claims map[string]any) string {
	tok, err := iss.Sign(jwttest.Token{Claims: claims})
	if err != nil {
		log.Fatal(err)
	}
	return tok
}

// get sends a GET through h and prints the answer's status and challenge.
func get(h http.Handler, path, token string) {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"), strings.TrimSpace(w.Body.String()))
}

func ExampleNew() {
	iss, v := start()
	defer iss.Close()
	defer v.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		claims, _ := jwtverify.ClaimsFromContext(r.Context())
		fmt.Fprintf(w, "hello %s", claims.Subject)
	})
	h := middleware.New(v)(mux)

	get(h, "/me", mint(iss, map[string]any{"aud": "https://api.example.com", "sub": "alice"}))
	get(h, "/me", "")
	get(h, "/me", mint(iss, map[string]any{"aud": "https://other.example.com", "sub": "alice"}))
	// Output:
	// 200  hello alice
	// 401 Bearer realm="api" {"error_description":"the request carries no access token"}
	// 401 Bearer realm="api", error="invalid_token", error_description="the access token is not meant for this resource" {"error":"invalid_token","error_description":"the access token is not meant for this resource"}
}

func ExampleRequireScopes() {
	iss, v := start()
	defer iss.Close()
	defer v.Close()

	orders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "orders") })
	mux := http.NewServeMux()
	mux.Handle("GET /orders", middleware.RequireScopes("orders:read")(orders))
	h := middleware.New(v)(mux)

	get(h, "/orders", mint(iss, map[string]any{"aud": "https://api.example.com", "scope": "orders:read"}))
	get(h, "/orders", mint(iss, map[string]any{"aud": "https://api.example.com", "scope": "profile"}))
	// Output:
	// 200  orders
	// 403 Bearer realm="api", error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders:read" {"error":"insufficient_scope","error_description":"the access token lacks a required scope","scope":"orders:read"}
}

// A Guard with settings: optional authentication, a public health check, a
// realm, and Debug logs of every rejection (never with the token).
func ExampleNewGuard() {
	iss, v := start()
	defer iss.Close()
	defer v.Close()

	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "error" {
				return slog.Attr{} // keep the output stable
			}
			return a
		},
	}))
	g := middleware.NewGuard(v, middleware.Config{
		Realm:    "shop",
		Optional: true,
		Exclude:  middleware.ExcludePaths("/healthz"),
		Logger:   logger,
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		if c, ok := jwtverify.ClaimsFromContext(r.Context()); ok {
			fmt.Fprintf(w, "welcome back, %s", c.Subject)
			return
		}
		fmt.Fprint(w, "welcome, guest")
	})
	h := g.Handler(mux)

	get(h, "/", "")
	get(h, "/", mint(iss, map[string]any{"aud": "https://api.example.com", "sub": "alice"}))
	get(h, "/", mint(iss, map[string]any{"aud": "https://api.example.com", "exp": 1}))
	// Output:
	// 200  welcome, guest
	// 200  welcome back, alice
	// level=DEBUG msg="tokenguard: request rejected" reason=expired status=401 method=GET path=/
	// 401 Bearer realm="shop", error="invalid_token", error_description="the access token expired" {"error":"invalid_token","error_description":"the access token expired"}
}

// Require runs a route's own authorization rule on the verified claims.
func ExampleRequire() {
	iss, v := start()
	defer iss.Close()
	defer v.Close()

	sameTenant := func(r *http.Request, c *jwtverify.Claims) error {
		var t struct {
			Tenant string `json:"tid"`
		}
		if err := c.Decode(&t); err != nil || t.Tenant != r.PathValue("tenant") {
			return fmt.Errorf("token of tenant %q", t.Tenant)
		}
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET /t/{tenant}/orders", middleware.Require(sameTenant)(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "orders of ", r.PathValue("tenant")) })))
	h := middleware.New(v)(mux)

	tok := mint(iss, map[string]any{"aud": "https://api.example.com", "tid": "acme"})
	get(h, "/t/acme/orders", tok)
	get(h, "/t/globex/orders", tok)
	// Output:
	// 200  orders of acme
	// 403 Bearer realm="api", error="insufficient_scope", error_description="the access token does not grant access to this resource" {"error":"insufficient_scope","error_description":"the access token does not grant access to this resource"}
}

// A custom Authenticator: here a fixed table of opaque tokens. Errors wrap
// jwtverify.ErrInvalidToken (401) or jwtverify.ErrUnavailable (503).
func ExampleAuthenticatorFunc() {
	a := middleware.AuthenticatorFunc(func(_ context.Context, token string) (*jwtverify.Claims, error) {
		if token != "s3cr3t" {
			return nil, fmt.Errorf("unknown opaque token: %w", jwtverify.ErrInvalidToken)
		}
		return jwtverify.ParseClaims([]byte(`{"sub":"robot","scope":"metrics:read"}`))
	})
	h := middleware.New(a)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtverify.ClaimsFromContext(r.Context())
		fmt.Fprint(w, c.Subject, " ", c.Scopes)
	}))
	get(h, "/", "s3cr3t")
	get(h, "/", "guess")
	// Output:
	// 200  robot [metrics:read]
	// 401 Bearer realm="api", error="invalid_token", error_description="the access token is not valid" {"error":"invalid_token","error_description":"the access token is not valid"}
}

// A server protected by the middleware. It listens on a port, so it has no
// output to check.
func Example_server() {
	v, err := jwtverify.New(context.Background(), jwtverify.Config{
		Issuer:    "https://auth.example.com/",
		Audiences: []string{"https://api.example.com"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	mux.Handle("GET /orders", middleware.RequireScopes("orders:read")(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "[]") })))
	g := middleware.NewGuard(v, middleware.Config{Exclude: middleware.ExcludePaths("/healthz")})
	log.Fatal(http.ListenAndServe(":8080", g.Handler(mux)))
}
