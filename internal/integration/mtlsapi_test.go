package integration

import (
	"crypto/tls"
	"net/http"
	"testing"

	"github.com/tokenguard/tokenguard/middleware"
)

// certificateTokenKinds are the certificate-bound tokens oidc-provider
// issues: a JWT and an opaque token (whose introspection answer carries
// the cnf).
var certificateTokenKinds = []struct{ name, resource string }{
	{"JWT", resES256},
	{"opaque", resOpaque},
}

// TestCertificateBoundResourceServer presents certificate-bound tokens from
// oidc-provider (RFC 8705 section 3) to a resource server over mutual TLS:
// with the default Config (the binding checked whenever a token has
// cnf.x5t#S256), the token is admitted over a connection presenting its
// certificate and the handler sees the thumbprint; over one presenting
// another certificate of the same CA, or none, it is refused as
// invalid_token; a plain bearer token passes with or without a
// certificate. With RequireCertificateBinding, a token bound to nothing is
// refused; with InsecureSkipCertificateBinding, the binding is not
// checked.
func TestCertificateBoundResourceServer(t *testing.T) {
	srv := sharedServer(t)
	srv.logOnFailure(t)
	t.Parallel()
	optional := newResourceServer(t, srv, middleware.Config{})
	required := newResourceServer(t, srv, middleware.Config{RequireCertificateBinding: true})
	skipped := newResourceServer(t, srv, middleware.Config{InsecureSkipCertificateBinding: true})
	invalidToken := refusal{Status: http.StatusUnauthorized, Scheme: "bearer", Code: "invalid_token", Schemes: bearerOnly}

	for _, kind := range certificateTokenKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			token, cert := srv.certificateBoundToken(t, kind.resource, readScope)
			other := srv.clientCertificate(t, mtlsClientID) // same client, same CA, another key
			auth := "Bearer " + token
			bound := boundAnswer{CertificateThumbprint: certificateThumbprint(cert)}
			plain := "Bearer " + srv.token(t, kind.resource, readScope)

			for _, tc := range []struct {
				name   string
				api    *resourceServer
				auth   string
				cert   *tls.Certificate
				client string       // for 200: the client_id the handler sees
				want   *boundAnswer // nil: refused
			}{
				{"its certificate", optional, auth, &cert, mtlsClientID, &bound},
				{"another certificate", optional, auth, &other, "", nil},
				{"no certificate", optional, auth, nil, "", nil},
				{"plain token with a certificate", optional, plain, &other, apiClientID, &boundAnswer{}},
				{"plain token without a certificate", optional, plain, nil, apiClientID, &boundAnswer{}},

				{"required: its certificate", required, auth, &cert, mtlsClientID, &bound},
				{"required: another certificate", required, auth, &other, "", nil},
				{"required: plain token with a certificate", required, plain, &cert, "", nil},
				{"required: plain token without a certificate", required, plain, nil, "", nil},

				{"skipped: another certificate", skipped, auth, &other, mtlsClientID, &bound},
				{"skipped: no certificate", skipped, auth, nil, mtlsClientID, &bound},
			} {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					resp := tc.api.do(t, apiRequest{Authorization: tc.auth, Cert: tc.cert})
					if tc.want == nil {
						resp.refused(t, invalidToken)
						return
					}
					resp.accepted(t, tc.client, *tc.want)
				})
			}
		})
	}
}
