// Command nethttp is a small API protected with package middleware on plain
// net/http: a public route, a route for any valid token, and a route that
// needs a scope. It starts its own in-process test issuer and prints curl
// commands with tokens minted by it.
//
//	go run ./examples/nethttp
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

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
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

	guard, err := middleware.NewGuard(v, middleware.Config{
		ExcludePaths: []string{"/healthz"}, // public
		Logger:       slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		claims, _ := jwtverify.ClaimsFromContext(r.Context())
		fmt.Fprintf(w, "hello %s (scopes %v)\n", claims.Subject, claims.Scopes)
	})
	mux.Handle("GET /orders", guard.Require(middleware.Scopes("orders:read"))(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintln(w, `[{"id":1,"item":"coffee"}]`)
		})))
	srv := &http.Server{Handler: guard.Handler(mux), ReadHeaderTimeout: 5 * time.Second}

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
