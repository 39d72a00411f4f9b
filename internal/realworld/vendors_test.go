package realworld

import (
	"testing"
)

// keys are the keys a vendor publishes: sig signs the tokens of the test
// (the jwttest issuer's key), other signs nothing (the next key of a
// rotation, or an encryption key), app is an Entra ID application's own
// signing key (a second jwttest issuer's).
type keys struct {
	sig, other, app signingKey
}

// Identifiers used across the vendors' documents.
const (
	entraTenant      = "9b7a3c21-5d4e-4f6a-8b9c-0d1e2f3a4b5c" // the API's tenant
	entraOtherTenant = "c4d2e8f1-7a6b-4c3d-9e8f-1a2b3c4d5e6f" // a customer's tenant
	entraAPIClientID = "3f1a2b4c-6d7e-4f80-9a1b-2c3d4e5f6a7b" // the API's application (client) ID
	entraAppIDURI    = "api://" + entraAPIClientID            // the API's Application ID URI
	entraCaller      = "0e1d2c3b-4a59-4867-8f6e-5d4c3b2a1908" // the calling client's application ID

	auth0Issuer = "https://" + hostAuth0 + "/"
	oktaIssuer  = "https://" + hostOkta + "/oauth2/default"
	kcIssuer    = "https://" + hostKeycloak + "/realms/shop"
	cogPool     = "us-east-1_Ab12Cd34E"
	cogIssuer   = "https://" + hostCognito + "/" + cogPool
	cogClientID = "4l8cd2gsb1psnrbo7ma3q2u0kd"
	googleIss   = "https://" + hostGoogle
	hydraIssuer = "https://" + hostHydra + "/" // Hydra always ends its issuer with a slash
	opIssuer    = "https://" + hostOP
	duendeIss   = "https://" + hostDuende
	springIss   = "https://" + hostSpring
	zitadelIss  = "https://" + hostZitadel

	ordersAPI = "https://orders.example.com" // an API identifier (Auth0, Google, oidc-provider)
)

func entraV2Issuer(tenant string) string {
	return "https://" + hostEntra + "/" + tenant + "/v2.0"
}

func entraV1Issuer(tenant string) string {
	return "https://" + hostEntraV1 + "/" + tenant + "/"
}

