package realworld

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

// jwtRow is a JWT access token (or a JWT presented as one) shaped as a
// vendor issues it, the configuration a user of that vendor writes, and
// what tokenguard does with it.
type jwtRow struct {
	name string
	// header holds the header members the vendor sends besides alg (kid,
	// typ, x5t); a nil value removes jwttest's default (typ at+jwt).
	header func(k keys) map[string]any
	// claims are the token's claims. iat and exp are those of jwttest
	// (now, now + 1h) unless set; jti is jwttest's unless set or nil.
	claims func() map[string]any
	// config is what a user of the vendor configures, following the
	// vendor's documentation; HTTPClient and Now are added by the test.
	config func() jwtverify.Config
	// want is the outcome with config: nil for accepted, else the error
	// category (from New or Verify).
	want error
	// setting names the Config fields that fix sets: where want is an
	// error, those that make the token work; elsewhere, those the vendor's
	// tokens need to be safe. "none: ..." says why there is no setting.
	setting string
	fix     func(*jwtverify.Config)
	// fixWant is the outcome with fix applied.
	fixWant error
	// check asserts the claims a handler sees, for each accepted outcome.
	check func(t *testing.T, c *jwtverify.Claims)
	// appKey signs the token with the Entra ID application's own key
	// instead of the key every vendor publishes.
	appKey bool
	// knownDefect, when set, names a defect of the library that this row
	// exposes: the row then fails with that text, whatever else happens,
	// until the defect is fixed and the flag removed.
	knownDefect string
}

// TestJWTShapes verifies tokens shaped as each vendor issues them, through
// the vendor's own discovery documents and key sets, with the defaults and
// with the documented setting where the defaults refuse.
func TestJWTShapes(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{Now: clock})
	app := jwttest.Start(t, jwttest.Options{Now: clock})
	other := otherRSAKey(t)
	for _, r := range jwtRows() {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			if r.knownDefect != "" {
				t.Errorf("KNOWN DEFECT (left failing for the lead to decide): %s", r.knownDefect)
			}
			if r.want != nil && r.fix == nil && !strings.HasPrefix(r.setting, "none: ") {
				t.Fatalf("row refuses by default but names no setting (fix) and no reason (setting \"none: ...\")")
			}
			w := newWorld(t)
			k := keys{sig: w.keyOf(t, iss, "RS256"), other: w.publicKey(t, other), app: w.keyOf(t, app, "RS256")}
			publishAll(t, w, k)
			signer := iss
			if r.appKey {
				signer = app
			}
			token := signer.MintWith(t, jwttest.Token{Header: r.header(k), Claims: r.claims()})

			c, err := verify(t, w, r.config(), token)
			if outcome(t, "defaults: New+Verify", err, r.want) && r.check != nil {
				r.check(t, c)
			}
			if r.fix == nil {
				return
			}
			cfg := r.config()
			r.fix(&cfg)
			c, err = verify(t, w, cfg, token)
			if outcome(t, fmt.Sprintf("with %s: New+Verify", r.setting), err, r.fixWant) && r.check != nil {
				r.check(t, c)
			}
		})
	}
}

// verify builds a Verifier from cfg in w and verifies token with it.
func verify(t *testing.T, w *world, cfg jwtverify.Config, token string) (*jwtverify.Claims, error) {
	t.Helper()
	cfg.HTTPClient = w.client
	cfg.Now = clock
	v, err := jwtverify.New(t.Context(), cfg)
	if err != nil {
		return nil, err
	}
	defer v.Close()
	return v.Verify(t.Context(), token)
}

// want helpers for check functions.

func wantSubject(t *testing.T, c *jwtverify.Claims, sub string) {
	t.Helper()
	if c.Subject != sub {
		t.Errorf("Claims.Subject = %q, want %q", c.Subject, sub)
	}
}

func wantScopes(t *testing.T, c *jwtverify.Claims, scopes ...string) {
	t.Helper()
	if !slices.Equal(c.Scopes, scopes) {
		t.Errorf("Claims.Scopes = %q, want %q", c.Scopes, scopes)
	}
}

func wantClientID(t *testing.T, c *jwtverify.Claims, id string) {
	t.Helper()
	if c.ClientID != id {
		t.Errorf("Claims.ClientID = %q, want %q", c.ClientID, id)
	}
}

func wantAudience(t *testing.T, c *jwtverify.Claims, aud ...string) {
	t.Helper()
	if !slices.Equal(c.Audience, aud) {
		t.Errorf("Claims.Audience = %q, want %q", c.Audience, aud)
	}
}

