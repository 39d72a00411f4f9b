// Package grpcguard protects gRPC services with OAuth 2.0 access tokens. It
// is a thin adapter over package middleware: its unary and stream server
// interceptors run the same [middleware.Guard] as an HTTP service (token
// extraction, authentication, DPoP proofs and certificate binding, the
// route rules), so a gRPC method accepts and refuses exactly what an HTTP
// route behind that Guard does.
//
//	g, err := middleware.NewGuard(verifier, middleware.Config{})
//	if err != nil { ... }
//	gg, err := grpcguard.New(g, grpcguard.Config{
//		Rules:  map[string][]middleware.Rule{"/shop.Orders/List": {middleware.Scopes("orders:read")}},
//		Public: []string{"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch"},
//	})
//	if err != nil { ... }
//	srv := grpc.NewServer(grpc.Creds(creds),
//		grpc.ChainUnaryInterceptor(gg.UnaryServerInterceptor()),
//		grpc.ChainStreamInterceptor(gg.StreamServerInterceptor()))
//
//	func (s *orders) List(ctx context.Context, req *shop.ListRequest) (*shop.ListReply, error) {
//		claims, _ := jwtverify.ClaimsFromContext(ctx) // on streams: stream.Context()
//		...
//	}
//
// Every method of the server needs a valid token, except those listed in
// [Config.Public], which pass without any check and without claims; the
// methods in [Config.Rules] must satisfy their rules too. A call of a
// method the server does not have is answered Unimplemented by gRPC itself,
// before any interceptor runs, token or not; with a
// [grpc.UnknownServiceHandler], which runs behind the stream interceptor,
// such a call needs a token like any other.
//
// # The call as the Guard sees it
//
// For each call the interceptors build an HTTP request and hand it to the
// Guard's [middleware.Guard.Admit], then to [middleware.Guard.Authorize] for
// the method's rules: method POST, path the full method name
// ("/package.Service/Method"), host the call's :authority, scheme https when
// the connection is TLS (and then the client certificate of the connection,
// for certificate-bound tokens), and two headers: Authorization from the
// authorization metadata (every value: two values are malformed, as two
// headers are over HTTP) and DPoP from the dpop metadata. Nothing else is
// copied. So the token comes as "Bearer <token>" or, with
// [middleware.DPoPConfig] on, "DPoP <token>" with a proof whose htm is POST
// and whose htu is "https://<authority>/package.Service/Method", the URL a
// gRPC-to-HTTP proxy maps the call to. The request's context is the call's,
// so a [middleware.Config.ClientCertificate] function can read the call's
// metadata (a certificate a trusted proxy forwards) with
// metadata.FromIncomingContext(r.Context()), and a [middleware.Rule] can
// read the call's peer or metadata the same way.
//
// The Guard's token sources other than the Authorization header (form,
// query, cookie) find nothing in such a request, and
// [middleware.DPoPConfig].TrustForwardedHeaders sees no forwarded header:
// behind a proxy that terminates TLS, set [middleware.DPoPConfig].ExternalURL
// to the URL clients call.
//
// # Answers
//
// A refused call never reaches the handler. It ends with a status whose
// code follows from the HTTP status the Guard chose, and whose message is the
// fixed, safe description of the HTTP answer's error_description (never
// the text of the internal error):
//
//	HTTP answer                                    gRPC code
//	401 no token, invalid_token, DPoP errors       Unauthenticated
//	400 invalid_request (malformed, two values)    Unauthenticated
//	403 insufficient_scope (Scopes, other Rules)   PermissionDenied
//	503 key source or introspection unreachable    Unavailable
//	any other status (a Config.ErrorHandler's)     Internal
//
// Unavailable is the code a gRPC client's retry policy usually retries,
// which is what a 503 asks for: the same call, with the same token, later.
// Unauthenticated is gRPC's code for a call without valid credentials, a
// malformed authorization included: gRPC has no code of its own for a bad
// request line, and InvalidArgument means a bad request message. The
// RFC 6750 (and RFC 9449) challenge, the WWW-Authenticate value of the HTTP
// answer, is sent in the www-authenticate trailer, and the Retry-After of a
// 503 (seconds until the key set or the introspection endpoint is worth
// asking again) in the retry-after trailer; a server nonce
// (DPoP-Nonce) is sent in the dpop-nonce header, on refusals
// (use_dpop_nonce) and on accepted calls when the Guard issues a fresh
// one. With a [middleware.Config.ErrorHandler] that writes its own body, the
// message is a fixed phrase per code.
//
// Logging and [middleware.Hooks] work as over HTTP: the logged path is the
// full method name.
//
// # Health checks and reflection
//
// List the methods that must answer without a token in [Config.Public]:
//
//	/grpc.health.v1.Health/Check
//	/grpc.health.v1.Health/Watch
//	/grpc.health.v1.Health/List
//	/grpc.reflection.v1.ServerReflection/ServerReflectionInfo
//	/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo
//
// Reflection lists every service and method of the server: make it public
// only if that is no secret.
//
// # What it does not do
//
// It checks the token once, when the call starts: a stream that outlives
// its token's expiry goes on. It does not make the TLS server ask for client
// certificates (set tls.Config.ClientAuth to tls.RequestClientCert or
// stronger in the server's credentials).
package grpcguard
