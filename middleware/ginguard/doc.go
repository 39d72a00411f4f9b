// Package ginguard protects gin routes with OAuth 2.0 bearer tokens. It is a
// thin adapter over package middleware: token extraction, the decision, the
// scope rules and the RFC 6750 answers all come from there, so a gin service
// answers exactly like a net/http one.
//
//	r := gin.New()
//	r.GET("/healthz", health)                       // public
//	api := r.Group("/api", ginguard.New(verifier))  // token required
//	api.GET("/me", me)
//	api.GET("/orders", ginguard.RequireScopes("orders:read"), orders)
//
//	func me(c *gin.Context) {
//		claims, _ := ginguard.Claims(c) // or jwtverify.ClaimsFromContext(c.Request.Context())
//		c.JSON(http.StatusOK, gin.H{"sub": claims.Subject})
//	}
//
// For settings (realm, optional authentication, exclusions, logging, hooks,
// a custom error format) build a [middleware.Guard] and pass it to
// [Middleware]. The claims live on the request's context.Context, like in
// every adapter; [Claims] reads them from a *gin.Context.
package ginguard