func wantEqual[V comparable](t *testing.T, what string, got, want V) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func wantStrings(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

// claimValidator returns a Config.Validators function that accepts a token
// only when its custom claims, decoded into V, pass ok.
func claimValidator[V any](what string, ok func(V) bool) func(context.Context, *jwtverify.Claims) error {
	return func(_ context.Context, c *jwtverify.Claims) error {
		var v V
		if err := c.Decode(&v); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if !ok(v) {
			return errors.New(what)
		}
		return nil
	}
}

// Validators of the documented recipes.
var (
	// Keycloak without an audience mapper: the token must be an access
	// token (Keycloak's typ claim Bearer) issued to a known client (azp).
	keycloakRecipe = claimValidator("want a Keycloak access token (typ Bearer) of client orders-web",
		func(v struct {
			Typ string `json:"typ"`
			AZP string `json:"azp"`
		}) bool {
			return v.Typ == "Bearer" && v.AZP == "orders-web"
		})
	// Cognito access tokens carry no aud: the token must be an access
	// token (token_use) of a known app client (client_id).
	cognitoRecipe = func(_ context.Context, c *jwtverify.Claims) error {
		var v struct {
			TokenUse string `json:"token_use"`
		}
		if err := c.Decode(&v); err != nil {
			return err
		}
		if v.TokenUse != "access" || c.ClientID != cogClientID {
			return fmt.Errorf("want a Cognito access token of app client %s, got token_use %q client_id %q", cogClientID, v.TokenUse, c.ClientID)
		}
		return nil
	}
)

// clientIDIs returns a validator accepting only tokens whose client_id is
// one of ids.
func clientIDIs(ids ...string) func(context.Context, *jwtverify.Claims) error {
	return func(_ context.Context, c *jwtverify.Claims) error {
		if !slices.Contains(ids, c.ClientID) {
			return fmt.Errorf("client_id %q is not one of %q", c.ClientID, ids)
		}
		return nil
	}
}

func jwtRows() []jwtRow {
	nbf := now.Unix()
	iat := now.Unix()
	return []jwtRow{
		// ---- Microsoft Entra ID ----
		{
			// A v2.0 access token for a user, issued when the API's
			// manifest sets accessTokenAcceptedVersion 2: iss ends in
			// /v2.0, aud is the API's client ID, scp a space-separated
			// string, roles an array; no jti (uti instead), no client_id
			// (azp). Shape: Microsoft identity platform "Access token
			// claims reference"
			// (learn.microsoft.com/entra/identity-platform/access-token-claims-reference).
			name:   "entra/v2-user",
			header: func(k keys) map[string]any { return map[string]any{"typ": "JWT", "kid": k.sig.x5t} },
			claims: func() map[string]any {
				return map[string]any{
					"aud": entraAPIClientID, "iss": entraV2Issuer(entraTenant), "nbf": nbf,
					"aio": "AWQAm/8YAAAA1kB2opaque", "azp": entraCaller, "azpacr": "0",
					"name": "Jane Doe", "oid": "6f1ba2cd-7f4e-4b51-a3a1-1c4c2f2d7e9a",
					"preferred_username": "jane@contoso.example", "rh": "0.AQ4Aopaque.",
					"roles": []string{"Orders.Approver"}, "scp": "Orders.Read Orders.Write",
					"sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "tid": entraTenant,
					"uti": "6qcgJ8cJpUyFmXuYAmAAAA", "ver": "2.0", "jti": nil,
				}
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: entraV2Issuer(entraTenant), Audiences: []string{entraAPIClientID}}
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantSubject(t, c, "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ")
				wantScopes(t, c, "Orders.Read", "Orders.Write")
				wantClientID(t, c, "")
				v := decode[struct {
					Roles []string `json:"roles"`
					TID   string   `json:"tid"`
					AZP   string   `json:"azp"`
					Ver   string   `json:"ver"`
				}](t, c)
				wantStrings(t, "decoded roles", v.Roles, "Orders.Approver")
				wantEqual(t, "decoded tid", v.TID, entraTenant)
				wantEqual(t, "decoded azp", v.AZP, entraCaller)
				wantEqual(t, "decoded ver", v.Ver, "2.0")
			},
		},
		{
			// A v2.0 app-only token (client credentials): no scp, the
			// application permissions in roles, sub equal to oid.
			// Shape: "Access token claims reference" (roles: "The client
			// credential flow uses this set of permission in place of
			// user scopes for application tokens").
			name:   "entra/v2-app-only",
			header: func(k keys) map[string]any { return map[string]any{"typ": "JWT", "kid": k.sig.x5t} },
			claims: func() map[string]any {
				return map[string]any{
					"aud": entraAPIClientID, "iss": entraV2Issuer(entraTenant), "nbf": nbf,
					"aio": "E2ZgYJjopaque", "azp": entraCaller, "azpacr": "1",
					"oid": "2a3b4c5d-1e2f-4a5b-8c9d-0e1f2a3b4c5d", "rh": "0.AQ4Aopaque.",
					"roles": []string{"Orders.ReadWrite.All"}, "sub": "2a3b4c5d-1e2f-4a5b-8c9d-0e1f2a3b4c5d",
					"tid": entraTenant, "uti": "k2lC7ZMKQUaI6aGf7tQAAA", "ver": "2.0", "jti": nil,
				}
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: entraV2Issuer(entraTenant), Audiences: []string{entraAPIClientID}}
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantSubject(t, c, "2a3b4c5d-1e2f-4a5b-8c9d-0e1f2a3b4c5d")
				wantScopes(t, c)
				v := decode[struct {
					Roles []string `json:"roles"`
				}](t, c)
				wantStrings(t, "decoded roles", v.Roles, "Orders.ReadWrite.All")
			},
		},
		{
			// A user in 200 groups, the most Entra puts in a JWT before it
			// switches to the groups overage claim; with a few optional
			// claims the token is some 11 KB. Shape: "Access token claims
			// reference" (groups: "if the number of groups the user is in
			// goes over ... 200 for JWT, then Microsoft Entra ID adds an
			// overage claim").
			name:   "entra/200-groups",
			header: func(k keys) map[string]any { return map[string]any{"typ": "JWT", "kid": k.sig.x5t} },
			claims: func() map[string]any {
				groups := make([]string, 200)
				for i := range groups {
					groups[i] = fmt.Sprintf("%08x-1f2e-4d3c-8b4a-%012x", i, 0x5f6e7d8c9b0a+i)
				}
				return map[string]any{
					"aud": entraAPIClientID, "iss": entraV2Issuer(entraTenant), "nbf": nbf,
					"aio": "AWQAm/8YAAAA1kB2opaque", "azp": entraCaller, "azpacr": "0",
					"groups": groups, "name": "Jane Doe", "oid": "6f1ba2cd-7f4e-4b51-a3a1-1c4c2f2d7e9a",
					"preferred_username": "jane@contoso.example", "rh": "0.AQ4Aopaque.",
					"scp": "Orders.Read", "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "tid": entraTenant,
					"uti": "6qcgJ8cJpUyFmXuYAmAAAA", "ver": "2.0", "wids": []string{"b79fbf4d-3ef9-4689-8143-76b194e85509"},
					"jti": nil,
				}
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: entraV2Issuer(entraTenant), Audiences: []string{entraAPIClientID}}
			},
			// Accepted: the default MaxTokenBytes, 16 KiB, was chosen for
			// such tokens (it was 8 KiB, which refused this one).
			check: func(t *testing.T, c *jwtverify.Claims) {
				v := decode[struct {
					Groups []string `json:"groups"`
				}](t, c)
				wantEqual(t, "decoded len(groups)", len(v.Groups), 200)
			},
		},
		{
			// A v1.0 token, which Entra issues for an API whose manifest
			// leaves accessTokenAcceptedVersion null (the default), to
			// v1 and v2 clients alike: iss is https://sts.windows.net/<tid>/,
			// aud the Application ID URI, header x5t beside kid, appid
			// instead of azp. The keys are the same as v2's. Shape:
			// "Access token claims reference" (v1.0 and v2.0 tokens, x5t
			// header) and "Microsoft identity platform application
			// manifest" (accessTokenAcceptedVersion).
			name: "entra/v1-token-to-v2-config",
			header: func(k keys) map[string]any {
				return map[string]any{"typ": "JWT", "kid": k.sig.x5t, "x5t": k.sig.x5t}
			},
			claims: func() map[string]any {
				return map[string]any{
					"aud": entraAppIDURI, "iss": entraV1Issuer(entraTenant), "nbf": nbf,
					"acr": "1", "aio": "AVQAq/8Yopaque", "amr": []string{"pwd"}, "appid": entraCaller, "appidacr": "0",
					"family_name": "Doe", "given_name": "Jane", "ipaddr": "203.0.113.7", "name": "Jane Doe",
					"oid": "6f1ba2cd-7f4e-4b51-a3a1-1c4c2f2d7e9a", "rh": "0.AQ4Aopaque.", "scp": "Orders.Read",
					"sub": "l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA", "tid": entraTenant,
					"unique_name": "jane@contoso.example", "upn": "jane@contoso.example",
					"uti": "fqiBqXLPj0eQa82S-IYFAA", "ver": "1.0", "jti": nil,
				}
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: entraV2Issuer(entraTenant), Audiences: []string{entraAPIClientID}}
			},
			want:    jwtverify.ErrIssuer,
			setting: "Issuers (the v1 issuer with JWKSURL .../discovery/keys) and Audiences (the Application ID URI)",
			fix: func(c *jwtverify.Config) {
				c.Issuers = append(c.Issuers, jwtverify.IssuerConfig{
					Issuer:  entraV1Issuer(entraTenant),
					JWKSURL: "https://" + hostEntra + "/" + entraTenant + "/discovery/keys",
				})
				c.Audiences = append(c.Audiences, entraAppIDURI)
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantScopes(t, c, "Orders.Read")
				v := decode[struct {
					AppID string `json:"appid"`
					Ver   string `json:"ver"`
				}](t, c)
				wantEqual(t, "decoded appid", v.AppID, entraCaller)
				wantEqual(t, "decoded ver", v.Ver, "1.0")
			},
		},
		{
			// The API uses claims mapping, so Entra signs its tokens with
			// the application's own key, which the tenant's key set (from
			// discovery) does not hold; the key set for the application
			// is the jwks_uri with ?appid=<application ID>. Shape: see
			// publishEntra.
			name:   "entra/custom-signing-key",
			appKey: true,
			header: func(k keys) map[string]any { return map[string]any{"typ": "JWT", "kid": k.app.x5t} },
			claims: func() map[string]any {
				return map[string]any{
					"aud": entraAPIClientID, "iss": entraV2Issuer(entraTenant), "nbf": nbf,
					"azp": entraCaller, "azpacr": "0", "oid": "6f1ba2cd-7f4e-4b51-a3a1-1c4c2f2d7e9a",
					"scp": "Orders.Read", "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "tid": entraTenant,
					"uti": "Qm3kq5tWbUeyqLr0m7YAAA", "ver": "2.0", "department": "Sales", "jti": nil,
				}
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: entraV2Issuer(entraTenant), Audiences: []string{entraAPIClientID}}
			},
			want:    jwtverify.ErrUnknownKey,
			setting: "JWKSURL (the tenant's .../discovery/v2.0/keys?appid=<application ID>)",
			fix: func(c *jwtverify.Config) {
				c.JWKSURL = "https://" + hostEntra + "/" + entraTenant + "/discovery/v2.0/keys?appid=" + entraAPIClientID
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantScopes(t, c, "Orders.Read")
				v := decode[struct {
					Department string `json:"department"`
				}](t, c)
				wantEqual(t, "decoded department (a mapped claim)", v.Department, "Sales")
			},
		},
		{
			// A multi-tenant API configured with the "common" endpoint:
			// its metadata names the issuer
			// https://login.microsoftonline.com/{tenantid}/v2.0, a
			// template no token carries, so discovery refuses it. Each
			// tenant's tokens carry their own iss. Shape: the "common"
			// discovery document (panva/wellknown issuers/entra-common)
			// and "Convert single-tenant app to multitenant on Microsoft
			// Entra ID" (learn.microsoft.com/entra/identity-platform/howto-convert-app-to-be-multi-tenant:
			// "validate the issuer" per tenant).
			name:   "entra/common-endpoint",
			header: func(k keys) map[string]any { return map[string]any{"typ": "JWT", "kid": k.sig.x5t} },
			claims: func() map[string]any {
				return map[string]any{
					"aud": entraAPIClientID, "iss": entraV2Issuer(entraOtherTenant), "nbf": nbf,
					"azp": entraCaller, "azpacr": "0", "oid": "1b2c3d4e-5f60-4718-293a-4b5c6d7e8f90",
					"scp": "Orders.Read", "sub": "Zx8mVqRkq3l0qopaque", "tid": entraOtherTenant,
					"uti": "b9Qb1wYQm0WkqYlqGQAAAA", "ver": "2.0", "jti": nil,
				}
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: "https://" + hostEntra + "/common/v2.0", Audiences: []string{entraAPIClientID}}
			},
			want:    jwtverify.ErrConfig,
			setting: "IssuerResolver (allowed tenants' iss → the common key set)",
			fix: func(c *jwtverify.Config) {
				c.Issuer = ""
				c.IssuerResolver = entraTenants(entraTenant, entraOtherTenant)
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantEqual(t, "Claims.Issuer", c.Issuer, entraV2Issuer(entraOtherTenant))
				wantScopes(t, c, "Orders.Read")
			},
		},
		{
			// The same multi-tenant setup, and a token from a tenant the
			// API does not serve: its iss is refused without a fetch.
			name:   "entra/tenant-not-allowed",
			header: func(k keys) map[string]any { return map[string]any{"typ": "JWT", "kid": k.sig.x5t} },
			claims: func() map[string]any {
				return map[string]any{
					"aud": entraAPIClientID, "iss": entraV2Issuer(entraOtherTenant), "nbf": nbf,
					"azp": entraCaller, "scp": "Orders.Read", "sub": "Zx8mVqRkq3l0qopaque",
					"tid": entraOtherTenant, "ver": "2.0", "jti": nil,
				}
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{IssuerResolver: entraTenants(entraTenant), Audiences: []string{entraAPIClientID}}
			},
			want:    jwtverify.ErrIssuer,
			setting: "none: refusing other tenants is the point of IssuerResolver",
		},

		// ---- Auth0 ----
		{
			// The default "Auth0" token profile: typ JWT, iss with a
			// trailing slash, aud an array (the API identifier and the
			// tenant's /userinfo), azp instead of client_id, scope a
			// string, permissions an array with RBAC; no jti. Shape:
			// Auth0 docs "Access Token Profiles" (Auth0 profile sample
			// token) and "Enable Role-Based Access Control for APIs".
			name: "auth0/auth0-profile",
			header: func(keys) map[string]any {
				return map[string]any{"typ": "JWT", "kid": auth0KID}
			},
			claims: func() map[string]any {
				return map[string]any{
					"iss": auth0Issuer, "sub": "auth0|123456",
					"aud":   []string{ordersAPI, auth0Issuer + "userinfo"},
					"azp":   "my_client_id",
					"scope": "openid profile read:orders", "permissions": []string{"read:orders", "write:orders"},
					"jti": nil,
				}
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: auth0Issuer, Audiences: []string{ordersAPI}}
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantSubject(t, c, "auth0|123456")
				wantScopes(t, c, "openid", "profile", "read:orders")
				wantAudience(t, c, ordersAPI, auth0Issuer+"userinfo")
				v := decode[struct {
					Permissions []string `json:"permissions"`
					AZP         string   `json:"azp"`
				}](t, c)
				wantStrings(t, "decoded permissions", v.Permissions, "read:orders", "write:orders")
				wantEqual(t, "decoded azp", v.AZP, "my_client_id")
			},
		},
		{
			// The same token with Issuer written without Auth0's trailing
			// slash, as the tenant domain is usually quoted: discovery
			// finds the metadata, whose issuer differs. Shape: Auth0 docs
			// "Validate Access Tokens" (iss is
			// "https://{yourDomain}/", trailing slash included).
			name: "auth0/issuer-without-trailing-slash",
			header: func(keys) map[string]any {
				return map[string]any{"typ": "JWT", "kid": auth0KID}
			},
			claims: func() map[string]any {
				return map[string]any{
					"iss": auth0Issuer, "sub": "auth0|123456", "aud": []string{ordersAPI, auth0Issuer + "userinfo"},
					"azp": "my_client_id", "scope": "openid read:orders", "jti": nil,
				}
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: "https://" + hostAuth0, Audiences: []string{ordersAPI}}
			},
			want:    jwtverify.ErrConfig,
			setting: "Issuer (with the trailing slash, as the metadata and the tokens have it)",
			fix:     func(c *jwtverify.Config) { c.Issuer = auth0Issuer },
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantEqual(t, "Claims.Issuer", c.Issuer, auth0Issuer)
			},
		},
		{
			// The "RFC 9068" token profile, checked with StrictRFC9068:
			// typ at+jwt, client_id and jti. Shape: "Access Token
			// Profiles" (RFC 9068 profile sample token).
			name: "auth0/rfc9068-profile-strict",
			header: func(keys) map[string]any {
				return map[string]any{"typ": "at+jwt", "kid": auth0KID}
			},
			claims: func() map[string]any {
				return map[string]any{
					"iss": auth0Issuer, "sub": "auth0|123456",
					"aud":       []string{ordersAPI, auth0Issuer + "userinfo"},
					"client_id": "my_client_id", "jti": "73WakrfVbNJBaAmhQtEeDv",
					"scope": "openid profile read:orders",
				}
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: auth0Issuer, Audiences: []string{ordersAPI}, StrictRFC9068: true}
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantClientID(t, c, "my_client_id")
				wantEqual(t, "Claims.ID", c.ID, "73WakrfVbNJBaAmhQtEeDv")
				wantScopes(t, c, "openid", "profile", "read:orders")
			},
		},
		{
			// A machine-to-machine token (client credentials): sub is
			// "<client_id>@clients", gty names the grant, aud one string.
			// Shape: Auth0 docs "Client Credentials Flow" and "Access
			// Token Profiles".
			name:   "auth0/m2m",
			header: func(keys) map[string]any { return map[string]any{"typ": "JWT", "kid": auth0KID} },
			claims: func() map[string]any {
				return map[string]any{
					"iss": auth0Issuer, "sub": "my_client_id@clients", "aud": ordersAPI,
					"azp": "my_client_id", "gty": "client-credentials", "scope": "read:orders", "jti": nil,
				}
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: auth0Issuer, Audiences: []string{ordersAPI}}
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantSubject(t, c, "my_client_id@clients")
				wantScopes(t, c, "read:orders")
				v := decode[struct {
					GTY string `json:"gty"`
				}](t, c)
				wantEqual(t, "decoded gty", v.GTY, "client-credentials")
			},
		},

		// ---- Okta ----
		{
			// A custom authorization server's token: no typ, ver 1, jti
			// "AT.…", cid (not client_id) and uid, scp an array. Shape:
			// Okta "OpenID Connect & OAuth 2.0 API" reference, "Access
			// token" (developer.okta.com/docs/reference/api/oidc/#access-token),
			// and "Validate access tokens".
			name:   "okta/custom-authorization-server",
			header: func(keys) map[string]any { return map[string]any{"typ": nil, "kid": oktaKID} },
			claims: func() map[string]any {
				return map[string]any{
					"ver": 1, "jti": "AT.0mP4JKAZX1iACIT4vbEDF7LpvDVjxypPMf0D7uX39RE", "iss": oktaIssuer,
					"aud": "api://default", "cid": "0oa1b2c3d4e5f6g7h8i9", "uid": "00u1a2b3c4d5e6f7g8h9",
					"scp": []string{"openid", "email", "orders:read"}, "auth_time": iat - 600,
					"sub": "jane.doe@example.com",
				}
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: oktaIssuer, Audiences: []string{"api://default"}}
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantSubject(t, c, "jane.doe@example.com")
				wantScopes(t, c, "openid", "email", "orders:read")
				wantClientID(t, c, "")
				v := decode[struct {
					CID string `json:"cid"`
					UID string `json:"uid"`
				}](t, c)
				wantEqual(t, "decoded cid", v.CID, "0oa1b2c3d4e5f6g7h8i9")
				wantEqual(t, "decoded uid", v.UID, "00u1a2b3c4d5e6f7g8h9")
			},
		},
		{
			// A token of the org authorization server (iss and aud are
			// the org URL): Okta documents that such tokens are for
			// Okta's own APIs and that resource servers cannot validate
			// them. Shape: "Authorization servers" (org authorization
			// server) and an org token decoded in a public report
			// (groups.google.com/g/rabbitmq-users/c/O3GdCKf8soM).
			name:   "okta/org-authorization-server",
			header: func(keys) map[string]any { return map[string]any{"typ": nil, "kid": oktaOrgKID} },
			claims: func() map[string]any {
				return map[string]any{
					"ver": 1, "jti": "AT.MNAoEQ_jbKqoinrQo1D0XKjMX28U5d7ZszBceot7-Ts",
					"iss": "https://" + hostOkta, "aud": "https://" + hostOkta, "sub": "jane.doe@example.com",
					"cid": "0oa1b2c3d4e5f6g7h8i9", "uid": "00u1a2b3c4d5e6f7g8h9",
					"scp": []string{"openid", "profile", "email", "groups"}, "auth_time": iat - 600,
				}
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: oktaIssuer, Audiences: []string{"api://default"}}
			},
			want:    jwtverify.ErrIssuer,
			setting: "none: org authorization server tokens are for Okta's APIs; use a custom authorization server",
		},

		// ---- Keycloak ----
		{
			// A token for a client without an audience mapper: typ JWT,
			// aud only "account" (the account console's client, there
			// because the user has its roles), Keycloak's own typ claim
			// Bearer, azp the requesting client, realm_access and
			// resource_access, scope a string. Shape: Keycloak "Server
			// Administration Guide", "Audience support" (keycloak.org/docs/latest/server_admin/#audience-support),
			// and tokens decoded in public posts (questions.zitadel.com/m/1435721390941540623).
			name:   "keycloak/no-audience-mapper",
			header: func(keys) map[string]any { return map[string]any{"typ": "JWT", "kid": kcKID} },
			claims: func() map[string]any {
				return keycloakClaims(map[string]any{
					"aud": "account", "azp": "orders-web",
					"resource_access": map[string]any{"account": map[string]any{"roles": []string{"manage-account", "view-profile"}}},
				})
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: kcIssuer, Audiences: []string{"orders-api"}}
			},
			want:    jwtverify.ErrAudience,
			setting: "InsecureSkipAudienceCheck with Validators (typ claim Bearer, azp a known client)",
			fix: func(c *jwtverify.Config) {
				c.Audiences = nil
				c.InsecureSkipAudienceCheck = true
				c.Validators = append(c.Validators, keycloakRecipe)
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantSubject(t, c, "f8d1e2c3-4b5a-4697-8a7b-6c5d4e3f2a10")
				wantScopes(t, c, "openid", "email", "profile")
				v := decode[keycloakRoles](t, c)
				wantStrings(t, "decoded realm_access.roles", v.RealmAccess.Roles, "default-roles-shop", "offline_access", "uma_authorization")
			},
		},
		{
			// The same client with an "Audience" protocol mapper naming
			// the API's client: aud an array. Shape: Keycloak "Server
			// Administration Guide", "Hardcoded audience" mapper.
			name:   "keycloak/audience-mapper",
			header: func(keys) map[string]any { return map[string]any{"typ": "JWT", "kid": kcKID} },
			claims: func() map[string]any {
				return keycloakClaims(map[string]any{
					"aud": []string{"orders-api", "account"}, "azp": "orders-web",
					"resource_access": map[string]any{
						"orders-api": map[string]any{"roles": []string{"reader"}},
						"account":    map[string]any{"roles": []string{"manage-account", "view-profile"}},
					},
				})
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: kcIssuer, Audiences: []string{"orders-api"}}
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantAudience(t, c, "orders-api", "account")
				v := decode[keycloakRoles](t, c)
				wantStrings(t, "decoded resource_access[orders-api].roles", v.ResourceAccess["orders-api"].Roles, "reader")
				wantStrings(t, "decoded realm_access.roles", v.RealmAccess.Roles, "default-roles-shop", "offline_access", "uma_authorization")
			},
		},
		{
			// A service account token (client credentials) of a client
			// without roles of other clients and without an audience
			// mapper: no aud at all. Shape: Keycloak "Server
			// Administration Guide", "Using a service account", and the
			// client-credentials token decoded in
			// tomcatdevs.blogspot.com/2026/06/get-keycloak-auth-access-token.html.
			name:   "keycloak/service-account-without-aud",
			header: func(keys) map[string]any { return map[string]any{"typ": "JWT", "kid": kcKID} },
			claims: func() map[string]any {
				c := keycloakClaims(map[string]any{
					"azp": "orders-web", "sub": "0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d",
					"preferred_username": "service-account-orders-web", "clientHost": "192.0.2.10",
					"clientAddress": "192.0.2.10", "client_id": "orders-web", "scope": "email profile",
				})
				delete(c, "aud")
				delete(c, "sid")
				delete(c, "auth_time")
				return c
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: kcIssuer, Audiences: []string{"orders-api"}}
			},
			want:    jwtverify.ErrMissingClaim,
			setting: "InsecureSkipAudienceCheck with Validators (typ claim Bearer, azp a known client)",
			fix: func(c *jwtverify.Config) {
				c.Audiences = nil
				c.InsecureSkipAudienceCheck = true
				c.Validators = append(c.Validators, keycloakRecipe)
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantClientID(t, c, "orders-web")
				wantScopes(t, c, "email", "profile")
			},
		},
		{
			// An ID token presented as an access token: header typ JWT
			// like the access tokens, aud and azp the client, Keycloak's
			// typ claim "ID". The defaults refuse it by aud; without the
			// audience check, the library still refuses it by its typ
			// claim (azp matches, so the recipe alone would not). Shape: Keycloak "Securing applications",
			// ID token, and Keycloak's IDToken representation (typ "ID").
			name:   "keycloak/id-token-as-access-token",
			header: func(keys) map[string]any { return map[string]any{"typ": "JWT", "kid": kcKID} },
			claims: func() map[string]any {
				c := keycloakClaims(map[string]any{
					"aud": "orders-web", "azp": "orders-web", "typ": "ID", "at_hash": "mJ3wY0kY3pN6Bq6sOqJx2g",
				})
				delete(c, "scope")
				delete(c, "realm_access")
				delete(c, "resource_access")
				delete(c, "allowed-origins")
				return c
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: kcIssuer, Audiences: []string{"orders-api"}}
			},
			want:    jwtverify.ErrAudience,
			setting: "InsecureSkipAudienceCheck with Validators (typ claim Bearer, azp a known client)",
			fix: func(c *jwtverify.Config) {
				c.Audiences = nil
				c.InsecureSkipAudienceCheck = true
				c.Validators = append(c.Validators, keycloakRecipe)
			},
			fixWant: jwtverify.ErrType,
		},

		// ---- Amazon Cognito ----
		{
			// An access token: no typ, no aud, client_id, token_use
			// "access", scope a string, cognito:groups, username. Shape:
			// Amazon Cognito Developer Guide, "Understanding the access
			// token" (docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html).
			name:   "cognito/access-token",
			header: func(keys) map[string]any { return map[string]any{"typ": nil, "kid": cogKID} },
			claims: func() map[string]any {
				return map[string]any{
					"sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "device_key": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
					"cognito:groups": []string{"admin"}, "iss": cogIssuer, "version": 2, "client_id": cogClientID,
					"origin_jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "event_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
					"token_use": "access", "scope": "aws.cognito.signin.user.admin openid orders/read",
					"auth_time": iat, "jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "username": "janedoe@example.com",
				}
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: cogIssuer, Audiences: []string{cogClientID}}
			},
			want:    jwtverify.ErrMissingClaim,
			setting: "InsecureSkipAudienceCheck with Validators (token_use access, client_id a known app client)",
			fix: func(c *jwtverify.Config) {
				c.Audiences = nil
				c.InsecureSkipAudienceCheck = true
				c.Validators = append(c.Validators, cognitoRecipe)
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantSubject(t, c, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
				wantClientID(t, c, cogClientID)
				wantScopes(t, c, "aws.cognito.signin.user.admin", "openid", "orders/read")
				wantEqual(t, "Claims.Username", c.Username, "janedoe@example.com")
				v := decode[struct {
					Groups []string `json:"cognito:groups"`
				}](t, c)
				wantStrings(t, "decoded cognito:groups", v.Groups, "admin")
			},
		},
		{
			// An ID token of the same pool: aud is the app client ID,
			// token_use "id", no typ either. With the app client ID in
			// Audiences (the tempting configuration) it passes every
			// other built-in check; the library refuses it by token_use,
			// with the recipe above too. Shape: Amazon Cognito Developer Guide, "Understanding the
			// identity (ID) token".
			name:   "cognito/id-token-as-access-token",
			header: func(keys) map[string]any { return map[string]any{"typ": nil, "kid": cogKID} },
			claims: func() map[string]any {
				return map[string]any{
					"at_hash": "wWgJEbTBVhUSsxKszkgSAQ", "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
					"cognito:groups": []string{"admin"}, "email_verified": true, "iss": cogIssuer,
					"cognito:username": "janedoe", "origin_jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
					"aud": cogClientID, "event_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "token_use": "id",
					"auth_time": iat, "jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "email": "janedoe@example.com",
				}
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: cogIssuer, Audiences: []string{cogClientID}}
			},
			want:    jwtverify.ErrType, // only token_use marks it as an ID token
			setting: "InsecureSkipAudienceCheck with Validators (token_use access, client_id a known app client)",
			fix: func(c *jwtverify.Config) {
				c.Audiences = nil
				c.InsecureSkipAudienceCheck = true
				c.Validators = append(c.Validators, cognitoRecipe)
			},
			fixWant: jwtverify.ErrType,
		},

		// ---- Google ----
		{
			// A Google-signed ID token that a caller (a service account,
			// a Cloud Run or Cloud Scheduler identity) obtains for a
			// target audience, the API's URL: typ JWT, azp the service
			// account's unique ID, email. Google's own access tokens are
			// opaque and have no RFC 7662 endpoint: not represented.
			// Shape: Google Cloud "ID tokens" (cloud.google.com/docs/authentication/token-types#id)
			// and "Authenticating service-to-service" (Cloud Run).
			name:   "google/service-to-service-id-token",
			header: func(keys) map[string]any { return map[string]any{"typ": "JWT", "kid": googleKID} },
			claims: func() map[string]any {
				return map[string]any{
					"aud": ordersAPI, "azp": "112233445566778899001",
					"email": "invoker@my-project.iam.gserviceaccount.com", "email_verified": true,
					"iss": googleIss, "sub": "112233445566778899001", "jti": nil,
				}
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: googleIss, Audiences: []string{ordersAPI}}
			},
			setting: "Validators (email one of the service accounts allowed)",
			fix: func(c *jwtverify.Config) {
				c.Validators = append(c.Validators, googleCallers("invoker@my-project.iam.gserviceaccount.com"))
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantSubject(t, c, "112233445566778899001")
				wantScopes(t, c)
				v := decode[struct {
					Email         string `json:"email"`
					EmailVerified bool   `json:"email_verified"`
				}](t, c)
				wantEqual(t, "decoded email", v.Email, "invoker@my-project.iam.gserviceaccount.com")
				wantEqual(t, "decoded email_verified", v.EmailVerified, true)
			},
		},
		{
			// The same kind of token, minted by a service account of
			// another project: Google issues an ID token for any audience
			// to any service account, so aud alone does not say who
			// calls. Checking the caller's email (or azp) against the
			// accounts allowed is the receiving service's job. Shape: as
			// above; Google Cloud "Authenticating service-to-service"
			// (the receiving service validates the token and the
			// caller's identity).
			name:   "google/id-token-of-any-account",
			header: func(keys) map[string]any { return map[string]any{"typ": "JWT", "kid": googleKID} },
			claims: func() map[string]any {
				return map[string]any{
					"aud": ordersAPI, "azp": "998877665544332211009",
					"email": "someone@another-project.iam.gserviceaccount.com", "email_verified": true,
					"iss": googleIss, "sub": "998877665544332211009", "jti": nil,
				}
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: googleIss, Audiences: []string{ordersAPI}}
			},
			want:    nil, // accepted: the signature, iss and aud are all good
			setting: "Validators (email one of the service accounts allowed)",
			fix: func(c *jwtverify.Config) {
				c.Validators = append(c.Validators, googleCallers("invoker@my-project.iam.gserviceaccount.com"))
			},
			fixWant: jwtverify.ErrValidator,
		},
		{
			// A "Sign in with Google" ID token (aud the web client ID,
			// at_hash, profile claims) sent to the API as a bearer
			// token. Shape: Google Identity "OpenID Connect", "An ID
			// token's payload".
			name:   "google/sign-in-id-token",
			header: func(keys) map[string]any { return map[string]any{"typ": "JWT", "kid": googleKID} },
			claims: func() map[string]any {
				return map[string]any{
					"iss": googleIss, "azp": "1234987819200.apps.googleusercontent.com",
					"aud": "1234987819200.apps.googleusercontent.com", "sub": "10769150350006150715113082367",
					"at_hash": "HK6E_P6Dh8Y93mRNtsDB1Q", "hd": "example.com", "email": "jsmith@example.com",
					"email_verified": true, "nonce": "0394852-3190485-2490358", "name": "J Smith", "jti": nil,
				}
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: googleIss, Audiences: []string{ordersAPI}}
			},
			want:    jwtverify.ErrAudience,
			setting: "none: an ID token for a web client is no access token for the API",
		},
		{
			// Google documents that iss may be accounts.google.com
			// without the scheme. Shape: Google Identity "Authenticate
			// with a backend server", "Verify the integrity of the ID
			// token" ("The value of iss in the ID token is equal to
			// accounts.google.com or https://accounts.google.com").
			name:   "google/iss-without-scheme",
			header: func(keys) map[string]any { return map[string]any{"typ": "JWT", "kid": googleKID} },
			claims: func() map[string]any {
				return map[string]any{
					"aud": ordersAPI, "azp": "112233445566778899001",
					"email": "invoker@my-project.iam.gserviceaccount.com", "email_verified": true,
					"iss": hostGoogle, "sub": "112233445566778899001", "jti": nil,
				}
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: googleIss, Audiences: []string{ordersAPI}}
			},
			want:    jwtverify.ErrIssuer,
			setting: "Issuers (accounts.google.com with JWKSURL https://www.googleapis.com/oauth2/v3/certs)",
			fix: func(c *jwtverify.Config) {
				c.Issuers = append(c.Issuers, jwtverify.IssuerConfig{Issuer: hostGoogle, JWKSURL: "https://" + hostGoogleAPI + "/oauth2/v3/certs"})
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantEqual(t, "Claims.Issuer", c.Issuer, hostGoogle)
			},
		},

		// ---- Ory Hydra ----
		{
			// A JWT access token with the default scope_claim (list):
			// typ JWT, aud an array, scp an array, client_id, ext with
			// the session's extra data, nbf. Shape: Ory Hydra "JSON Web
			// Token (JWT) access tokens" (ory.sh/docs/oauth2-oidc/jwt-access-token)
			// and fosite's token/jwt/claims_jwt.go (scp list, scope
			// string, or both).
			name:   "hydra/scp-list",
			header: func(keys) map[string]any { return map[string]any{"typ": "JWT", "kid": hydraKID} },
			claims: func() map[string]any {
				return hydraClaims(map[string]any{"scp": []string{"openid", "offline", "orders.read"}})
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: hydraIssuer, Audiences: []string{"orders-api"}}
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantSubject(t, c, "jane")
				wantClientID(t, c, "orders-web")
				wantScopes(t, c, "openid", "offline", "orders.read")
				v := decode[struct {
					Ext struct {
						Tenant string `json:"tenant"`
					} `json:"ext"`
				}](t, c)
				wantEqual(t, "decoded ext.tenant", v.Ext.Tenant, "acme")
			},
		},
		{
			// strategies.jwt.scope_claim "both": scp an array and scope
			// a string, the same scopes twice. Shape: as above.
			name:   "hydra/scope-claim-both",
			header: func(keys) map[string]any { return map[string]any{"typ": "JWT", "kid": hydraKID} },
			claims: func() map[string]any {
				return hydraClaims(map[string]any{
					"scp": []string{"openid", "offline", "orders.read"}, "scope": "openid offline orders.read",
				})
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: hydraIssuer, Audiences: []string{"orders-api"}}
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantScopes(t, c, "openid", "offline", "orders.read")
			},
		},
		{
			// No audience was requested: Hydra writes aud as an empty
			// array. Shape: fosite's claims_jwt.go (ToMap sets aud to []
			// when there is none).
			name:   "hydra/empty-aud",
			header: func(keys) map[string]any { return map[string]any{"typ": "JWT", "kid": hydraKID} },
			claims: func() map[string]any {
				return hydraClaims(map[string]any{"aud": []string{}, "scp": []string{"orders.read"}})
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: hydraIssuer, Audiences: []string{"orders-api"}}
			},
			want:    jwtverify.ErrMissingClaim,
			setting: "InsecureSkipAudienceCheck with Validators (client_id a known client)",
			fix: func(c *jwtverify.Config) {
				c.Audiences = nil
				c.InsecureSkipAudienceCheck = true
				c.Validators = append(c.Validators, clientIDIs("orders-web"))
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantAudience(t, c)
				wantScopes(t, c, "orders.read")
			},
		},

		// ---- node oidc-provider ----
		{
			// A JWT access token for a resource indicator, checked with
			// StrictRFC9068: typ at+jwt, jti, sub, iat, exp, scope,
			// client_id, iss, aud. Shape: oidc-provider
			// lib/models/formats/jwt.js and its docs (features.resourceIndicators).
			name:   "oidc-provider/resource-indicator-strict",
			header: func(keys) map[string]any { return map[string]any{"typ": "at+jwt", "kid": opKID} },
			claims: func() map[string]any {
				return map[string]any{
					"jti": "pqrJVBvM7t3nGX6c3sWYA", "sub": "jane", "scope": "openid orders:read",
					"client_id": "orders-web", "iss": opIssuer, "aud": ordersAPI,
				}
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: opIssuer, Audiences: []string{ordersAPI}, StrictRFC9068: true}
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantSubject(t, c, "jane")
				wantClientID(t, c, "orders-web")
				wantScopes(t, c, "openid", "orders:read")
			},
		},

		// ---- Duende IdentityServer ----
		{
			// A token for an ApiResource, checked with StrictRFC9068:
			// typ at+jwt, aud the resource name, scope a JSON array (the
			// default, EmitScopesAsSpaceDelimitedStringInJwt false),
			// client_id, amr, idp, auth_time, sid, jti. Shape: Duende
			// IdentityServer docs "API Resources" (aud claim), "Options"
			// (EmitScopesAsSpaceDelimitedStringInJwt) and "JWT access
			// tokens" (typ at+jwt).
			name:   "duende/api-resource-strict",
			header: func(keys) map[string]any { return map[string]any{"typ": "at+jwt", "kid": duendeKID} },
			claims: func() map[string]any {
				return duendeClaims(map[string]any{"aud": "orders-api"})
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: duendeIss, Audiences: []string{"orders-api"}, StrictRFC9068: true}
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantSubject(t, c, "818727")
				wantClientID(t, c, "orders-web")
				wantScopes(t, c, "openid", "profile", "orders.read")
				v := decode[struct {
					IDP string   `json:"idp"`
					AMR []string `json:"amr"`
				}](t, c)
				wantEqual(t, "decoded idp", v.IDP, "local")
				wantStrings(t, "decoded amr", v.AMR, "pwd")
			},
		},
		{
			// Scopes defined as ApiScopes only, with no ApiResource: the
			// token has no aud. Shape: Duende IdentityServer docs "API
			// Scopes" and "API Resources" (aud comes from API resources).
			name:   "duende/api-scopes-only",
			header: func(keys) map[string]any { return map[string]any{"typ": "at+jwt", "kid": duendeKID} },
			claims: func() map[string]any { return duendeClaims(nil) },
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: duendeIss, Audiences: []string{"orders-api"}}
			},
			want:    jwtverify.ErrMissingClaim,
			setting: "InsecureSkipAudienceCheck with Validators (client_id a known client)",
			fix: func(c *jwtverify.Config) {
				c.Audiences = nil
				c.InsecureSkipAudienceCheck = true
				c.Validators = append(c.Validators, clientIDIs("orders-web"))
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantScopes(t, c, "openid", "profile", "orders.read")
			},
		},
		{
			// EmitStaticAudienceClaim: aud "<issuer>/resources" in every
			// token. Shape: Duende IdentityServer docs "API Scopes"
			// (authorization based on scopes, EmitStaticAudienceClaim).
			name:   "duende/static-audience",
			header: func(keys) map[string]any { return map[string]any{"typ": "at+jwt", "kid": duendeKID} },
			claims: func() map[string]any {
				return duendeClaims(map[string]any{"aud": duendeIss + "/resources"})
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: duendeIss, Audiences: []string{duendeIss + "/resources"}}
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantAudience(t, c, duendeIss+"/resources")
			},
		},

		// ---- Spring Authorization Server ----
		{
			// A self-contained access token: no typ, aud the client ID
			// (not the resource server), scope a JSON array, nbf, jti.
			// Shape: Spring Authorization Server's JwtGenerator
			// (oauth2-authorization-server/.../token/JwtGenerator.java)
			// and its reference, "Core Model / Components"
			// (OAuth2TokenGenerator, JwtGenerator).
			name:   "spring/access-token",
			header: func(keys) map[string]any { return map[string]any{"typ": nil, "kid": springKID} },
			claims: func() map[string]any {
				return map[string]any{
					"sub": "user1", "aud": []string{"messaging-client"}, "nbf": nbf,
					"scope": []string{"message.read", "message.write"}, "iss": springIss,
					"jti": "d2c1e0f9-8a7b-4c6d-9e5f-4a3b2c1d0e9f",
				}
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: springIss, Audiences: []string{ordersAPI}}
			},
			want:    jwtverify.ErrAudience,
			setting: "Audiences (the client IDs allowed to call the API)",
			fix:     func(c *jwtverify.Config) { c.Audiences = []string{"messaging-client"} },
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantSubject(t, c, "user1")
				wantScopes(t, c, "message.read", "message.write")
				wantClientID(t, c, "")
			},
		},

		// ---- ZITADEL ----
		{
			// A JWT access token (application setting "JWT" access token
			// type): typ JWT, aud the project ID and client IDs,
			// client_id, project roles in urn:zitadel claims, no scope
			// claim at all. Shape: ZITADEL docs "Claims in ZITADEL"
			// (zitadel.com/docs/apis/openidoauth/claims: no scope in
			// access tokens) and a JWT access token decoded in
			// questions.zitadel.com/m/1435721390941540623.
			name:   "zitadel/jwt-access-token",
			header: func(keys) map[string]any { return map[string]any{"typ": "JWT", "kid": zitadelKID} },
			claims: func() map[string]any {
				roles := map[string]any{"reader": map[string]any{"284699817411437100": "acme.zitadel.cloud"}}
				return map[string]any{
					"iss": zitadelIss, "sub": "345377791925026818",
					"aud": []string{"344374183645413380", "344374183645478916"}, "nbf": nbf,
					"jti": "V2_345377791925026818-at_345377936238452738", "client_id": "344374183645478916",
					"urn:zitadel:iam:org:project:roles":                    roles,
					"urn:zitadel:iam:org:project:344374183645413380:roles": roles,
				}
			},
			config: func() jwtverify.Config {
				return jwtverify.Config{Issuer: zitadelIss, Audiences: []string{"344374183645413380"}}
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantSubject(t, c, "345377791925026818")
				wantScopes(t, c)
				wantClientID(t, c, "344374183645478916")
				v := decode[map[string]any](t, c)
				roles, _ := v["urn:zitadel:iam:org:project:roles"].(map[string]any)
				if _, ok := roles["reader"]; !ok {
					t.Errorf("decoded urn:zitadel:iam:org:project:roles = %v, want the role reader", v["urn:zitadel:iam:org:project:roles"])
				}
			},
		},
	}
}

