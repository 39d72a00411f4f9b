package jwks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/tokenguard/tokenguard/internal/fetch"
	"github.com/tokenguard/tokenguard/internal/jose"
)

// Key is one usable verification key of a JWK Set, already turned into a
// standard-library public key. Keys are immutable; a refresh that finds the
// same key again keeps the same *Key, so pointer identity means "still
// published".
type Key struct {
	// ID is the kid member; empty when the JWK has none.
	ID string
	// Algorithm is the alg member; empty when the JWK does not restrict it.
	Algorithm string
	// Public is a *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey.
	Public crypto.PublicKey
}

// Fits reports whether k may verify a signature made with alg: alg is a
// supported algorithm, the key's own alg (if any) equals it exactly, and the
// key type and curve are the ones alg needs.
func (k *Key) Fits(alg string) bool {
	a, ok := jose.Lookup(alg)
	return ok && (k.Algorithm == "" || k.Algorithm == alg) && a.Fits(k.Public)
}

// minRSABits is the smallest RSA modulus accepted in a key set.
const minRSABits = 2048

// jwkMembers are the members read before handing a key to jwx.
type jwkMembers struct {
	Kty    string   `json:"kty"`
	Use    string   `json:"use"`
	KeyOps []string `json:"key_ops"`
	Alg    string   `json:"alg"`
	Kid    string   `json:"kid"`
	Crv    string   `json:"crv"`
	// Private or symmetric members: a key carrying any is dropped.
	D   json.RawMessage `json:"d"`
	P   json.RawMessage `json:"p"`
	Q   json.RawMessage `json:"q"`
	DP  json.RawMessage `json:"dp"`
	DQ  json.RawMessage `json:"dq"`
	QI  json.RawMessage `json:"qi"`
	Oth json.RawMessage `json:"oth"`
	K   json.RawMessage `json:"k"`
}

