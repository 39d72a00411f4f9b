package jose

// KindClaim is a claim of a JWT, or a member of an introspection response,
// that says which kind of token it belongs to. Only access tokens are
// accepted: when present, it must name an access token, compared without
// regard to ASCII case (and only ASCII: "ſ" is no "s" here); any other value
// is refused (reject by default). An absent claim says nothing and passes.
type KindClaim struct {
	// Name is the claim's name.
	Name string
	// Accepted lists the accepted values, for error messages.
	Accepted string

	values []string // the values naming an access token, in lower case
}

// kindClaims are the claims and members that name a token's kind:
//
//   - token_type (RFC 7662 §2.2) is an access token type of RFC 6749 §7.1:
//     Bearer (RFC 6750) or DPoP (RFC 9449). oidc-provider, Okta, ZITADEL and
//     Keycloak send Bearer, Ory Hydra bearer. Duende IdentityServer and
//     Stytch send the token type hint access_token instead (and
//     refresh_token for a refresh token), and JWTs of djangorestframework-
//     simplejwt carry access (or refresh). oidc-provider and Hydra send no
//     token_type for a refresh token; Keycloak sends Refresh or Offline.
//   - token_use is Ory Hydra's introspection member (access_token, or
//     refresh_token for a refresh token, whose aud is that of the access
//     tokens of the same grant, so the audience check does not catch it) and
//     Amazon Cognito's JWT claim (access, or id for an ID token, whose aud
//     is the app client's ID).
//   - typ is Keycloak's claim, in its JWTs and its introspection answers:
//     Bearer or DPoP, and Refresh, Offline or ID for other tokens.
var kindClaims = [...]KindClaim{
	{Name: "token_type", values: []string{"bearer", "dpop", "access_token", "access"}, Accepted: "Bearer, DPoP, access_token or access, in any case, or no token_type"},
	{Name: "token_use", values: []string{"access_token", "access"}, Accepted: "access_token or access, in any case, or no token_use"},
	{Name: "typ", values: []string{"bearer", "dpop"}, Accepted: "Bearer or DPoP, in any case, or no typ"},
}

// Kind returns the kind claim called name, or nil when name is none.
func Kind(name []byte) *KindClaim {
	for i := range kindClaims {
		if string(name) == kindClaims[i].Name {
			return &kindClaims[i]
		}
	}
	return nil
}

// Check reports whether raw, the JSON value of k, names an access token; got
// is the string it holds, and isString is false when it is no JSON string
// (which is refused).
func (k *KindClaim) Check(raw []byte) (got string, isString, ok bool) {
	s, isString := String(raw)
	if !isString {
		return "", false, false
	}
	for _, v := range k.values {
		if asciiEqualLower(s, v) {
			return string(s), true, true
		}
	}
	return string(s), true, false
}

// asciiEqualLower reports whether b equals lower, a lower-case ASCII string,
// without regard to ASCII case.
func asciiEqualLower(b []byte, lower string) bool {
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