// Microsoft Entra ID. Metadata: tenant v2.0, tenant v1.0 (whose issuer is
// sts.windows.net) and the multi-tenant "common" document whose issuer holds
// the placeholder {tenantid}; keys with kty, use, kid, x5t (equal to kid),
// n, e, x5c and issuer, no alg. Shapes: the discovery documents and key set
// of login.microsoftonline.com as recorded in panva/wellknown
// (issuers/entra-common), and "OpenID Connect on the Microsoft identity
// platform" (learn.microsoft.com/entra/identity-platform/v2-protocols-oidc).
func publishEntra(t *testing.T, w *world, k keys) {
	t.Helper()
	base := "https://" + hostEntra
	jwks := func(issuer string) doc {
		key := func(s signingKey) map[string]any {
			return map[string]any{
				"kty": "RSA", "use": "sig", "kid": s.x5t, "x5t": s.x5t, "n": s.n, "e": s.e,
				"x5c": []string{s.x5c}, "issuer": issuer,
			}
		}
		return doc{
			body:        map[string]any{"keys": []any{key(k.other), key(k.sig)}},
			contentType: "application/json; charset=utf-8",
			headers:     map[string]string{"Cache-Control": "max-age=86400, private"},
		}
	}
	meta := func(issuer, jwksURI, authz string) doc {
		return doc{
			body: map[string]any{
				"token_endpoint":                        authz + "/token",
				"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
				"jwks_uri":                              jwksURI,
				"response_modes_supported":              []string{"query", "fragment", "form_post"},
				"subject_types_supported":               []string{"pairwise"},
				"id_token_signing_alg_values_supported": []string{"RS256"},
				"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
				"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
				"issuer":                                issuer,
				"request_uri_parameter_supported":       false,
				"userinfo_endpoint":                     "https://graph.microsoft.com/oidc/userinfo",
				"authorization_endpoint":                authz + "/authorize",
				"tenant_region_scope":                   nil,
				"cloud_instance_name":                   "microsoftonline.com",
			},
			contentType: "application/json; charset=utf-8",
		}
	}
	for _, tenant := range []string{entraTenant, entraOtherTenant} {
		v2keys := base + "/" + tenant + "/discovery/v2.0/keys"
		w.serveJSON(t, base+"/"+tenant+"/v2.0/.well-known/openid-configuration",
			meta(entraV2Issuer(tenant), v2keys, base+"/"+tenant+"/oauth2/v2.0"))
		w.serveJSON(t, v2keys, jwks(entraV2Issuer(tenant)))
		v1keys := base + "/" + tenant + "/discovery/keys"
		w.serveJSON(t, base+"/"+tenant+"/.well-known/openid-configuration",
			meta(entraV1Issuer(tenant), v1keys, base+"/"+tenant+"/oauth2"))
		w.serveJSON(t, v1keys, jwks(entraV1Issuer(tenant)))
	}
	// An application with custom signing keys (claims mapping) has its
	// own key, published only to those who ask with its appid. Shape:
	// "Access tokens in the Microsoft identity platform", validating the
	// signature (learn.microsoft.com/entra/identity-platform/access-tokens:
	// "append an appid query parameter"), and a Microsoft answer giving
	// .../discovery/keys?appid=... (learn.microsoft.com/en-us/answers/questions/1163810).
	appKeys := jwks(entraV2Issuer(entraTenant))
	appKeys.body = map[string]any{"keys": []any{
		map[string]any{
			"kty": "RSA", "use": "sig", "kid": k.app.x5t, "x5t": k.app.x5t, "n": k.app.n, "e": k.app.e,
			"x5c": []string{k.app.x5c}, "issuer": entraV2Issuer(entraTenant),
		},
	}}
	w.serveJSON(t, base+"/"+entraTenant+"/discovery/v2.0/keys?appid="+entraAPIClientID, appKeys)

	commonKeys := base + "/common/discovery/v2.0/keys"
	w.serveJSON(t, base+"/common/v2.0/.well-known/openid-configuration",
		meta("https://"+hostEntra+"/{tenantid}/v2.0", commonKeys, base+"/common/oauth2/v2.0"))
	w.serveJSON(t, commonKeys, jwks("https://"+hostEntra+"/{tenantid}/v2.0"))
}

const auth0KID = "NjVBRjY5MDlCMUIwNzU4RTA2QzZFMDQ4QzQ2MDAyQjVDNjk1RTM2Qg"

// Auth0. Metadata at the tenant domain, issuer with a trailing slash; keys
// with kty, use, n, e, kid, x5t, x5c and alg, the current key and the next.
// Shapes: Auth0 docs "JSON Web Key Set Properties"
// (auth0.com/docs/secure/tokens/json-web-tokens/json-web-key-set-properties)
// and "Locate JSON Web Key Sets".
func publishAuth0(t *testing.T, w *world, k keys) {
	t.Helper()
	key := func(s signingKey, kid string) map[string]any {
		return map[string]any{
			"kty": "RSA", "use": "sig", "n": s.n, "e": s.e, "kid": kid, "x5t": s.x5t,
			"x5c": []string{s.x5c}, "alg": "RS256",
		}
	}
	w.serveJSON(t, auth0Issuer+".well-known/openid-configuration", doc{body: map[string]any{
		"issuer":                                auth0Issuer,
		"authorization_endpoint":                auth0Issuer + "authorize",
		"token_endpoint":                        auth0Issuer + "oauth/token",
		"jwks_uri":                              auth0Issuer + ".well-known/jwks.json",
		"id_token_signing_alg_values_supported": []string{"HS256", "RS256", "PS256"},
	}, contentType: "application/json; charset=utf-8"})
	w.serveJSON(t, auth0Issuer+".well-known/jwks.json", doc{
		body:        map[string]any{"keys": []any{key(k.sig, auth0KID), key(k.other, "rTEr5Vr3dXC7Lq9nX0ylSMmVFEkyaP2y3XLZ3NmR1sQ")}},
		contentType: "application/json; charset=utf-8",
	})
}

