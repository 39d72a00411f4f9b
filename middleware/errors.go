package middleware

import (
	"errors"
	"strings"

	"github.com/tokenguard/tokenguard/internal/dpop"
)

// Error categories of the middleware itself. Together with
// [jwtverify.ErrInvalidToken] and [jwtverify.ErrUnavailable] they decide the
// answer to a refused request; [Guard.Reject] picks it with [errors.Is]
// alone:
//
//	ErrNoToken                 401, WWW-Authenticate: Bearer realm="…" (no error code)
//	ErrInvalidRequest          400 invalid_request
//	jwtverify.ErrInvalidToken  401 invalid_token
//	ErrInsufficientScope       403 insufficient_scope, with scope="…"
//	ErrForbidden               403 insufficient_scope, without scope
//	ErrInsufficientUserAuthentication
//	                           401 insufficient_user_authentication, with acr_values or max_age
//	jwtverify.ErrUnavailable   503 (no challenge: the token may be fine), Retry-After if known
//
// An error that matches both jwtverify categories (a validator error wrapping
// ErrUnavailable) is answered 503, as jwtverify.Config.Validators documents;
// context.DeadlineExceeded and context.Canceled are answered like
// ErrUnavailable, since the token could not be checked in time. Any other
// error is answered as 401 invalid_token: the middleware fails closed.
var (
	// ErrNoToken reports a request that carries no bearer token: no
	// Authorization header, or one of another scheme (Basic, ...), and no
	// token in any other source that [Config] enables.
	ErrNoToken = errors.New("middleware: no bearer token in the request")
	// ErrInvalidRequest reports a request that cannot be read as an
	// RFC 6750 bearer request: more than one Authorization header, bad
	// Bearer syntax, the token sent in more than one way.
	ErrInvalidRequest = errors.New("middleware: invalid request")
	// ErrInsufficientScope reports a valid token that lacks a scope the
	// route requires ([Scopes], [AnyScope]). Its details are a
	// [*ScopeError].
	ErrInsufficientScope = errors.New("middleware: insufficient scope")
	// ErrForbidden reports a valid token that a route [Rule] refused with
	// an error of no category of its own; the error matches that rule's
	// error too.
	ErrForbidden = errors.New("middleware: access denied by a route check")
)

// errUnsupportedScheme is the finer ErrNoToken of an Authorization header of
// another scheme. [Config.Optional] does not let such requests through.
var errUnsupportedScheme error = &category{"middleware: Authorization scheme is not Bearer", ErrNoToken}

// category is a sentinel that also matches its parent category.
type category struct {
	msg    string
	parent error
}

func (c *category) Error() string { return c.msg }
func (c *category) Unwrap() error { return c.parent }

// requestError gives the reason a request is malformed. It matches
// ErrInvalidRequest.
type requestError struct {
	// Reason is a short fixed phrase. It is sent to the client as the
	// error_description, so it must never hold request data, a token or a
	// secret; characters that RFC 6750 forbids there are replaced.
	Reason string
	// dpop puts the error on the DPoP challenge.
	dpop bool
}

func (e *requestError) Error() string { return "middleware: invalid request: " + e.Reason }
func (e *requestError) Unwrap() error { return ErrInvalidRequest }

// The malformed requests this package detects.
var (
	errTwoHeaders     = &requestError{Reason: "more than one Authorization header"}
	errBearerSyntax   = &requestError{Reason: "the Authorization header is not a valid Bearer credential"}
	errTwoWays        = &requestError{Reason: "the access token was sent in more than one way"}
	errTwoParams      = &requestError{Reason: "more than one access token parameter"}
	errTokenSyntax    = &requestError{Reason: "the access token parameter is not a valid token"}
	errTwoCookies     = &requestError{Reason: "more than one access token cookie"}
	errFormTooLarge   = &requestError{Reason: "the request body is too large"}
	errFormUnreadable = &requestError{Reason: "the request body is not a valid form"}

	errDPoPSyntax        = &requestError{Reason: "the Authorization header is not a valid DPoP credential", dpop: true}
	errProofWithBearer   = &requestError{Reason: "a DPoP proof was sent with a Bearer access token"}
	errProofWithoutToken = &requestError{Reason: "a DPoP proof was sent without a DPoP access token", dpop: true}
)

// errNoProof refuses a DPoP token sent without a proof: RFC 9449 §4.3
// checks the proof of the one DPoP header, and there is none.
var errNoProof = &dpop.ProofError{Kind: dpop.ErrMalformed, Reason: "the request sends a DPoP access token without a DPoP header"}

// ScopeError reports the scopes a route requires and a token lacks. It
// matches [ErrInsufficientScope]. The rules of [Scopes] and [AnyScope]
// return one shared value per rule: do not modify it.
type ScopeError struct {
	// Scopes are the scopes the route asks for.
	Scopes []string
	// Any is true when one of Scopes suffices ([AnyScope]), false when
	// all are needed ([Scopes]).
	Any bool

	scope string // Scopes joined by spaces, the challenge's scope value
}

func (e *ScopeError) Error() string {
	if e.Any {
		return "middleware: token has none of the scopes " + e.scopeString()
	}
	return "middleware: token lacks one of the scopes " + e.scopeString()
}
func (e *ScopeError) Unwrap() error { return ErrInsufficientScope }

func (e *ScopeError) scopeString() string {
	if e.scope == "" {
		return strings.Join(e.Scopes, " ")
	}
	return e.scope
}

// forbiddenError wraps the error of a route Rule that did not name a
// category itself. It matches ErrForbidden and the rule's own error.
type forbiddenError struct {
	Err error
}

func (e *forbiddenError) Error() string {
	if e.Err == nil {
		return "middleware: access denied"
	}
	return "middleware: access denied: " + e.Err.Error()
}
func (e *forbiddenError) Unwrap() []error { return []error{ErrForbidden, e.Err} }
