// Package ginguard protects gin routes with OAuth 2.0 bearer tokens. It is a
// thin adapter over package middleware: token extraction, the decision, the
// route rules and the RFC 6750 answers all come from a [middleware.Guard],
// so a gin service answers exactly like a net/http one.
//
//	g, err := middleware.NewGuard(verifier, middleware.Config{})
//	if err != nil { ... }
//	r := gin.New()
//	r.GET("/healthz", health) // public
//	api := r.Group("/api", ginguard.Middleware(g)) // token required
//	api.GET("/me", me)
//	api.GET("/orders", ginguard.Require(g, middleware.Scopes("orders:read")), orders)
//
//	func me(c *gin.Context) {
//		claims, _ := ginguard.Claims(c) // or jwtverify.ClaimsFromContext(c.Request.Context())
//		c.JSON(http.StatusOK, gin.H{"sub": claims.Subject})
//	}
//
// Settings (realm, optional authentication, excluded paths, logging, hooks,
// a custom error format) go in the [middleware.Config] of the Guard. The
// rules of [Require] answer through the Guard they are given, the one in
// front of them. The claims live on the request's context.Context, like in
// every adapter; [Claims] reads them from a *gin.Context.
package ginguard