// ParseSet parses a JWK Set document (RFC 7517 §5) and returns its usable
// verification keys, with the reason each other key was dropped. A key is
// usable when: it is an object of at most 64 members, none named twice (in
// any letter case); its use is absent or "sig"; its key_ops, if present,
// include "verify"; it has no private or symmetric members; its kty is RSA
// (modulus of at least 2048 bits, odd public exponent from 3 to 2^31-1), EC (P-256,
// P-384 or P-521, point on the curve) or OKP Ed25519; and its alg, if present,
// is a supported signature algorithm that fits the key. The certificate
// members x5c, x5t, x5t#S256 and x5u are ignored, never parsed: a
// certificate that Go refuses does not cost the key. A set whose keys are
// all unusable (or that has none) is not an error.
func ParseSet(data []byte) (keys []*Key, dropped []error, err error) {
	// Duplicate names are refused in the set object itself; a key that has
	// some is dropped below, alone.
	var keysValue []byte
	if err := jose.ScanTop(data, maxJWKMembers, func(name, value []byte) error {
		if string(name) == "keys" {
			keysValue = value
		}
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("key set is not a valid JSON object: %w", err)
	}
	if keysValue == nil {
		return nil, nil, errors.New(`key set has no "keys" member`)
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(keysValue, &raws); err != nil || raws == nil {
		return nil, nil, errors.New(`key set's "keys" member is not an array`)
	}
	for i, raw := range raws {
		if !jose.Valid(raw) {
			dropped = append(dropped, fmt.Errorf("key %d: not a JWK object: a member name appears twice (compared as encoding/json does, ignoring case)", i))
			continue
		}
		k, err := parseKey(raw)
		if err != nil {
			dropped = append(dropped, fmt.Errorf("key %d: %w", i, err))
			continue
		}
		keys = append(keys, k)
	}
	return keys, dropped, nil
}

// maxJWKMembers bounds the members of one JWK; real keys have about ten.
const maxJWKMembers = 64

// x509Members are the JWK members that carry or point to certificates
// (RFC 7517 §4.6-4.9). They are never used: keys are trusted because the
// issuer's key set publishes them, not through a certificate.
var x509Members = [...]string{"x5c", "x5t", "x5t#S256", "x5u"}

// parseKey turns one JWK object into a usable verification key, or says why
// it is not one.
func parseKey(raw []byte) (*Key, error) {
	var m jwkMembers
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("not a JWK object: %w", err)
	}
	raw, err := withoutX509Members(raw)
	if err != nil {
		return nil, err
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	pub, err := exportPublic(raw, m.Kty)
	if err != nil {
		return nil, err
	}
	if err := checkPublic(pub, m.Kty); err != nil {
		return nil, err
	}
	if err := checkAlg(m.Alg, m.Kty, pub); err != nil {
		return nil, err
	}
	return &Key{ID: m.Kid, Algorithm: m.Alg, Public: pub}, nil
}

// check refuses, from its members alone, a JWK that is no public
// verification key of a supported type.
func (m *jwkMembers) check() error {
	if m.D != nil || m.P != nil || m.Q != nil || m.DP != nil || m.DQ != nil || m.QI != nil || m.Oth != nil || m.K != nil {
		return errors.New("carries private or symmetric key material")
	}
	if m.Use != "" && m.Use != "sig" {
		return fmt.Errorf("use %q is not sig", fetch.Excerpt(m.Use))
	}
	if m.KeyOps != nil && !slices.Contains(m.KeyOps, "verify") {
		return errors.New(`key_ops does not allow "verify"`)
	}
	switch m.Kty {
	case "RSA", "EC":
	case "OKP":
		if m.Crv != "Ed25519" {
			return fmt.Errorf("OKP curve %q is not Ed25519", fetch.Excerpt(m.Crv))
		}
	default:
		return fmt.Errorf("kty %q is not a supported public key type", fetch.Excerpt(m.Kty))
	}
	return nil
}

// exportPublic has jwx parse the JWK raw (without certificate members) and
// export its public key.
func exportPublic(raw []byte, kty string) (crypto.PublicKey, error) {
	parsed, err := jwk.ParseKey(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid %s key: %w", kty, err)
	}
	var pub any
	if err := jwk.Export(parsed, &pub); err != nil {
		return nil, fmt.Errorf("invalid %s key: %w", kty, err)
	}
	return pub, nil
}

// checkPublic refuses a public key that is weak or malformed.
func checkPublic(pub crypto.PublicKey, kty string) error {
	switch p := pub.(type) {
	case *rsa.PublicKey:
		return checkRSA(p)
	case *ecdsa.PublicKey:
		if _, err := p.Bytes(); err != nil {
			return fmt.Errorf("EC point: %w", err)
		}
		switch p.Curve.Params().Name {
		case "P-256", "P-384", "P-521":
			return nil
		}
		return fmt.Errorf("EC curve %q is not supported", p.Curve.Params().Name)
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return errors.New("Ed25519 key has the wrong size")
		}
		return nil
	}
	return fmt.Errorf("kty %q did not yield a public key", kty)
}

// checkRSA refuses an RSA key that is short, has an unusual exponent, an
// even modulus, or the ROCA fingerprint.
func checkRSA(p *rsa.PublicKey) error {
	switch {
	case p.N.BitLen() < minRSABits:
		return fmt.Errorf("RSA modulus of %d bits is under %d", p.N.BitLen(), minRSABits)
	case p.E < 3 || p.E%2 == 0 || int64(p.E) > 1<<31-1:
		return fmt.Errorf("RSA public exponent %d is not an odd number from 3 to 2^31-1", p.E)
	case p.N.Bit(0) == 0:
		return errors.New("RSA modulus is even")
	case rocaFingerprint(p.N):
		return errors.New("RSA modulus has the ROCA fingerprint (CVE-2017-15361): its private key can be computed")
	}
	return nil
}

// checkAlg refuses an alg member that names no supported signature
// algorithm, or one that the key does not fit.
func checkAlg(alg, kty string, pub crypto.PublicKey) error {
	if alg == "" {
		return nil
	}
	a, ok := jose.Lookup(alg)
	if !ok {
		return fmt.Errorf("alg %q is not a supported signature algorithm", fetch.Excerpt(alg))
	}
	if !a.Fits(pub) {
		return fmt.Errorf("alg %q does not fit a %s key", alg, kty)
	}
	return nil
}

// withoutX509Members returns the JWK object raw without its x5c, x5t,
// x5t#S256 and x5u members, so that jwx never parses a certificate: one that
// Go's x509 refuses (a negative serial number, say, which other stacks
// accept) would otherwise cost the key. Names are compared after JSON
// unescaping. A JWK that names a member twice (in any letter case) is
// refused: decoders disagree about which copy wins.
func withoutX509Members(raw []byte) ([]byte, error) {
	var kept []byte
	strip := false
	err := jose.ScanObject(raw, maxJWKMembers, func(name, value []byte) error {
		for _, x := range x509Members {
			if strings.EqualFold(string(name), x) {
				strip = true
				return nil
			}
		}
		if kept == nil {
			kept = append(make([]byte, 0, len(raw)), '{')
		} else {
			kept = append(kept, ',')
		}
		quoted, err := json.Marshal(string(name)) // JSON quoting, not Go's
		if err != nil {
			return err
		}
		kept = append(kept, quoted...)
		kept = append(kept, ':')
		kept = append(kept, value...)
		return nil
	})
	switch {
	case errors.Is(err, jose.ErrDuplicate):
		return nil, errors.New("a member name appears twice")
	case err != nil:
		return nil, fmt.Errorf("not a JWK object of at most %d members", maxJWKMembers)
	case !strip:
		return raw, nil
	case kept == nil:
		return []byte("{}"), nil
	}
	return append(kept, '}'), nil
}

// equal reports whether two keys are the same published key.
func (k *Key) equal(o *Key) bool {
	if k.ID != o.ID || k.Algorithm != o.Algorithm {
		return false
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := k.Public.(equaler)
	return ok && e.Equal(o.Public)
}

// rocaFingerprint reports whether n has the structure of the moduli made by
// the flawed Infineon RSA library (ROCA, CVE-2017-15361), whose factors can
// be computed: n mod p is a power of 65537 mod p for every odd prime p up to
// 701. Those primes all divide the library's M for moduli of 1984 bits and
// more; a random modulus passes with a probability of about 2^-167.
func rocaFingerprint(n *big.Int) bool {
	var q, r, pb big.Int
	for p := int64(3); p <= 701; p += 2 {
		prime := true
		for d := int64(3); d*d <= p; d += 2 {
			if p%d == 0 {
				prime = false
				break
			}
		}
		if !prime {
			continue
		}
		q.QuoRem(n, pb.SetInt64(p), &r)
		x, g := r.Int64(), 65537%p
		in := false
		for y := int64(1); ; {
			if y == x {
				in = true
				break
			}
			if y = y * g % p; y == 1 {
				break
			}
		}
		if !in {
			return false
		}
	}
	return true
}
