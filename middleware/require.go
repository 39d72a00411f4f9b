package middleware

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/tokenguard/tokenguard/jwtverify"
)

// Rule is a route's own authorization check, run on a request and the
// verified claims its Guard put on the request context; c is never nil. It
// returns nil to let the request through. An error that matches a category
// ([ErrInsufficientScope], [ErrInsufficientUserAuthentication],
// [ErrForbidden], [ErrInvalidRequest],
// [jwtverify.ErrInvalidToken], [jwtverify.ErrUnavailable], ...) is answered
// as such; any other error is answered 403 insufficient_scope, as
// [ErrForbidden] (the error then matches both). The error's text never
// reaches the client. A Rule must be safe for concurrent use.
//
// [Scopes], [AnyScope], [ACR] and [MaxAge] return the common rules; a Rule of your own can
// check anything the claims and the request hold:
//
//	sameTenant := func(r *http.Request, c *jwtverify.Claims) error {
//		var t struct{ Tenant string `json:"tid"` }
//		if err := c.Decode(&t); err != nil || t.Tenant != r.PathValue("tenant") {
//			return errors.New("token of another tenant")
//		}
//		return nil
//	}
//	mux.Handle("GET /t/{tenant}/orders", g.Require(sameTenant)(orders))
type Rule func(r *http.Request, c *jwtverify.Claims) error

// Require returns middleware for the routes behind g that lets a request
// through only if every one of rules accepts it, in order; the first refusal
// is answered by [Guard.Reject]. Without claims on the request context (no
// Guard ran, an excluded request, or [Config.Optional] and no token sent) it
// answers 401 with g's challenge and runs no rule. With no rules at all, it
// requires a token and nothing more: the way to demand one on chosen routes
// of an optional Guard. It panics if one of rules is nil, or if the
// returned middleware is given a nil handler.
//
//	mux.Handle("GET /orders", g.Require(middleware.Scopes("orders:read"))(orders))
func (g *Guard) Require(rules ...Rule) func(http.Handler) http.Handler {
	rules = checkRules(rules)
	return func(next http.Handler) http.Handler {
		if next == nil {
			panic("middleware: Guard.Require with a nil next handler")
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := g.Authorize(r, rules...); err != nil {
				g.Reject(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// checkRules returns a copy of rules, so that the caller's slice may change
// later, and panics if one is nil.
func checkRules(rules []Rule) []Rule {
	for _, rule := range rules {
		if rule == nil {
			panic("middleware: Guard.Require with a nil Rule")
		}
	}
	return slices.Clone(rules)
}

// Authorize is the decision of [Guard.Require] without the answer: it
// returns nil if the claims on r's context satisfy every one of rules, or
// the error to pass to [Guard.Reject]: [ErrNoToken] when r's context
// carries no claims (no rule runs then), the first refusing rule's error
// when it matches a category, or that error wrapped to match [ErrForbidden]
// too. It writes nothing. The adapters' Require functions call it and then
// Reject. A nil rule panics.
func (g *Guard) Authorize(r *http.Request, rules ...Rule) error {
	c, ok := jwtverify.ClaimsFromContext(r.Context())
	if !ok {
		return ErrNoToken
	}
	for _, rule := range rules {
		err := rule(r, c)
		if err == nil {
			continue
		}
		if categorized(err) {
			return err
		}
		return &forbiddenError{Err: err}
	}
	return nil
}

func categorized(err error) bool {
	for _, c := range [...]error{ErrNoToken, ErrInvalidRequest, ErrInsufficientScope, ErrForbidden, ErrInsufficientUserAuthentication,
		jwtverify.ErrInvalidToken, jwtverify.ErrUnavailable} {
		if errors.Is(err, c) {
			return true
		}
	}
	return false
}

// Scopes returns a [Rule] that accepts claims granting every one of scopes
// and refuses the others with a [*ScopeError], which a Guard answers 403
// insufficient_scope with scope="<scopes>".
//
// Scopes panics if scopes is empty or holds a string that is not an
// RFC 6749 scope token (non-empty printable ASCII without space, '"' or
// '\'): the scopes of a route are literals in the program, and a bad one is
// a programming error, like an invalid pattern given to
// [http.ServeMux.Handle].
func Scopes(scopes ...string) Rule {
	e := newScopeError(scopes, false)
	return func(_ *http.Request, c *jwtverify.Claims) error {
		if c.HasAllScopes(e.Scopes...) {
			return nil
		}
		return e
	}
}

// AnyScope is like [Scopes], but one of scopes suffices. The scope
// parameter of its 403 challenge lists them all, since RFC 6750 has no way
// to say "one of". It panics like Scopes.
func AnyScope(scopes ...string) Rule {
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
			panic(fmt.Sprintf("middleware: %q is not a valid scope token", s))
		}
	}
	s := slices.Clone(scopes)
	return &ScopeError{Scopes: s, Any: any, scope: strings.Join(s, " ")}
}
