package echo5guard

import (
	"slices"

	"github.com/labstack/echo/v5"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
)

// Middleware returns echo middleware for g, which decides and answers with
// [middleware.Guard.Admit]: a request it refuses is answered and the chain
// ends with a nil error; the others continue with the claims, if any, on
// the request's context (and the response headers DPoP calls for). It
// panics if g is nil.
func Middleware(g *middleware.Guard) echo.MiddlewareFunc {
	if g == nil {
		panic("echo5guard: Middleware with a nil Guard")
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			r, ok := g.Admit(c.Response(), c.Request())
			if !ok {
				return nil
			}
			c.SetRequest(r)
			return next(c)
		}
	}
}

// Require is [middleware.Guard.Require] for echo: the request continues only
// if every one of rules accepts its claims ([middleware.Guard.Authorize]);
// otherwise g answers ([middleware.Guard.Reject]) and the chain ends with a
// nil error. Without claims it answers 401; with no rules it requires a
// token and nothing more. It panics if g or one of rules is nil.
//
//	api.GET("/orders", orders, echo5guard.Require(g, middleware.Scopes("orders:read")))
func Require(g *middleware.Guard, rules ...middleware.Rule) echo.MiddlewareFunc {
	if g == nil || slices.ContainsFunc(rules, func(r middleware.Rule) bool { return r == nil }) {
		panic("echo5guard: Require with a nil Guard or Rule")
	}
	rules = slices.Clone(rules)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			r := c.Request()
			if err := g.Authorize(r, rules...); err != nil {
				g.Reject(c.Response(), r, err)
				return nil
			}
			return next(c)
		}
	}
}

// Claims returns the claims that the middleware put on the request's
// context, and whether there are any (none on an excluded route, or with
// optional authentication when no token was sent).
func Claims(c *echo.Context) (*jwtverify.Claims, bool) {
	return jwtverify.ClaimsFromContext(c.Request().Context())
}
