package grpcguard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
)

// Config says which methods of a gRPC server need what. Methods are named
// by their full method name, as gRPC reports it in
// [grpc.UnaryServerInfo].FullMethod: "/package.Service/Method". [New]
// checks it and copies it: later changes have no effect.
type Config struct {
	// Rules maps full method names to the rules a call of that method must
	// satisfy, in order, after its token was accepted, such as
	// middleware.Scopes("orders:read"); see [middleware.Rule]. The rules
	// get the request the Guard checked (see the package documentation)
	// and its claims. A method without rules (absent, or an empty list)
	// needs a valid token and nothing more. If nil, no method has rules.
	Rules map[string][]middleware.Rule
	// Public lists the full method names whose calls pass without any
	// check and without claims, such as the health check
	// "/grpc.health.v1.Health/Check" and "/grpc.health.v1.Health/Watch",
	// and server reflection
	// "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo" (and
	// "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo" for
	// older clients). A name must match byte for byte: there are no
	// wildcards. A method cannot be both public and in Rules. If nil,
	// every method needs a token.
	Public []string
}

// Guard holds the interceptors of one gRPC server over a
// [middleware.Guard]. It is safe for concurrent use.
type Guard struct {
	g      *middleware.Guard
	public map[string]struct{}
	ruled  map[string][]middleware.Rule
}

// New returns the interceptors of g for a gRPC server, with the per-method
// settings of cfg. Every invalid setting of cfg (a name that is not a full
// method name "/package.Service/Method", a nil rule, a method both public
// and ruled) is an error that matches [jwtverify.ErrConfig] and names the
// field. It panics if g is nil: that is a programming error.
func New(g *middleware.Guard, cfg Config) (*Guard, error) {
	if g == nil {
		panic("grpcguard: New with a nil Guard")
	}
	gg := &Guard{g: g, public: make(map[string]struct{}, len(cfg.Public)),
		ruled: make(map[string][]middleware.Rule, len(cfg.Rules))}
	for i, m := range cfg.Public {
		if err := checkMethod(m); err != nil {
			return nil, fmt.Errorf("%w: Config.Public[%d] %w", jwtverify.ErrConfig, i, err)
		}
		gg.public[m] = struct{}{}
	}
	for m, rules := range cfg.Rules {
		if err := checkMethod(m); err != nil {
			return nil, fmt.Errorf("%w: Config.Rules key %w", jwtverify.ErrConfig, err)
		}
		if _, ok := gg.public[m]; ok {
			return nil, fmt.Errorf("%w: Config.Rules has %q, which Config.Public lists too: a public method runs no rule; remove it from one of them",
				jwtverify.ErrConfig, m)
		}
		if i := slices.IndexFunc(rules, func(r middleware.Rule) bool { return r == nil }); i >= 0 {
			return nil, fmt.Errorf("%w: Config.Rules[%q][%d] is a nil Rule", jwtverify.ErrConfig, m, i)
		}
		gg.ruled[m] = slices.Clone(rules)
	}
	return gg, nil
}

// checkMethod reports why m is not a full method name: "/", a service
// name (dot-separated identifiers), "/", a method name (an identifier).
func checkMethod(m string) error {
	bad := func(why string) error {
		return fmt.Errorf("%q is not a full gRPC method name: %s; want the form \"/package.Service/Method\", such as \"/grpc.health.v1.Health/Check\"",
			m, why)
	}
	if len(m) == 0 || m[0] != '/' {
		return bad("it does not begin with \"/\"")
	}
	svc, method, ok := cut(m[1:])
	if !ok {
		return bad("it has no \"/\" between service and method")
	}
	if !identifiers(svc, true) {
		return bad("the service name is not a dot-separated list of identifiers")
	}
	if !identifiers(method, false) {
		return bad("the method name is not an identifier")
	}
	return nil
}

func cut(s string) (before, after string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// identifiers reports whether s is an identifier (letters, digits and '_',
// not starting with a digit), or with dots a dot-separated list of them.
func identifiers(s string, dots bool) bool {
	start := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && dots && !start:
			start = true
			continue
		case c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' && !start:
		default:
			return false
		}
		start = false
	}
	return !start
}

// UnaryServerInterceptor returns the interceptor that guards unary calls,
// for [grpc.UnaryInterceptor] or [grpc.ChainUnaryInterceptor]. A call it
// refuses never reaches the handler and ends with the status the package
// documentation lists; the handler of a call it accepts gets a context that
// carries the claims ([jwtverify.ClaimsFromContext]).
func (g *Guard) UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, d, err := g.decide(ctx, info.FullMethod)
		if len(d.header) > 0 {
			grpc.SetHeader(ctx, d.header) // fails only without a gRPC stream, or after headers were sent: neither can be here
		}
		if len(d.trailer) > 0 {
			grpc.SetTrailer(ctx, d.trailer)
		}
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor returns the interceptor that guards streaming
// calls, for [grpc.StreamInterceptor] or [grpc.ChainStreamInterceptor]. A
// call it refuses never reaches the handler and ends with the status the
// package documentation lists; the handler of a call it accepts gets a
// stream whose Context carries the claims ([jwtverify.ClaimsFromContext]).
// It decides when the call starts, before any message is received.
func (g *Guard) StreamServerInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, d, err := g.decide(ss.Context(), info.FullMethod)
		if len(d.header) > 0 {
			ss.SetHeader(d.header)
		}
		if len(d.trailer) > 0 {
			ss.SetTrailer(d.trailer)
		}
		if err != nil {
			return err
		}
		if ctx != ss.Context() {
			ss = &stream{ServerStream: ss, ctx: ctx}
		}
		return handler(srv, ss)
	}
}

