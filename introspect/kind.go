package introspect

import "github.com/tokenguard/tokenguard/internal/jose"

// Only access tokens are accepted. An introspection response may say which
// kind of token it describes in three members; each, when present, must name
// an access token, compared without regard to ASCII case. Any other value is
// refused (reject by default); an absent member says nothing and passes.
//
//   - token_type (RFC 7662 §2.2) is an access token type of RFC 6749 §7.1:
//     Bearer (RFC 6750) or DPoP (RFC 9449). oidc-provider, Okta, ZITADEL and
//     Keycloak send Bearer, Ory Hydra bearer. Duende IdentityServer and
//     Stytch send the token type hint access_token instead (and
//     refresh_token for a refresh token), so access_token passes too.
//     oidc-provider and Hydra send no token_type for a refresh token;
//     Keycloak sends Refresh or Offline.
//   - token_use is Ory Hydra's: access_token, or refresh_token for a
//     refresh token (whose aud is that of the access tokens of the same
//     grant, so the audience check does not catch it). access (Amazon
//     Cognito's word) passes too.
//   - typ is Keycloak's, which sends the claims of its own token: Bearer
//     or DPoP, and Refresh, Offline or ID for other tokens. Keycloak
//     versions that send no token_type mark the kind only there.
var kindMembers = [...]kindMember{
	{name: "token_type", values: []string{"bearer", "dpop", "access_token"}, accepted: "Bearer, DPoP or access_token, in any case, or no token_type"},
	{name: "token_use", values: []string{"access_token", "access"}, accepted: "access_token or access, in any case, or no token_use"},
	{name: "typ", values: []string{"bearer", "dpop"}, accepted: "Bearer or DPoP, in any case, or no typ"},
}

// kindMember is a member of an introspection response that says which kind
// of token the response describes.
type kindMember struct {
	name     string
	values   []string // the values naming an access token, in lower case
	accepted string   // values, for people
}

// check returns an error when raw, the JSON value of m, does not name an
// access token.
func (m *kindMember) check(raw []byte) *kindError {
	s, ok := jose.String(raw)
	if !ok {
		return &kindError{member: m, notString: true}
	}
	for _, v := range m.values {
		if asciiEqualFold(s, v) {
			return nil
		}
	}
	return &kindError{member: m, got: string(s)}
}

// asciiEqualFold reports whether b equals the lower-case ASCII string lower
// without regard to ASCII case (and only ASCII: "ſ" is no "s" here).
func asciiEqualFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
