package middleware

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
)

// ErrInsufficientUserAuthentication reports a valid token whose user
// authentication does not satisfy the route: an authentication context
// class ([ACR]) or an authentication time ([MaxAge]) that is not good
// enough, or absent (RFC 9470). A Guard answers it 401
// insufficient_user_authentication, with acr_values or max_age in the
// challenge and the body, so that the client sends the user back to the
// authorization server with those parameters, and comes back with a token
// of a stronger or fresher login. A Rule of your own may return it (or wrap
// it) too; the answer then names no requirement.
var ErrInsufficientUserAuthentication = errors.New("middleware: insufficient user authentication")

// stepUpError is the refusal of an ACR or MaxAge rule: one value per rule
// and cause, made when the rule is. It matches
// ErrInsufficientUserAuthentication.
type stepUpError struct {
	msg       string        // for the developer
	acrValues string        // the challenge's acr_values, or ""
	maxAge    time.Duration // the challenge's max_age, or 0
}

func (e *stepUpError) Error() string { return e.msg }
func (e *stepUpError) Unwrap() error { return ErrInsufficientUserAuthentication }

// ACR returns a [Rule] that accepts a token whose acr claim
// ([jwtverify.Claims.ACR]) is exactly one of values, and refuses any other
// token, one without acr included, with [ErrInsufficientUserAuthentication]:
// 401 with error="insufficient_user_authentication" and
// acr_values="<values>" (RFC 9470 §3), on the challenge of the scheme the
// client used. List the acceptable classes, strongest first: the client
// passes acr_values on to the authorization server as its order of
// preference.
//
//	mux.Handle("POST /transfers", g.Require(middleware.ACR("urn:example:mfa"))(transfers))
//
// The rule trusts the authorization server's acr, as it trusts every claim
// of a token the Guard accepted; it does not know which class is stronger
// than another. ACR panics if values is empty or holds a string that cannot
// be an acr_values entry (empty, or not printable ASCII without space, '"'
// or '\'): a route's requirements are literals in the program.
func ACR(values ...string) Rule {
	if len(values) == 0 {
		panic("middleware: ACR with no value")
	}
	for _, v := range values {
		if v == "" || !quotable(v) || strings.ContainsRune(v, ' ') {
			panic(fmt.Sprintf("middleware: %q is not a valid acr value", v))
		}
	}
	values = slices.Clone(values)
	joined := strings.Join(values, " ")
	missing := &stepUpError{acrValues: joined,
		msg: "middleware: the token has no acr claim; the route requires one of acr " + quoteValues(values)}
	weak := &stepUpError{acrValues: joined,
		msg: "middleware: the token's acr is none of " + quoteValues(values) + ", which the route requires"}
	return func(_ *http.Request, c *jwtverify.Claims) error {
		switch {
		case c.ACR == "":
			return missing
		case slices.Contains(values, c.ACR):
			return nil
		}
		return weak
	}
}

// MaxAge returns a [Rule] that accepts a token whose user authenticated at
// most d ago, as its auth_time claim ([jwtverify.Claims.AuthTime]) says,
// and refuses any other token, one without auth_time included, with
// [ErrInsufficientUserAuthentication]: 401 with
// error="insufficient_user_authentication" and max_age="<d in seconds>"
// (RFC 9470 §3), on the challenge of the scheme the client used.
//
//	mux.Handle("DELETE /account", g.Require(middleware.MaxAge(5*time.Minute))(deleteAccount))
//
// The age is counted in whole seconds, as auth_time is, on the server's
// clock (time.Now) with no leeway: a token is refused once time.Now, in
// whole seconds, is more than d after auth_time. A server clock ahead of the
// authorization server's shortens the window by the skew, so d should be
// well above it (minutes rather than seconds). MaxAge panics if d is less
// than a second or not a whole number of seconds: a route's requirements are
// literals in the program.
func MaxAge(d time.Duration) Rule {
	if d < time.Second || d%time.Second != 0 {
		panic(fmt.Sprintf("middleware: MaxAge(%v): want a whole number of seconds, at least 1s", d))
	}
	secs := int64(d / time.Second)
	missing := &stepUpError{maxAge: d,
		msg: "middleware: the token has no auth_time claim; the route requires an authentication at most " + d.String() + " old"}
	old := &stepUpError{maxAge: d,
		msg: "middleware: the token's authentication (auth_time) is more than " + d.String() + " old, the most the route accepts"}
	return func(_ *http.Request, c *jwtverify.Claims) error {
		if c.AuthTime.IsZero() {
			return missing
		}
		if time.Now().Unix()-c.AuthTime.Unix() > secs {
			return old
		}
		return nil
	}
}

// quoteValues renders values for an error message, each quoted.
func quoteValues(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = strconv.Quote(v)
	}
	return "[" + strings.Join(q, " ") + "]"
}
