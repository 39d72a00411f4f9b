package jwtverify

import (
	"errors"
	"time"

	"github.com/tokenguard/tokenguard/internal/jose"
	"github.com/tokenguard/tokenguard/internal/jwks"
)

// Error categories. Every error returned by [Verifier.Verify] matches exactly
// one of the two top-level categories with [errors.Is]:
//
//   - [ErrInvalidToken]: the token is not acceptable (RFC 6750 invalid_token,
//     HTTP 401). The finer sentinels below all match it too.
//   - [ErrUnavailable]: the token could not be checked because a key source
//     (or, for introspection, the authorization server) did not answer
//     (HTTP 503: the client should retry, not throw its token away).
var (
	// ErrInvalidToken is the category of every rejected token.
	ErrInvalidToken = errors.New("jwtverify: invalid token")
	// ErrUnavailable is the category of failures to reach a key source or an
	// introspection endpoint.
	ErrUnavailable = errors.New("jwtverify: token could not be checked: key source unavailable")
	// ErrConfig is the category of configuration mistakes that a
	// constructor (this package's [New], and those of the packages built on
	// it) reports: a missing or contradictory setting, a URL that may not be
	// fetched, or issuer metadata that names another issuer. Retrying does
	// not help; the configuration (or the authorization server's metadata)
	// must change.
	ErrConfig = errors.New("jwtverify: invalid configuration")

	// ErrMalformed reports a token that is not a well-formed compact JWS with
	// well-formed JSON header and claims.
	ErrMalformed error = &category{"jwtverify: malformed token", ErrInvalidToken}
	// ErrAlgorithm reports an algorithm that is not allowed, or a key that
	// does not fit the algorithm.
	ErrAlgorithm error = &category{"jwtverify: algorithm not allowed", ErrInvalidToken}
	// ErrUnknownKey reports a kid that the issuer's key set does not hold.
	ErrUnknownKey error = &category{"jwtverify: unknown signing key", ErrInvalidToken}
	// ErrSignature reports a signature that does not verify.
	ErrSignature error = &category{"jwtverify: signature does not verify", ErrInvalidToken}
	// ErrExpired reports a token whose exp has passed, leeway included.
	ErrExpired error = &category{"jwtverify: token expired", ErrInvalidToken}
	// ErrNotYetValid reports a token whose nbf or iat lies in the future,
	// beyond the leeway.
	ErrNotYetValid error = &category{"jwtverify: token not yet valid", ErrInvalidToken}
	// ErrIssuer reports an iss that is not accepted.
	ErrIssuer error = &category{"jwtverify: issuer not accepted", ErrInvalidToken}
	// ErrAudience reports an aud that names none of the accepted audiences.
	ErrAudience error = &category{"jwtverify: audience not accepted", ErrInvalidToken}
	// ErrMissingClaim reports a required claim that is absent.
	ErrMissingClaim error = &category{"jwtverify: required claim missing", ErrInvalidToken}
	// ErrType reports a typ header that marks another kind of JWT.
	ErrType error = &category{"jwtverify: token type not accepted", ErrInvalidToken}
	// ErrValidator reports a rejection by one of [Config.Validators].
	ErrValidator error = &category{"jwtverify: rejected by validator", ErrInvalidToken}
)

// category is a sentinel that also matches its parent category.
type category struct {
	msg    string
	parent error
}

func (c *category) Error() string { return c.msg }
func (c *category) Unwrap() error { return c.parent }

// MalformedError gives the reason a token is malformed. It matches
// [ErrMalformed] and [ErrInvalidToken].
type MalformedError struct {
	// Reason says what is wrong with the token, for people.
	Reason string
}

func (e *MalformedError) Error() string { return "jwtverify: malformed token: " + e.Reason }
func (e *MalformedError) Unwrap() error { return ErrMalformed }

// algorithmError reports a rejected alg header (or a key that cannot serve
// it). It matches [ErrAlgorithm] and [ErrInvalidToken].
type algorithmError struct {
	Algorithm string
	Reason    string
}