// googleCallers returns a validator accepting Google-signed ID tokens of
// the given service accounts only (by their verified email).
func googleCallers(emails ...string) func(context.Context, *jwtverify.Claims) error {
	return claimValidator("want an ID token of an allowed service account",
		func(v struct {
			Email         string `json:"email"`
			EmailVerified bool   `json:"email_verified"`
		}) bool {
			return v.EmailVerified && slices.Contains(emails, v.Email)
		})
}

// entraTenants returns an IssuerResolver for a multi-tenant Entra ID API:
// the v2.0 issuer of each allowed tenant resolves to the "common" key set
// (Entra signs every tenant's tokens with the same keys); every other
// issuer is refused.
func entraTenants(tenants ...string) func(context.Context, string) (string, error) {
	v2 := regexp.MustCompile(`^https://login\.microsoftonline\.com/([0-9a-f-]{36})/v2\.0$`)
	return func(_ context.Context, iss string) (string, error) {
		m := v2.FindStringSubmatch(iss)
		if m == nil || !slices.Contains(tenants, m[1]) {
			return "", errors.New("not an allowed tenant")
		}
		return "https://" + hostEntra + "/common/discovery/v2.0/keys", nil
	}
}

type keycloakRoles struct {
	RealmAccess struct {
		Roles []string `json:"roles"`
	} `json:"realm_access"`
	ResourceAccess map[string]struct {
		Roles []string `json:"roles"`
	} `json:"resource_access"`
}

