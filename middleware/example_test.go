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
	"time"

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

// Route rules belong to the Guard that answers for them.
func ExampleGuard_Require() {
	iss, v := start()
	defer iss.Close()
	defer v.Close()

	g, err := middleware.NewGuard(v, middleware.Config{})
	if err != nil {
		log.Fatal(err)
	}
	orders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "orders") })
	mux := http.NewServeMux()
	mux.Handle("GET /orders", g.Require(middleware.Scopes("orders:read"))(orders))
	h := g.Handler(mux)

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
	g, err := middleware.NewGuard(v, middleware.Config{
		Realm:        "shop",
		Optional:     true,
		ExcludePaths: []string{"/healthz"},
		Logger:       logger,
	})
	if err != nil {
		log.Fatal(err)
	}
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

// A Rule of your own checks what the claims and the request hold.
func ExampleRule() {
	iss, v := start()
	defer iss.Close()
	defer v.Close()

	var sameTenant middleware.Rule = func(r *http.Request, c *jwtverify.Claims) error {
		var t struct {
			Tenant string `json:"tid"`
		}
		if err := c.Decode(&t); err != nil || t.Tenant != r.PathValue("tenant") {
			return fmt.Errorf("token of tenant %q", t.Tenant)
		}
		return nil
	}
	g, err := middleware.NewGuard(v, middleware.Config{})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /t/{tenant}/orders", g.Require(sameTenant)(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "orders of ", r.PathValue("tenant")) })))
	h := g.Handler(mux)

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

// One Authenticator for JWT and opaque tokens: JWS-shaped tokens are
// verified locally, the others go to a second Authenticator, here a fixed
// table standing in for an introspection client (package introspect).
func ExampleChain() {
	iss, v := start()
	defer iss.Close()
	defer v.Close()

	opaque := middleware.AuthenticatorFunc(func(_ context.Context, token string) (*jwtverify.Claims, error) {
		if token != "2YotnFZFEjr1zCsicMWpAA" {
			return nil, fmt.Errorf("token not active: %w", jwtverify.ErrInvalidToken)
		}
		return jwtverify.ParseClaims([]byte(`{"sub":"robot"}`))
	})
	h := middleware.New(middleware.Chain(v, opaque))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtverify.ClaimsFromContext(r.Context())
		fmt.Fprint(w, "hello ", c.Subject)
	}))
	get(h, "/", mint(iss, map[string]any{"aud": "https://api.example.com", "sub": "alice"}))
	get(h, "/", "2YotnFZFEjr1zCsicMWpAA")
	// Output:
	// 200  hello alice
	// 200  hello robot
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

	g, err := middleware.NewGuard(v, middleware.Config{ExcludePaths: []string{"/healthz"}})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	mux.Handle("GET /orders", g.Require(middleware.Scopes("orders:read"))(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "[]") })))
	log.Fatal(http.ListenAndServe(":8080", g.Handler(mux)))
}