const (
	oktaKID    = "Xt8XgqtQ2qv2v3f5hyT4D1oCYbjnP6OK0gUqFx31bOg"
	oktaOrgKID = "fAomAvsWyAWDlnBuJbHoqqCRcRdmsg4vri0OICxbIgs"
)

// Okta. A custom authorization server ("default") under /oauth2/default,
// with OpenID Connect and RFC 8414 metadata and an introspection endpoint;
// keys with kty, alg, kid, use, e and n. The org authorization server's
// tokens (issuer without /oauth2/...) are meant for Okta's own APIs. Shapes:
// Okta "OpenID Connect & OAuth 2.0 API" reference
// (developer.okta.com/docs/reference/api/oidc/, /keys and
// /.well-known/oauth-authorization-server), and "Authorization servers"
// (developer.okta.com/docs/concepts/auth-servers/).
func publishOkta(t *testing.T, w *world, k keys) {
	t.Helper()
	meta := doc{body: map[string]any{
		"issuer":                 oktaIssuer,
		"authorization_endpoint": oktaIssuer + "/v1/authorize",
		"token_endpoint":         oktaIssuer + "/v1/token",
		"jwks_uri":               oktaIssuer + "/v1/keys",
		"introspection_endpoint": oktaIssuer + "/v1/introspect",
		"introspection_endpoint_auth_methods_supported": []string{
			"client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none",
		},
		"response_types_supported": []string{"code", "token", "id_token", "code id_token", "code token", "id_token token", "code id_token token"},
		"scopes_supported":         []string{"openid", "profile", "email", "address", "phone", "offline_access", "orders:read"},
	}}
	w.serveJSON(t, oktaIssuer+"/.well-known/openid-configuration", meta)
	w.serveJSON(t, oktaIssuer+"/.well-known/oauth-authorization-server", meta)
	key := func(s signingKey, kid string) map[string]any {
		return map[string]any{"kty": "RSA", "alg": "RS256", "kid": kid, "use": "sig", "e": s.e, "n": s.n}
	}
	w.serveJSON(t, oktaIssuer+"/v1/keys", doc{body: map[string]any{"keys": []any{key(k.sig, oktaKID), key(k.other, "zZ5aMXgq-nfK6kRQ6Y0CyT3T1QwJbTyQ9iKmYQ0RrlM")}}})
	w.serveJSON(t, "https://"+hostOkta+"/oauth2/v1/keys", doc{body: map[string]any{"keys": []any{key(k.sig, oktaOrgKID)}}})
}

const (
	kcKID    = "n2XL8b0pP0rG3Vx7m5Q9rTtKjWc4Yz1AsDfGhJkLmNo"
	kcEncKID = "gFqFV9rrMarzqRfXcvPLHZSWdxe9fW6ML4wFD5hmsi8"
)

