package introspect_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/tokenguard/tokenguard/introspect"
	"github.com/tokenguard/tokenguard/jwtverify"
)

// Example protects nothing yet: it asks a small in-process authorization
// server about two opaque tokens, one active and one revoked.
func Example() {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	as := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, secret, ok := r.BasicAuth(); !ok || id != "orders-api" || secret != "s3cret" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.PostFormValue("token") == "2YotnFZFEjr1zCsicMWpAA" {
			fmt.Fprintf(w, `{"active":true,"sub":"alice","scope":"orders:read","aud":"https://api.example.com","exp":%d}`,
				now.Add(time.Hour).Unix())
			return
		}
		w.Write([]byte(`{"active":false}`))
	}))
	defer as.Close()

	ctx := context.Background()
	c, err := introspect.New(ctx, introspect.Config{
		Endpoint:     as.URL + "/introspect", // or Issuer, to discover it
		ClientID:     "orders-api",
		ClientSecret: "s3cret",
		Audiences:    []string{"https://api.example.com"},
		Now:          func() time.Time { return now },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	claims, err := c.Authenticate(ctx, "2YotnFZFEjr1zCsicMWpAA")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.Subject, claims.Scopes, claims.Expiry.UTC().Format(time.RFC3339))

	_, err = c.Authenticate(ctx, "revoked-token")
	fmt.Println(errors.Is(err, introspect.ErrInactive), errors.Is(err, jwtverify.ErrInvalidToken))
	// Output:
	// alice [orders:read] 2025-06-01T13:00:00Z
	// true true
}
