package pathtest

import (
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/tokenguard/tokenguard/internal/conformance"
	"github.com/tokenguard/tokenguard/jwtverify"
)

// TestConformanceChi runs the conformance table through the net/http
// middleware on a chi router. chi has no adapter (its middleware is
// net/http's), so its run lives here, where importing chi is allowed; the
// net/http, gin, echo v4 and echo v5 runs live in the tests of middleware
// and of each adapter.
func TestConformanceChi(t *testing.T) {
	conformance.Run(t, func(rt *conformance.Routes) http.Handler {
		h := func(w http.ResponseWriter, r *http.Request) {
			c, ok := jwtverify.ClaimsFromContext(r.Context())
			conformance.Reply(w, r, c, ok)
		}
		r := chi.NewRouter()
		r.Route("/api", func(r chi.Router) {
			r.Use(rt.API.Handler)
			r.Get("/me", h)
			r.Get("/healthz", h)
			r.With(rt.API.Require(rt.Orders)).Get("/orders", h)
			r.With(rt.API.Require(rt.Admin)).Get("/admin", h)
			r.With(rt.API.Require(rt.Alice)).Get("/alice", h)
			r.With(rt.API.Require(rt.MFA)).Get("/mfa", h)
			r.With(rt.API.Require(rt.Recent)).Get("/recent", h)
		})
		r.Route("/opt", func(r chi.Router) {
			r.Use(rt.Optional.Handler)
			r.Get("/me", h)
			r.With(rt.Optional.Require(rt.Orders)).Get("/orders", h)
		})
		r.With(rt.Down.Handler).Get("/down/me", h)
		r.Route("/dpop", func(r chi.Router) {
			r.Use(rt.DPoP.Handler)
			r.Get("/me", h)
			r.With(rt.DPoP.Require(rt.Orders)).Get("/orders", h)
			r.With(rt.DPoP.Require(rt.MFA)).Get("/mfa", h)
		})
		r.With(rt.Nonce.Handler).Get("/nonce/me", h)
		r.With(rt.MTLS.Handler).Get("/mtls/me", h)
		for _, g := range rt.Published {
			r.Method(http.MethodGet, g.MetadataPath(), g.MetadataHandler())
		}
		return r
	})
}
