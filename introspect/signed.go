package introspect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tokenguard/tokenguard/internal/fetch"
	"github.com/tokenguard/tokenguard/internal/jose"
	"github.com/tokenguard/tokenguard/internal/jwks"
	"github.com/tokenguard/tokenguard/jwtverify"
)

// Signed introspection answers (RFC 9701). The answer is a compact JWS that
// goes through the same gate (jose.ParseCompact), key selection
// (jwks.Set.Pick) and signature check (jose.Alg.Verify) as an access token,
// with the authorization server's keys; what differs is what its claims must
// say. Whatever is wrong with it is a broken answer (EndpointError, 503),
// never an inactive token: a tampered answer says nothing about the token.

// mediaTypeJWT is the media type of signed answers (RFC 9701 §5), asked for
// in Accept and required as the Content-Type.
const mediaTypeJWT = "application/token-introspection+jwt"

// signedError is the cause of an EndpointError for a signed answer that was
// refused. Its reason never quotes the answer beyond short excerpts of
// single members.
type signedError struct{ reason string }

func (e *signedError) Error() string { return "signed answer (RFC 9701) refused: " + e.reason }

// openSigned checks a signed answer and returns its token_introspection
// claim, the introspection response, for parseResponse. An error wrapping a
// key-set failure (for RetryAfter) is returned as is.
func (c *Client) openSigned(ctx context.Context, body []byte, now time.Time) ([]byte, error) {
	h, payload, sig, input, err := jose.ParseCompact(string(body))
	if err != nil {
		return nil, &signedError{"not a compact JWS: " + err.Error()}
	}
	if !isIntrospectionType(h.Typ) {
		got := "no typ"
		if h.Typ != nil {
			got = "typ " + quote(string(h.Typ))
		}
		return nil, &signedError{got + ", want token-introspection+jwt (RFC 9701 §5): it may be another kind of JWT of the same server"}
	}
	alg, ok := jose.Lookup(string(h.Alg))
	if !ok {
		return nil, &signedError{"alg " + quote(string(h.Alg)) + " is not accepted (accepted: " + strings.Join(jose.Names(), ", ") + "; never none or HMAC)"}
	}
	key, err := c.keys.Pick(ctx, string(h.Kid), alg)
	switch {
	case errors.Is(err, jwks.ErrUnknownKey):
		return nil, &signedError{"no key " + quote(string(h.Kid)) + " for " + alg.Name + " in the authorization server's key set " + quote(c.keys.URL())}
	case errors.Is(err, jwks.ErrKeyAlgorithm):
		return nil, &signedError{"key " + quote(string(h.Kid)) + " does not fit alg " + alg.Name}
	case err != nil:
		return nil, fmt.Errorf("the authorization server's keys, which verify signed answers, are unavailable: %w", err)
	}
	if alg.Verify(key.Public, input, sig) != nil {
		return nil, &signedError{"the signature does not verify with key " + quote(key.ID) + " of " + quote(c.keys.URL())}
	}
	return c.signedClaims(payload, now)
}

// isIntrospectionType applies RFC 8725 §3.11 explicit typing: media types
// compare without regard to case, with an optional "application/" prefix.
func isIntrospectionType(typ []byte) bool {
	t := string(typ)
	if len(t) > len("application/") && strings.EqualFold(t[:len("application/")], "application/") {
		t = t[len("application/"):]
	}
	return strings.EqualFold(t, "token-introspection+jwt")
}

// signedClaims checks the claims of a signed answer (iss, aud, iat, and exp
// and nbf when present) and returns its token_introspection claim.
func (c *Client) signedClaims(payload []byte, now time.Time) ([]byte, error) {
	cl, err := jwtverify.ParseClaims(payload)
	if err != nil {
		var me *jwtverify.MalformedError
		if errors.As(err, &me) {
			return nil, &signedError{"claims are malformed: " + me.Reason}
		}
		return nil, &signedError{"claims are malformed"}
	}
	switch {
	case cl.Issuer != c.issuer:
		return nil, &signedError{"iss " + quote(cl.Issuer) + " is not Config.Issuer " + quote(c.issuer)}
	case !slices.Contains(cl.Audience, c.auth.clientID):
		return nil, &signedError{"aud " + jose.QuoteList(cl.Audience) + " does not name Config.ClientID " + quote(c.auth.clientID)}
	case cl.IssuedAt.IsZero():
		return nil, &signedError{"iat is missing"}
	case cl.IssuedAt.After(now.Add(c.leeway)) || cl.IssuedAt.Before(now.Add(-c.leeway)):
		return nil, &signedError{fmt.Sprintf("iat %s is not within Config.Leeway (%v) of now, %s: a replayed answer, or clocks apart",
			cl.IssuedAt.UTC().Format(time.RFC3339), c.leeway, now.UTC().Format(time.RFC3339))}
	case !cl.Expiry.IsZero() && now.After(cl.Expiry.Add(c.leeway)):
		return nil, &signedError{"the answer expired at " + cl.Expiry.UTC().Format(time.RFC3339)}
	case !cl.NotBefore.IsZero() && now.Add(c.leeway).Before(cl.NotBefore):
		return nil, &signedError{"the answer is not valid before " + cl.NotBefore.UTC().Format(time.RFC3339)}
	}
	var inner []byte
	_ = jose.ScanObject(payload, maxMembers, func(name, value []byte) error { // ParseClaims accepted it
		if string(name) == "token_introspection" {
			inner = value
		}
		return nil
	})
	switch {
	case inner == nil:
		return nil, &signedError{"the token_introspection claim is missing"}
	case inner[0] != '{':
		return nil, &signedError{"the token_introspection claim is not a JSON object"}
	}
	return inner, nil
}

// openKeys returns the authorization server's key set for signed answers:
// cfg.JWKSURL, or the jwks_uri of cfg.Issuer's metadata, fetched once. What
// the configuration or the metadata got wrong is an errConfig error; a key
// set that does not answer is an EndpointError.
func openKeys(ctx context.Context, cache *jwks.Cache, cfg *Config) (*jwks.Set, error) {
	if cfg.JWKSURL != "" {
		set, err := cache.Set(ctx, cfg.JWKSURL)
		if err != nil {
			return nil, &EndpointError{Endpoint: cfg.JWKSURL, Err: fmt.Errorf("fetching the authorization server's keys (Config.JWKSURL): %w", err)}
		}
		return set, nil
	}
	m, err := cache.Discover(ctx, cfg.Issuer)
	if err == nil && m.JWKSURI == "" {
		return nil, fmt.Errorf("%w: the metadata of Config.Issuer %q names no jwks_uri, which Config.SignedResponses needs; set Config.JWKSURL", errConfig, cfg.Issuer)
	}
	if err == nil {
		var set *jwks.Set
		if set, err = cache.IssuerSet(ctx, cfg.Issuer); err == nil {
			return set, nil
		}
	}
	var ue *fetch.URLError
	if errors.As(err, &ue) && !errors.Is(err, fetch.ErrInsecureURL) {
		return nil, fmt.Errorf("%w: the metadata of Config.Issuer %q names a jwks_uri that may not be used: %w", errConfig, cfg.Issuer, err)
	}
	if err := discoveryError(cfg, err); !errors.Is(err, ErrEndpoint) {
		return nil, err // a configuration mistake
	}
	return nil, &EndpointError{Endpoint: cfg.Issuer, Err: fmt.Errorf("fetching the authorization server's keys (Config.SignedResponses): %w", err)}
}
