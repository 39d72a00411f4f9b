package middleware

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/tokenguard/tokenguard/internal/dpop"
	"github.com/tokenguard/tokenguard/jwtverify"
)

// scheme is the authentication scheme a token came with.
type scheme uint8

const (
	schemeBearer scheme = iota // Authorization: Bearer, or a form, query or cookie token
	schemeDPoP                 // Authorization: DPoP, with a proof in the DPoP header
)

// bindingError refuses a token whose confirmation (cnf) the request does not
// satisfy. It matches jwtverify.ErrInvalidToken, and its cause when it has
// one.
type bindingError struct {
	reason      string // Rejection.Reason
	description string // Rejection.Description: a fixed phrase
	msg         string // for the developer
	cause       error
}

func (e *bindingError) Error() string {
	if e.cause != nil {
		return "middleware: " + e.msg + ": " + e.cause.Error()
	}
	return "middleware: " + e.msg
}

func (e *bindingError) Unwrap() []error {
	if e.cause != nil {
		return []error{jwtverify.ErrInvalidToken, e.cause}
	}
	return []error{jwtverify.ErrInvalidToken}
}

// The bindings a request can fail to satisfy.
var (
	errUnsupportedBinding = &bindingError{reason: "unsupported_binding",
		description: "the access token is bound by a confirmation method this resource does not support",
		msg:         "the token's cnf names a confirmation method other than jkt and x5t#S256, which cannot be checked"}
	errBearerDowngrade = &bindingError{reason: "bearer_downgrade",
		description: "the access token is DPoP-bound and must be sent with the DPoP scheme",
		msg:         "a DPoP-bound token (cnf.jkt) was sent as a Bearer token (RFC 9449 §7.2); send it with the DPoP scheme and a proof"}
	errDPoPOff = &bindingError{reason: "unsupported_binding",
		description: "the access token is DPoP-bound, which this resource does not support",
		msg:         "a DPoP-bound token (cnf.jkt) came and DPoP is off (Config.DPoP.Mode is DPoPOff): no proof can be checked, so the token is refused; set DPoPAllowed or DPoPRequired to accept it"}
	errNotDPoPBound = &bindingError{reason: "dpop_binding",
		description: "the access token is not DPoP-bound",
		msg:         "a token without cnf.jkt was sent with the DPoP scheme; send it as a Bearer token, or have it bound to the proof key"}
	errNotCertificateBound = &bindingError{reason: "certificate_binding",
		description: "the access token is not bound to a client certificate",
		msg:         "Config.RequireCertificateBinding is set and the token has no cnf.x5t#S256"}
	errNoCertificate = &bindingError{reason: "certificate_binding",
		description: "the access token is bound to a client certificate the request did not present",
		msg:         "the token is bound to a certificate (cnf.x5t#S256) and the request came without a client certificate"}
	errOtherCertificate = &bindingError{reason: "certificate_binding",
		description: "the access token is bound to another client certificate",
		msg:         "the SHA-256 thumbprint of the client certificate is not the token's cnf.x5t#S256"}
)

// bind checks that r satisfies the confirmation of the token tok it sent
// with scheme sch and, for DPoP, the proof: the one check of JWT and
// introspected claims alike. It returns the fresh server nonce to send, if
// one is due. The cheap checks come first, and the proof, whose signature
// costs most and which takes room in the replay store, last: a request that
// fails anything else never makes the Guard verify a proof or remember it.
func (g *Guard) bind(r *http.Request, tok string, sch scheme, proof string, c *jwtverify.Claims) (string, error) {
	cnf := &c.Confirmation
	if cnf.Unsupported {
		return "", errUnsupportedBinding
	}
	switch {
	case sch == schemeBearer && cnf.KeyThumbprint != "" && g.dpop == nil:
		return "", errDPoPOff
	case sch == schemeBearer && cnf.KeyThumbprint != "":
		return "", errBearerDowngrade
	case sch == schemeDPoP && cnf.KeyThumbprint == "":
		return "", errNotDPoPBound
	}
	if err := g.checkCertificate(r, cnf.CertificateThumbprint); err != nil {
		return "", err
	}
	if sch != schemeDPoP {
		return "", nil
	}
	url, err := g.dpop.RequestURL(r)
	if err != nil {
		return "", err
	}
	res, err := g.dpop.Check(r.Context(), proof, dpop.Request{
		Method:        r.Method,
		URL:           url,
		AccessToken:   tok,
		KeyThumbprint: cnf.KeyThumbprint,
	})
	if err != nil {
		return "", err
	}
	return res.Nonce, nil
}

// checkCertificate checks the certificate binding (RFC 8705 §3) of a token
// whose cnf.x5t#S256 is want ("" for a token bound to no certificate).
func (g *Guard) checkCertificate(r *http.Request, want string) error {
	if g.skipCert {
		return nil
	}
	if want == "" {
		if g.requireCert {
			return errNotCertificateBound
		}
		return nil
	}
	var cert *x509.Certificate
	if g.clientCert != nil {
		var err error
		if cert, err = g.clientCert(r); err != nil {
			if errors.Is(err, jwtverify.ErrUnavailable) {
				return fmt.Errorf("middleware: Config.ClientCertificate: %w", err)
			}
			return &bindingError{reason: "certificate_binding",
				description: "the client certificate could not be read",
				msg:         "Config.ClientCertificate failed", cause: err}
		}
	} else if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		cert = r.TLS.PeerCertificates[0]
	}
	if cert == nil {
		return errNoCertificate
	}
	sum := sha256.Sum256(cert.Raw)
	var got [43]byte // base64url of 32 bytes, unpadded
	base64.RawURLEncoding.Encode(got[:], sum[:])
	if subtle.ConstantTimeCompare(got[:], []byte(want)) != 1 {
		return errOtherCertificate
	}
	return nil
}

// exposeHeaders adds names to Access-Control-Expose-Headers when r is a
// cross-origin request (it has an Origin header), so that a browser lets
// the script that sent it read the challenge and the nonce. It adds a field
// line of its own, keeping what the application set.
func exposeHeaders(h http.Header, r *http.Request, names ...string) {
	if len(names) == 0 || r.Header.Get("Origin") == "" {
		return
	}
	h.Add("Access-Control-Expose-Headers", strings.Join(names, ", "))
}

// usedDPoP reports whether the refused request r, refused with err, used the
// DPoP scheme: the challenge's error goes on that scheme's challenge.
func (g *Guard) usedDPoP(r *http.Request, err error) bool {
	if g.dpop == nil {
		return false
	}
	if errors.Is(err, ErrInvalidDPoPProof) || errors.Is(err, ErrUseDPoPNonce) {
		return true
	}
	if re := (*requestError)(nil); errors.As(err, &re) && re.dpop {
		return true
	}
	hs := r.Header["Authorization"]
	return len(hs) == 1 && hasScheme(hs[0], "DPoP")
}

// hasScheme reports whether the Authorization value h is of the scheme
// (compared without case), followed by nothing or a character outside the
// token alphabet.
func hasScheme(h, scheme string) bool {
	return len(h) >= len(scheme) && strings.EqualFold(h[:len(scheme)], scheme) &&
		(len(h) == len(scheme) || !isTchar(rune(h[len(scheme)])))
}
