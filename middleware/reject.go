package middleware

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tokenguard/tokenguard/internal/dpop"
	"github.com/tokenguard/tokenguard/jwtverify"
)

// Rejection describes the answer to a refused request. [Guard.Reject] builds
// it from the error with [errors.Is] and hands it to the logger, to
// [Hooks.Rejected] and to [Config.ErrorHandler]. Its zero value is not a
// valid answer.
type Rejection struct {
	// Status is the HTTP status: 400, 401, 403 or 503.
	Status int
	// Code is the RFC 6750 error code (invalid_request, invalid_token,
	// insufficient_scope), an RFC 9449 one (invalid_dpop_proof,
	// use_dpop_nonce), the RFC 9470 one (insufficient_user_authentication),
	// "temporarily_unavailable" for 503, or "" when the request carried no
	// token.
	Code string
	// Description is a fixed phrase safe to show the client: it never
	// holds request data or the text of Err.
	Description string
	// Scope is the space-separated scope the route needs, for
	// insufficient_scope; else "".
	Scope string
	// ACRValues is the space-separated list of authentication context
	// classes one of which the route needs, for
	// insufficient_user_authentication from [ACR] (the challenge's and the
	// body's acr_values); else "".
	ACRValues string
	// MaxAge is the most time since the user's authentication that the
	// route accepts, for insufficient_user_authentication from [MaxAge]
	// (the challenge's and the body's max_age, in whole seconds); else
	// zero.
	MaxAge time.Duration
	// RetryAfter is, on a 503, how long the client should wait before
	// trying again, when the error carries a hint (a method RetryAfter()
	// time.Duration, as [jwtverify.KeySourceError] and
	// introspect.EndpointError have, found with [errors.As]): whole
	// seconds, rounded up, at least one. The built-in renderer sends it as
	// a Retry-After header. Zero when there is no hint, and on every other
	// status.
	RetryAfter time.Duration
	// Challenge is the WWW-Authenticate value to send, or "" (for 503).
	// With [Config.Metadata] set, each challenge in it carries
	// resource_metadata.
	// When the Guard accepts both the Bearer and the DPoP scheme
	// ([DPoPAllowed]) it holds both challenges, comma-separated, the error
	// on the scheme the client used (RFC 9449 §7.1, §7.2).
	Challenge string
	// DPoPNonce, when not empty, is the server nonce to send in a
	// DPoP-Nonce header (RFC 9449 §9), with Cache-Control: no-store: set
	// for use_dpop_nonce.
	DPoPNonce string
	// Reason is a short fixed name of the cause, for logs and metrics:
	// no_token, unsupported_scheme, invalid_request, expired,
	// not_yet_valid, audience, issuer, signature, unknown_key, algorithm,
	// malformed, missing_claim, type, validator, invalid_token,
	// unrecognized_error, insufficient_scope, forbidden, unavailable,
	// insufficient_user_authentication;
	// for sender-constrained tokens invalid_dpop_proof, use_dpop_nonce,
	// dpop_replay (a proof presented twice), dpop_binding (a proof by
	// another key than the token's, or an unbound token sent as DPoP),
	// bearer_downgrade (a DPoP-bound token sent as Bearer),
	// certificate_binding (no client certificate, or not the token's)
	// and unsupported_binding (a cnf confirmation method nothing here
	// checks, or a DPoP-bound token while DPoP is off).
	Reason string
	// Err is the error that caused the rejection. It is for the server
	// side only: never send its text to the client.
	Err error
}

// invalidToken maps the finer categories of jwtverify to a reason and a fixed
// description, in this order.
var invalidToken = [...]struct {
	err                 error
	reason, description string
}{
	{jwtverify.ErrExpired, "expired", "the access token expired"},
	{jwtverify.ErrNotYetValid, "not_yet_valid", "the access token is not valid yet"},
	{jwtverify.ErrAudience, "audience", "the access token is not meant for this resource"},
	{jwtverify.ErrIssuer, "issuer", "the access token issuer is not trusted"},
	{jwtverify.ErrSignature, "signature", "the access token signature is invalid"},
	{jwtverify.ErrUnknownKey, "unknown_key", "the access token was signed with an unknown key"},
	{jwtverify.ErrAlgorithm, "algorithm", "the access token signing algorithm is not accepted"},
	{jwtverify.ErrMalformed, "malformed", "the access token is malformed"},
	{jwtverify.ErrMissingClaim, "missing_claim", "the access token lacks a required claim"},
	{jwtverify.ErrType, "type", "the token is not an access token"},
	{jwtverify.ErrValidator, "validator", "the access token was refused"},
}

