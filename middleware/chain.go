package middleware

import (
	"context"

	"github.com/tokenguard/tokenguard/jwtverify"
)

// Chain returns one [Authenticator] for services that accept both JWT and
// opaque access tokens: a token shaped like a compact JWS (three non-empty
// base64url segments separated by dots) goes to jwt, usually a
// [*jwtverify.Verifier]; any other token goes to opaque, usually an
// introspection client (package introspect).
//
// A JWS-shaped token that jwt refuses is refused with jwt's error; it is
// never handed to opaque instead, so that nobody can pick the other check by
// breaking a signature. To check JWTs for revocation too, make jwt a [Both]:
//
//	auth := middleware.Chain(middleware.Both(verifier, client), client)
//
// Chain panics if jwt or opaque is nil: that is a programming error. The
// result is safe for concurrent use when jwt and opaque are.
func Chain(jwt, opaque Authenticator) Authenticator {
	if jwt == nil || opaque == nil {
		panic("middleware: Chain with a nil Authenticator")
	}
	return &chain{jwt: jwt, opaque: opaque}
}

type chain struct{ jwt, opaque Authenticator }

func (c *chain) Authenticate(ctx context.Context, token string) (*jwtverify.Claims, error) {
	if looksLikeJWS(token) {
		return c.jwt.Authenticate(ctx, token)
	}
	return c.opaque.Authenticate(ctx, token)
}

// Both returns an [Authenticator] that accepts a token only if first accepts
// it and then second accepts it too; second is never asked about a token
// that first refuses. It answers with first's claims (second only vouches
// that the token is still good), or with the error of the one that refused.
// An Authenticator that returns neither claims nor an error refuses.
//
// Its common use is a JWT verified locally, then checked for revocation at
// the introspection endpoint, which costs a call per token (or per cache
// lifetime of the introspection client): Both(verifier, client), usually
// inside a [Chain].
//
// Both panics if first or second is nil: that is a programming error. The
// result is safe for concurrent use when first and second are.
func Both(first, second Authenticator) Authenticator {
	if first == nil || second == nil {
		panic("middleware: Both with a nil Authenticator")
	}
	return &both{first: first, second: second}
}

type both struct{ first, second Authenticator }

func (b *both) Authenticate(ctx context.Context, token string) (*jwtverify.Claims, error) {
	c, err := b.first.Authenticate(ctx, token)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errNoClaims
	}
	c2, err := b.second.Authenticate(ctx, token)
	if err != nil {
		return nil, err
	}
	if c2 == nil {
		return nil, errNoClaims
	}
	return c, nil
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
