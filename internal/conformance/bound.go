package conformance

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
)

// proofSpec describes the DPoP proof a request sends.
type proofSpec struct {
	key    func(h *harness) *jwttest.ProofKey // nil: h.dpopKey
	method string                             // htm; "": GET
	target string                             // htu's path; "": the request's
	token  func(tokens) string                // ath's token; nil: none
	copies int                                // DPoP header fields; 0: one
	origin bool                               // also send an Origin header (a CORS request)
}

// withProof sends the proof of spec.
func withProof(spec proofSpec) sender {
	return func(h *harness, req *http.Request) (*http.Client, error) {
		p, err := h.specProof(spec, req, "")
		if err != nil {
			return nil, err
		}
		for range max(spec.copies, 1) {
			req.Header.Add("DPoP", p)
		}
		if spec.origin {
			req.Header.Set("Origin", "https://app.test")
		}
		return h.client(nil), nil
	}
}

func (h *harness) specProof(spec proofSpec, req *http.Request, nonce string) (string, error) {
	key := h.dpopKey
	if spec.key != nil {
		key = spec.key(h)
	}
	method, target, tok := spec.method, spec.target, ""
	if method == "" {
		method = req.Method
	}
	if target == "" {
		target = req.URL.Path
	}
	if spec.token != nil {
		tok = spec.token(h.tok)
	}
	return h.proof(key, method, target, tok, nonce)
}

// replayed sends the proof of spec once itself, checks that it was
// accepted, and then has the case's request send it again.
func replayed(spec proofSpec) sender {
	return func(h *harness, req *http.Request) (*http.Client, error) {
		p, err := h.specProof(spec, req, "")
		if err != nil {
			return nil, err
		}
		req.Header.Set("DPoP", p)
		first := req.Clone(req.Context())
		first.Header.Del(caseHeader)
		res, err := h.client(nil).Do(first)
		if err != nil {
			return nil, err
		}
		io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("the first use of the proof got %d, want 200", res.StatusCode)
		}
		return h.client(nil), nil
	}
}

// withNonce sends the proof of spec with the server nonce that a request
// without one is told to use, after moving the Guards' clock on by
// advance.
func withNonce(spec proofSpec, advance int, forged bool) sender {
	return func(h *harness, req *http.Request) (*http.Client, error) {
		p, err := h.specProof(spec, req, "")
		if err != nil {
			return nil, err
		}
		first := req.Clone(req.Context())
		first.Header.Del(caseHeader)
		first.Header.Set("DPoP", p)
		res, err := h.client(nil).Do(first)
		if err != nil {
			return nil, err
		}
		io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
		res.Body.Close()
		nonce := res.Header.Get("DPoP-Nonce")
		if res.StatusCode != http.StatusUnauthorized || nonce == "" {
			return nil, fmt.Errorf("a proof without nonce got %d and DPoP-Nonce %q, want 401 and a nonce", res.StatusCode, nonce)
		}
		if forged {
			nonce = "x" + nonce[1:]
			if nonce == res.Header.Get("DPoP-Nonce") {
				nonce = "y" + nonce[1:]
			}
		}
		h.clock.advance(nonceLife * time.Duration(advance))
		h.lastNonce = nonce
		if p, err = h.specProof(spec, req, nonce); err != nil {
			return nil, err
		}
		req.Header.Set("DPoP", p)
		return h.client(nil), nil
	}
}

// withCertificate sends the request from a client that presents cert.
func withCertificate(cert func(h *harness) *tls.Certificate) sender {
	return func(h *harness, req *http.Request) (*http.Client, error) {
		return h.client(cert(h)), nil
	}
}