// stream is a ServerStream whose Context carries the claims.
type stream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *stream) Context() context.Context { return s.ctx }

// decision is the metadata an answer carries besides its status.
type decision struct {
	header, trailer metadata.MD
}

// decide runs the Guard on a call of method with context ctx: it returns
// the context for the handler (ctx itself, or one carrying the claims), the
// metadata to send, and the status error of a refused call.
func (g *Guard) decide(ctx context.Context, method string) (context.Context, decision, error) {
	if _, ok := g.public[method]; ok {
		return ctx, decision{}, nil
	}
	r := request(ctx, method)
	w := new(recorder)
	r, ok := g.g.Admit(w, r)
	if ok {
		if rules, ruled := g.ruled[method]; ruled && len(rules) > 0 {
			if err := g.g.Authorize(r, rules...); err != nil {
				// Like Guard.Require behind Guard.Handler: the answer keeps
				// what Admit set (a fresh DPoP-Nonce).
				g.g.Reject(w, r, err)
				ok = false
			}
		}
	}
	d := decision{}
	if n := w.header.Get("DPoP-Nonce"); n != "" {
		d.header = metadata.Pairs("dpop-nonce", n)
	}
	if ok {
		return r.Context(), d, nil
	}
	d.trailer = metadata.MD{}
	if c := w.header.Values("WWW-Authenticate"); len(c) > 0 {
		d.trailer["www-authenticate"] = slices.Clone(c)
	}
	if ra := w.header.Get("Retry-After"); ra != "" {
		d.trailer["retry-after"] = []string{ra}
	}
	return ctx, d, status.Error(code(w.status), w.description())
}

// code maps the HTTP status of a refusal to a gRPC status code.
func code(httpStatus int) codes.Code {
	switch httpStatus {
	case http.StatusBadRequest, http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusServiceUnavailable:
		return codes.Unavailable
	}
	return codes.Internal // a Config.ErrorHandler's own status: fail closed
}

// request builds the request the Guard checks for a call of method: POST
// of the method's path to the call's :authority, over TLS when the peer's
// connection is, with the authorization and dpop metadata as its
// Authorization and DPoP headers and nothing else, on the call's context.
// It reads only those keys of the metadata (metadata.FromIncomingContext
// would copy all of it).
func request(ctx context.Context, method string) *http.Request {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, "/", http.NoBody)
	if err != nil { // cannot happen: the method and URL are valid
		panic("grpcguard: " + err.Error())
	}
	r.URL.Path, r.RequestURI = method, method
	r.Proto, r.ProtoMinor = "HTTP/2.0", 0
	r.ProtoMajor = 2
	if v := metadata.ValueFromIncomingContext(ctx, "authorization"); len(v) > 0 {
		r.Header["Authorization"] = v
	}
	if v := metadata.ValueFromIncomingContext(ctx, "dpop"); len(v) > 0 {
		r.Header["Dpop"] = v
	}
	if a := metadata.ValueFromIncomingContext(ctx, ":authority"); len(a) == 1 {
		r.Host = a[0]
	}
	if p, ok := peer.FromContext(ctx); ok {
		if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok {
			state := ti.State
			r.TLS = &state
		}
	}
	return r
}

// maxBody bounds what recorder keeps of an answer's body: the built-in
// renderer writes a few hundred bytes.
const maxBody = 4 << 10

// recorder is the http.ResponseWriter the Guard answers into.
type recorder struct {
	header http.Header
	status int
	body   []byte
}

func (w *recorder) Header() http.Header {
	if w.header == nil {
		w.header = make(http.Header)
	}
	return w.header
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *recorder) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if room := maxBody - len(w.body); room > 0 {
		w.body = append(w.body, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// description returns the fixed phrase of the refusal: the
// error_description of the JSON body the Guard wrote or, when a
// Config.ErrorHandler wrote something else, a phrase for its status.
func (w *recorder) description() string {
	var body struct {
		Description string `json:"error_description"`
	}
	if json.Unmarshal(w.body, &body) == nil && body.Description != "" {
		return body.Description
	}
	switch w.status {
	case http.StatusBadRequest:
		return "the request is malformed"
	case http.StatusUnauthorized:
		return "the call carries no valid access token"
	case http.StatusForbidden:
		return "the access token does not grant access to this method"
	case http.StatusServiceUnavailable:
		return "the access token cannot be checked now; retry later"
	}
	return "the call was refused"
}
