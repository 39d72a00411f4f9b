// Package integration holds tokenguard's end-to-end tests against a real
// authorization server that nobody here wrote: the npm package
// oidc-provider, pinned in authserver/package.json and configured by
// authserver/server.mjs. The package has no API; everything is in its
// _test.go files.
//
// Besides Bearer tokens, the server issues sender-constrained tokens:
// DPoP-bound ones (RFC 9449) to a client that sends a DPoP proof to its
// token endpoint, and certificate-bound ones (RFC 8705) to a client whose
// tokens are bound to the certificate it presents on the server's second,
// HTTPS listener (named by mtls_endpoint_aliases in its metadata). The
// certificates of that set-up (a CA, the listener's certificate, client
// certificates) are generated when the tests run; no private key is
// committed. bound_test.go is the harness that gets such tokens;
// resource_test.go is the resource server they are presented to (a Guard
// over jwtverify and introspection, served over TLS asking for client
// certificates), and dpopapi_test.go and mtlsapi_test.go present them, with
// real proofs and real certificates, and check each answer.
//
// The tests start and stop the server themselves (node must be on PATH).
// Run them with
//
//	npm ci --prefix internal/integration/authserver --no-audit --no-fund &&
//		TOKENGUARD_INTEGRATION=1 go test -race -count=1 ./internal/integration/
//
// Without TOKENGUARD_INTEGRATION=1 they are skipped. With CI=true they are
// required: a missing node, a missing npm install or a server that does not
// start fails them instead of skipping them.
//
// Environment read by the tests:
//
//	TOKENGUARD_INTEGRATION=1   run the tests
//	CI=true                    run the tests, and fail rather than skip
//	TOKENGUARD_AS_PIDDIR=dir   write a <pid>.pid file there for each server
//	                           running, so that a CI script can stop leftovers
package integration
