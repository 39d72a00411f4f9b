package grpcguard_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
	"github.com/tokenguard/tokenguard/middleware/grpcguard"
)

// fakeAuth accepts the token "good" as alice's with scope orders:read and
// refuses every other as invalid.
var fakeAuth = middleware.AuthenticatorFunc(func(_ context.Context, token string) (*jwtverify.Claims, error) {
	if token == "good" {
		return &jwtverify.Claims{Subject: "alice", Scopes: []string{"orders:read"}}, nil
	}
	return nil, jwtverify.ErrInvalidToken
})

func guard(t *testing.T, cfg middleware.Config) *middleware.Guard {
	t.Helper()
	cfg.Logger = slog.New(slog.DiscardHandler)
	g, err := middleware.NewGuard(fakeAuth, cfg)
	if err != nil {
		t.Fatalf("middleware.NewGuard: %v", err)
	}
	return g
}

func TestNewConfig(t *testing.T) {
	scoped := []middleware.Rule{middleware.Scopes("orders:read")}
	for _, tc := range []struct {
		name string
		cfg  grpcguard.Config
		ok   bool
	}{
		{"zero", grpcguard.Config{}, true},
		{"health and reflection public", grpcguard.Config{Public: []string{
			"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch",
			"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"}}, true},
		{"rules", grpcguard.Config{Rules: map[string][]middleware.Rule{"/shop.v1.Orders/List": scoped, "/Svc/M_2": nil}}, true},
		{"public without leading slash", grpcguard.Config{Public: []string{"grpc.health.v1.Health/Check"}}, false},
		{"public empty", grpcguard.Config{Public: []string{""}}, false},
		{"public service only", grpcguard.Config{Public: []string{"/grpc.health.v1.Health"}}, false},
		{"public empty method", grpcguard.Config{Public: []string{"/grpc.health.v1.Health/"}}, false},
		{"public empty service", grpcguard.Config{Public: []string{"//Check"}}, false},
		{"public three segments", grpcguard.Config{Public: []string{"/a.B/C/D"}}, false},
		{"public empty package element", grpcguard.Config{Public: []string{"/a..B/C"}}, false},
		{"public trailing dot", grpcguard.Config{Public: []string{"/a.B./C"}}, false},
		{"public method with a dot", grpcguard.Config{Public: []string{"/a.B/C.D"}}, false},
		{"public method with a digit first", grpcguard.Config{Public: []string{"/a.B/1C"}}, false},
		{"public with a space", grpcguard.Config{Public: []string{"/a.B/C "}}, false},
		{"public with a wildcard", grpcguard.Config{Public: []string{"/a.B/*"}}, false},
		{"rule key invalid", grpcguard.Config{Rules: map[string][]middleware.Rule{"a.B/C": scoped}}, false},
		{"nil rule", grpcguard.Config{Rules: map[string][]middleware.Rule{"/a.B/C": {middleware.Scopes("x"), nil}}}, false},
		{"public and ruled", grpcguard.Config{Public: []string{"/a.B/C"}, Rules: map[string][]middleware.Rule{"/a.B/C": scoped}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := grpcguard.New(guard(t, middleware.Config{}), tc.cfg)
			switch {
			case tc.ok && err != nil:
				t.Errorf("New = %v, want no error", err)
			case !tc.ok && !errors.Is(err, jwtverify.ErrConfig):
				t.Errorf("New = %v, want an error matching jwtverify.ErrConfig", err)
			}
		})
	}
}

func TestNewNilGuardPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New(nil, ...) did not panic")
		}
	}()
	grpcguard.New(nil, grpcguard.Config{})
}

// unary calls the unary interceptor of gg directly, for method, with the
// incoming metadata md; it reports the handler's claims.
func unary(t *testing.T, gg *grpcguard.Guard, method string, md metadata.MD) (sub string, err error) {
	t.Helper()
	ctx := metadata.NewIncomingContext(t.Context(), md)
	sub = "(handler not called)"
	_, err = gg.UnaryServerInterceptor()(ctx, nil, &grpc.UnaryServerInfo{FullMethod: method},
		func(ctx context.Context, _ any) (any, error) {
			sub = "-"
			if c, ok := jwtverify.ClaimsFromContext(ctx); ok {
				sub = c.Subject
			}
			return nil, nil
		})
	return sub, err
}

