package introspect

import "github.com/tokenguard/tokenguard/internal/jose"

// Only access tokens are accepted: an introspection response may say which
// kind of token it describes in token_type, token_use (Ory Hydra) or typ
// (Keycloak), and each, when present, must name an access token. The rule,
// and which server sends what, is shared with jwtverify, which applies it to
// the same claims in JWTs: see jose.KindClaim.

// checkKind returns an error when raw, the JSON value of the kind claim k,
// does not name an access token.
func checkKind(k *jose.KindClaim, raw []byte) *kindError {
	got, isString, ok := k.Check(raw)
	if ok {
		return nil
	}
	return &kindError{member: k, got: got, notString: !isString}
}
