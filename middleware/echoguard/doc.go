// Package echoguard protects echo v4 (github.com/labstack/echo/v4) routes with OAuth
// 2.0 bearer tokens. It is a thin adapter over package middleware: token
// extraction, the decision, the scope rules and the RFC 6750 answers all come
// from there, so an echo service answers exactly like a net/http one.
//
//	e := echo.New()
//	e.GET("/healthz", health)                            // public
//	api := e.Group("/api", echoguard.New(verifier))  // token required
//	api.GET("/me", me)
//	api.GET("/orders", orders, echoguard.RequireScopes("orders:read"))
//
//	func me(c echo.Context) error {
//		claims, _ := echoguard.Claims(c) // or jwtverify.ClaimsFromContext(c.Request().Context())
//		return c.JSON(http.StatusOK, map[string]string{"sub": claims.Subject})
//	}
//
// For settings (realm, optional authentication, exclusions, logging, hooks,
// a custom error format) build a [middleware.Guard] and pass it to
// [Middleware]. Refused requests are answered by the Guard and end the chain
// with a nil error, so echo's HTTPErrorHandler does not write a second answer.
// The claims live on the request's context.Context, like in every adapter;
// [Claims] reads them from the echo context.
package echoguard
