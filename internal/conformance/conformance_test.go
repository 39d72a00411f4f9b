package conformance

import (
	"net/http"
	"testing"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/middleware"
)

// handler is the handler of every route, reading the claims as net/http
// does.
var handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	c, ok := jwtverify.ClaimsFromContext(r.Context())
	Reply(w, r, c, ok)
})

// guardFunc is the form of a Guard's middleware that a mount uses.
type guardFunc func(g *middleware.Guard) func(http.Handler) http.Handler

// mountNetHTTP mounts the Routes on ServeMuxes, with guard as the Guard's
// middleware and rule as the rules' Guard for the /opt/orders route.
func mountNetHTTP(guard guardFunc, optRule func(rt *Routes) *middleware.Guard) func(rt *Routes) http.Handler {
	return mountMetadata(guard, optRule, func(rt *Routes) []*middleware.Guard { return rt.Published })
}

// mountMetadata is mountNetHTTP, serving the metadata of the Guards that
// published returns.
func mountMetadata(guard guardFunc, optRule func(rt *Routes) *middleware.Guard, published func(rt *Routes) []*middleware.Guard) func(rt *Routes) http.Handler {
	return func(rt *Routes) http.Handler {
		api := http.NewServeMux()
		api.Handle("GET /api/me", handler)
		api.Handle("GET /api/healthz", handler)
		api.Handle("GET /api/orders", rt.API.Require(rt.Orders)(handler))
		api.Handle("GET /api/admin", rt.API.Require(rt.Admin)(handler))
		api.Handle("GET /api/alice", rt.API.Require(rt.Alice)(handler))
		api.Handle("GET /api/mfa", rt.API.Require(rt.MFA)(handler))
		api.Handle("GET /api/recent", rt.API.Require(rt.Recent)(handler))
		opt := http.NewServeMux()
		opt.Handle("GET /opt/me", handler)
		opt.Handle("GET /opt/orders", optRule(rt).Require(rt.Orders)(handler))
		mux := http.NewServeMux()
		mux.Handle("/api/", guard(rt.API)(api))
		mux.Handle("/opt/", guard(rt.Optional)(opt))
		mux.Handle("GET /down/me", guard(rt.Down)(handler))
		dp := http.NewServeMux()
		dp.Handle("GET /dpop/me", handler)
		dp.Handle("GET /dpop/orders", rt.DPoP.Require(rt.Orders)(handler))
		dp.Handle("GET /dpop/mfa", rt.DPoP.Require(rt.MFA)(handler))
		mux.Handle("/dpop/", guard(rt.DPoP)(dp))
		mux.Handle("GET /nonce/me", guard(rt.Nonce)(handler))
		mux.Handle("GET /mtls/me", guard(rt.MTLS)(handler))
		for _, g := range published(rt) {
			mux.Handle("GET "+g.MetadataPath(), g.MetadataHandler())
		}
		return mux
	}
}

func right(g *middleware.Guard) func(http.Handler) http.Handler { return g.Handler }
func optional(rt *Routes) *middleware.Guard                     { return rt.Optional }

