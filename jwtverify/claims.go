package jwtverify

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/tokenguard/tokenguard/internal/jose"
)

// Claims holds the registered claims of an accepted access token, typed, and
// keeps the token's whole JSON payload (or introspection response) so that
// [Claims.Decode] can read custom claims on demand.
//
// Claims are read-only. A [Verifier] hands the same *Claims to every request
// that presents the same token, which is what makes a token seen before cost
// no allocation; call [Claims.Clone] for a copy you may change. A Verifier
// notices cached claims that were changed and verifies the token afresh
// rather than return them, so a change cannot leak into a later request, but
// requests running at that moment may see it (and the race detector reports
// it).
type Claims struct {
	// Issuer is the iss claim.
	Issuer string
	// Subject is the sub claim; empty when absent (client_credentials
	// tokens of some servers carry none).
	Subject string
	// Audience is the aud claim, a single string being a one-element list.
	Audience []string
	// Expiry is the exp claim.
	Expiry time.Time
	// NotBefore is the nbf claim; zero when absent.
	NotBefore time.Time
	// IssuedAt is the iat claim; zero when absent.
	IssuedAt time.Time
	// ID is the jti claim.
	ID string
	// ClientID is the client_id claim (RFC 9068, RFC 7662).
	ClientID string
	// Scopes are the scopes granted. They come from the scope claim when
	// the token has one, and from scp only when it has none: never from
	// both, so that scp cannot add to what scope grants (and servers that
	// issue both, as Ory Hydra can, do not list every scope twice). Either
	// claim may be a space-separated string (RFC 9068, RFC 7662, Entra ID's
	// scp) or a JSON array of strings (Duende IdentityServer's scope, Okta's
	// scp); array elements are taken whole. An empty scope grants nothing,
	// whatever scp says.
	Scopes []string
	// Username is the username member of an introspection response (RFC
	// 7662); JWT access tokens rarely carry it.
	Username string
	// TokenType is the token_type member of an introspection response.
	TokenType string
	// Confirmation is the cnf claim (RFC 7800): the key or certificate the
	// token is bound to, for a JWT and for an introspection response alike.
	// Its zero value means the token carries no cnf and is a plain bearer
	// token. The Verifier and the introspection client do not enforce it
	// (they cannot see the request); the middleware does.
	Confirmation Confirmation
	// ACR is the acr claim (RFC 9068 §2.2.1, OpenID Connect Core §2): the
	// authentication context class the user's login satisfied, such as
	// "urn:mace:incommon:iap:silver" or Keycloak's "1"; empty when absent.
	// It is compared exactly: the values are the authorization server's.
	// The middleware's step-up rules (RFC 9470) check it; the Verifier and
	// the introspection client do not.
	ACR string
	// AuthTime is the auth_time claim (RFC 9068 §2.2.1): when the user last
	// authenticated, which may be long before the token was issued; zero
	// when absent. Like ACR, only the middleware's step-up rules check it.
	AuthTime time.Time

	raw  []byte
	kind *kindError // a claim that says this is no access token, if any
}

// Confirmation is the cnf claim of a token (RFC 7800 §3.1): what a client
// must prove it holds to use the token. A cnf that is not a JSON object, or a
// jkt or x5t#S256 that is not the unpadded base64url of a SHA-256 digest (32
// bytes), makes the claims malformed.
type Confirmation struct {
	// KeyThumbprint is cnf.jkt (RFC 9449 §6.1): the base64url RFC 7638
	// SHA-256 thumbprint of the DPoP key the token is bound to; empty when
	// the token is not bound to one.
	KeyThumbprint string
	// CertificateThumbprint is cnf.x5t#S256 (RFC 8705 §3.1): the base64url
	// SHA-256 digest of the DER client certificate the token is bound to;
	// empty when the token is not bound to one.
	CertificateThumbprint string
	// Unsupported reports that cnf holds a confirmation method other than
	// jkt and x5t#S256 (jwk, jku, kid, jwe of RFC 7800, or any other
	// member), which nothing here can check: such a token is bound to
	// something its presenter may not hold, and the middleware refuses it.
	Unsupported bool
}

// Decode unmarshals the token's JSON payload into v with encoding/json, for
// claims that Claims does not type:
//
//	var mine struct{ Tenant string `json:"tid"` }
//	err := claims.Decode(&mine)
func (c *Claims) Decode(v any) error {
	if c == nil || c.raw == nil {
		return errors.New("jwtverify: claims hold no JSON payload to decode")
	}
	return json.Unmarshal(c.raw, v)
}

// HasScope reports whether scope was granted.
func (c *Claims) HasScope(scope string) bool {
	return c != nil && slices.Contains(c.Scopes, scope)
}

