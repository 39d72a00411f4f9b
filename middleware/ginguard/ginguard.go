package ginguard

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
)

// New returns gin middleware that requires a valid bearer token, with the
// defaults of a zero [middleware.Config]. It panics if a is nil.
func New(a middleware.Authenticator) gin.HandlerFunc {
	return Middleware(middleware.NewGuard(a, middleware.Config{}))
}

// Middleware returns gin middleware for g: a request that [middleware.Guard.Check]
// refuses is answered by [middleware.Guard.Reject] and aborted; the others
// continue with the claims on c.Request's context. It panics if g is nil.
func Middleware(g *middleware.Guard) gin.HandlerFunc {
	if g == nil {
		panic("ginguard: nil Guard")
	}
	return func(c *gin.Context) {
		r := c.Request
		claims, err := g.Check(r)
		if err != nil {
			g.Reject(c.Writer, r, err)
			c.Abort()
			return
		}
		c.Request = r.WithContext(g.NewContext(r.Context(), claims))
		c.Next()
	}
}

// RequireScopes is [middleware.RequireScopes] for gin: it aborts with 401 when
// there are no claims and with 403 insufficient_scope when they lack one of
// scopes. It panics like middleware.RequireScopes.
func RequireScopes(scopes ...string) gin.HandlerFunc {
	return Require(middleware.AllScopes(scopes...))
}

// RequireAnyScope is [middleware.RequireAnyScope] for gin: one of scopes
// suffices.
func RequireAnyScope(scopes ...string) gin.HandlerFunc {
	return Require(middleware.AnyScope(scopes...))
}

// Require is [middleware.Require] for gin: the request continues only if
// check accepts its claims. It panics if check is nil.
func Require(check func(*http.Request, *jwtverify.Claims) error) gin.HandlerFunc {
	if check == nil {
		panic("ginguard: Require with a nil check")
	}
	return func(c *gin.Context) {
		if err := middleware.Authorize(c.Request, check); err != nil {
			middleware.Reject(c.Writer, c.Request, err)
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