func (e *algorithmError) Error() string {
	return "jwtverify: algorithm " + jose.Quote(e.Algorithm) + " not accepted: " + e.Reason
}
func (e *algorithmError) Unwrap() error { return ErrAlgorithm }

// unknownKeyError reports a kid that the issuer's key set does not hold.
// It matches [ErrUnknownKey] and [ErrInvalidToken].
type unknownKeyError struct {
	KeyID  string
	Issuer string
}

func (e *unknownKeyError) Error() string {
	return "jwtverify: no key " + jose.Quote(e.KeyID) + " in the key set of issuer " + jose.Quote(e.Issuer)
}
func (e *unknownKeyError) Unwrap() error { return ErrUnknownKey }

// ExpiredError reports a token whose exp has passed, leeway included.
// It matches [ErrExpired] and [ErrInvalidToken].
type ExpiredError struct {
	// Expiry is the token's exp.
	Expiry time.Time
	// Now is the time of the check; zero when not known.
	Now time.Time
	// Leeway is the clock skew that was allowed past Expiry.
	Leeway time.Duration
}

func (e *ExpiredError) Error() string {
	msg := "jwtverify: token expired at " + stamp(e.Expiry)
	if e.Now.IsZero() {
		return msg
	}
	return msg + "; now is " + stamp(e.Now) + " (" + e.Now.Sub(e.Expiry).Round(time.Second).String() +
		" later), beyond the leeway of " + e.Leeway.String() + " (Config.Leeway)"
}
func (e *ExpiredError) Unwrap() error { return ErrExpired }

// NotYetValidError reports a token whose nbf (or iat) lies in the future,
// beyond the leeway. It matches [ErrNotYetValid] and [ErrInvalidToken].
type NotYetValidError struct {
	// Claim is "nbf" or "iat": the claim that lies in the future.
	Claim string
	// Time is that claim's value.
	Time time.Time
	// Now is the time of the check; zero when not known.
	Now time.Time
	// Leeway is the clock skew that was allowed before Time.
	Leeway time.Duration
}

func (e *NotYetValidError) Error() string {
	msg := "jwtverify: token not valid before " + stamp(e.Time) + " (" + e.Claim + ")"
	if e.Now.IsZero() {
		return msg
	}
	return msg + "; now is " + stamp(e.Now) + " (" + e.Time.Sub(e.Now).Round(time.Second).String() +
		" earlier), beyond the leeway of " + e.Leeway.String() + " (Config.Leeway): are the clocks of this host and the issuer apart?"
}
func (e *NotYetValidError) Unwrap() error { return ErrNotYetValid }

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// IssuerError reports an iss that is not accepted. It matches [ErrIssuer]
// and [ErrInvalidToken].
type IssuerError struct {
	// Got is the token's iss.
	Got string
	// Want lists the accepted issuers (Config.Issuer and Config.Issuers),
	// sorted; nil when not known. An IssuerResolver may accept others.
	Want []string
}

func (e *IssuerError) Error() string {
	msg := "jwtverify: issuer " + jose.Quote(e.Got) + " is not accepted"
	if len(e.Want) == 0 {
		return msg + " (check Config.Issuer)"
	}
	for _, w := range e.Want {
		if e.Got+"/" == w || e.Got == w+"/" {
			return msg + ": it differs from the accepted " + jose.Quote(w) + " only by a trailing slash, which counts (iss is compared exactly: write Config.Issuer as the server writes iss)"
		}
	}
	return msg + "; accepted: " + jose.QuoteList(e.Want) + " (Config.Issuer, Config.Issuers)"
}
func (e *IssuerError) Unwrap() error { return ErrIssuer }

// AudienceError reports an aud that names none of the accepted audiences.
// It matches [ErrAudience] and [ErrInvalidToken].
type AudienceError struct {
	// Got is the token's aud.
	Got []string
	// Want lists the accepted audiences (Config.Audiences), sorted; nil
	// when not known.
	Want []string
}