// boundCases are the rows of sender-constrained tokens: DPoP (RFC 9449)
// and certificate binding (RFC 8705).
func (h *harness) boundCases() []testCase {
	dpopTok := func(tk tokens) string { return tk.dpop }
	opaqueTok := func(tk tokens) string { return tk.opaque }
	validTok := func(tk tokens) string { return tk.valid }
	as := func(scheme string, pick func(tokens) string) func(tokens) []string {
		return func(tk tokens) []string { return []string{scheme + " " + pick(tk)} }
	}
	proof := proofSpec{token: dpopTok}
	otherKey := func(h *harness) *jwttest.ProofKey { return h.other }
	certA := func(h *harness) *tls.Certificate { return &h.certA }
	certB := func(h *harness) *tls.Certificate { return &h.certB }
	badProof := want{status: 401, code: "invalid_dpop_proof", err: middleware.ErrInvalidDPoPProof, on: "DPoP"}
	invalidToken := func(on string) want {
		return want{status: 401, code: "invalid_token", err: jwtverify.ErrInvalidToken, on: on}
	}
	served := func(sub string) want { return want{status: 200, authenticated: true, subject: sub} }
	return []testCase{
		{"dpop: valid proof", "/dpop/me", as("DPoP", dpopTok), withProof(proof), served("erin")},
		{"dpop: scheme in lower case", "/dpop/me", as("dpop", dpopTok), withProof(proof), served("erin")},
		{"dpop: CORS request", "/dpop/me", as("DPoP", dpopTok), withProof(proofSpec{token: dpopTok, origin: true}), served("erin")},
		{"dpop: replayed proof", "/dpop/me", as("DPoP", dpopTok), replayed(proof), badProof},
		{"dpop: proof for another URL", "/dpop/me", as("DPoP", dpopTok), withProof(proofSpec{token: dpopTok, target: "/dpop/orders"}), badProof},
		{"dpop: proof for another method", "/dpop/me", as("DPoP", dpopTok), withProof(proofSpec{token: dpopTok, method: http.MethodPost}), badProof},
		{"dpop: proof for another token", "/dpop/me", as("DPoP", dpopTok), withProof(proofSpec{token: validTok}), badProof},
		{"dpop: proof by another key", "/dpop/me", as("DPoP", dpopTok), withProof(proofSpec{token: dpopTok, key: otherKey}), badProof},
		{"dpop: two DPoP headers", "/dpop/me", as("DPoP", dpopTok), withProof(proofSpec{token: dpopTok, copies: 2}), badProof},
		{"dpop: token without proof", "/dpop/me", as("DPoP", dpopTok), nil, badProof},
		{"dpop: proof without token", "/dpop/me", nil, withProof(proof),
			want{status: 400, code: "invalid_request", err: middleware.ErrInvalidRequest, on: "DPoP"}},
		{"dpop: proof with a Bearer token", "/dpop/me", as("Bearer", validTok), withProof(proofSpec{token: validTok}),
			want{status: 400, code: "invalid_request", err: middleware.ErrInvalidRequest, on: "Bearer"}},
		{"dpop: both schemes at once", "/dpop/me", func(tk tokens) []string { return []string{"DPoP " + tk.dpop, "Bearer " + tk.valid} },
			withProof(proof), want{status: 400, code: "invalid_request", err: middleware.ErrInvalidRequest, on: "Bearer"}},
		{"dpop: bound token as Bearer", "/dpop/me", as("Bearer", dpopTok), nil, invalidToken("Bearer")},
		{"dpop: unbound token as DPoP", "/dpop/me", as("DPoP", validTok), withProof(proofSpec{token: validTok}), invalidToken("DPoP")},
		{"dpop: unbound Bearer token", "/dpop/me", as("Bearer", validTok), nil, served("alice")},
		{"dpop: no token", "/dpop/me", nil, nil, want{status: 401, err: middleware.ErrNoToken}},
		{"dpop: expired token with proof", "/dpop/me", as("DPoP", func(tk tokens) string { return tk.expired }),
			withProof(proofSpec{token: func(tk tokens) string { return tk.expired }}),
			want{status: 401, code: "invalid_token", err: jwtverify.ErrExpired, on: "DPoP"}},
		{"dpop: missing scope", "/dpop/orders", as("DPoP", dpopTok), withProof(proof),
			want{status: 403, code: "insufficient_scope", scope: "orders:read", err: middleware.ErrInsufficientScope, authenticated: true, on: "DPoP"}},
		{"dpop: step-up, strong login", "/dpop/mfa", as("DPoP", func(tk tokens) string { return tk.dpopMFA }),
			withProof(proofSpec{token: func(tk tokens) string { return tk.dpopMFA }}), served("erin")},
		{"dpop: step-up, no acr", "/dpop/mfa", as("DPoP", dpopTok), withProof(proof),
			want{status: 401, code: "insufficient_user_authentication", err: middleware.ErrInsufficientUserAuthentication,
				authenticated: true, on: "DPoP", acrValues: "urn:example:mfa phr"}},
		{"dpop: step-up, Bearer token without acr", "/dpop/mfa", as("Bearer", validTok), nil,
			want{status: 401, code: "insufficient_user_authentication", err: middleware.ErrInsufficientUserAuthentication,
				authenticated: true, on: "Bearer", acrValues: "urn:example:mfa phr"}},
		{"dpop: opaque bound token", "/dpop/me", as("DPoP", opaqueTok), withProof(proofSpec{token: opaqueTok}), served("dana")},
		{"dpop: opaque bound token as Bearer", "/dpop/me", as("Bearer", opaqueTok), nil, invalidToken("Bearer")},
		{"dpop: opaque token, proof by another key", "/dpop/me", as("DPoP", opaqueTok), withProof(proofSpec{token: opaqueTok, key: otherKey}), badProof},
		{"dpop: opaque token, replayed proof", "/dpop/me", as("DPoP", opaqueTok), replayed(proofSpec{token: opaqueTok}), badProof},

		{"dpop off: DPoP scheme", "/api/me", as("DPoP", dpopTok), withProof(proof), want{status: 401, err: middleware.ErrNoToken}},
		{"dpop off: bound token as Bearer", "/api/me", as("Bearer", dpopTok), nil, invalidToken("")},
		{"unsupported confirmation method", "/api/me", as("Bearer", func(tk tokens) string { return tk.unsupported }), nil, invalidToken("")},

		{"dpop required: Bearer token", "/nonce/me", as("Bearer", validTok), nil, want{status: 401, err: middleware.ErrNoToken}},
		{"nonce: proof without nonce", "/nonce/me", as("DPoP", dpopTok), withProof(proof),
			want{status: 401, code: "use_dpop_nonce", err: middleware.ErrUseDPoPNonce, nonce: true}},
		{"nonce: CORS proof without nonce", "/nonce/me", as("DPoP", dpopTok), withProof(proofSpec{token: dpopTok, origin: true}),
			want{status: 401, code: "use_dpop_nonce", err: middleware.ErrUseDPoPNonce, nonce: true}},
		{"nonce: retry with the nonce", "/nonce/me", as("DPoP", dpopTok), withNonce(proof, 0, false), served("erin")},
		{"nonce: nonce of the previous step", "/nonce/me", as("DPoP", dpopTok), withNonce(proof, 1, false),
			want{status: 200, authenticated: true, subject: "erin", nonce: true}},
		{"nonce: expired nonce", "/nonce/me", as("DPoP", dpopTok), withNonce(proof, 2, false),
			want{status: 401, code: "use_dpop_nonce", err: middleware.ErrUseDPoPNonce, nonce: true}},
		{"nonce: forged nonce", "/nonce/me", as("DPoP", dpopTok), withNonce(proof, 0, true),
			want{status: 401, code: "use_dpop_nonce", err: middleware.ErrUseDPoPNonce, nonce: true}},

		{"certificate-bound token, its certificate", "/api/me", as("Bearer", func(tk tokens) string { return tk.certBound }), withCertificate(certA), served("frank")},
		{"certificate-bound token, another certificate", "/api/me", as("Bearer", func(tk tokens) string { return tk.certBound }), withCertificate(certB), invalidToken("")},
		{"certificate-bound token, no certificate", "/api/me", as("Bearer", func(tk tokens) string { return tk.certBound }), nil, invalidToken("")},
		{"unbound token with a certificate", "/api/me", as("Bearer", validTok), withCertificate(certA), served("alice")},
		{"certificate binding required: bound token", "/mtls/me", as("Bearer", func(tk tokens) string { return tk.certBound }), withCertificate(certA), served("frank")},
		{"certificate binding required: bearer token", "/mtls/me", as("Bearer", validTok), withCertificate(certA), invalidToken("")},
	}
}