// Keycloak. Realm metadata under /realms/{realm}; the realm's certs endpoint
// publishes its encryption key (use enc, alg RSA-OAEP) beside its signing
// key, both with kid, kty, alg, use, n, e, x5c, x5t and x5t#S256. Shapes:
// Keycloak "Securing applications: OpenID Connect endpoints"
// (keycloak.org/securing-apps/oidc-layers) and the certs documents that
// Keycloak realms publish, as found in public projects' test data (for
// example the Kong jwt-keycloak plugin's key-parsing test).
func publishKeycloak(t *testing.T, w *world, k keys) {
	t.Helper()
	oidc := kcIssuer + "/protocol/openid-connect"
	w.serveJSON(t, kcIssuer+"/.well-known/openid-configuration", doc{body: map[string]any{
		"issuer":                                kcIssuer,
		"authorization_endpoint":                oidc + "/auth",
		"token_endpoint":                        oidc + "/token",
		"introspection_endpoint":                oidc + "/token/introspect",
		"userinfo_endpoint":                     oidc + "/userinfo",
		"end_session_endpoint":                  oidc + "/logout",
		"jwks_uri":                              oidc + "/certs",
		"grant_types_supported":                 []string{"authorization_code", "implicit", "refresh_token", "password", "client_credentials"},
		"id_token_signing_alg_values_supported": []string{"PS384", "ES384", "RS384", "HS256", "HS512", "ES256", "RS256", "HS384", "ES512", "PS256", "PS512", "RS512"},
	}})
	key := func(s signingKey, kid, alg, use string) map[string]any {
		return map[string]any{
			"kid": kid, "kty": "RSA", "alg": alg, "use": use, "n": s.n, "e": s.e,
			"x5c": []string{s.x5c}, "x5t": s.x5t, "x5t#S256": s.x5tS256,
		}
	}
	w.serveJSON(t, oidc+"/certs", doc{body: map[string]any{"keys": []any{
		key(k.other, kcEncKID, "RSA-OAEP", "enc"),
		key(k.sig, kcKID, "RS256", "sig"),
	}}})
}

const cogKID = "Zq1fL3x0mW9h0N2QvUKSn5bYgQ8m0o4kd+/TZsQ2bE0="

// Amazon Cognito user pools. Metadata at the pool's issuer; keys with alg,
// e, kid, kty, n and use (one key for ID tokens, one for access tokens).
// Shapes: Amazon Cognito Developer Guide, "Verifying a JSON Web Token"
// (docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html).
func publishCognito(t *testing.T, w *world, k keys) {
	t.Helper()
	w.serveJSON(t, cogIssuer+"/.well-known/openid-configuration", doc{body: map[string]any{
		"issuer":                                cogIssuer,
		"jwks_uri":                              cogIssuer + "/.well-known/jwks.json",
		"authorization_endpoint":                "https://auth.example.com/oauth2/authorize",
		"token_endpoint":                        "https://auth.example.com/oauth2/token",
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"subject_types_supported":               []string{"public"},
	}})
	key := func(s signingKey, kid string) map[string]any {
		return map[string]any{"alg": "RS256", "e": s.e, "kid": kid, "kty": "RSA", "n": s.n, "use": "sig"}
	}
	w.serveJSON(t, cogIssuer+"/.well-known/jwks.json", doc{body: map[string]any{"keys": []any{
		key(k.other, "a1b2c3d4EXAMPLE/x9y8z7w6v5u4t3s2r1q0p9o8n7m="), key(k.sig, cogKID),
	}}})
}

const googleKID = "6719678351a5faedc2e70274bbea62da2a8c4a12"

// Google. Metadata at accounts.google.com naming a key set on another host,
// www.googleapis.com; keys with e, n, kty, use, kid (hex) and alg, served
// with a long public Cache-Control. Shapes: the discovery document and key
// set of accounts.google.com as recorded in panva/wellknown (issuers/google),
// and Google Identity "OpenID Connect" (developers.google.com/identity/openid-connect/openid-connect).
func publishGoogle(t *testing.T, w *world, k keys) {
	t.Helper()
	w.serveJSON(t, googleIss+"/.well-known/openid-configuration", doc{body: map[string]any{
		"issuer":                                googleIss,
		"authorization_endpoint":                googleIss + "/o/oauth2/v2/auth",
		"token_endpoint":                        "https://oauth2.googleapis.com/token",
		"userinfo_endpoint":                     "https://openidconnect.googleapis.com/v1/userinfo",
		"jwks_uri":                              "https://" + hostGoogleAPI + "/oauth2/v3/certs",
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"claims_supported":                      []string{"aud", "email", "email_verified", "exp", "family_name", "given_name", "iat", "iss", "name", "picture", "sub"},
	}})
	w.serveJSON(t, "https://"+hostGoogleAPI+"/oauth2/v3/certs", doc{
		body: map[string]any{"keys": []any{
			map[string]any{"e": k.sig.e, "n": k.sig.n, "kty": "RSA", "use": "sig", "kid": googleKID, "alg": "RS256"},
			map[string]any{"alg": "RS256", "e": k.other.e, "n": k.other.n, "kid": "674dbba8faee69acae1bc1be190453678f472803", "use": "sig", "kty": "RSA"},
		}},
		contentType: "application/json; charset=UTF-8",
		headers:     map[string]string{"Cache-Control": "public, max-age=21317, must-revalidate, no-transform"},
	})
}