// TestKitCatches runs the table over a right mount, where it must find
// nothing, and over broken ones, where it must find the breakage in the
// cases that exercise it.
func TestKitCatches(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mount func(rt *Routes) http.Handler
		// failing are the cases that must report a problem; every
		// other case must pass.
		failing []string
	}{
		{"right", mountNetHTTP(right, optional), nil},
		{"rule answering through another Guard", mountNetHTTP(right, func(rt *Routes) *middleware.Guard { return rt.API }),
			[]string{"optional: scoped route without token", "optional: scoped route without the scope"}},
		{"claims not passed on", mountNetHTTP(func(g *middleware.Guard) func(http.Handler) http.Handler {
			return func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if _, err := g.Check(r); err != nil {
						g.Reject(w, r, err)
						return
					}
					next.ServeHTTP(w, r)
				})
			}
		}, optional), []string{
			// served without claims, or refused by a rule for want of them
			"bearer lower case", "BEARER upper case", "several spaces (1*SP)", "valid token",
			"scope granted", "missing scope", "one of the scopes", "none of the scopes",
			"custom rule passes", "custom rule refuses", "optional: valid token",
			"optional: scoped route with the scope", "optional: scoped route without the scope",
			"dpop: valid proof", "dpop: scheme in lower case", "dpop: CORS request", "dpop: unbound Bearer token",
			"dpop: missing scope", "dpop: opaque bound token", "nonce: retry with the nonce",
			"nonce: nonce of the previous step", "certificate-bound token, its certificate",
			"unbound token with a certificate", "certificate binding required: bound token",
			"step-up: strong login", "step-up: weak login", "step-up: no acr", "step-up: recent login",
			"step-up: old login", "step-up: no auth_time", "dpop: step-up, strong login", "dpop: step-up, no acr",
			"dpop: step-up, Bearer token without acr",
		}},
		{"metadata of one Guard not served", mountMetadata(right, optional, func(rt *Routes) []*middleware.Guard {
			return []*middleware.Guard{rt.API, rt.Nonce, rt.MTLS}
		}), []string{"metadata: from a 401 with two challenges"}},
		{"metadata behind its Guard", func(rt *Routes) http.Handler {
			mux := mountMetadata(right, optional, func(*Routes) []*middleware.Guard { return nil })(rt).(*http.ServeMux)
			for _, g := range rt.Published { // the Guard lets its metadata path through
				mux.Handle("GET "+g.MetadataPath(), g.Handler(g.MetadataHandler()))
			}
			return mux
		}, nil},
		{"Check and Reject in place of Admit", mountNetHTTP(func(g *middleware.Guard) func(http.Handler) http.Handler {
			return func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					c, err := g.Check(r)
					if err != nil {
						g.Reject(w, r, err)
						return
					}
					if c != nil {
						r = r.WithContext(jwtverify.ContextWithClaims(r.Context(), c))
					}
					next.ServeHTTP(w, r)
				})
			}
		}, optional), []string{
			// the fresh nonce that only Admit sends
			"nonce: nonce of the previous step",
		}},
		{"refusals written by hand", mountNetHTTP(func(g *middleware.Guard) func(http.Handler) http.Handler {
			return func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					c, err := g.Check(r)
					if err != nil {
						http.Error(w, "refused", http.StatusUnauthorized)
						return
					}
					if c != nil {
						r = r.WithContext(jwtverify.ContextWithClaims(r.Context(), c))
					}
					next.ServeHTTP(w, r)
				})
			}
		}, optional), []string{
			// every refusal by the Guard itself
			"no header", "two Authorization headers", "Basic scheme", "tab instead of space",
			"space inside the token", "Bearer without token", "token outside b64token syntax",
			"token in query when disabled", "token over 16 KiB", "expired token", "wrong audience",
			"tampered payload", "excluded route, encoded", "optional: expired token",
			"optional: Basic scheme", "key source down",
			"dpop: replayed proof", "dpop: proof for another URL", "dpop: proof for another method",
			"dpop: proof for another token", "dpop: proof by another key", "dpop: two DPoP headers",
			"dpop: token without proof", "dpop: proof without token", "dpop: proof with a Bearer token",
			"dpop: both schemes at once", "dpop: bound token as Bearer", "dpop: unbound token as DPoP",
			"dpop: no token", "dpop: expired token with proof", "dpop: opaque bound token as Bearer",
			"dpop: opaque token, proof by another key", "dpop: opaque token, replayed proof",
			"dpop off: DPoP scheme", "dpop off: bound token as Bearer", "unsupported confirmation method",
			"dpop required: Bearer token", "nonce: proof without nonce", "nonce: CORS proof without nonce",
			"nonce: expired nonce", "nonce: forged nonce",
			"certificate-bound token, another certificate", "certificate-bound token, no certificate",
			"certificate binding required: bearer token", "step-up: expired token is invalid_token first",
			// no challenge to follow to the metadata
			"metadata: from a 401 of a Bearer route", "metadata: from a 401 of a route under the resource",
			"metadata: from a 401 with two challenges", "metadata: DPoP required", "metadata: certificate binding required",
			// the nonce of the first request never comes
			"nonce: retry with the nonce", "nonce: nonce of the previous step",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, tc.mount)
			fail := map[string]bool{}
			for _, name := range tc.failing {
				fail[name] = true
			}
			for _, c := range h.cases() {
				p := h.check(t.Context(), c)
				if fail[c.name] && len(p) == 0 {
					t.Errorf("case %q: the kit found nothing wrong", c.name)
				}
				if !fail[c.name] && len(p) != 0 {
					t.Errorf("case %q: the kit found %q", c.name, p)
				}
				delete(fail, c.name)
			}
			for name := range fail {
				t.Errorf("no case %q in the table", name)
			}
		})
	}
}