func (e *AudienceError) Error() string {
	msg := "jwtverify: audience " + jose.QuoteList(e.Got) + " names none of the accepted audiences"
	if len(e.Want) == 0 {
		return msg + " (Config.Audiences)"
	}
	return msg + " " + jose.QuoteList(e.Want) + " (Config.Audiences)"
}
func (e *AudienceError) Unwrap() error { return ErrAudience }

// MissingClaimError reports a required claim that is absent. It matches
// [ErrMissingClaim] and [ErrInvalidToken].
type MissingClaimError struct {
	// Claim is the name of the missing claim.
	Claim string
}

func (e *MissingClaimError) Error() string {
	return "jwtverify: required claim " + jose.Quote(e.Claim) + " is missing"
}
func (e *MissingClaimError) Unwrap() error { return ErrMissingClaim }

// typeError reports a typ header that is not accepted. It matches [ErrType]
// and [ErrInvalidToken].
type typeError struct {
	// Type is the typ header; empty when absent.
	Type string

	strict bool // Config.StrictRFC9068 was set
}

func (e *typeError) Error() string {
	got := "typ " + jose.Quote(e.Type)
	if e.Type == "" {
		got = "typ header missing"
	}
	if e.strict {
		return "jwtverify: " + got + ": Config.StrictRFC9068 is set, which accepts only at+jwt (or application/at+jwt); without it, JWT and a missing typ are accepted too"
	}
	return "jwtverify: " + got + " marks another kind of JWT: accepted are at+jwt, application/at+jwt, JWT or no typ (only at+jwt with Config.StrictRFC9068)"
}
func (e *typeError) Unwrap() error { return ErrType }

// kindError reports a token whose claims mark it as another kind than an
// access token: token_type, token_use or typ names a refresh or an ID token,
// say. It matches [ErrType] and [ErrInvalidToken].
type kindError struct {
	claim     *jose.KindClaim
	got       string
	notString bool
}

func (e *kindError) Error() string {
	got := " is " + jose.Quote(e.got)
	if e.notString {
		got = " is not a JSON string"
	}
	return "jwtverify: claim " + e.claim.Name + got + ": the token is not an access token (accepted: " + e.claim.Accepted + ")"
}
func (e *kindError) Unwrap() error { return ErrType }

// ValidatorError wraps the error of a [Config.Validators] function. It
// matches [ErrValidator], [ErrInvalidToken], and the validator's own error.
type ValidatorError struct {
	// Err is the validator's error.
	Err error
}

func (e *ValidatorError) Error() string   { return "jwtverify: rejected by validator: " + e.Err.Error() }
func (e *ValidatorError) Unwrap() []error { return []error{ErrValidator, e.Err} }

// KeySourceError reports that the keys of an issuer could not be had. It
// matches [ErrUnavailable] and the underlying cause.
type KeySourceError struct {
	// Issuer is the issuer whose keys could not be had.
	Issuer string
	// Err is the cause: a network error, a timeout, a bad answer, keys
	// older than Config.MaxStale...
	Err error
}

func (e *KeySourceError) Error() string {
	return "jwtverify: keys of issuer " + jose.Quote(e.Issuer) + " unavailable: " + e.Err.Error()
}
func (e *KeySourceError) Unwrap() []error { return []error{ErrUnavailable, e.Err} }

// RetryAfter returns how long from now until the issuer's key set is fetched
// again, after the failure e reports, under its backoff (1s doubling up to 5
// minutes, or Config.RefreshInterval if shorter): a whole number of seconds
// from 1s to 5 minutes, or zero when not known (e was not made by a
// [Verifier], or reports a caller that stopped waiting). A client that
// retries sooner gets the same error.
//
// The middleware sends it as the Retry-After header of its 503 answer (none
// when zero). An Authenticator's own errors may have a RetryAfter method of
// this signature to the same effect.
func (e *KeySourceError) RetryAfter() time.Duration { return jwks.RetryAfter(e.Err) }