// keycloakClaims returns a Keycloak access token's claims for user jane of
// realm shop, with over's members replacing (or adding to) them.
func keycloakClaims(over map[string]any) map[string]any {
	c := map[string]any{
		"auth_time": now.Unix() - 300, "jti": "onrtac:7c1e6b2a-3f4d-4e5b-8a9c-0d1e2f3a4b5c",
		"iss": kcIssuer, "sub": "f8d1e2c3-4b5a-4697-8a7b-6c5d4e3f2a10", "typ": "Bearer",
		"sid": "1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b", "acr": "1",
		"allowed-origins": []string{"https://shop.example.com"},
		"realm_access":    map[string]any{"roles": []string{"default-roles-shop", "offline_access", "uma_authorization"}},
		"scope":           "openid email profile", "email_verified": true, "name": "Jane Doe",
		"preferred_username": "jane", "given_name": "Jane", "family_name": "Doe", "email": "jane@example.com",
	}
	for k, v := range over {
		c[k] = v
	}
	return c
}

// hydraClaims returns an Ory Hydra JWT access token's claims, with over's
// members replacing (or adding to) them.
func hydraClaims(over map[string]any) map[string]any {
	c := map[string]any{
		"aud": []string{"orders-api"}, "client_id": "orders-web", "ext": map[string]any{"tenant": "acme"},
		"iss": hydraIssuer, "jti": "f4a5b6c7-d8e9-4f0a-8b1c-2d3e4f5a6b7c", "nbf": now.Unix(), "sub": "jane",
	}
	for k, v := range over {
		c[k] = v
	}
	return c
}

// duendeClaims returns a Duende IdentityServer access token's claims, with
// over's members replacing (or adding to) them.
func duendeClaims(over map[string]any) map[string]any {
	c := map[string]any{
		"iss": duendeIss, "nbf": now.Unix(), "scope": []string{"openid", "profile", "orders.read"},
		"amr": []string{"pwd"}, "client_id": "orders-web", "sub": "818727", "auth_time": now.Unix() - 120,
		"idp": "local", "sid": "2B7E1C9F0A3D4E5F6A7B8C9D0E1F2A3B", "jti": "8E1B3F6C0D2A4B5C6D7E8F9A0B1C2D3E",
	}
	for k, v := range over {
		c[k] = v
	}
	return c
}