// classify maps err to its answer with errors.Is only. The order matters:
// ErrUnavailable comes before ErrInvalidToken because a validator error that
// wraps ErrUnavailable matches both, and means 503.
func classify(err error) Rejection {
	rej := Rejection{Err: err}
	switch {
	case errors.Is(err, ErrNoToken):
		rej.Status, rej.Reason = http.StatusUnauthorized, "no_token"
		rej.Description = "the request carries no access token"
		if errors.Is(err, errUnsupportedScheme) {
			rej.Reason = "unsupported_scheme"
			rej.Description = "the request carries no access token in a scheme this resource accepts"
		}
	case errors.Is(err, ErrInvalidRequest):
		rej.Status, rej.Code, rej.Reason = http.StatusBadRequest, "invalid_request", "invalid_request"
		rej.Description = "the request is malformed"
		if re := (*requestError)(nil); errors.As(err, &re) && re.Reason != "" {
			rej.Description = sanitize(re.Reason)
		}
	case errors.Is(err, ErrInsufficientScope):
		rej.Status, rej.Code, rej.Reason = http.StatusForbidden, "insufficient_scope", "insufficient_scope"
		rej.Description = "the access token lacks a required scope"
		if se := (*ScopeError)(nil); errors.As(err, &se) {
			rej.Scope = sanitize(se.scopeString())
			if se.Any {
				rej.Description = "the access token needs one of the scopes listed"
			}
		}
	case errors.Is(err, ErrInsufficientUserAuthentication):
		rej.Status, rej.Code, rej.Reason = http.StatusUnauthorized, "insufficient_user_authentication", "insufficient_user_authentication"
		rej.Description = "the user authentication behind the access token does not meet the requirements of this resource"
		if se := (*stepUpError)(nil); errors.As(err, &se) {
			switch {
			case se.acrValues != "":
				rej.ACRValues = se.acrValues
				rej.Description = "the access token needs a stronger user authentication"
			case se.maxAge > 0:
				rej.MaxAge = se.maxAge
				rej.Description = "the access token needs a more recent user authentication"
			}
		}
	case errors.Is(err, ErrForbidden):
		rej.Status, rej.Code, rej.Reason = http.StatusForbidden, "insufficient_scope", "forbidden"
		rej.Description = "the access token does not grant access to this resource"
	case errors.Is(err, jwtverify.ErrUnavailable),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		rej.Status, rej.Code, rej.Reason = http.StatusServiceUnavailable, "temporarily_unavailable", "unavailable"
		rej.Description = "the access token cannot be checked now; retry later"
		var hint interface{ RetryAfter() time.Duration }
		if errors.As(err, &hint) {
			if d := hint.RetryAfter(); d > 0 {
				rej.RetryAfter = (d + time.Second - 1).Truncate(time.Second)
			}
		}
	case errors.Is(err, ErrUseDPoPNonce):
		rej.Status, rej.Code, rej.Reason = http.StatusUnauthorized, "use_dpop_nonce", "use_dpop_nonce"
		rej.Description = "the DPoP proof must carry the nonce of the DPoP-Nonce header"
		if ne := (*dpop.NonceError)(nil); errors.As(err, &ne) {
			rej.DPoPNonce = ne.Nonce
		}
	case errors.Is(err, ErrInvalidDPoPProof):
		rej.Status, rej.Code, rej.Reason = http.StatusUnauthorized, "invalid_dpop_proof", "invalid_dpop_proof"
		rej.Description = "the DPoP proof is not valid"
		switch {
		case errors.Is(err, dpop.ErrReplay):
			rej.Reason, rej.Description = "dpop_replay", "the DPoP proof was already used"
		case errors.Is(err, dpop.ErrBinding):
			rej.Reason, rej.Description = "dpop_binding", "the DPoP proof key is not the key the access token is bound to"
		}
	case errors.Is(err, jwtverify.ErrInvalidToken):
		rej.Status, rej.Code, rej.Reason = http.StatusUnauthorized, "invalid_token", "invalid_token"
		rej.Description = "the access token is not valid"
		if be := (*bindingError)(nil); errors.As(err, &be) {
			rej.Reason, rej.Description = be.reason, be.description
			break
		}
		for _, c := range invalidToken {
			if errors.Is(err, c.err) {
				rej.Reason, rej.Description = c.reason, c.description
				break
			}
		}
	default: // fail closed
		rej.Status, rej.Code, rej.Reason = http.StatusUnauthorized, "invalid_token", "unrecognized_error"
		rej.Description = "the access token is not valid"
	}
	return rej
}

// rejection builds the full Rejection of err, which refused r, for g: the
// challenges of the schemes g accepts, the error on the one r used.
func (g *Guard) rejection(r *http.Request, err error) Rejection {
	rej := classify(err)
	if rej.Status == http.StatusServiceUnavailable {
		return rej // not a challenge: the token may be fine
	}
	onDPoP := g.dpopMode == DPoPRequired || g.usedDPoP(r, err)
	var b strings.Builder
	b.Grow(len(g.challenge) + len(g.dpopChallenge) + len(g.dpopAlgs) + len(rej.Code) + len(rej.Description) + len(rej.Scope) + len(rej.ACRValues) + 90)
	if g.dpopMode != DPoPRequired {
		b.WriteString(g.challenge)
		if !onDPoP {
			writeErrorParams(&b, rej)
		}
	}
	if g.dpopMode != DPoPOff {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(g.dpopChallenge)
		if onDPoP {
			writeErrorParams(&b, rej)
		}
		b.WriteString(", ")
		b.WriteString(g.dpopAlgs)
	}
	rej.Challenge = b.String()
	return rej
}

