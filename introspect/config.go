package introspect

import (
	"crypto"
	"log/slog"
	"net/http"
	"time"
)

// AuthMethod is how the [Client] authenticates itself to the introspection
// endpoint (RFC 7662 §2.1 requires some authorization). Each method uses only
// its own credential fields of [Config]; setting a field the method does not
// use is a configuration error.
type AuthMethod string

// Client authentication methods.
const (
	// AuthClientSecretBasic sends ClientID and ClientSecret in an HTTP
	// Basic Authorization header, each form-encoded first (RFC 6749
	// §2.3.1). The default.
	AuthClientSecretBasic AuthMethod = "client_secret_basic"
	// AuthClientSecretPost sends client_id and client_secret as form
	// fields of the request body (RFC 6749 §2.3.1).
	AuthClientSecretPost AuthMethod = "client_secret_post"
	// AuthPrivateKeyJWT sends a JWT assertion signed with PrivateKey
	// (RFC 7523 §2.2, OpenID Connect Core §9): iss and sub are ClientID,
	// aud is the issuer identifier (Config.Issuer, or AssertionAudience),
	// and every request gets a new jti, iat now and exp one minute later.
	// Uses ClientID, PrivateKey, KeyID, SigningAlgorithm and
	// AssertionAudience.
	AuthPrivateKeyJWT AuthMethod = "private_key_jwt"
	// AuthBearer sends BearerToken in an Authorization: Bearer header, for
	// servers that protect introspection with an access token of its own.
	// Uses BearerToken only.
	AuthBearer AuthMethod = "bearer"
	// AuthNone sends no client authentication at all, for an endpoint
	// that requires none, such as the admin port of Ory Hydra. Use it
	// ONLY when the network protects the endpoint: whoever can reach it
	// can then ask about any token. No credential field may be set.
	AuthNone AuthMethod = "none"
)

