package echoguard_test

import (
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/tokenguard/tokenguard/internal/conformance"
	"github.com/tokenguard/tokenguard/middleware/echoguard"
)

// TestConformance runs the conformance table through the adapter on an
// echo v4 router, with a group per Guard.
func TestConformance(t *testing.T) {
	conformance.Run(t, func(rt *conformance.Routes) http.Handler {
		h := func(c echo.Context) error {
			cl, ok := echoguard.Claims(c)
			conformance.Reply(c.Response(), c.Request(), cl, ok)
			return nil
		}
		e := echo.New()
		api := e.Group("/api", echoguard.Middleware(rt.API))
		api.GET("/me", h)
		api.GET("/healthz", h)
		api.GET("/orders", h, echoguard.Require(rt.API, rt.Orders))
		api.GET("/admin", h, echoguard.Require(rt.API, rt.Admin))
		api.GET("/alice", h, echoguard.Require(rt.API, rt.Alice))
		api.GET("/mfa", h, echoguard.Require(rt.API, rt.MFA))
		api.GET("/recent", h, echoguard.Require(rt.API, rt.Recent))
		opt := e.Group("/opt", echoguard.Middleware(rt.Optional))
		opt.GET("/me", h)
		opt.GET("/orders", h, echoguard.Require(rt.Optional, rt.Orders))
		e.GET("/down/me", h, echoguard.Middleware(rt.Down))
		dp := e.Group("/dpop", echoguard.Middleware(rt.DPoP))
		dp.GET("/me", h)
		dp.GET("/orders", h, echoguard.Require(rt.DPoP, rt.Orders))
		dp.GET("/mfa", h, echoguard.Require(rt.DPoP, rt.MFA))
		e.GET("/nonce/me", h, echoguard.Middleware(rt.Nonce))
		e.GET("/mtls/me", h, echoguard.Middleware(rt.MTLS))
		for _, g := range rt.Published {
			e.GET(g.MetadataPath(), echo.WrapHandler(g.MetadataHandler()))
		}
		return e
	})
}