// TestNewCopiesConfig: changing the Config after New changes nothing.
func TestNewCopiesConfig(t *testing.T) {
	cfg := grpcguard.Config{
		Public: []string{"/a.B/Public"},
		Rules:  map[string][]middleware.Rule{"/a.B/Scoped": {middleware.Scopes("orders:read")}},
	}
	gg, err := grpcguard.New(guard(t, middleware.Config{}), cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Public[0] = "/a.B/Other"
	cfg.Rules["/a.B/Scoped"][0] = middleware.Scopes("admin")
	cfg.Rules["/a.B/Public"] = []middleware.Rule{middleware.Scopes("admin")}
	if sub, err := unary(t, gg, "/a.B/Public", nil); err != nil || sub != "-" {
		t.Errorf("public call = %q, %v; want the handler without claims", sub, err)
	}
	if sub, err := unary(t, gg, "/a.B/Other", nil); status.Code(err) != codes.Unauthenticated {
		t.Errorf("call of a method made public after New = %q, %v; want Unauthenticated", sub, err)
	}
	md := metadata.Pairs("authorization", "Bearer good")
	if sub, err := unary(t, gg, "/a.B/Scoped", md); err != nil || sub != "alice" {
		t.Errorf("scoped call = %q, %v; want alice's claims (the rule given to New)", sub, err)
	}
}

// TestUnregisteredMethod: a method neither public nor ruled, even one the
// server does not know, needs a valid token.
func TestUnregisteredMethod(t *testing.T) {
	gg, err := grpcguard.New(guard(t, middleware.Config{}), grpcguard.Config{Public: []string{"/a.B/C"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"/a.B/D", "/a.B/C/", "/a.B/c", "/a.b/C", "a.B/C", "/a.B/C?x", ""} {
		if sub, err := unary(t, gg, m, nil); status.Code(err) != codes.Unauthenticated {
			t.Errorf("call of %q without token = %q, %v; want Unauthenticated", m, sub, err)
		}
	}
	if sub, err := unary(t, gg, "/a.B/D", metadata.Pairs("authorization", "Bearer good")); err != nil || sub != "alice" {
		t.Errorf("call with a token = %q, %v; want alice's claims", sub, err)
	}
}

// TestOptionalGuard: with middleware.Config.Optional, a method without
// rules passes without a token and without claims; a ruled one answers
// Unauthenticated, as Guard.Require does over HTTP.
func TestOptionalGuard(t *testing.T) {
	gg, err := grpcguard.New(guard(t, middleware.Config{Optional: true}),
		grpcguard.Config{Rules: map[string][]middleware.Rule{"/a.B/Scoped": {middleware.Scopes("orders:read")}}})
	if err != nil {
		t.Fatal(err)
	}
	if sub, err := unary(t, gg, "/a.B/Open", nil); err != nil || sub != "-" {
		t.Errorf("unruled call without token = %q, %v; want the handler without claims", sub, err)
	}
	if sub, err := unary(t, gg, "/a.B/Scoped", nil); status.Code(err) != codes.Unauthenticated {
		t.Errorf("ruled call without token = %q, %v; want Unauthenticated", sub, err)
	}
	if sub, err := unary(t, gg, "/a.B/Open", metadata.Pairs("authorization", "Bearer bad")); status.Code(err) != codes.Unauthenticated {
		t.Errorf("call with a bad token = %q, %v; want Unauthenticated", sub, err)
	}
}

// TestErrorHandlerAnswers: the code follows the status a custom
// ErrorHandler writes; a status that the Guard never chooses is Internal
// (the call stays refused), and a body that is not the Guard's JSON gives a
// fixed message.
func TestErrorHandlerAnswers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(w http.ResponseWriter)
		code  codes.Code
		msg   string
	}{
		{"401 with text", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte("go away"))
		}, codes.Unauthenticated, "the call carries no valid access token"},
		{"403 with JSON", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"error_description":"ask your admin"}`))
		}, codes.PermissionDenied, "ask your admin"},
		{"418", func(w http.ResponseWriter) { w.WriteHeader(http.StatusTeapot) }, codes.Internal, "the call was refused"},
		{"200", func(w http.ResponseWriter) { w.Write([]byte("{}")) }, codes.Internal, "the call was refused"},
		{"nothing written", func(http.ResponseWriter) {}, codes.Internal, "the call was refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := guard(t, middleware.Config{ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ middleware.Rejection) {
				tc.write(w)
			}})
			gg, err := grpcguard.New(g, grpcguard.Config{})
			if err != nil {
				t.Fatal(err)
			}
			sub, err := unary(t, gg, "/a.B/C", metadata.Pairs("authorization", "Bearer bad"))
			if st := status.Convert(err); st.Code() != tc.code || st.Message() != tc.msg {
				t.Errorf("call refused by the ErrorHandler = %v (handler: %q), want %v %q", err, sub, tc.code, tc.msg)
			}
		})
	}
}
