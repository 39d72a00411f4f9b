package echoguard_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
	"github.com/tokenguard/tokenguard/middleware/echoguard"
)

func Example() {
	// An in-process test issuer stands in for the authorization server.
	iss, err := jwttest.NewIssuer(jwttest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer iss.Close()
	v, err := jwtverify.New(context.Background(), jwtverify.Config{
		Issuer:    iss.URL,
		Audiences: []string{"https://api.example.com"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	g, err := middleware.NewGuard(v, middleware.Config{})
	if err != nil {
		log.Fatal(err)
	}
	e := echo.New()
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	api := e.Group("/api", echoguard.Middleware(g))
	api.GET("/me", func(c echo.Context) error {
		claims, _ := echoguard.Claims(c)
		return c.String(http.StatusOK, "hello "+claims.Subject)
	})
	api.GET("/orders", func(c echo.Context) error { return c.String(http.StatusOK, "[]") }, echoguard.Require(g, middleware.Scopes("orders:read")))
	r := e

	get := func(path string, claims map[string]any) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if claims != nil {
			tok, err := iss.Sign(jwttest.Token{Claims: claims})
			if err != nil {
				log.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"), strings.TrimSpace(w.Body.String()))
	}
	get("/healthz", nil)
	get("/api/me", nil)
	get("/api/me", map[string]any{"aud": "https://api.example.com", "sub": "alice"})
	get("/api/orders", map[string]any{"aud": "https://api.example.com", "scope": "profile"})
	// Output:
	// 200  ok
	// 401 Bearer realm="api" {"error_description":"the request carries no access token"}
	// 200  hello alice
	// 403 Bearer realm="api", error="insufficient_scope", error_description="the access token lacks a required scope", scope="orders:read" {"error":"insufficient_scope","error_description":"the access token lacks a required scope","scope":"orders:read"}
}
