package middleware_test

import (
	"net/http"
	"testing"

	"github.com/tokenguard/tokenguard/internal/conformance"
	"github.com/tokenguard/tokenguard/jwtverify"
)

// TestConformance runs the conformance table through the net/http
// middleware on ServeMuxes: one per Guard, nested in a top-level one.
func TestConformance(t *testing.T) {
	conformance.Run(t, func(rt *conformance.Routes) http.Handler {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, ok := jwtverify.ClaimsFromContext(r.Context())
			conformance.Reply(w, r, c, ok)
		})
		api := http.NewServeMux()
		api.Handle("GET /api/me", h)
		api.Handle("GET /api/healthz", h)
		api.Handle("GET /api/orders", rt.API.Require(rt.Orders)(h))
		api.Handle("GET /api/admin", rt.API.Require(rt.Admin)(h))
		api.Handle("GET /api/alice", rt.API.Require(rt.Alice)(h))
		api.Handle("GET /api/mfa", rt.API.Require(rt.MFA)(h))
		api.Handle("GET /api/recent", rt.API.Require(rt.Recent)(h))
		opt := http.NewServeMux()
		opt.Handle("GET /opt/me", h)
		opt.Handle("GET /opt/orders", rt.Optional.Require(rt.Orders)(h))
		mux := http.NewServeMux()
		mux.Handle("/api/", rt.API.Handler(api))
		mux.Handle("/opt/", rt.Optional.Handler(opt))
		mux.Handle("GET /down/me", rt.Down.Handler(h))
		dp := http.NewServeMux()
		dp.Handle("GET /dpop/me", h)
		dp.Handle("GET /dpop/orders", rt.DPoP.Require(rt.Orders)(h))
		dp.Handle("GET /dpop/mfa", rt.DPoP.Require(rt.MFA)(h))
		mux.Handle("/dpop/", rt.DPoP.Handler(dp))
		mux.Handle("GET /nonce/me", rt.Nonce.Handler(h))
		mux.Handle("GET /mtls/me", rt.MTLS.Handler(h))
		for _, g := range rt.Published {
			mux.Handle("GET "+g.MetadataPath(), g.MetadataHandler())
		}
		return mux
	})
}
