package ginguard_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
	"github.com/tokenguard/tokenguard/middleware/ginguard"
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
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	api := r.Group("/api", ginguard.Middleware(g))
	api.GET("/me", func(c *gin.Context) {
		claims, _ := ginguard.Claims(c)
		c.String(http.StatusOK, "hello %s", claims.Subject)
	})
	api.GET("/orders", ginguard.Require(g, middleware.Scopes("orders:read")), func(c *gin.Context) { c.String(http.StatusOK, "[]") })

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