// Config configures a [Client]. Endpoint (or Issuer, to discover it),
// Audiences (or InsecureSkipAudienceCheck) and the credentials of the chosen
// AuthMethod are required; every other zero field means the documented
// default. Every mistake is an error from [New] that matches
// [jwtverify.ErrConfig]. [New] copies the Config: later changes to it
// have no effect.
//
// Config holds secrets: its String and LogValue methods redact them, so
// printing or logging a Config shows which credentials are set but not
// their values.
type Config struct {
	// Endpoint is the URL of the RFC 7662 introspection endpoint. It must
	// be https (http only on a loopback host). If empty, it is discovered
	// from Issuer's metadata (introspection_endpoint).
	Endpoint string
	// Issuer is the authorization server's issuer identifier. When set,
	// an introspection response that carries iss must name exactly this
	// issuer, client assertions of [AuthPrivateKeyJWT] are addressed to
	// it, and, if Endpoint is empty, the endpoint is discovered from the
	// issuer's metadata (OpenID Connect Discovery, then RFC 8414), whose
	// issuer must equal it exactly. If empty, iss is not checked.
	Issuer string
	// RequireIssuer also refuses active responses that carry no iss at
	// all. RFC 7662 makes iss optional, so this is off by default: the
	// answer of the configured endpoint, over a verified TLS connection,
	// already comes from the issuer.
	RequireIssuer bool
	// Audiences are the accepted aud values: an active response must
	// carry an aud naming at least one of them. Required unless
	// InsecureSkipAudienceCheck is set: without it, a token the server
	// issued for another service, or a refresh token (which many servers
	// issue without aud), would be accepted.
	Audiences []string
	// InsecureSkipAudienceCheck accepts active tokens whatever their aud
	// (Audiences must then be empty). Only safe when every access token
	// the server issues is meant for this service. The token kind is
	// still checked, but that check refuses only what the response marks
	// as another kind of token: a server that marks a refresh token just
	// by leaving out token_type and aud (oidc-provider does) gets its
	// refresh tokens accepted once aud is not checked.
	InsecureSkipAudienceCheck bool

	// SignedResponses asks for, and accepts only, signed introspection
	// answers (RFC 9701): the request says Accept:
	// application/token-introspection+jwt, and the answer must be a compact
	// JWS of that Content-Type, typ token-introspection+jwt (RFC 8725
	// §3.11), signed with a key of the authorization server's key set
	// (JWKSURL, or the jwks_uri of Issuer's metadata) and an asymmetric
	// algorithm (RS256, PS256, ES256, EdDSA and their kin; never HMAC or
	// none), whose iss is Issuer exactly, whose aud names ClientID, and
	// whose iat is within Leeway of now; the introspection response is its
	// token_introspection claim, a JSON object, checked as an unsigned
	// answer is (active, token kind, exp, nbf, iss, aud). The server must
	// have the client registered for it (oidc-provider:
	// introspection_signed_response_alg with features.jwtIntrospection).
	// Encrypted answers (JWE) are not supported.
	//
	// An answer that fails any of these checks (not a JWS, another
	// Content-Type, unsigned, a bad signature, an unknown key, the wrong
	// typ, iss or aud, a stale iat, no token_introspection) is an
	// [EndpointError] (503, fail closed), never an inactive token: it may
	// have been tampered with on its way, and the token it describes may be
	// good. Issuer is then required, and so is ClientID (the aud of the
	// answers): AuthBearer and AuthNone cannot be used.
	SignedResponses bool
	// JWKSURL is the authorization server's key set that verifies signed
	// answers, for SignedResponses only: an https URL (http only on a
	// loopback host). If empty, it is the jwks_uri of Issuer's metadata,
	// followed as the server moves it. The keys are refreshed in the
	// background (every 10 minutes, sooner if Cache-Control says so; an
	// unknown kid brings a refresh) until [Client.Close].
	JWKSURL string

	// AuthMethod is the client authentication method. If empty,
	// [AuthClientSecretBasic] is used.
	AuthMethod AuthMethod
	// ClientID identifies this resource server to the authorization
	// server. Required for [AuthClientSecretBasic], [AuthClientSecretPost]
	// and [AuthPrivateKeyJWT]; must be empty for the others, which do not
	// send it.
	ClientID string
	// ClientSecret is the secret of ClientID, for [AuthClientSecretBasic]
	// and [AuthClientSecretPost].
	ClientSecret string
	// PrivateKey signs client assertions for [AuthPrivateKeyJWT]: an
	// *rsa.PrivateKey, *ecdsa.PrivateKey (P-256, P-384, P-521),
	// ed25519.PrivateKey, or any crypto.Signer with such a public key (a
	// key in a KMS or HSM, say). It must be safe for concurrent use.
	PrivateKey crypto.Signer
	// KeyID is the kid header of client assertions, naming PrivateKey in
	// the client's registered JWK Set. If empty, no kid is sent.
	KeyID string
	// SigningAlgorithm is the alg of client assertions. If empty, it
	// follows from PrivateKey: RS256 for RSA, ES256/ES384/ES512 for the
	// P-256/P-384/P-521 curves, EdDSA for Ed25519.
	SigningAlgorithm string
	// AssertionAudience is the aud of client assertions, for
	// [AuthPrivateKeyJWT]. If empty, Issuer is used: the issuer
	// identifier, as one string, is the audience that
	// draft-ietf-oauth-rfc7523bis and FAPI 2.0 require (a token endpoint
	// audience let assertions be replayed elsewhere, and servers such as
	// ZITADEL refuse it). Set it only for a server that expects another
	// value. One of the two is required with private_key_jwt.
	AssertionAudience string
	// BearerToken is the access token sent with [AuthBearer].
	BearerToken string

	// HTTPClient makes the requests. If nil, a client with Timeout is
	// used. A caller's client is copied, never modified: its transport,
	// proxy and TLS settings are kept, its timeout is capped to Timeout,
	// and redirects are never followed (the token and the credentials
	// must reach no other URL than Endpoint).
	HTTPClient *http.Client
	// Timeout bounds each introspection call, body included, each request
	// of the discovery in [New], each fetch of the key set of
	// SignedResponses, and the wait of a call for a free slot (see
	// MaxConcurrentCalls). If zero, 5s is used.
	Timeout time.Duration
	// MaxBodyBytes caps the size of an introspection response; a larger
	// one is an error. If zero, 64 KiB is used. (A metadata document read
	// by discovery may have up to 1 MiB.)
	MaxBodyBytes int64
	// MaxTokenBytes bounds the length of a token; a longer one is refused
	// without a call. If zero, 16 KiB is used.
	MaxTokenBytes int
	// MaxConcurrentCalls bounds how many introspection calls run at once.
	// A further call waits for a slot for at most Timeout, then fails with
	// an [EndpointError] (503) and is not made, so that calls cannot pile
	// up behind a slow server; each caller still leaves its wait when its
	// own context ends. If zero, 100 is used.
	MaxConcurrentCalls int

	// CacheTTL is how long an active result is kept at most; it is never
	// kept past the token's exp. If zero, 5 minutes is used; a negative
	// value keeps no active result (every request asks the server, for
	// instant revocation).
	CacheTTL time.Duration
	// InactiveCacheTTL is how long an inactive result is kept, so that a
	// flood of bad tokens does not become a flood of calls. If zero, 30s
	// is used; a negative value keeps none.
	InactiveCacheTTL time.Duration
	// CacheSize is the most results the cache keeps, exactly (the least
	// recently used go first; from 128 entries on, the cache is split for
	// parallel requests into up to 16 parts of at least 64 entries, each
	// its own LRU). Entries are keyed by the SHA-256 of the token, never
	// the token itself. If zero, 10000 is used; a negative value turns the
	// cache off.
	CacheSize int

	// Leeway is the clock skew allowed when checking exp and nbf. If
	// zero, 60s is used.
	Leeway time.Duration
	// Now returns the current time, for the exp and nbf checks, cache
	// lifetimes and client assertions. If nil, time.Now is used.
	Now func() time.Time

	// Logger receives failed calls (Warn) and rejected tokens (Debug),
	// never a token, a secret or a response body. If nil, nothing is
	// logged.
	Logger *slog.Logger
	// Hooks observe introspection calls. Any field may be nil.
	Hooks Hooks
}

