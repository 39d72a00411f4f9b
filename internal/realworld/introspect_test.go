package realworld

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokenguard/tokenguard/introspect"
	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

// introRow is an RFC 7662 introspection answer shaped as a vendor sends it,
// the configuration a user of that vendor writes, and what tokenguard does
// with it.
type introRow struct {
	name string
	// endpoint is the vendor's introspection endpoint, which the world
	// serves; config finds it by discovery or names it.
	endpoint string
	// auth is the client authentication the endpoint demands: "basic"
	// (client_secret_basic with clientID and secret) or "none".
	auth string
	// response is the answer for the row's token.
	response func() map[string]any
	// contentType is the answer's Content-Type; if empty,
	// application/json.
	contentType string
	// config is what a user of the vendor configures; HTTPClient and Now
	// are added by the test.
	config func() introspect.Config
	// want is the outcome with config: nil for accepted, else the error
	// category (from New or Authenticate).
	want error
	// setting names the Config fields that make the token work where want
	// is an error, as fix applies them; "none: ..." says why there is no
	// such setting.
	setting string
	fix     func(*introspect.Config)
	fixWant error
	// check asserts the claims a handler sees, for each accepted outcome.
	check func(t *testing.T, c *jwtverify.Claims)
	// knownDefect: see jwtRow.
	knownDefect string
}

// The resource server's credentials at the vendors' introspection
// endpoints.
const (
	rsClientID = "orders-api"
	rsSecret   = "s3cr3t:with/reserved&chars"
)

// TestIntrospectionShapes introspects an opaque token at an endpoint that
// answers as each vendor's does, with the defaults and with the documented
// setting where the defaults refuse.
func TestIntrospectionShapes(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{Now: clock})
	other := otherRSAKey(t)
	for _, r := range introRows() {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			if r.knownDefect != "" {
				t.Errorf("KNOWN DEFECT (left failing for the lead to decide): %s", r.knownDefect)
			}
			if r.want != nil && r.fix == nil && !strings.HasPrefix(r.setting, "none: ") {
				t.Fatalf("row refuses by default but names no setting (fix) and no reason (setting \"none: ...\")")
			}
			w := newWorld(t)
			publishAll(t, w, keys{sig: w.keyOf(t, iss, "RS256"), other: w.publicKey(t, other)})
			token := "opaque." + r.name // the token itself means nothing to the client
			if r.endpoint != "" {
				w.handle(t, r.endpoint, introspectionEndpoint(t, r, token))
			}

			c, err := introspectWith(t, w, r.config(), token)
			if outcome(t, "defaults: New+Authenticate", err, r.want) && r.check != nil {
				r.check(t, c)
			}
			if r.fix == nil {
				return
			}
			cfg := r.config()
			r.fix(&cfg)
			c, err = introspectWith(t, w, cfg, token)
			if outcome(t, fmt.Sprintf("with %s: New+Authenticate", r.setting), err, r.fixWant) && r.check != nil {
				r.check(t, c)
			}
		})
	}
}

// introspectWith builds a Client from cfg in w and asks it about token.
func introspectWith(t *testing.T, w *world, cfg introspect.Config, token string) (*jwtverify.Claims, error) {
	t.Helper()
	cfg.HTTPClient = w.client
	cfg.Now = clock
	c, err := introspect.New(t.Context(), cfg)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.Authenticate(t.Context(), token)
}