// HasAllScopes reports whether every one of scopes was granted.
func (c *Claims) HasAllScopes(scopes ...string) bool {
	for _, s := range scopes {
		if !c.HasScope(s) {
			return false
		}
	}
	return true
}

// HasAnyScope reports whether at least one of scopes was granted.
func (c *Claims) HasAnyScope(scopes ...string) bool {
	return slices.ContainsFunc(scopes, c.HasScope)
}

// validity returns when c's time claims accept it, leeway applied: from the
// later of nbf and iat (either may be absent, a zero time) until exp.
func (c *Claims) validity(leeway time.Duration) (from, until time.Time) {
	from = c.NotBefore
	if c.IssuedAt.After(from) {
		from = c.IssuedAt
	}
	return from.Add(-leeway), c.Expiry.Add(leeway)
}

// Clone returns a deep copy of c that the caller may modify.
func (c *Claims) Clone() *Claims {
	if c == nil {
		return nil
	}
	d := *c
	d.Audience = slices.Clone(c.Audience)
	d.Scopes = slices.Clone(c.Scopes)
	return &d
}

// same reports whether c and d hold the same claims, for d a copy of c: as
// copies share their strings' bytes, a string is unchanged when its pointer
// and length are (a caller's new string never shares them). raw is not
// compared: nothing writes to it and no caller can reach it.
func (c *Claims) same(d *Claims) bool {
	return identical(c.Issuer, d.Issuer) && identical(c.Subject, d.Subject) && identical(c.ID, d.ID) &&
		identical(c.ClientID, d.ClientID) && identical(c.Username, d.Username) && identical(c.TokenType, d.TokenType) &&
		c.Expiry == d.Expiry && c.NotBefore == d.NotBefore && c.IssuedAt == d.IssuedAt &&
		identical(c.ACR, d.ACR) && c.AuthTime == d.AuthTime &&
		slices.EqualFunc(c.Audience, d.Audience, identical) && slices.EqualFunc(c.Scopes, d.Scopes, identical) &&
		identical(c.Confirmation.KeyThumbprint, d.Confirmation.KeyThumbprint) &&
		identical(c.Confirmation.CertificateThumbprint, d.Confirmation.CertificateThumbprint) &&
		c.Confirmation.Unsupported == d.Confirmation.Unsupported
}

func identical(a, b string) bool {
	return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
}

// ParseClaims reads the registered claims of a JSON object (a JWT payload or
// an RFC 7662 introspection response) into Claims, keeping data for
// [Claims.Decode]. It is strict, so that no JSON decoder can read the object
// differently: duplicate member names in any object at any depth (compared
// with Unicode case folding, as encoding/json matches names: "sub", "SUB" and
// "ſub" are one name), a member whose name folds to a claim typed here
// without being it ("ISS"), lone surrogate escapes, numbers beyond float64,
// time claims (exp, nbf, iat, auth_time) that are not finite JSON numbers
// within years -9999 to 9999, aud, scope, scp or acr of the wrong JSON type,
// and a cnf that is not a JSON object or whose jkt or
// x5t#S256 is not the base64url of 32 bytes are errors matching
// [ErrMalformed]. It checks nothing else:
// no signature, time, issuer or audience; use [Verifier.Verify] for tokens.
// data must not be modified afterwards.
func ParseClaims(data []byte) (*Claims, error) {
	c := new(Claims)
	if err := c.parse(data); err != nil {
		return nil, err
	}
	return c, nil
}

const maxClaims = 256

// parse fills c from data. The strings of c alias data when the JSON holds
// no escapes, which saves an allocation per claim; data is never written after
// decoding, so the aliasing is safe.
func (c *Claims) parse(data []byte) error {
	c.raw = data
	var reason string
	haveScope := false
	err := jose.ScanObject(data, maxClaims, func(name, value []byte) error {
		var ok bool
		switch string(name) {
		case "iss":
			c.Issuer, ok = str(value)
		case "sub":
			c.Subject, ok = str(value)
		case "jti":
			c.ID, ok = str(value)
		case "client_id":
			c.ClientID, ok = str(value)
		case "username":
			c.Username, ok = str(value)
		case "token_type":
			if c.TokenType, ok = str(value); ok {
				c.noteKind(name, value)
			}
		case "token_use", "typ": // only their kind matters
			ok = true
			c.noteKind(name, value)
		case "aud":
			c.Audience, ok = strOrStrings(value)
		case "exp":
			c.Expiry, ok = numericDate(value)
		case "nbf":
			c.NotBefore, ok = numericDate(value)
		case "iat":
			c.IssuedAt, ok = numericDate(value)
		case "acr":
			c.ACR, ok = str(value)
		case "auth_time":
			c.AuthTime, ok = numericDate(value)
		case "scope": // wins over scp, whichever comes first
			haveScope = true
			c.Scopes, ok = scopes(c.Scopes[:0], value)
		case "cnf":
			if r := c.Confirmation.parse(value); r != "" {
				reason = "claim cnf " + r
				return errors.New(reason)
			}
			ok = true
		case "scp":
			if haveScope {
				_, ok = scopes(nil, value) // only checked
			} else {
				c.Scopes, ok = scopes(c.Scopes[:0], value)
			}
		default:
			if r, folds := jose.FoldsTo(name, typedClaims[:]); folds {
				reason = "claim " + jose.Quote(string(name)) + " differs from " + r + " only in letter case, which JSON decoders that ignore case (encoding/json among them) would read as " + r
				return errors.New(reason)
			}
			return nil
		}
		if !ok {
			reason = "claim " + string(name) + " has the wrong JSON type or value"
			return errors.New(reason)
		}
		return nil
	})
	if err != nil {
		if reason == "" {
			reason = "claims are not a valid JSON object: " + err.Error()
		}
		return &MalformedError{Reason: reason}
	}
	return nil
}

