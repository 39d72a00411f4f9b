// Package middleware protects HTTP routes with OAuth 2.0 bearer tokens, as
// RFC 6750 describes: it takes the access token from the request, hands it to
// an [Authenticator] (a [*jwtverify.Verifier], an introspection client, or
// your own), and either passes the request on with the claims on its context
// or answers with the standard status and WWW-Authenticate challenge.
//
// # The model
//
// A [Guard] makes one decision per request, [Guard.Check] (request in, claims
// or a categorized error out), and has one renderer, [Guard.Reject];
// [Guard.Admit] is the two together, plus the headers a successful answer
// needs (a fresh DPoP-Nonce), over any [http.ResponseWriter]. The net/http
// middleware [Guard.Handler] and the gin, echo v4 and echo v5 adapters in
// the sub-packages ginguard, echoguard and echo5guard all call Admit, so
// every framework extracts tokens, picks statuses and writes errors
// identically. Per-route rules ([Rule], such as [Scopes],
// [AnyScope], and the step-up rules [ACR] and [MaxAge]) run behind the Guard through its own [Guard.Require]
// (decided by [Guard.Authorize]), read the claims from the request context,
// and answer through the same renderer. The request context carries the
// claims and nothing else; a Guard is configuration, held by the code that
// built it.
//
//	v, err := jwtverify.New(ctx, jwtverify.Config{Issuer: iss, Audiences: []string{aud}})
//	...
//	g, err := middleware.NewGuard(v, middleware.Config{ExcludePaths: []string{"/healthz"}})
//	...
//	mux := http.NewServeMux()
//	mux.Handle("GET /orders", g.Require(middleware.Scopes("orders:read"))(http.HandlerFunc(orders)))
//	http.ListenAndServe(":8080", g.Handler(mux))
//
//	func orders(w http.ResponseWriter, r *http.Request) {
//		claims, _ := jwtverify.ClaimsFromContext(r.Context())
//		...
//	}
//
// [New] is the short form for a Guard with the defaults: middleware.New(v)(mux).
// A service that takes both JWT and opaque tokens authenticates with
// [Chain] (and [Both], to check JWTs for revocation too).
//
// Every invalid setting of a [Config] is an error from [NewGuard] that
// matches [jwtverify.ErrConfig] and names the field. Only programming errors
// panic: a nil Authenticator, handler or Rule, and a scope literal given to
// [Scopes] or [AnyScope] that is not a valid scope token.
//
// # Token extraction
//
// The token comes from exactly one Authorization header of the form
// "Bearer <b64token>": the scheme in any case, one or more spaces, and the
// RFC 6750 token syntax. A form body, a query parameter and a cookie are further
// sources, each off by default ([Config]). A request that sends the token
// in more than one way, or more than one Authorization header, is malformed.
// With [Config.DPoP] on, the header may also be "DPoP <token>" (same
// syntax), with the proof in exactly one DPoP header; the other sources
// carry Bearer tokens only. A DPoP header with a Bearer token, or without
// any token, is malformed (400 invalid_request).
//
// # Answers
//
//	no token (or another scheme)  401  WWW-Authenticate: Bearer realm="api"
//	malformed request             400  Bearer realm="api", error="invalid_request", error_description="…"
//	bad, expired, foreign token   401  Bearer realm="api", error="invalid_token", error_description="…"
//	missing scope                 403  Bearer realm="api", error="insufficient_scope", error_description="…", scope="…"
//	refused by another Rule       403  Bearer realm="api", error="insufficient_scope", error_description="…"
//	login too weak ([ACR])        401  Bearer realm="api", error="insufficient_user_authentication", …, acr_values="…"
//	login too old ([MaxAge])      401  Bearer realm="api", error="insufficient_user_authentication", …, max_age="…"
//	key source or AS unreachable  503  (no challenge), Retry-After when the error says when to retry
//	bad, replayed DPoP proof      401  DPoP realm="api", error="invalid_dpop_proof", error_description="…", algs="…"
//	server nonce needed           401  DPoP realm="api", error="use_dpop_nonce", …, with a DPoP-Nonce header
//
// With DPoP allowed, the WWW-Authenticate value holds both challenges,
// Bearer first ("Bearer realm="api", DPoP realm="api", algs="ES256 …""),
// the error on the scheme the client used; with DPoP required, the DPoP
// challenge alone. On a cross-origin request (one with an Origin header),
// Access-Control-Expose-Headers names WWW-Authenticate and DPoP-Nonce when
// the answer carries them, so that a browser script can read them.
//
// Unless a [Config.ErrorHandler] renders them, refusals carry Cache-Control:
// no-store and a JSON body with
//
//   - "error", the error code, whenever one applies: on every refusal but
//     the 401 for a missing token ("temporarily_unavailable" on a 503);
//   - "error_description", always;
//   - "scope", the scopes the route asks for, on insufficient_scope from
//     [Scopes] or [AnyScope];
//   - "acr_values" (a string) or "max_age" (a number of seconds), on
//     insufficient_user_authentication from [ACR] or [MaxAge].
//
// The challenge carries the same error, error_description, scope,
// acr_values and max_age, except on the 401 for a missing token, which
// carries the realm alone (RFC 6750 §3.1: a client that sent no credentials
// gets no error information in the challenge), and on the 503, which has no
// challenge at all: the token may be fine. With [Config.Metadata], every
// challenge also carries resource_metadata (the missing token's too). Descriptions are fixed phrases per category; the text of an error
// never reaches the client. The status is chosen with [errors.Is] alone (see
// [ErrNoToken] for the categories), so a custom Authenticator only has to
// wrap [jwtverify.ErrInvalidToken] or [jwtverify.ErrUnavailable]; any other
// error fails closed as invalid_token.
//
// A 503 carries Retry-After (whole seconds) when its error says when to try
// again: a key set in backoff ([jwtverify.KeySourceError]), an
// introspection endpoint that sent Retry-After (introspect.EndpointError),
// or any error with a RetryAfter() time.Duration method, so that clients
// wait instead of hammering.
//
// # Step-up authentication
//
// A token can be valid and still come from a login too weak or too old for
// a route: a transfer may need a second factor, an account deletion a login
// of the last five minutes. The rules [ACR] and [MaxAge] check the token's
// acr and auth_time claims and answer 401 insufficient_user_authentication
// with acr_values or max_age (RFC 9470), which a client passes on to the
// authorization server to make the user log in again accordingly:
//
//	mux.Handle("POST /transfers", g.Require(middleware.ACR("urn:example:mfa"))(transfers))
//	mux.Handle("DELETE /account", g.Require(middleware.MaxAge(5*time.Minute))(deleteAccount))
//
// Being rules, they run only behind the Guard, on a token it accepted: an
// invalid token is answered invalid_token first.
//
// # Protected resource metadata
//
// With [Config.Metadata], a Guard publishes RFC 9728 metadata: where to get
// a token (authorization_servers), which scopes exist, how to send a token,
// whether DPoP or certificate binding is needed. Every challenge then
// names the document in resource_metadata, so that a client that knows
// only the API's URL can find its way from the first 401:
//
//	g, err := middleware.NewGuard(v, middleware.Config{Metadata: &middleware.ResourceMetadata{
//		Resource:             "https://api.example.com",
//		AuthorizationServers: []string{"https://auth.example.com/"},
//	}})
//	...
//	mux.Handle("GET "+g.MetadataPath(), g.MetadataHandler())
//
// The members that follow from the Guard's configuration are derived from
// it (see [ResourceMetadata]).
//
// # Public routes
//
// [Config.ExcludePaths] lets requests for paths such as "/healthz" through
// without a check, and [Config.Exclude] other chosen requests. A request is
// excluded by path only when its path is byte for byte a listed one:
// "/health%7a", "//healthz", "/x/../healthz" and "/healthz/" need a token,
// because routers disagree on where such paths go, and some would route them
// to a protected handler. Mounting the Guard on a route group that holds only the protected
// routes avoids exclusion altogether.
//
// # Sender-constrained tokens
//
// A token bound to a key or a certificate is useless to whoever steals it
// without the key. Both bindings of a token come from its cnf claim
// ([jwtverify.Confirmation]: the JWT's, or the introspection answer's), and
// one check serves both kinds of token:
//
//   - DPoP (RFC 9449), with [Config.DPoP]: a token bound to a key (cnf.jkt)
//     must come as "Authorization: DPoP <token>" with a valid proof signed
//     by that key (see [DPoPConfig] for every check, the replay store and
//     server nonces). A bound token sent as Bearer is refused (no
//     downgrade), and so is an unbound token sent as DPoP. With DPoP off (the
//     default) a key-bound token is refused outright, since no proof can be
//     checked.
//   - Certificates (RFC 8705), on by default: a token bound to a
//     certificate (cnf.x5t#S256) is accepted only over a connection whose
//     client certificate has that SHA-256 thumbprint
//     ([Config.ClientCertificate] for certificates a proxy forwards);
//     [Config.RequireCertificateBinding] refuses every other token, and
//     [Config.InsecureSkipCertificateBinding] turns the check off.
//   - A token whose cnf names another confirmation method (jwk, jku, ...)
//     is refused: nothing here can check it.
//
// The request is checked in this order: its syntax and the DPoP header
// (free), then the token, then the binding, the proof's signature and the
// replay store last, so that a client without a valid token never makes the
// Guard verify a proof.
//
// # What it does not do
//
// It does not protect cookie tokens against cross-site requests: see
// [Config.CookieName]. It does not make the TLS server ask for client
// certificates (set tls.Config.ClientAuth to tls.RequestClientCert or
// stronger), nor share the DPoP replay store between instances unless given
// one that is shared ([DPoPConfig.Replay]).
package middleware