// introspectionEndpoint answers as r's vendor does: r.response for token,
// {"active":false} for any other, after checking the request as the vendor
// would (POST, form body, client authentication).
func introspectionEndpoint(t *testing.T, r introRow, token string) http.Handler {
	body, err := json.Marshal(r.response())
	if err != nil {
		t.Fatalf("json.Marshal(response): %v", err)
	}
	ct := r.contentType
	if ct == "" {
		ct = "application/json"
	}
	return http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("introspection request: %s with Content-Type %q, want a POST of a form", req.Method, req.Header.Get("Content-Type"))
			http.Error(rw, "bad request", http.StatusBadRequest)
			return
		}
		if err := req.ParseForm(); err != nil {
			http.Error(rw, "bad form", http.StatusBadRequest)
			return
		}
		id, secret, basic := req.BasicAuth()
		switch r.auth {
		case "basic":
			// RFC 6749 §2.3.1: both form-encoded before Basic.
			id, _ = url.QueryUnescape(id)
			secret, _ = url.QueryUnescape(secret)
			if !basic || id != rsClientID || secret != rsSecret {
				rw.Header().Set("Content-Type", "application/json")
				rw.WriteHeader(http.StatusUnauthorized)
				rw.Write([]byte(`{"error":"invalid_client"}`))
				return
			}
		case "none":
			if req.Header.Get("Authorization") != "" || req.PostForm.Has("client_secret") {
				t.Errorf("introspection request carries credentials, want none")
			}
		default:
			t.Errorf("row %s: unknown auth %q", r.name, r.auth)
			http.Error(rw, "test bug", http.StatusInternalServerError)
			return
		}
		rw.Header().Set("Content-Type", ct)
		rw.Header().Set("Cache-Control", "no-store")
		if req.PostForm.Get("token") != token {
			rw.Write([]byte(`{"active":false}`))
			return
		}
		rw.Write(body)
	})
}

