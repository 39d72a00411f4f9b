// Command echo is a small echo v5 API protected with tokenguard's echo5guard
// adapter: a public route, a route for any valid token, and a route that
// needs a scope. README.md shows the same with echo v4. It starts its own
// in-process test issuer and prints curl commands with tokens minted by it.
//
//	go run ./examples/echo
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
	"github.com/tokenguard/tokenguard/middleware/echo5guard"
)

const audience = "https://api.example.com"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The authorization server. In production: your issuer's URL in
	// jwtverify.Config.Issuer, and no jwttest.
	iss, err := jwttest.NewIssuer(jwttest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer iss.Close()

	v, err := jwtverify.New(ctx, jwtverify.Config{Issuer: iss.URL, Audiences: []string{audience}})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	e := echo.New()
	e.GET("/healthz", func(c *echo.Context) error { return c.String(http.StatusOK, "ok\n") }) // public

	guard, err := middleware.NewGuard(v, middleware.Config{
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		log.Fatal(err)
	}
	api := e.Group("", echo5guard.Middleware(guard))
	api.GET("/me", func(c *echo.Context) error {
		claims, _ := echo5guard.Claims(c)
		return c.JSON(http.StatusOK, map[string]any{"sub": claims.Subject, "scopes": claims.Scopes})
	})
	api.GET("/orders", func(c *echo.Context) error {
		return c.JSON(http.StatusOK, []map[string]any{{"id": 1, "item": "coffee"}})
	}, echo5guard.Require(guard, middleware.Scopes("orders:read")))
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 5 * time.Second}

	ln, err := listen()
	if err != nil {
		log.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	reader := mint(iss, map[string]any{"aud": audience, "sub": "alice", "scope": "orders:read"})
	other := mint(iss, map[string]any{"aud": audience, "sub": "bob", "scope": "profile"})
	fmt.Printf(`Listening on %s (Ctrl-C to stop). Try:

  curl -i %[1]s/healthz
  curl -i %[1]s/me
  curl -i -H "Authorization: Bearer %[2]s" %[1]s/orders
  curl -i -H "Authorization: Bearer %[3]s" %[1]s/orders

`, base, reader, other)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		log.Fatal(err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Print(err)
	}
}

// listen takes localhost:8080, or any free port if that one is taken.
func listen() (net.Listener, error) {
	if ln, err := net.Listen("tcp", "localhost:8080"); err == nil {
		return ln, nil
	}
	return net.Listen("tcp", "localhost:0")
}

func mint(iss *jwttest.Issuer, claims map[string]any) string {
	tok, err := iss.Sign(jwttest.Token{Claims: claims})
	if err != nil {
		log.Fatal(err)
	}
	return tok
}