const hydraKID = "b0b4c2bd-0e2b-4a0e-9a34-2b54c4b3a1d7"

// Ory Hydra. Issuer with a trailing slash; keys with use, kty, kid, alg, n
// and e. Shapes: Ory Hydra "JSON Web Key (JWK) and JWT" and the public
// /.well-known/jwks.json endpoint (ory.sh/docs/hydra/jwks), and Hydra's
// oauth2 package, which sets the issuer with a trailing slash.
func publishHydra(t *testing.T, w *world, k keys) {
	t.Helper()
	w.serveJSON(t, hydraIssuer+".well-known/openid-configuration", doc{body: map[string]any{
		"issuer":                                hydraIssuer,
		"authorization_endpoint":                hydraIssuer + "oauth2/auth",
		"token_endpoint":                        hydraIssuer + "oauth2/token",
		"jwks_uri":                              hydraIssuer + ".well-known/jwks.json",
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
	}})
	w.serveJSON(t, hydraIssuer+".well-known/jwks.json", doc{body: map[string]any{"keys": []any{
		map[string]any{"use": "sig", "kty": "RSA", "kid": hydraKID, "alg": "RS256", "n": k.sig.n, "e": k.sig.e},
	}}})
}

const opKID = "r1LkbBo3925Rb2ZFFrKyU3MVex9T2817Kx0vbi6i_Kc"

// node oidc-provider. Keys with kty, kid, use, alg, e and n. Shapes: the
// oidc-provider documentation (github.com/panva/node-oidc-provider,
// docs/README.md: jwks, features.resourceIndicators) and its source,
// lib/models/formats/jwt.js.
func publishOP(t *testing.T, w *world, k keys) {
	t.Helper()
	w.serveJSON(t, opIssuer+"/.well-known/openid-configuration", doc{body: map[string]any{
		"issuer":                 opIssuer,
		"authorization_endpoint": opIssuer + "/auth",
		"token_endpoint":         opIssuer + "/token",
		"introspection_endpoint": opIssuer + "/token/introspection",
		"jwks_uri":               opIssuer + "/jwks",
	}, contentType: "application/json; charset=utf-8"})
	w.serveJSON(t, opIssuer+"/jwks", doc{
		body:        map[string]any{"keys": []any{map[string]any{"kty": "RSA", "kid": opKID, "use": "sig", "alg": "RS256", "e": k.sig.e, "n": k.sig.n}}},
		contentType: "application/jwk-set+json; charset=utf-8",
	})
}

const duendeKID = "8B8E0E3F0B7C4A1D9E2F3A4B5C6D7E8F"

