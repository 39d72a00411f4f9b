package middleware

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/tokenguard/tokenguard/jwtverify"
)

// RequireScopes returns middleware that lets a request through only if its
// claims grant every one of scopes. Without claims (no Guard ran, an excluded
// route, or [Config.Optional] and no token) it answers 401 with a challenge;
// with claims that lack a scope, 403 insufficient_scope with
// scope="<scopes>". It answers through [Reject]. It panics if scopes is empty
// or holds a string that is not an RFC 6749 scope token.
//
//	mux.Handle("GET /orders", middleware.RequireScopes("orders:read")(orders))
func RequireScopes(scopes ...string) func(http.Handler) http.Handler {
	return Require(AllScopes(scopes...))
}

// RequireAnyScope is like [RequireScopes] but one of scopes suffices. The
// scope parameter of its 403 challenge lists them all, since RFC 6750 has no
// way to say "one of".
func RequireAnyScope(scopes ...string) func(http.Handler) http.Handler {
	return Require(AnyScope(scopes...))
}

// Require returns middleware that lets a request through only if check
// accepts its claims; check runs only when there are claims (else the answer
// is 401, as for [RequireScopes]). An error from check that matches a
// category ([ErrInsufficientScope], [ErrInvalidRequest],
// [jwtverify.ErrInvalidToken], [jwtverify.ErrUnavailable], ...) is answered
// as such; any other error is wrapped in a [*ForbiddenError] and answered
// 403 insufficient_scope. check must be safe for concurrent use. Require
// panics if check is nil.
//
//	sameTenant := func(r *http.Request, c *jwtverify.Claims) error {
//		var t struct{ Tenant string `json:"tid"` }
//		if err := c.Decode(&t); err != nil || t.Tenant != r.PathValue("tenant") {
//			return errors.New("wrong tenant")
//		}
//		return nil
//	}
//	mux.Handle("GET /t/{tenant}/orders", middleware.Require(sameTenant)(orders))
func Require(check func(*http.Request, *jwtverify.Claims) error) func(http.Handler) http.Handler {
	if check == nil {
		panic("middleware: Require with a nil check")
	}
	return func(next http.Handler) http.Handler {
		if next == nil {
			panic("middleware: nil next handler")
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := Authorize(r, check); err != nil {
				Reject(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Authorize runs check on the claims of r's context, as [Require] does, and
// returns its categorized error, or nil if the request may proceed. Without
// claims it returns [ErrNoToken]. Adapters call it; it writes nothing.
func Authorize(r *http.Request, check func(*http.Request, *jwtverify.Claims) error) error {
	c, ok := jwtverify.ClaimsFromContext(r.Context())
	if !ok {
		return ErrNoToken
	}
	err := check(r, c)
	if err == nil || categorized(err) {
		return err
	}
	return &ForbiddenError{Err: err}
}

func categorized(err error) bool {
	for _, c := range [...]error{ErrNoToken, ErrInvalidRequest, ErrInsufficientScope, ErrForbidden,
		jwtverify.ErrInvalidToken, jwtverify.ErrUnavailable} {
		if errors.Is(err, c) {
			return true
		}
	}
	return false
}

// AllScopes returns the check behind [RequireScopes]: it fails with a
// [*ScopeError] unless the claims grant every one of scopes. It panics like
// RequireScopes.
func AllScopes(scopes ...string) func(*http.Request, *jwtverify.Claims) error {
	e := newScopeError(scopes, false)
	return func(_ *http.Request, c *jwtverify.Claims) error {
		if c.HasAllScopes(e.Scopes...) {
			return nil
		}
		return e
	}
}

// AnyScope returns the check behind [RequireAnyScope]: it fails with a
// [*ScopeError] unless the claims grant at least one of scopes. It panics
// like RequireScopes.
func AnyScope(scopes ...string) func(*http.Request, *jwtverify.Claims) error {
	e := newScopeError(scopes, true)
	return func(_ *http.Request, c *jwtverify.Claims) error {
		if c.HasAnyScope(e.Scopes...) {
			return nil
		}
		return e
	}
}

func newScopeError(scopes []string, any bool) *ScopeError {
	if len(scopes) == 0 {
		panic("middleware: no scope given")
	}
	for _, s := range scopes {
		if s == "" || !quotable(s) || strings.ContainsRune(s, ' ') {
			panic("middleware: " + strings.ToValidUTF8(s, "?") + " is not a valid scope token")
		}
	}
	s := slices.Clone(scopes)
	return &ScopeError{Scopes: s, Any: any, scope: strings.Join(s, " ")}
}