func introRows() []introRow {
	iat, exp := now.Unix()-60, now.Unix()+3540
	return []introRow{
		// ---- Keycloak ----
		{
			// Keycloak answers with the claims of its own access token
			// (typ Bearer, azp, realm_access, resource_access, scope a
			// string) plus client_id (azp), username
			// (preferred_username) and active. Shape: Keycloak's
			// AccessTokenIntrospectionProvider
			// (services/src/main/java/org/keycloak/protocol/oidc/AccessTokenIntrospectionProvider.java)
			// and "Securing applications: OpenID Connect endpoints",
			// Token introspection endpoint.
			name:     "keycloak/access-token",
			endpoint: kcIssuer + "/protocol/openid-connect/token/introspect",
			auth:     "basic",
			response: func() map[string]any {
				c := keycloakClaims(map[string]any{
					"exp": exp, "iat": iat, "aud": []string{"orders-api", "account"}, "azp": "orders-web",
					"resource_access": map[string]any{"orders-api": map[string]any{"roles": []string{"reader"}}},
				})
				c["client_id"], c["username"], c["active"] = "orders-web", "jane", true
				return c
			},
			config: func() introspect.Config {
				return introspect.Config{Issuer: kcIssuer, ClientID: rsClientID, ClientSecret: rsSecret, Audiences: []string{"orders-api"}}
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantSubject(t, c, "f8d1e2c3-4b5a-4697-8a7b-6c5d4e3f2a10")
				wantClientID(t, c, "orders-web")
				wantEqual(t, "Claims.Username", c.Username, "jane")
				wantScopes(t, c, "openid", "email", "profile")
				v := decode[keycloakRoles](t, c)
				wantStrings(t, "decoded realm_access.roles", v.RealmAccess.Roles, "default-roles-shop", "offline_access", "uma_authorization")
				wantStrings(t, "decoded resource_access[orders-api].roles", v.ResourceAccess["orders-api"].Roles, "reader")
			},
		},
		{
			// A refresh token introspected: Keycloak's typ claim is
			// Refresh, aud the realm. Shape: Keycloak's
			// RefreshTokenIntrospectionProvider and RefreshToken
			// representation (typ "Refresh", or "Offline").
			name:     "keycloak/refresh-token",
			endpoint: kcIssuer + "/protocol/openid-connect/token/introspect",
			auth:     "basic",
			response: func() map[string]any {
				return map[string]any{
					"exp": exp + 1800, "iat": iat, "jti": "5b2f8c1a-7e3d-4a6b-9c0d-1e2f3a4b5c6d", "iss": kcIssuer,
					"aud": kcIssuer, "sub": "f8d1e2c3-4b5a-4697-8a7b-6c5d4e3f2a10", "typ": "Refresh",
					"azp": "orders-web", "sid": "1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b", "scope": "openid email profile",
					"client_id": "orders-web", "username": "jane", "active": true,
				}
			},
			config: func() introspect.Config {
				return introspect.Config{Issuer: kcIssuer, ClientID: rsClientID, ClientSecret: rsSecret, Audiences: []string{"orders-api"}}
			},
			want:    jwtverify.ErrType,
			setting: "none: a refresh token is no access token",
		},

		// ---- Okta ----
		{
			// Shape: Okta "OpenID Connect & OAuth 2.0 API" reference,
			// /introspect, response example for an access token
			// (developer.okta.com/docs/reference/api/oidc/#introspect).
			name:        "okta/access-token",
			endpoint:    oktaIssuer + "/v1/introspect",
			auth:        "basic",
			contentType: "application/json;charset=UTF-8",
			response: func() map[string]any {
				return map[string]any{
					"active": true, "token_type": "Bearer", "scope": "openid profile orders:read",
					"client_id": "0oa1b2c3d4e5f6g7h8i9", "username": "jane.doe@example.com", "exp": exp, "iat": iat,
					"sub": "jane.doe@example.com", "aud": "api://default", "iss": oktaIssuer,
					"jti": "AT.7P4KlczBYVcWLkxduEuKeZfeiNYkZIC9uGJ28Cc-YaI", "uid": "00u1a2b3c4d5e6f7g8h9",
				}
			},
			config: func() introspect.Config {
				return introspect.Config{Issuer: oktaIssuer, ClientID: rsClientID, ClientSecret: rsSecret, Audiences: []string{"api://default"}}
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantSubject(t, c, "jane.doe@example.com")
				wantClientID(t, c, "0oa1b2c3d4e5f6g7h8i9")
				wantEqual(t, "Claims.TokenType", c.TokenType, "Bearer")
				wantEqual(t, "Claims.Username", c.Username, "jane.doe@example.com")
				wantScopes(t, c, "openid", "profile", "orders:read")
				v := decode[struct {
					UID string `json:"uid"`
				}](t, c)
				wantEqual(t, "decoded uid", v.UID, "00u1a2b3c4d5e6f7g8h9")
			},
		},

		// ---- Ory Hydra ----
		{
			// Hydra's admin API answers without client authentication,
			// with token_type bearer (lower case), token_use, aud an
			// array, ext. Shape: Ory Hydra API reference,
			// introspectOAuth2Token and its introspectedOAuth2Token
			// schema (ory.sh/docs/hydra/reference/api), and Hydra's
			// oauth2 Introspection struct.
			name:     "hydra/access-token",
			endpoint: "https://" + hostHydraAdm + "/admin/oauth2/introspect",
			auth:     "none",
			response: func() map[string]any { return hydraIntrospection(iat, exp, nil) },
			config: func() introspect.Config {
				return introspect.Config{
					Endpoint: "https://" + hostHydraAdm + "/admin/oauth2/introspect", Issuer: hydraIssuer,
					AuthMethod: introspect.AuthNone, Audiences: []string{"orders-api"},
				}
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantSubject(t, c, "jane")
				wantClientID(t, c, "orders-web")
				wantScopes(t, c, "openid", "offline", "orders.read")
				wantEqual(t, "Claims.TokenType", c.TokenType, "bearer")
				v := decode[struct {
					Ext struct {
						Tenant string `json:"tenant"`
					} `json:"ext"`
				}](t, c)
				wantEqual(t, "decoded ext.tenant", v.Ext.Tenant, "acme")
			},
		},
		{
			// A refresh token introspected: token_use refresh_token, no
			// token_type, aud that of the grant's access tokens. Shape:
			// as above.
			name:     "hydra/refresh-token",
			endpoint: "https://" + hostHydraAdm + "/admin/oauth2/introspect",
			auth:     "none",
			response: func() map[string]any {
				return hydraIntrospection(iat, exp+86400, map[string]any{"token_use": "refresh_token", "token_type": nil})
			},
			config: func() introspect.Config {
				return introspect.Config{
					Endpoint: "https://" + hostHydraAdm + "/admin/oauth2/introspect", Issuer: hydraIssuer,
					AuthMethod: introspect.AuthNone, Audiences: []string{"orders-api"},
				}
			},
			want:    jwtverify.ErrType,
			setting: "none: a refresh token is no access token",
		},
		{
			// An access token for which no audience was requested: aud
			// an empty array.
			name:     "hydra/empty-aud",
			endpoint: "https://" + hostHydraAdm + "/admin/oauth2/introspect",
			auth:     "none",
			response: func() map[string]any {
				return hydraIntrospection(iat, exp, map[string]any{"aud": []string{}})
			},
			config: func() introspect.Config {
				return introspect.Config{
					Endpoint: "https://" + hostHydraAdm + "/admin/oauth2/introspect", Issuer: hydraIssuer,
					AuthMethod: introspect.AuthNone, Audiences: []string{"orders-api"},
				}
			},
			want:    jwtverify.ErrMissingClaim,
			setting: "InsecureSkipAudienceCheck",
			fix: func(c *introspect.Config) {
				c.Audiences = nil
				c.InsecureSkipAudienceCheck = true
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantAudience(t, c)
				wantClientID(t, c, "orders-web")
			},
		},
		{
			// Hydra's documentation runs the admin API on port 4445,
			// often plain http inside a cluster; the endpoint must be
			// https unless on loopback. Shape: Ory Hydra "Configure and
			// deploy" (admin port 4445) and the 5-minute tutorial
			// (http://127.0.0.1:4445/admin/oauth2/introspect).
			name: "hydra/admin-over-plain-http",
			config: func() introspect.Config {
				return introspect.Config{
					Endpoint:   "http://hydra-admin:4445/admin/oauth2/introspect",
					AuthMethod: introspect.AuthNone, Audiences: []string{"orders-api"},
				}
			},
			want:    jwtverify.ErrConfig,
			setting: "none: serve the admin API over TLS, or reach it on loopback (a sidecar)",
		},

		// ---- node oidc-provider ----
		{
			// Shape: oidc-provider lib/actions/introspection.js (active,
			// client_id, exp, iat, sid, iss, jti, aud, scope, token_type
			// for access tokens only).
			name:     "oidc-provider/access-token",
			endpoint: opIssuer + "/token/introspection",
			auth:     "basic",
			response: func() map[string]any {
				return map[string]any{
					"active": true, "sub": "jane", "client_id": "orders-web", "exp": exp, "iat": iat,
					"sid": "Yx1ZzKkJ0m5n8p0", "iss": opIssuer, "jti": "pqrJVBvM7t3nGX6c3sWYA",
					"aud": ordersAPI, "scope": "openid orders:read", "token_type": "Bearer",
				}
			},
			config: func() introspect.Config {
				return introspect.Config{Issuer: opIssuer, ClientID: rsClientID, ClientSecret: rsSecret, Audiences: []string{ordersAPI}}
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantSubject(t, c, "jane")
				wantClientID(t, c, "orders-web")
				wantScopes(t, c, "openid", "orders:read")
			},
		},
		{
			// A refresh token introspected: the same members without
			// token_type and without aud, nothing else that marks it.
			// The defaults refuse it for want of aud; without the
			// audience check it passes, as Config documents.
			name:     "oidc-provider/refresh-token",
			endpoint: opIssuer + "/token/introspection",
			auth:     "basic",
			response: func() map[string]any {
				return map[string]any{
					"active": true, "sub": "jane", "client_id": "orders-web", "exp": exp + 86400, "iat": iat,
					"sid": "Yx1ZzKkJ0m5n8p0", "iss": opIssuer, "jti": "kq0R2nDq6zV9yX3wWbQ1t", "scope": "openid offline_access orders:read",
				}
			},
			config: func() introspect.Config {
				return introspect.Config{Issuer: opIssuer, ClientID: rsClientID, ClientSecret: rsSecret, Audiences: []string{ordersAPI}}
			},
			want:    jwtverify.ErrMissingClaim,
			setting: "InsecureSkipAudienceCheck (the documented hazard: it lets this refresh token in)",
			fix: func(c *introspect.Config) {
				c.Audiences = nil
				c.InsecureSkipAudienceCheck = true
			},
			fixWant: nil,
		},

		// ---- Duende IdentityServer ----
		{
			// The caller authenticates as the ApiResource; the answer is
			// the token's claims (one value as a string, several as an
			// array), active, and scope as a string holding the scopes
			// of that resource only. Shape: Duende IdentityServer's
			// IntrospectionResponseGenerator
			// (src/IdentityServer/ResponseHandling/Default/IntrospectionResponseGenerator.cs)
			// and docs "Introspection Endpoint".
			name:     "duende/access-token",
			endpoint: duendeIss + "/connect/introspect",
			auth:     "basic",
			response: func() map[string]any {
				return map[string]any{
					"iss": duendeIss, "nbf": iat, "iat": iat, "exp": exp, "aud": "orders-api",
					"client_id": "orders-web", "sub": "818727", "auth_time": iat - 120, "idp": "local",
					"amr": "pwd", "sid": "2B7E1C9F0A3D4E5F6A7B8C9D0E1F2A3B", "jti": "8E1B3F6C0D2A4B5C6D7E8F9A0B1C2D3E",
					"active": true, "scope": "orders.read",
				}
			},
			config: func() introspect.Config {
				return introspect.Config{Issuer: duendeIss, ClientID: rsClientID, ClientSecret: rsSecret, Audiences: []string{"orders-api"}}
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantSubject(t, c, "818727")
				wantClientID(t, c, "orders-web")
				wantScopes(t, c, "orders.read")
				v := decode[struct {
					IDP string `json:"idp"`
					AMR string `json:"amr"`
				}](t, c)
				wantEqual(t, "decoded idp", v.IDP, "local")
				wantEqual(t, "decoded amr", v.AMR, "pwd")
			},
		},

		// ---- Spring Authorization Server ----
		{
			// Found through RFC 8414 metadata only; aud is the client ID,
			// scope a string, token_type Bearer. Shape: Spring
			// Authorization Server reference, "Protocol Endpoints",
			// OAuth2 Token Introspection Endpoint, and its
			// OAuth2TokenIntrospection claims (active, client_id, iat,
			// exp, scope, token_type, nbf, sub, aud, iss, jti).
			name:     "spring/access-token",
			endpoint: springIss + "/oauth2/introspect",
			auth:     "basic",
			response: func() map[string]any {
				return map[string]any{
					"active": true, "sub": "user1", "aud": []string{"messaging-client"}, "nbf": iat,
					"scope": "message.read message.write", "iss": springIss, "exp": exp, "iat": iat,
					"jti": "d2c1e0f9-8a7b-4c6d-9e5f-4a3b2c1d0e9f", "client_id": "messaging-client", "token_type": "Bearer",
				}
			},
			config: func() introspect.Config {
				return introspect.Config{Issuer: springIss, ClientID: rsClientID, ClientSecret: rsSecret, Audiences: []string{ordersAPI}}
			},
			want:    jwtverify.ErrAudience,
			setting: "Audiences (the client IDs allowed to call the API)",
			fix:     func(c *introspect.Config) { c.Audiences = []string{"messaging-client"} },
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantClientID(t, c, "messaging-client")
				wantScopes(t, c, "message.read", "message.write")
			},
		},

		// ---- ZITADEL ----
		{
			// Shape: ZITADEL docs "Claims in ZITADEL" (introspection
			// carries aud, client_id, exp, iat, iss, jti, nbf, sub,
			// username, requested user info and roles) and "Token
			// introspection: Basic authentication"
			// (zitadel.com/docs/guides/integrate/token-introspection/basic-auth).
			name:     "zitadel/access-token",
			endpoint: zitadelIss + "/oauth/v2/introspect",
			auth:     "basic",
			response: func() map[string]any {
				return map[string]any{
					"active": true, "scope": "openid profile urn:zitadel:iam:org:project:id:344374183645413380:aud",
					"client_id": "344374183645478916", "token_type": "Bearer", "exp": exp, "iat": iat, "nbf": iat,
					"sub": "345377791925026818", "aud": []string{"344374183645413380", "344374183645478916"},
					"iss": zitadelIss, "jti": "V2_345377791925026818-at_345377936238452738",
					"username": "jane@acme.zitadel.cloud", "name": "Jane Doe",
					"urn:zitadel:iam:org:project:roles": map[string]any{"reader": map[string]any{"284699817411437100": "acme.zitadel.cloud"}},
				}
			},
			config: func() introspect.Config {
				return introspect.Config{Issuer: zitadelIss, ClientID: rsClientID, ClientSecret: rsSecret, Audiences: []string{"344374183645413380"}}
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantSubject(t, c, "345377791925026818")
				wantClientID(t, c, "344374183645478916")
				wantEqual(t, "Claims.Username", c.Username, "jane@acme.zitadel.cloud")
				wantScopes(t, c, "openid", "profile", "urn:zitadel:iam:org:project:id:344374183645413380:aud")
				v := decode[struct {
					Roles map[string]map[string]string `json:"urn:zitadel:iam:org:project:roles"`
				}](t, c)
				if _, ok := v.Roles["reader"]; !ok {
					t.Errorf("decoded urn:zitadel:iam:org:project:roles = %v, want the role reader", v.Roles)
				}
			},
		},
		{
			// An answer with neither aud nor iss nor client_id, as the
			// task brief describes some ZITADEL answers; ZITADEL's
			// claims page lists all three for introspection, and RFC
			// 7662 §2.2 makes every member but active optional.
			name:     "zitadel/without-aud-iss-client_id",
			endpoint: zitadelIss + "/oauth/v2/introspect",
			auth:     "basic",
			response: func() map[string]any {
				return map[string]any{
					"active": true, "scope": "openid profile", "token_type": "Bearer", "exp": exp, "iat": iat,
					"sub": "345377791925026818", "username": "jane@acme.zitadel.cloud",
				}
			},
			config: func() introspect.Config {
				return introspect.Config{Issuer: zitadelIss, ClientID: rsClientID, ClientSecret: rsSecret, Audiences: []string{"344374183645413380"}}
			},
			want:    jwtverify.ErrMissingClaim,
			setting: "InsecureSkipAudienceCheck",
			fix: func(c *introspect.Config) {
				c.Audiences = nil
				c.InsecureSkipAudienceCheck = true
			},
			check: func(t *testing.T, c *jwtverify.Claims) {
				wantEqual(t, "Claims.Issuer", c.Issuer, "")
				wantClientID(t, c, "")
				wantSubject(t, c, "345377791925026818")
			},
		},
	}
}

// hydraIntrospection returns Ory Hydra's answer for an access token of
// client orders-web for user jane, with over's members replacing (or, nil,
// removing) them.
func hydraIntrospection(iat, exp int64, over map[string]any) map[string]any {
	r := map[string]any{
		"active": true, "scope": "openid offline orders.read", "client_id": "orders-web", "sub": "jane",
		"exp": exp, "iat": iat, "nbf": iat, "aud": []string{"orders-api"}, "iss": hydraIssuer,
		"token_type": "bearer", "token_use": "access_token", "ext": map[string]any{"tenant": "acme"},
	}
	for k, v := range over {
		if v == nil {
			delete(r, k)
		} else {
			r[k] = v
		}
	}
	return r
}
