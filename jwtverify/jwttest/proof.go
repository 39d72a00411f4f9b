package jwttest

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// ProofKey is a client's DPoP key (RFC 9449): it signs the proof that goes
// with each request in the DPoP header, and its thumbprint is what the
// authorization server binds tokens to (cnf.jkt). Use it to test an API
// that accepts DPoP-bound tokens, or as the client side of a demo. It is
// safe for concurrent use.
type ProofKey struct {
	alg   string
	key   crypto.Signer
	jwk   map[string]any
	thumb string
	now   func() time.Time
}

// NewProofKey generates a DPoP key for alg (ES256 if empty; RS*, PS*, ES*
// and EdDSA are supported).
func NewProofKey(alg string) (*ProofKey, error) {
	if alg == "" {
		alg = "ES256"
	}
	key, err := generate(alg)
	if err != nil {
		return nil, err
	}
	jwk := PublicJWK(key.Public(), "", "")
	delete(jwk, "use")
	thumb, err := thumbprint(jwk)
	if err != nil {
		return nil, err
	}
	return &ProofKey{alg: alg, key: key, jwk: jwk, thumb: thumb, now: time.Now}, nil
}

// thumbprint is the JWK SHA-256 Thumbprint of RFC 7638: the hash of the
// key's required members, in lexicographic order, without white space.
func thumbprint(jwk map[string]any) (string, error) {
	var members []string
	switch jwk["kty"] {
	case "RSA":
		members = []string{"e", "kty", "n"}
	case "EC":
		members = []string{"crv", "kty", "x", "y"}
	case "OKP":
		members = []string{"crv", "kty", "x"}
	default:
		return "", fmt.Errorf("jwttest: no thumbprint for kty %v", jwk["kty"])
	}
	buf := []byte{'{'}
	for i, m := range members {
		if i > 0 {
			buf = append(buf, ',')
		}
		name, _ := json.Marshal(m)
		value, err := json.Marshal(jwk[m])
		if err != nil {
			return "", err
		}
		buf = append(append(append(buf, name...), ':'), value...)
	}
	sum := sha256.Sum256(append(buf, '}'))
	return b64(sum[:]), nil
}

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of the key's public
// JWK, base64url-encoded: the cnf.jkt claim of a token bound to the key.
func (k *ProofKey) Thumbprint() string { return k.thumb }

// JWK returns the public JWK of the key, as it appears in the proofs'
// header. The map is a copy.
func (k *ProofKey) JWK() map[string]any {
	m := make(map[string]any, len(k.jwk))
	for n, v := range k.jwk {
		m[n] = v
	}
	return m
}

// Proof returns a fresh proof for an HTTP request (RFC 9449 §4.2): method
// and url (htm and htu; url's query and fragment are left out), a new jti,
// iat now, ath the hash of accessToken when it is not empty, and nonce when
// it is not empty.
func (k *ProofKey) Proof(method, url, accessToken, nonce string) (string, error) {
	claims := map[string]any{"htm": method, "htu": stripQuery(url)}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		claims["ath"] = b64(sum[:])
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	return k.SignProof(nil, claims)
}

// SignProof signs a proof whose header and claims start from the defaults
// (typ dpop+jwt, the key's alg and public jwk; a new jti and iat now) and
// then take header and claims: a member given a nil value is removed. Tests
// of a resource server use it to build the malformed proofs it must refuse.
func (k *ProofKey) SignProof(header, claims map[string]any) (string, error) {
	h := map[string]any{"typ": "dpop+jwt", "alg": k.alg, "jwk": k.jwk}
	for n, v := range header {
		setOrDelete(h, n, v)
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", err
	}
	c := map[string]any{"jti": b64(id[:]), "iat": k.now().Unix()}
	for n, v := range claims {
		setOrDelete(c, n, v)
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return "", err
	}
	cb, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	input := b64(hb) + "." + b64(cb)
	// Signed with the key's own algorithm, whatever alg header says: a
	// test may claim another alg (none, HS256) to see it refused.
	sig, err := SignRaw(k.alg, k.key, []byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + b64(sig), nil
}

// MustProof is [ProofKey.Proof] that fails t on error.
func (k *ProofKey) MustProof(t testing.TB, method, url, accessToken, nonce string) string {
	t.Helper()
	p, err := k.Proof(method, url, accessToken, nonce)
	if err != nil {
		t.Fatalf("jwttest: Proof: %v", err)
	}
	return p
}

// stripQuery removes the query and fragment of a URL (RFC 9449 §4.2: htu
// carries neither).
func stripQuery(u string) string {
	for i := 0; i < len(u); i++ {
		if u[i] == '?' || u[i] == '#' {
			return u[:i]
		}
	}
	return u
}
