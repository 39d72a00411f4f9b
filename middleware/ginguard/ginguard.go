package ginguard

import (
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
)

// Middleware returns gin middleware for g, which decides and answers with
// [middleware.Guard.Admit]: a request it refuses is answered and aborted;
// the others continue with the claims, if any, on c.Request's context (and
// the response headers DPoP calls for). It panics if g is nil.
func Middleware(g *middleware.Guard) gin.HandlerFunc {
	if g == nil {
		panic("ginguard: Middleware with a nil Guard")
	}
	return func(c *gin.Context) {
		r, ok := g.Admit(c.Writer, c.Request)
		if !ok {
			c.Abort()
			return
		}
		c.Request = r
		c.Next()
	}
}

// Require is [middleware.Guard.Require] for gin: the request continues only
// if every one of rules accepts its claims ([middleware.Guard.Authorize]);
// otherwise g answers ([middleware.Guard.Reject]) and the request is aborted.
// Without claims it answers 401; with no rules it requires a token and
// nothing more. It panics if g or one of rules is nil.
//
//	api.GET("/orders", ginguard.Require(g, middleware.Scopes("orders:read")), orders)
func Require(g *middleware.Guard, rules ...middleware.Rule) gin.HandlerFunc {
	if g == nil || slices.ContainsFunc(rules, func(r middleware.Rule) bool { return r == nil }) {
		panic("ginguard: Require with a nil Guard or Rule")
	}
	rules = slices.Clone(rules)
	return func(c *gin.Context) {
		if err := g.Authorize(c.Request, rules...); err != nil {
			g.Reject(c.Writer, c.Request, err)
			c.Abort()
			return
		}
		c.Next()
	}
}

// Claims returns the claims that the middleware put on c.Request's context,
// and whether there are any (none on an excluded route, or with optional
// authentication when no token was sent).
func Claims(c *gin.Context) (*jwtverify.Claims, bool) {
	return jwtverify.ClaimsFromContext(c.Request.Context())
}