// Duende IdentityServer. The key set sits at
// /.well-known/openid-configuration/jwks; keys with kty, use, kid (hex, from
// automatic key management), e, n and alg. Shapes: Duende IdentityServer
// docs "Discovery Endpoint" (docs.duendesoftware.com/identityserver/reference/endpoints/discovery/)
// and "Automatic Key Management".
func publishDuende(t *testing.T, w *world, k keys) {
	t.Helper()
	w.serveJSON(t, duendeIss+"/.well-known/openid-configuration", doc{body: map[string]any{
		"issuer":                 duendeIss,
		"jwks_uri":               duendeIss + "/.well-known/openid-configuration/jwks",
		"authorization_endpoint": duendeIss + "/connect/authorize",
		"token_endpoint":         duendeIss + "/connect/token",
		"introspection_endpoint": duendeIss + "/connect/introspect",
		"scopes_supported":       []string{"openid", "profile", "email", "orders.read", "offline_access"},
	}})
	w.serveJSON(t, duendeIss+"/.well-known/openid-configuration/jwks", doc{body: map[string]any{"keys": []any{
		map[string]any{"kty": "RSA", "use": "sig", "kid": duendeKID, "e": k.sig.e, "n": k.sig.n, "alg": "RS256"},
	}}})
}

const springKID = "5c9a1d0e-3f47-4b8a-a2c6-7e9d1f3b5a80"

// Spring Authorization Server. OpenID Connect is opt-in there, so only the
// RFC 8414 metadata is published; its key set (/oauth2/jwks) holds keys as
// Nimbus' RSAKey.Builder(publicKey).keyID(uuid) writes them: kty, e, kid and
// n, with neither use nor alg. Shapes: Spring Authorization Server reference,
// "Protocol Endpoints" (OAuth2 Authorization Server Metadata Endpoint, JWK Set
// Endpoint) and "Getting Started" (docs.spring.io/spring-authorization-server/reference/).
func publishSpring(t *testing.T, w *world, k keys) {
	t.Helper()
	w.serveJSON(t, "https://"+hostSpring+"/.well-known/oauth-authorization-server", doc{body: map[string]any{
		"issuer":                 springIss,
		"authorization_endpoint": springIss + "/oauth2/authorize",
		"token_endpoint":         springIss + "/oauth2/token",
		"jwks_uri":               springIss + "/oauth2/jwks",
		"introspection_endpoint": springIss + "/oauth2/introspect",
		"revocation_endpoint":    springIss + "/oauth2/revoke",
	}})
	w.serveJSON(t, springIss+"/oauth2/jwks", doc{body: map[string]any{"keys": []any{
		map[string]any{"kty": "RSA", "e": k.sig.e, "kid": springKID, "n": k.sig.n},
	}}})
}

const zitadelKID = "284699817411437139"

// ZITADEL. Keys at /oauth/v2/keys with use, kty, kid (a numeric ID), alg, n
// and e. Shapes: ZITADEL docs "OpenID Connect Endpoints"
// (zitadel.com/docs/apis/openidoauth/endpoints).
func publishZitadel(t *testing.T, w *world, k keys) {
	t.Helper()
	w.serveJSON(t, zitadelIss+"/.well-known/openid-configuration", doc{body: map[string]any{
		"issuer":                 zitadelIss,
		"authorization_endpoint": zitadelIss + "/oauth/v2/authorize",
		"token_endpoint":         zitadelIss + "/oauth/v2/token",
		"introspection_endpoint": zitadelIss + "/oauth/v2/introspect",
		"jwks_uri":               zitadelIss + "/oauth/v2/keys",
	}})
	w.serveJSON(t, zitadelIss+"/oauth/v2/keys", doc{body: map[string]any{"keys": []any{
		map[string]any{"use": "sig", "kty": "RSA", "kid": zitadelKID, "alg": "RS256", "n": k.sig.n, "e": k.sig.e},
	}}})
}

// publishAll publishes every vendor's documents in w.
func publishAll(t *testing.T, w *world, k keys) {
	t.Helper()
	for _, p := range []func(*testing.T, *world, keys){
		publishEntra, publishAuth0, publishOkta, publishKeycloak, publishCognito, publishGoogle,
		publishHydra, publishOP, publishDuende, publishSpring, publishZitadel,
	} {
		p(t, w, k)
	}
}
