// Package realworld holds tokenguard's tests against the shapes of tokens,
// JWK Sets, issuer metadata and introspection responses as mainstream
// authorization servers issue them: Microsoft Entra ID (v1 and v2 tokens),
// Auth0, Okta, Keycloak, Amazon Cognito, Google, Ory Hydra, node
// oidc-provider, Duende IdentityServer, Spring Authorization Server and
// ZITADEL. The package has no API; everything is in its _test.go files.
//
// Each shape is written from the vendor's public documentation (or, where
// the documentation shows none, from its source), cited beside its row.
// Tokens are really signed (with a jwttest issuer's key, published under the
// vendor's kid and JWK members), and every document is served over TLS at the
// vendor's own https URL by one in-process server: the tests' HTTP client
// dials that server for every host and trusts only its certificate, so
// discovery runs against the real issuer identifiers and no test leaves the
// machine.
//
// Each row states what the library does with its defaults (accepted, or
// refused with which error category) and, where the default refuses, which
// Config setting makes the token work, and asserts both, along with the
// typed claims a handler sees and the vendor claims Claims.Decode reads.
package realworld