// Hooks are optional callbacks; any may be nil, and any may be called
// concurrently from several goroutines. They must return quickly: they run
// on the path of a request.
type Hooks struct {
	// Introspected is called after every call to the introspection
	// endpoint (cache hits make none), successful or not.
	Introspected func(CallInfo)
}

// CallInfo describes one introspection call, for [Hooks.Introspected]. It
// holds no token and no response body.
type CallInfo struct {
	// Endpoint is the URL called.
	Endpoint string
	// Status is the HTTP status; 0 if no response arrived.
	Status int
	// Active reports whether the server declared the token active (with
	// the JSON boolean true). Local checks of exp, nbf, iss and aud come
	// later and are not reflected here.
	Active bool
	// Err is the failure, nil when the server answered with a well-formed
	// response (active or not).
	Err error
	// Duration is how long the call took.
	Duration time.Duration
}

const redacted = "REDACTED"

// LogValue implements [slog.LogValuer]: it logs the settings that identify
// the client and replaces every secret with "REDACTED".
func (c Config) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("endpoint", c.Endpoint),
		slog.String("issuer", c.Issuer),
		slog.String("auth_method", string(c.AuthMethod)),
		slog.String("client_id", c.ClientID),
	}
	if c.ClientSecret != "" {
		attrs = append(attrs, slog.String("client_secret", redacted))
	}
	if c.PrivateKey != nil {
		attrs = append(attrs, slog.String("private_key", redacted), slog.String("kid", c.KeyID))
	}
	if c.BearerToken != "" {
		attrs = append(attrs, slog.String("bearer_token", redacted))
	}
	return slog.GroupValue(attrs...)
}

// String describes c with its secrets redacted, so that fmt's %v and %+v
// never print them.
func (c Config) String() string {
	return "introspect.Config" + c.LogValue().String()
}

// GoString is String, so that %#v redacts too.
func (c Config) GoString() string { return c.String() }
