package dpop

import (
	"errors"

	"github.com/tokenguard/tokenguard/jwtverify"
)

// Error categories. Every error of [Checker.Check] matches exactly one of
// [ErrInvalidProof], [ErrUseNonce] and [jwtverify.ErrUnavailable] with
// [errors.Is]; those of [HeaderProof] and [Checker.RequestURL] match
// ErrInvalidProof.
var (
	// ErrInvalidProof is the category of a refused proof (RFC 9449 §7.1
	// invalid_dpop_proof). The finer sentinels below all match it.
	ErrInvalidProof = errors.New("dpop: invalid proof")
	// ErrUseNonce is the category of a proof without the server nonce it
	// needs, or with one that is not (or no longer) valid (RFC 9449 §9
	// use_dpop_nonce). Its detail, [*NonceError], holds the nonce to send.
	ErrUseNonce = errors.New("dpop: the proof must carry a server nonce")

	// ErrMalformed reports a proof that is not one well-formed compact JWS
	// with JSON header and claims within this package's bounds, or whose
	// claims have the wrong types.
	ErrMalformed error = &category{"dpop: malformed proof", ErrInvalidProof}
	// ErrMissingClaim reports a proof without jti, htm, htu, iat or ath.
	ErrMissingClaim error = &category{"dpop: proof claim missing", ErrInvalidProof}
	// ErrType reports a typ header other than dpop+jwt.
	ErrType error = &category{"dpop: proof type not dpop+jwt", ErrInvalidProof}
	// ErrAlgorithm reports an alg that is not allowed, or that the key in
	// the proof does not fit.
	ErrAlgorithm error = &category{"dpop: proof algorithm not allowed", ErrInvalidProof}
	// ErrKey reports a jwk header that is missing, holds private or
	// symmetric key material, or is not a supported, strong public key.
	ErrKey error = &category{"dpop: proof key not accepted", ErrInvalidProof}
	// ErrSignature reports a signature that the proof's own key does not
	// verify.
	ErrSignature error = &category{"dpop: proof signature does not verify", ErrInvalidProof}
	// ErrMethod reports an htm that is not the request's method.
	ErrMethod error = &category{"dpop: proof made for another method", ErrInvalidProof}
	// ErrURL reports an htu that is not the request's URL once both are
	// normalised, or a URL that cannot be normalised.
	ErrURL error = &category{"dpop: proof made for another URL", ErrInvalidProof}
	// ErrTime reports an iat outside the proof window.
	ErrTime error = &category{"dpop: proof issued outside the accepted window", ErrInvalidProof}
	// ErrTokenHash reports an ath that is not the hash of the access token
	// the request presents.
	ErrTokenHash error = &category{"dpop: proof made for another access token", ErrInvalidProof}
	// ErrBinding reports a proof key whose thumbprint is not the token's
	// cnf.jkt, or a token bound to no key.
	ErrBinding error = &category{"dpop: proof key is not the key the token is bound to", ErrInvalidProof}
	// ErrReplay reports a proof already presented within its window.
	ErrReplay error = &category{"dpop: proof replayed", ErrInvalidProof}
)

// category is a sentinel that also matches its parent category.
type category struct {
	msg    string
	parent error
}

func (c *category) Error() string { return c.msg }
func (c *category) Unwrap() error { return c.parent }

// ProofError gives the reason a proof is refused. It matches its Kind and
// [ErrInvalidProof].
type ProofError struct {
	// Kind is the finer sentinel: [ErrMalformed], [ErrType], [ErrReplay]...
	Kind error
	// Reason says what is wrong, for the developer of the client; it quotes
	// at most a short excerpt of what the client sent.
	Reason string
}

func (e *ProofError) Error() string { return e.Kind.Error() + ": " + e.Reason }
func (e *ProofError) Unwrap() error { return e.Kind }

func refuse(kind error, reason string) *ProofError { return &ProofError{Kind: kind, Reason: reason} }

// NonceError reports a proof that needs a server nonce it does not carry:
// none, an unknown one, or an expired one. It matches [ErrUseNonce].
type NonceError struct {
	// Nonce is the nonce to send in the DPoP-Nonce header of the answer
	// (RFC 9449 §9), with Cache-Control: no-store.
	Nonce string
	// Reason says which: "missing", "invalid" or "expired".
	Reason string
}

func (e *NonceError) Error() string {
	switch e.Reason {
	case "missing":
		return "dpop: the proof has no nonce claim, and this server requires one: retry with the nonce of the DPoP-Nonce header"
	case "expired":
		return "dpop: the proof's nonce has expired: retry with the nonce of the DPoP-Nonce header"
	}
	return "dpop: the proof's nonce was not issued by this server: retry with the nonce of the DPoP-Nonce header"
}
func (e *NonceError) Unwrap() error { return ErrUseNonce }

// StoreError reports that the replay store failed, so that the proof could
// not be checked: the request fails closed. It matches
// [jwtverify.ErrUnavailable] (HTTP 503) and the store's own error.
type StoreError struct {
	// Err is the store's error.
	Err error
}

func (e *StoreError) Error() string   { return "dpop: replay store failed: " + e.Err.Error() }
func (e *StoreError) Unwrap() []error { return []error{jwtverify.ErrUnavailable, e.Err} }

// ConfigError reports a [Config] field that [New] refuses. It matches
// [jwtverify.ErrConfig].
type ConfigError struct {
	// Field names the field of Config, as in "NonceSecrets[1]".
	Field string
	// Reason says what is wrong and what is expected.
	Reason string
}

func (e *ConfigError) Error() string {
	return "dpop: invalid configuration: " + e.Field + " " + e.Reason
}
func (e *ConfigError) Unwrap() error { return jwtverify.ErrConfig }
