package echo5guard_test

import (
	"net/http"
	"testing"

	"github.com/labstack/echo/v5"

	"github.com/tokenguard/tokenguard/internal/conformance"
	"github.com/tokenguard/tokenguard/middleware/echo5guard"
)

// TestConformance runs the conformance table through the adapter on an
// echo v5 router, with a group per Guard.
func TestConformance(t *testing.T) {
	conformance.Run(t, func(rt *conformance.Routes) http.Handler {
		h := func(c *echo.Context) error {
			cl, ok := echo5guard.Claims(c)
			conformance.Reply(c.Response(), c.Request(), cl, ok)
			return nil
		}
		e := echo.New()
		api := e.Group("/api", echo5guard.Middleware(rt.API))
		api.GET("/me", h)
		api.GET("/healthz", h)
		api.GET("/orders", h, echo5guard.Require(rt.API, rt.Orders))
		api.GET("/admin", h, echo5guard.Require(rt.API, rt.Admin))
		api.GET("/alice", h, echo5guard.Require(rt.API, rt.Alice))
		api.GET("/mfa", h, echo5guard.Require(rt.API, rt.MFA))
		api.GET("/recent", h, echo5guard.Require(rt.API, rt.Recent))
		opt := e.Group("/opt", echo5guard.Middleware(rt.Optional))
		opt.GET("/me", h)
		opt.GET("/orders", h, echo5guard.Require(rt.Optional, rt.Orders))
		e.GET("/down/me", h, echo5guard.Middleware(rt.Down))
		dp := e.Group("/dpop", echo5guard.Middleware(rt.DPoP))
		dp.GET("/me", h)
		dp.GET("/orders", h, echo5guard.Require(rt.DPoP, rt.Orders))
		dp.GET("/mfa", h, echo5guard.Require(rt.DPoP, rt.MFA))
		e.GET("/nonce/me", h, echo5guard.Middleware(rt.Nonce))
		e.GET("/mtls/me", h, echo5guard.Middleware(rt.MTLS))
		for _, g := range rt.Published {
			e.GET(g.MetadataPath(), echo.WrapHandler(g.MetadataHandler()))
		}
		return e
	})
}