// writeErrorParams writes the error auth-params of rej, if it has an error
// code, each after ", ".
func writeErrorParams(b *strings.Builder, rej Rejection) {
	if rej.Code == "" {
		return
	}
	b.WriteString(`, error="`)
	b.WriteString(rej.Code)
	b.WriteString(`", error_description="`)
	b.WriteString(rej.Description)
	b.WriteByte('"')
	if rej.Scope != "" {
		b.WriteString(`, scope="`)
		b.WriteString(rej.Scope)
		b.WriteByte('"')
	}
	if rej.ACRValues != "" {
		b.WriteString(`, acr_values="`)
		b.WriteString(rej.ACRValues)
		b.WriteByte('"')
	}
	if rej.MaxAge > 0 {
		b.WriteString(`, max_age="`)
		b.WriteString(strconv.FormatInt(int64(rej.MaxAge/time.Second), 10))
		b.WriteByte('"')
	}
}

// Reject answers a request that [Guard.Check] or [Guard.Authorize] refused
// with err: it logs the rejection, calls [Hooks.Rejected], then writes the
// answer with [Config.ErrorHandler] or, by default, as RFC 6750 says: the
// status, Cache-Control: no-store, a WWW-Authenticate challenge (the realm
// alone for a missing token, none for 503), Retry-After on a 503 whose error
// carries a hint, and a JSON body with "error" whenever an error code
// applies, "error_description" always, "scope" for insufficient_scope and
// "acr_values" or "max_age" for insufficient_user_authentication; the
// package documentation has the table. The
// client never sees err's text. A nil err is answered as invalid_token.
//
// A key source or introspection endpoint that is down ([jwtverify.ErrUnavailable])
// is answered 503, not 401: a 401 invalid_token tells a client to throw its
// token away and fetch a new one, which would not help, and would put load
// on the authorization server exactly when it is struggling. A 503 says to
// retry later with the same token.
func (g *Guard) Reject(w http.ResponseWriter, r *http.Request, err error) {
	if err == nil {
		err = errNoClaims
	}
	rej := g.rejection(r, err)
	ctx := r.Context()
	log, level := g.log, slog.LevelDebug
	if log == nil {
		// Looked up now, so a later slog.SetDefault counts; everything at
		// Debug, so nothing shows until the application turns debug on.
		log = slog.Default()
	} else if rej.Status == http.StatusServiceUnavailable && ctx.Err() == nil {
		level = slog.LevelWarn
	}
	if log.Enabled(ctx, level) {
		path := ""
		if r.URL != nil {
			path = r.URL.EscapedPath() // as sent: "/health%7a", not "/healthz"
		}
		log.LogAttrs(ctx, level, "tokenguard: request rejected",
			slog.String("reason", rej.Reason),
			slog.Int("status", rej.Status),
			slog.String("method", r.Method),
			slog.String("path", path),
			slog.String("error", err.Error()))
	}
	if g.rejected != nil {
		g.rejected(ctx, rej)
	}
	if g.onError != nil {
		g.onError(w, r, rej)
		return
	}
	writeRejection(w, r, rej)
}

type problem struct {
	Error       string `json:"error,omitempty"`
	Description string `json:"error_description,omitempty"`
	Scope       string `json:"scope,omitempty"`
	ACRValues   string `json:"acr_values,omitempty"`
	MaxAge      int64  `json:"max_age,omitempty"` // seconds
}

func writeRejection(w http.ResponseWriter, r *http.Request, rej Rejection) {
	h := w.Header()
	switch {
	case rej.Challenge != "" && rej.DPoPNonce != "":
		h.Set("WWW-Authenticate", rej.Challenge)
		h.Set("DPoP-Nonce", rej.DPoPNonce)
		exposeHeaders(h, r, "WWW-Authenticate", "DPoP-Nonce")
	case rej.Challenge != "":
		h.Set("WWW-Authenticate", rej.Challenge)
		exposeHeaders(h, r, "WWW-Authenticate")
	case rej.DPoPNonce != "":
		h.Set("DPoP-Nonce", rej.DPoPNonce)
		exposeHeaders(h, r, "DPoP-Nonce")
	}
	if rej.RetryAfter > 0 {
		h.Set("Retry-After", strconv.FormatInt(int64((rej.RetryAfter+time.Second-1)/time.Second), 10))
		exposeHeaders(h, r, "Retry-After")
	}
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	body, _ := json.Marshal(problem{Error: rej.Code, Description: rej.Description, Scope: rej.Scope,
		ACRValues: rej.ACRValues, MaxAge: int64(rej.MaxAge / time.Second)})
	w.WriteHeader(rej.Status)
	w.Write(append(body, '\n'))
}

// sanitize replaces what RFC 6750 §3 forbids in a quoted value.
func sanitize(s string) string {
	if quotable(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '?'
		}
		return r
	}, s)
}
