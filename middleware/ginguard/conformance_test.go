package ginguard_test

import (
	"net/http"
	"os"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/tokenguard/tokenguard/internal/conformance"
	"github.com/tokenguard/tokenguard/middleware/ginguard"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode) // once, before any engine exists
	os.Exit(m.Run())
}

// TestConformance runs the conformance table through the adapter on a gin
// engine, with a route group per Guard.
func TestConformance(t *testing.T) {
	conformance.Run(t, func(rt *conformance.Routes) http.Handler {
		h := func(c *gin.Context) {
			cl, ok := ginguard.Claims(c)
			conformance.Reply(c.Writer, c.Request, cl, ok)
		}
		r := gin.New()
		api := r.Group("/api", ginguard.Middleware(rt.API))
		api.GET("/me", h)
		api.GET("/healthz", h)
		api.GET("/orders", ginguard.Require(rt.API, rt.Orders), h)
		api.GET("/admin", ginguard.Require(rt.API, rt.Admin), h)
		api.GET("/alice", ginguard.Require(rt.API, rt.Alice), h)
		api.GET("/mfa", ginguard.Require(rt.API, rt.MFA), h)
		api.GET("/recent", ginguard.Require(rt.API, rt.Recent), h)
		opt := r.Group("/opt", ginguard.Middleware(rt.Optional))
		opt.GET("/me", h)
		opt.GET("/orders", ginguard.Require(rt.Optional, rt.Orders), h)
		r.GET("/down/me", ginguard.Middleware(rt.Down), h)
		dp := r.Group("/dpop", ginguard.Middleware(rt.DPoP))
		dp.GET("/me", h)
		dp.GET("/orders", ginguard.Require(rt.DPoP, rt.Orders), h)
		dp.GET("/mfa", ginguard.Require(rt.DPoP, rt.MFA), h)
		r.GET("/nonce/me", ginguard.Middleware(rt.Nonce), h)
		r.GET("/mtls/me", ginguard.Middleware(rt.MTLS), h)
		for _, g := range rt.Published {
			r.GET(g.MetadataPath(), gin.WrapH(g.MetadataHandler()))
		}
		return r
	})
}
