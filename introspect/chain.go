package introspect

import (
	"context"

	"github.com/tokenguard/tokenguard/jwtverify"
)

// Authenticator turns a bearer token into claims. [*jwtverify.Verifier] and
// [*Client] implement it, and so does [*Chain]; it is the same method set the
// middleware asks for. Implementations must be safe for concurrent use.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*jwtverify.Claims, error)
}

// ChainConfig configures a [Chain].
type ChainConfig struct {
	// JWT checks tokens shaped like a compact JWS (three base64url
	// segments), locally; usually a *jwtverify.Verifier. Required.
	JWT Authenticator
	// Introspection checks every other token; usually a *Client.
	// Required.
	Introspection Authenticator
	// IntrospectJWTs also sends each JWT that JWT accepted to
	// Introspection, so that a revoked JWT is refused before its exp. It
	// costs a call per token (or per cache lifetime): see Config.CacheTTL.
	IntrospectJWTs bool
}

// Chain is one [Authenticator] for services that accept both JWT and opaque
// access tokens: a token that looks like a compact JWS is verified locally
// by ChainConfig.JWT, any other token is introspected. It is safe for
// concurrent use.
//
// A JWS-shaped token that fails local verification is refused with that
// error; it is never handed to introspection instead (an attacker must not
// be able to choose the weaker check by breaking a signature).
type Chain struct {
	jwt, introspection Authenticator
	both               bool
}

// NewChain returns a Chain over cfg. It panics if cfg.JWT or
// cfg.Introspection is nil: that is a programming error, not a
// configuration one.
func NewChain(cfg ChainConfig) *Chain {
	if cfg.JWT == nil || cfg.Introspection == nil {
		panic("introspect: NewChain needs both ChainConfig.JWT and ChainConfig.Introspection")
	}
	return &Chain{jwt: cfg.JWT, introspection: cfg.Introspection, both: cfg.IntrospectJWTs}
}

// Authenticate checks token with ChainConfig.JWT when it looks like a compact
// JWS and with ChainConfig.Introspection otherwise. With IntrospectJWTs, a
// JWT that passed local verification must also be active at the
// introspection endpoint; the claims returned are then still those of the
// verified JWT, whose signature vouches for them.
func (c *Chain) Authenticate(ctx context.Context, token string) (*jwtverify.Claims, error) {
	if !looksLikeJWS(token) {
		return c.introspection.Authenticate(ctx, token)
	}
	claims, err := c.jwt.Authenticate(ctx, token)
	if err != nil || !c.both {
		return claims, err
	}
	if _, err := c.introspection.Authenticate(ctx, token); err != nil {
		return nil, err
	}
	return claims, nil
}

// looksLikeJWS reports whether token has the shape of a compact JWS: three
// non-empty segments of base64url characters separated by two dots.
func looksLikeJWS(token string) bool {
	dots, seg := 0, 0
	for i := 0; i < len(token); i++ {
		switch b := token[i]; {
		case b == '.':
			if seg == 0 || dots == 2 {
				return false
			}
			dots, seg = dots+1, 0
		case 'A' <= b && b <= 'Z', 'a' <= b && b <= 'z', '0' <= b && b <= '9', b == '-', b == '_':
			seg++
		default:
			return false
		}
	}
	return dots == 2 && seg > 0
}
