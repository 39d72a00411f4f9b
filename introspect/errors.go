package introspect

import (
	"strconv"
	"strings"
	"time"

	"github.com/tokenguard/tokenguard/internal/fetch"
	"github.com/tokenguard/tokenguard/internal/jose"
	"github.com/tokenguard/tokenguard/internal/jwks"
	"github.com/tokenguard/tokenguard/jwtverify"
)

// Error categories. Every error that [Client.Authenticate] returns matches
// exactly one of the two categories of jwtverify with [errors.Is]:
// [jwtverify.ErrInvalidToken] (HTTP 401: the token is not good) or
// [jwtverify.ErrUnavailable] (HTTP 503: the authorization server could not
// say; the client should retry later, not throw its token away). The finer
// sentinels below each match one of those two.
//
// Time, issuer and audience rejections are the typed errors of jwtverify
// ([jwtverify.ExpiredError], [jwtverify.NotYetValidError],
// [jwtverify.IssuerError], [jwtverify.AudienceError],
// [jwtverify.MissingClaimError]), so that a handler treats a rejected opaque
// token and a rejected JWT alike; an empty or oversized token is a
// [jwtverify.MalformedError]; an active token that is not an access token (a
// refresh token, say) matches [jwtverify.ErrType].
//
// [New] reports configuration mistakes, including issuer metadata that names
// another issuer or a URL that may not be used, with errors matching
// [jwtverify.ErrConfig] (retrying does not help); a discovery that fails for
// want of an answer is an [EndpointError].
var (
	// ErrInactive reports a token that the authorization server did not
	// declare active. It matches [jwtverify.ErrInvalidToken].
	ErrInactive error = &category{"introspect: token is not active", jwtverify.ErrInvalidToken}
	// ErrEndpoint reports an introspection call that failed: network
	// error, timeout, refused redirect, status other than 200, a response
	// that is not JSON, too large, or not a well-formed introspection
	// response. It matches [jwtverify.ErrUnavailable].
	ErrEndpoint error = &category{"introspect: introspection endpoint failed", jwtverify.ErrUnavailable}
	// ErrClosed reports use of a [Client] after [Client.Close] (or a call
	// that Close interrupted). It matches [jwtverify.ErrUnavailable].
	ErrClosed error = &category{"introspect: client closed", jwtverify.ErrUnavailable}
)

// errConfig is the category of New's configuration errors: "introspect:
// invalid configuration: …", matching jwtverify.ErrConfig.
var errConfig error = &category{"introspect: invalid configuration", jwtverify.ErrConfig}

// withCause is an error that also matches cause without repeating its text
// (when the text already says what cause says, URL included).
type withCause struct {
	error
	cause error
}

func (e *withCause) Unwrap() []error { return []error{e.error, e.cause} }

// category is a sentinel that also matches its parent category.
type category struct {
	msg    string
	parent error
}

func (c *category) Error() string { return c.msg }
func (c *category) Unwrap() error { return c.parent }

// InactiveError reports a token that the authorization server did not
// declare active, with the reason: active was false, absent, or not the JSON
// boolean true (RFC 7662 §2.2 leaves no other reading). It matches
// [ErrInactive] and [jwtverify.ErrInvalidToken].
type InactiveError struct {
	// Reason says which: "active is false", "active is missing", or
	// "active is not the JSON boolean true".
	Reason string
}

func (e *InactiveError) Error() string { return "introspect: token is not active: " + e.Reason }
func (e *InactiveError) Unwrap() error { return ErrInactive }

// EndpointError reports a failed introspection call. It matches
// [ErrEndpoint], [jwtverify.ErrUnavailable] and, when set, Err (for example
// [context.DeadlineExceeded] for a timeout, or *[http.MaxBytesError] for an
// oversized response).
//
// It never holds the token, the client's credentials, or the response body:
// for an error status it keeps only the OAuth error code of the body
// ("invalid_client"), when the body has one.
type EndpointError struct {
	// Endpoint is the introspection endpoint URL.
	Endpoint string
	// Status is the HTTP status of the response; 0 when there was none.
	Status int
	// Code is the OAuth 2.0 error code of an error response (RFC 6749
	// §5.2), if it had one.
	Code string
	// Err is the cause; nil when the status alone says what went wrong.
	Err error

	retryAfter time.Duration // what the endpoint's Retry-After said, bounded
}

// RetryAfter returns how long clients should wait before trying again, as
// far as it is known: what the endpoint's own Retry-After header said on a
// 503 or 429 answer (either form of RFC 9110 §10.2.3, read strictly; other
// statuses' hints are ignored), or, for a signed answer that could not be
// checked for want of the authorization server's keys
// ([Config.SignedResponses]), the time until the key set is fetched again.
// It is a whole number of seconds from 1s to 5 minutes (a longer hint is cut
// to 5 minutes), or zero when not known.
//
// Zero is the common case: the Client keeps no backoff of its own, because
// failures are not cached (the next request asks the endpoint again at once,
// so that a short outage refuses no more tokens than it must), and any
// figure it made up would be a guess that clients take for a fact.
//
// The middleware sends it as the Retry-After header of its 503 answer (none
// when zero). An Authenticator's own errors may have a RetryAfter method of
// this signature to the same effect.
func (e *EndpointError) RetryAfter() time.Duration {
	if e.retryAfter > 0 {
		return e.retryAfter
	}
	return jwks.RetryAfter(e.Err)
}

func (e *EndpointError) Error() string {
	var b strings.Builder
	b.WriteString("introspect: endpoint ")
	b.WriteString(fetch.Excerpt(e.Endpoint))
	if e.Status != 0 && e.Status != 200 {
		b.WriteString(" answered HTTP ")
		b.WriteString(strconv.Itoa(e.Status))
		if e.Status >= 300 && e.Status < 400 {
			b.WriteString(" (redirects are never followed)")
		}
		if e.Code != "" {
			b.WriteString(" error=")
			b.WriteString(e.Code)
		}
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *EndpointError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrEndpoint}
	}
	return []error{ErrEndpoint, e.Err}
}

// errResponse is a cause of EndpointError for a response that is not a
// well-formed introspection response. Its reason never quotes the body.
type errResponse struct{ reason string }

func (e *errResponse) Error() string { return "response " + e.reason }

var (
	errInactiveFalse   = &InactiveError{Reason: "active is false"}
	errInactiveMissing = &InactiveError{Reason: "active is missing"}
	errInactiveType    = &InactiveError{Reason: "active is not the JSON boolean true"}
)

// kindError reports an active token that is not an access token: a member
// that says which kind of token it is (token_type, token_use or typ) names
// another kind, such as a refresh or an ID token. It matches
// [jwtverify.ErrType] and [jwtverify.ErrInvalidToken].
type kindError struct {
	member    *jose.KindClaim
	got       string // the member's value
	notString bool   // the value is not a JSON string
}

func (e *kindError) Error() string {
	var b strings.Builder
	b.WriteString("introspect: the token is not an access token: ")
	b.WriteString(e.member.Name)
	if e.notString {
		b.WriteString(" is not a JSON string")
	} else {
		b.WriteString(" is ")
		b.WriteString(strconv.Quote(fetch.Excerpt(e.got)))
	}
	b.WriteString(" (accepted: ")
	b.WriteString(e.member.Accepted)
	b.WriteString(")")
	return b.String()
}

func (e *kindError) Unwrap() error { return jwtverify.ErrType }
