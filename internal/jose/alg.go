// Package jose holds the small, allocation-lean JOSE pieces that the public
// packages share: the gate every compact JWS passes ([ParseCompact]: access
// tokens and signed introspection answers alike), the table of supported
// signature algorithms with their verification, and a strict JSON object
// scanner. It is not API.
package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
)

// Key types an algorithm can need.
const (
	KeyRSA = iota + 1
	KeyEC
	KeyEd25519
)

// Alg describes one supported JWS signature algorithm (RFC 7518 §3, RFC 8037,
// RFC 9864).
type Alg struct {
	Name    string
	KeyType int
	Curve   string // for KeyEC: "P-256", "P-384" or "P-521"
	Hash    crypto.Hash
	PSS     bool
	sigLen  int // exact signature length for ECDSA and Ed25519
}

var (
	rs256 = Alg{Name: "RS256", KeyType: KeyRSA, Hash: crypto.SHA256}
	rs384 = Alg{Name: "RS384", KeyType: KeyRSA, Hash: crypto.SHA384}
	rs512 = Alg{Name: "RS512", KeyType: KeyRSA, Hash: crypto.SHA512}
	ps256 = Alg{Name: "PS256", KeyType: KeyRSA, Hash: crypto.SHA256, PSS: true}
	ps384 = Alg{Name: "PS384", KeyType: KeyRSA, Hash: crypto.SHA384, PSS: true}
	ps512 = Alg{Name: "PS512", KeyType: KeyRSA, Hash: crypto.SHA512, PSS: true}
	es256 = Alg{Name: "ES256", KeyType: KeyEC, Curve: "P-256", Hash: crypto.SHA256, sigLen: 64}
	es384 = Alg{Name: "ES384", KeyType: KeyEC, Curve: "P-384", Hash: crypto.SHA384, sigLen: 96}
	es512 = Alg{Name: "ES512", KeyType: KeyEC, Curve: "P-521", Hash: crypto.SHA512, sigLen: 132}
	eddsa = Alg{Name: "EdDSA", KeyType: KeyEd25519, sigLen: ed25519.SignatureSize}
	ed255 = Alg{Name: "Ed25519", KeyType: KeyEd25519, sigLen: ed25519.SignatureSize}
)

// Names lists every supported algorithm name.
func Names() []string {
	return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}
}

// Lookup returns the algorithm named exactly (case-sensitively) name.
func Lookup(name string) (*Alg, bool) {
	switch name {
	case "RS256":
		return &rs256, true
	case "RS384":
		return &rs384, true
	case "RS512":
		return &rs512, true
	case "PS256":
		return &ps256, true
	case "PS384":
		return &ps384, true
	case "PS512":
		return &ps512, true
	case "ES256":
		return &es256, true
	case "ES384":
		return &es384, true
	case "ES512":
		return &es512, true
	case "EdDSA":
		return &eddsa, true
	case "Ed25519":
		return &ed255, true
	}
	return nil, false
}

// Fits reports whether pub is a key of the type (and curve) a needs.
func (a *Alg) Fits(pub crypto.PublicKey) bool {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return a.KeyType == KeyRSA
	case *ecdsa.PublicKey:
		return a.KeyType == KeyEC && k.Curve != nil && k.Curve.Params().Name == a.Curve
	case ed25519.PublicKey:
		return a.KeyType == KeyEd25519 && len(k) == ed25519.PublicKeySize
	}
	return false
}

// ErrSignature reports a signature that does not verify.
var ErrSignature = errors.New("signature does not verify")

// pssOptions is read-only: the salt length of RFC 7518 §3.5 equals the hash size.
var pssOptions = rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}

// Verify checks sig over signingInput with pub. The caller must have checked
// a.Fits(pub).
func (a *Alg) Verify(pub crypto.PublicKey, signingInput, sig []byte) error {
	if a.KeyType == KeyEd25519 {
		k, ok := pub.(ed25519.PublicKey)
		if !ok || len(sig) != a.sigLen || !ed25519.Verify(k, signingInput, sig) {
			return ErrSignature
		}
		return nil
	}
	var sum [64]byte
	var digest []byte
	switch a.Hash {
	case crypto.SHA256:
		s := sha256.Sum256(signingInput)
		digest = append(sum[:0], s[:]...)
	case crypto.SHA384:
		s := sha512.Sum384(signingInput)
		digest = append(sum[:0], s[:]...)
	case crypto.SHA512:
		s := sha512.Sum512(signingInput)
		digest = append(sum[:0], s[:]...)
	default:
		return ErrSignature
	}
	switch a.KeyType {
	case KeyRSA:
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return ErrSignature
		}
		var err error
		if a.PSS {
			err = rsa.VerifyPSS(k, a.Hash, digest, sig, &pssOptions)
		} else {
			err = rsa.VerifyPKCS1v15(k, a.Hash, digest, sig)
		}
		if err != nil {
			return ErrSignature
		}
		return nil
	case KeyEC:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok || len(sig) != a.sigLen {
			return ErrSignature
		}
		var der [140]byte
		if !ecdsa.VerifyASN1(k, digest, rawToDER(der[:0], sig)) {
			return ErrSignature
		}
		return nil
	}
	return ErrSignature
}

// rawToDER turns the fixed-width R||S of RFC 7518 §3.4 into the ASN.1 DER
// SEQUENCE { INTEGER r, INTEGER s } that crypto/ecdsa verifies. A zero r or s
// becomes INTEGER 0, which VerifyASN1 rejects.
func rawToDER(dst, sig []byte) []byte {
	half := len(sig) / 2
	r, s := trimInt(sig[:half]), trimInt(sig[half:])
	body := intLen(r) + intLen(s)
	dst = append(dst, 0x30)
	if body >= 0x80 {
		dst = append(dst, 0x81)
	}
	dst = append(dst, byte(body))
	dst = appendInt(dst, r)
	return appendInt(dst, s)
}

func trimInt(b []byte) []byte {
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

func intLen(b []byte) int {
	n := len(b)
	if b[0]&0x80 != 0 {
		n++
	}
	return 2 + n // tag, length (< 128 for every supported curve), value
}

func appendInt(dst, b []byte) []byte {
	n := len(b)
	pad := b[0]&0x80 != 0
	if pad {
		n++
	}
	dst = append(dst, 0x02, byte(n))
	if pad {
		dst = append(dst, 0)
	}
	return append(dst, b...)
}