// ExampleDPoPConfig accepts DPoP-bound tokens next to bearer tokens: the
// client proves with each request that it holds the key its token is bound
// to, and a proof counts once.
func ExampleDPoPConfig() {
	iss, v := start()
	defer iss.Close()
	defer v.Close()
	g, err := middleware.NewGuard(v, middleware.Config{
		DPoP: middleware.DPoPConfig{
			Mode:       middleware.DPoPAllowed,
			Algorithms: []string{"ES256", "EdDSA"},
			// NonceSecrets: [][]byte{secret}, // to require server nonces
			// ExternalURL: "https://api.example.com", // behind a proxy
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	h := g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtverify.ClaimsFromContext(r.Context())
		fmt.Fprintln(w, "hello", c.Subject)
	}))

	// The client's key, and a token the authorization server bound to it.
	key, err := jwttest.NewProofKey("ES256")
	if err != nil {
		log.Fatal(err)
	}
	tok := mint(iss, map[string]any{"aud": "https://api.example.com", "sub": "alice",
		"cnf": map[string]any{"jkt": key.Thumbprint()}})
	proof, err := key.Proof(http.MethodGet, "http://api.example.com/orders", tok, "")
	if err != nil {
		log.Fatal(err)
	}
	send := func(scheme string, proof string) {
		req := httptest.NewRequest(http.MethodGet, "http://api.example.com/orders", nil)
		req.Header.Set("Authorization", scheme+" "+tok)
		if proof != "" {
			req.Header.Set("DPoP", proof)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"), strings.TrimSpace(w.Body.String()))
	}
	send("DPoP", proof) // accepted
	send("DPoP", proof) // the same proof again: refused
	send("Bearer", "")  // a bound token without proof: refused
	// Output:
	// 200  hello alice
	// 401 Bearer realm="api", DPoP realm="api", error="invalid_dpop_proof", error_description="the DPoP proof was already used", algs="ES256 EdDSA" {"error":"invalid_dpop_proof","error_description":"the DPoP proof was already used"}
	// 401 Bearer realm="api", error="invalid_token", error_description="the access token is DPoP-bound and must be sent with the DPoP scheme", DPoP realm="api", algs="ES256 EdDSA" {"error":"invalid_token","error_description":"the access token is DPoP-bound and must be sent with the DPoP scheme"}
}

// ExampleGuard_MetadataHandler publishes RFC 9728 protected resource
// metadata: a client that knows only the API's URL follows the 401's
// resource_metadata to the document, which names the authorization server
// to get a token from.
func ExampleGuard_MetadataHandler() {
	iss, v := start()
	defer iss.Close()
	defer v.Close()
	g, err := middleware.NewGuard(v, middleware.Config{
		Metadata: &middleware.ResourceMetadata{
			Resource:             "https://api.example.com",
			AuthorizationServers: []string{"https://auth.example.com/"},
			ScopesSupported:      []string{"orders:read"},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+g.MetadataPath(), g.MetadataHandler()) // needs no token
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {})
	h := g.Handler(mux)

	get(h, "/orders", "")
	get(h, g.MetadataPath(), "")
	// Output:
	// 401 Bearer realm="api", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource" {"error_description":"the request carries no access token"}
	// 200  {"resource":"https://api.example.com","authorization_servers":["https://auth.example.com/"],"scopes_supported":["orders:read"],"bearer_methods_supported":["header"]}
}

// ExampleACR asks for a stronger login on one route (RFC 9470): a token of
// a password login is valid, but not enough to send money; the client is
// told which authentication context classes would do.
func ExampleACR() {
	iss, v := start()
	defer iss.Close()
	defer v.Close()
	g, err := middleware.NewGuard(v, middleware.Config{})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /transfers", g.Require(middleware.ACR("urn:example:mfa"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "transfers")
	})))
	mux.Handle("GET /account", g.Require(middleware.MaxAge(5*time.Minute))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "account")
	})))
	h := g.Handler(mux)

	aud := "https://api.example.com"
	password := mint(iss, map[string]any{"aud": aud, "sub": "alice", "acr": "urn:example:pwd",
		"auth_time": time.Now().Add(-time.Hour).Unix()})
	mfa := mint(iss, map[string]any{"aud": aud, "sub": "alice", "acr": "urn:example:mfa",
		"auth_time": time.Now().Unix()})
	get(h, "/transfers", password)
	get(h, "/transfers", mfa)
	get(h, "/account", password)
	// Output:
	// 401 Bearer realm="api", error="insufficient_user_authentication", error_description="the access token needs a stronger user authentication", acr_values="urn:example:mfa" {"error":"insufficient_user_authentication","error_description":"the access token needs a stronger user authentication","acr_values":"urn:example:mfa"}
	// 200  transfers
	// 401 Bearer realm="api", error="insufficient_user_authentication", error_description="the access token needs a more recent user authentication", max_age="300" {"error":"insufficient_user_authentication","error_description":"the access token needs a more recent user authentication","max_age":300}
}
