package middleware

import (
	"context"
	"strconv"
	"time"

	"github.com/tokenguard/tokenguard/internal/dpop"
)

// DPoPMode says whether a [Guard] accepts DPoP-bound tokens (RFC 9449): the
// token as "Authorization: DPoP <token>", with a proof of possession of the
// client's key in a DPoP header.
type DPoPMode int

const (
	// DPoPOff, the zero value, accepts the Bearer scheme only: a token
	// sent with the DPoP scheme is answered as one of an unsupported
	// scheme (401 with the Bearer challenge), and a token bound to a DPoP
	// key (cnf.jkt) is refused as invalid_token, since no proof can go
	// with it.
	DPoPOff DPoPMode = iota
	// DPoPAllowed accepts both schemes: Bearer for unbound tokens, DPoP
	// for tokens bound to a key, with a valid proof. A bound token sent as
	// Bearer is refused (RFC 9449 §7.2: no downgrade), and so is an
	// unbound token sent as DPoP. Challenges name both schemes.
	DPoPAllowed
	// DPoPRequired accepts only DPoP-bound tokens sent with the DPoP
	// scheme and a valid proof; a Bearer token is answered as one of an
	// unsupported scheme (401 with the DPoP challenge). Tokens may then
	// come only from the Authorization header: [NewGuard] refuses
	// FormToken, InsecureQueryToken and CookieName with it.
	DPoPRequired
)

// String returns the mode's name, such as "DPoPAllowed".
func (m DPoPMode) String() string {
	switch m {
	case DPoPOff:
		return "DPoPOff"
	case DPoPAllowed:
		return "DPoPAllowed"
	case DPoPRequired:
		return "DPoPRequired"
	}
	return "DPoPMode(" + strconv.Itoa(int(m)) + ")"
}

// DPoPConfig configures the checking of DPoP proofs (RFC 9449) by a
// [Guard]. Its zero value turns DPoP off. Every zero field means the default
// its comment states; any field set while Mode is DPoPOff is a configuration
// error, so that a forgotten Mode does not leave a service believing it
// checks proofs.
//
// A proof is checked completely, as RFC 9449 §4.3 lists: exactly one DPoP
// header of at most 8 KiB, holding one compact JWS with typ dpop+jwt, an
// allowed asymmetric alg (never none, never HMAC), a public jwk without
// private or symmetric members that verifies the signature, jti (1 to 256
// bytes), htm equal to the request's method, htu equal to the request's URL
// (both normalised as RFC 3986 §6 says; query and fragment ignored), iat
// within ProofWindow of now, ath equal to the hash of the token, the RFC 7638
// thumbprint of the jwk equal to the token's cnf.jkt, the server nonce when
// nonces are on, and never presented before within its window.
type DPoPConfig struct {
	// Mode says which schemes the Guard accepts; the zero value,
	// [DPoPOff], accepts Bearer only.
	Mode DPoPMode
	// Algorithms lists the proof algorithms accepted, which the DPoP
	// challenge announces in algs. If empty, every supported one: RS256,
	// RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA and
	// Ed25519. HMAC algorithms and none are never accepted: naming one,
	// or an unknown name, is a configuration error.
	Algorithms []string
	// ProofWindow is how far a proof's iat may lie from now, either way.
	// If zero, 60s. It must not be negative.
	ProofWindow time.Duration
	// Replay remembers the proofs already presented, so that each is
	// accepted once. If nil, a bounded in-memory store is used: it holds
	// 1,536,000 proofs (about 43 MiB when full), each until its iat plus
	// ProofWindow, which is about 25,000 proofs per second with the
	// default window; when full of live proofs it refuses more (503)
	// rather than forget one that could be replayed. It is per process:
	// the instances of a fleet must share one store, or a proof can be
	// replayed once to each.
	Replay ReplayStore
	// NonceSecrets turns server nonces on (RFC 9449 §9) when not empty:
	// every proof must then carry a nonce this server issued, and a proof
	// without a valid one is answered 401 use_dpop_nonce with a fresh nonce
	// in a DPoP-Nonce header. Nonces are stateless (an HMAC of a time step)
	// and issued with the first secret; every secret is accepted, so a
	// secret rotates by putting the new one first and dropping the old one
	// a NonceLifetime later. Each secret must be at least 32 random bytes,
	// shared by every instance of a fleet. If nil, no nonce is required,
	// and a proof's nonce is ignored.
	NonceSecrets [][]byte
	// NonceLifetime is the time step of server nonces: a nonce is accepted
	// for one to two lifetimes after it is issued, and a request whose
	// proof carries one of the previous step gets a fresh one in a
	// DPoP-Nonce header of the answer ([Guard.Admit]). If zero, 5m; it
	// must be at least 1s.
	NonceLifetime time.Duration
	// ExternalURL is the scheme://host[:port][/prefix] that clients call,
	// for a service behind a proxy that rewrites the host or the scheme:
	// the URL a proof must name in htu is then ExternalURL followed by the
	// request's path as the client sent it. If empty, the URL is made from
	// the request: https when r.TLS is set (else http), r.Host, and the
	// path of the request line. It must be an absolute http or https URL
	// without query or fragment.
	ExternalURL string
	// TrustForwardedHeaders takes the scheme and host of the URL a proof
	// must name from the Forwarded header, or else X-Forwarded-Proto and
	// X-Forwarded-Host (the last value of each), when ExternalURL is
	// empty. Set it only behind a proxy that sets them: otherwise a client
	// chooses the URL its proofs are checked against. Off by default.
	TrustForwardedHeaders bool
	// Now is the clock that proofs' iat and server nonces are checked
	// against. If nil, time.Now.
	Now func() time.Time
}

// ReplayStore remembers the DPoP proofs already presented, so that each is
// accepted once (RFC 9449 §11.1). [DPoPConfig.Replay] takes one; a fleet of
// instances shares one store (in a database, for example), so that a proof
// replayed to another instance is refused too. Implementations must be safe
// for concurrent use.
type ReplayStore interface {
	// Claim records key until the time until and reports whether key was
	// new: true the first time, false while an earlier record lasts. An
	// error makes the request fail closed (503). key is an opaque ASCII
	// string of 43 characters (a hash of the proof's htu and jti): the
	// store never sees a proof or a token.
	Claim(ctx context.Context, key string, until time.Time) (first bool, err error)
}

// The categories of a refused DPoP proof. They complete those listed at
// [ErrNoToken]:
//
//	ErrInvalidDPoPProof  401 invalid_dpop_proof, on the DPoP challenge
//	ErrUseDPoPNonce      401 use_dpop_nonce, on the DPoP challenge, with a DPoP-Nonce header
var (
	// ErrInvalidDPoPProof reports a DPoP proof that is refused: malformed,
	// signed with a key or an algorithm that is not accepted, made for
	// another method, URL, time or token, by a key the token is not bound
	// to, or presented before (RFC 9449 §7.1).
	ErrInvalidDPoPProof = dpop.ErrInvalidProof
	// ErrUseDPoPNonce reports a DPoP proof without the server nonce that
	// [DPoPConfig.NonceSecrets] requires, or with one that is unknown or
	// expired (RFC 9449 §9). The answer carries a fresh nonce in a
	// DPoP-Nonce header (and [Rejection.DPoPNonce]); the client retries
	// with a proof that holds it.
	ErrUseDPoPNonce = dpop.ErrUseNonce
)
