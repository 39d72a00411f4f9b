package jwtverify

import "context"

// claimsKey is the context key of the verified claims. Its type is private so
// no other package can collide with it.
type claimsKey struct{}

// ContextWithClaims returns a copy of ctx that carries c. Middleware calls it
// after a token has been accepted; handlers read the claims back with
// [ClaimsFromContext].
func ContextWithClaims(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// ClaimsFromContext returns the claims that [ContextWithClaims] put on ctx,
// and whether there were any (false, for example, on a route with optional
// authentication when no token was sent). The claims are read-only; see
// [Claims].
func ClaimsFromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok && c != nil
}
