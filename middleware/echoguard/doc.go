// Package echoguard protects echo v4 (github.com/labstack/echo/v4) routes
// with OAuth 2.0 bearer tokens. It is a thin adapter over package
// middleware: token extraction, the decision, the route rules and the
// RFC 6750 answers all come from a [middleware.Guard], so an echo service
// answers exactly like a net/http one.
//
//	g, err := middleware.NewGuard(verifier, middleware.Config{})
//	if err != nil { ... }
//	e := echo.New()
//	e.GET("/healthz", health) // public
//	api := e.Group("/api", echoguard.Middleware(g)) // token required
//	api.GET("/me", me)
//	api.GET("/orders", orders, echoguard.Require(g, middleware.Scopes("orders:read")))
//
//	func me(c echo.Context) error {
//		claims, _ := echoguard.Claims(c) // or jwtverify.ClaimsFromContext(c.Request().Context())
//		return c.JSON(http.StatusOK, map[string]string{"sub": claims.Subject})
//	}
//
// Settings (realm, optional authentication, excluded paths, logging, hooks,
// a custom error format) go in the [middleware.Config] of the Guard. The
// rules of [Require] answer through the Guard they are given, the one in
// front of them. Refused requests are answered by the Guard and end the
// chain with a nil error, so echo's HTTPErrorHandler does not write a second
// answer. The claims live on the request's context.Context, like in every
// adapter; [Claims] reads them from the echo context.
package echoguard