// typedClaims are the claim names that parse reads.
var typedClaims = [...]string{"iss", "sub", "jti", "client_id", "username", "token_type", "token_use", "typ", "aud", "exp", "nbf", "iat", "scope", "scp", "cnf", "acr", "auth_time"}

// confirmationMembers are the members of cnf that Confirmation reads.
var confirmationMembers = [...]string{"jkt", "x5t#S256"}

const maxConfirmationMembers = 16

// parse fills f from value, the raw JSON of a cnf claim, and returns why it
// is malformed, or "" when it is not. Its strings alias value, as those of
// Claims.parse do.
func (f *Confirmation) parse(value []byte) string {
	if len(value) == 0 || value[0] != '{' {
		return "is not a JSON object"
	}
	var reason string
	err := jose.ScanObject(value, maxConfirmationMembers, func(name, v []byte) error {
		switch string(name) {
		case "jkt", "x5t#S256":
			s, ok := str(v)
			if !ok || !isSHA256(s) {
				reason = "member " + string(name) + " is not the unpadded base64url of a SHA-256 digest (43 characters)"
				return errors.New(reason)
			}
			if name[0] == 'j' {
				f.KeyThumbprint = s
			} else {
				f.CertificateThumbprint = s
			}
		default:
			if r, folds := jose.FoldsTo(name, confirmationMembers[:]); folds {
				reason = "member " + jose.Quote(string(name)) + " differs from " + r + " only in letter case, which JSON decoders that ignore case would read as " + r
				return errors.New(reason)
			}
			f.Unsupported = true // jwk, jku, kid, jwe, or a method not known here
		}
		return nil
	})
	if err != nil && reason == "" {
		reason = "is not a valid JSON object: " + err.Error()
	}
	return reason
}

// isSHA256 reports whether s is the strict unpadded base64url of 32 bytes.
func isSHA256(s string) bool {
	var buf [33]byte
	if len(s) != 43 {
		return false
	}
	n, err := base64URLStrict.Decode(buf[:], unsafe.Slice(unsafe.StringData(s), len(s)))
	return err == nil && n == 32
}

// noteKind remembers the first claim that marks the token as another kind
// than an access token (a Cognito ID token's token_use, a Keycloak refresh
// token's typ: see jose.KindClaim). Verify refuses such a token.
func (c *Claims) noteKind(name, value []byte) {
	if c.kind != nil {
		return
	}
	if k := jose.Kind(name); k != nil {
		if got, isString, ok := k.Check(value); !ok {
			c.kind = &kindError{claim: k, got: got, notString: !isString}
		}
	}
}

// scopes appends to dst the scopes of a scope or scp value: a space-separated
// string or an array of strings. ok is false for any other JSON type.
func scopes(dst []string, value []byte) (_ []string, ok bool) {
	if s, ok := str(value); ok {
		n := 0
		for range strings.FieldsSeq(s) {
			n++
		}
		dst = slices.Grow(dst, n)
		for f := range strings.FieldsSeq(s) {
			dst = append(dst, f)
		}
		return dst, true
	}
	ok = jose.Strings(value, func(b []byte) { dst = append(dst, alias(b)) })
	return dst, ok
}

func alias(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func str(value []byte) (string, bool) {
	b, ok := jose.String(value)
	return alias(b), ok
}

func strOrStrings(value []byte) ([]string, bool) {
	if s, ok := str(value); ok {
		return []string{s}, true
	}
	var out []string
	ok := jose.Strings(value, func(b []byte) { out = append(out, alias(b)) })
	return out, ok
}

// maxUnix is the last second of year 9999: later dates are refused as
// malformed rather than overflowing time.Time arithmetic.
const maxUnix = 253402300799

func numericDate(value []byte) (time.Time, bool) {
	f, ok := jose.Number(value)
	if !ok || f > maxUnix || f < -maxUnix {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}
