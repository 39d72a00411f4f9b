package jwtverify_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

func ExampleVerifier_Verify() {
	ctx := context.Background()
	issuer, _ := jwttest.NewIssuer(jwttest.Options{Algorithms: []string{"ES256"}})
	defer issuer.Close()

	v, err := jwtverify.New(ctx, jwtverify.Config{
		Issuer:    issuer.URL, // keys are discovered from the issuer's metadata
		Audiences: []string{"https://api.example.com"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()

	token, _ := issuer.Sign(jwttest.Token{Claims: map[string]any{
		"aud": "https://api.example.com", "sub": "alice", "scope": "orders:read",
	}})
	claims, err := v.Verify(ctx, token)
	fmt.Println(claims.Subject, claims.Scopes, err)

	expired, _ := issuer.Sign(jwttest.Token{Claims: map[string]any{
		"aud": "https://api.example.com", "exp": time.Now().Add(-time.Hour).Unix(),
	}})
	_, err = v.Verify(ctx, expired)
	fmt.Println(errors.Is(err, jwtverify.ErrExpired), errors.Is(err, jwtverify.ErrInvalidToken))
	// Output:
	// alice [orders:read] <nil>
	// true true
}

func ExampleClaims_Decode() {
	ctx := context.Background()
	issuer, _ := jwttest.NewIssuer(jwttest.Options{})
	defer issuer.Close()
	v, _ := jwtverify.New(ctx, jwtverify.Config{Issuer: issuer.URL, Audiences: []string{"api"}})
	defer v.Close()

	token, _ := issuer.Sign(jwttest.Token{Claims: map[string]any{"aud": "api", "tid": "tenant-7", "roles": []string{"admin"}}})
	claims, _ := v.Verify(ctx, token)

	var custom struct {
		Tenant string   `json:"tid"`
		Roles  []string `json:"roles"`
	}
	if err := claims.Decode(&custom); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(custom.Tenant, custom.Roles)
	// Output: tenant-7 [admin]
}

// Claims from a Verifier are shared by every request with the same token;
// Clone them before changing anything.
func ExampleClaims_Clone() {
	ctx := context.Background()
	issuer, _ := jwttest.NewIssuer(jwttest.Options{})
	defer issuer.Close()
	v, _ := jwtverify.New(ctx, jwtverify.Config{Issuer: issuer.URL, Audiences: []string{"api"}})
	defer v.Close()

	token, _ := issuer.Sign(jwttest.Token{Claims: map[string]any{"aud": "api", "scope": "orders:read"}})
	shared, _ := v.Verify(ctx, token)
	mine := shared.Clone()
	mine.Scopes = append(mine.Scopes, "orders:audit")

	again, _ := v.Verify(ctx, token)
	fmt.Println(mine.Scopes, again.Scopes, again == shared)
	// Output: [orders:read orders:audit] [orders:read] true
}

func ExampleConfig_validators() {
	ctx := context.Background()
	issuer, _ := jwttest.NewIssuer(jwttest.Options{})
	defer issuer.Close()

	errNotAdmin := errors.New("admin role required")
	v, _ := jwtverify.New(ctx, jwtverify.Config{
		Issuer:    issuer.URL,
		Audiences: []string{"api"},
		Validators: []func(context.Context, *jwtverify.Claims) error{
			func(_ context.Context, c *jwtverify.Claims) error {
				var x struct{ Roles []string }
				if err := c.Decode(&x); err != nil || len(x.Roles) == 0 || x.Roles[0] != "admin" {
					return errNotAdmin
				}
				return nil
			},
		},
	})
	defer v.Close()

	token, _ := issuer.Sign(jwttest.Token{Claims: map[string]any{"aud": "api", "roles": []string{"viewer"}}})
	_, err := v.Verify(ctx, token)
	fmt.Println(errors.Is(err, errNotAdmin), errors.Is(err, jwtverify.ErrInvalidToken))
	// Output: true true
}

// Several issuers, each with its own keys, opened at once by New. The key
// sources share one HTTP client, whose Timeout bounds each request, and
// keep serving their last good keys for a day while refreshes fail.
func ExampleConfig_issuers() {
	ctx := context.Background()
	staff, _ := jwttest.NewIssuer(jwttest.Options{Algorithms: []string{"ES256"}})
	defer staff.Close()
	partners, _ := jwttest.NewIssuer(jwttest.Options{Algorithms: []string{"EdDSA"}})
	defer partners.Close()

	v, err := jwtverify.New(ctx, jwtverify.Config{
		Issuer:     staff.URL, // discovered from its metadata
		Issuers:    []jwtverify.IssuerConfig{{Issuer: partners.URL, JWKSURL: partners.JWKSURL}},
		Audiences:  []string{"api"},
		HTTPClient: &http.Client{Timeout: 3 * time.Second},
		MaxStale:   24 * time.Hour,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer v.Close()

	for _, iss := range []*jwttest.Issuer{staff, partners} {
		token, _ := iss.Sign(jwttest.Token{Claims: map[string]any{"aud": "api", "sub": "bob"}})
		claims, err := v.Verify(ctx, token)
		fmt.Println(claims.Subject, claims.Issuer == iss.URL, err)
	}
	// Output:
	// bob true <nil>
	// bob true <nil>
}
