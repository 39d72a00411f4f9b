package echoguard

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
)

// New returns echo middleware that requires a valid bearer token, with the
// defaults of a zero [middleware.Config]. It panics if a is nil.
func New(a middleware.Authenticator) echo.MiddlewareFunc {
	return Middleware(middleware.NewGuard(a, middleware.Config{}))
}

// Middleware returns echo middleware for g: a request that
// [middleware.Guard.Check] refuses is answered by [middleware.Guard.Reject]
// and the chain ends with a nil error; the others continue with the claims on
// the request's context. It panics if g is nil.
func Middleware(g *middleware.Guard) echo.MiddlewareFunc {
	if g == nil {
		panic("echoguard: nil Guard")
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			claims, err := g.Check(r)
			if err != nil {
				g.Reject(c.Response(), r, err)
				return nil
			}
			c.SetRequest(r.WithContext(g.NewContext(r.Context(), claims)))
			return next(c)
		}
	}
}

// RequireScopes is [middleware.RequireScopes] for echo: it answers 401 when
// there are no claims and 403 insufficient_scope when they lack one of
// scopes. It panics like middleware.RequireScopes.
func RequireScopes(scopes ...string) echo.MiddlewareFunc {
	return Require(middleware.AllScopes(scopes...))
}

// RequireAnyScope is [middleware.RequireAnyScope] for echo: one of scopes
// suffices.
func RequireAnyScope(scopes ...string) echo.MiddlewareFunc {
	return Require(middleware.AnyScope(scopes...))
}

// Require is [middleware.Require] for echo: the request continues only if
// check accepts its claims. It panics if check is nil.
func Require(check func(*http.Request, *jwtverify.Claims) error) echo.MiddlewareFunc {
	if check == nil {
		panic("echoguard: Require with a nil check")
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if err := middleware.Authorize(r, check); err != nil {
				middleware.Reject(c.Response(), r, err)
				return nil
			}
			return next(c)
		}
	}
}

// Claims returns the claims that the middleware put on the request's
// context, and whether there are any (none on an excluded route, or with
// optional authentication when no token was sent).
func Claims(c echo.Context) (*jwtverify.Claims, bool) {
	return jwtverify.ClaimsFromContext(c.Request().Context())
}
