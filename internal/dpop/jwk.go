package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"

	"github.com/tokenguard/tokenguard/internal/jose"
)

// Bounds on the proof's key.
const (
	minRSABits    = 2048
	maxRSABits    = 8192 // verification cost grows with the modulus
	maxJWKMembers = 32
)

var b64 = base64.RawURLEncoding.Strict()

// jwkNames are the members parseJWK reads, refuses or checks; a member that
// equals one of them only under case folding is refused.
var jwkNames = [...]string{"kty", "crv", "n", "e", "x", "y", "alg", "use", "d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// proofKey is the public key of a proof's jwk header, ready to verify, with
// its RFC 7638 thumbprint.
type proofKey struct {
	pub   crypto.PublicKey
	thumb [43]byte // base64url of the SHA-256 thumbprint
}

// parseJWK turns raw, the JSON of a jwk header, into a public key: RSA of
// 2048 to 8192 bits with an odd exponent from 3 to 2^31-1, EC on P-256,
// P-384 or P-521 (the point on its curve), or Ed25519. Private or symmetric
// members are refused, as are values that are not the minimal (RSA) or
// full-size (EC, Ed25519) strict base64url that RFC 7518 §6 asks for, so
// that one key has one thumbprint. alg, when present, must be headerAlg, and
// use, when present, sig.
func parseJWK(raw []byte, headerAlg string) (*proofKey, *ProofError) {
	if len(raw) == 0 || raw[0] != '{' {
		return nil, refuse(ErrKey, "the jwk header is not a JSON object")
	}
	var f struct{ kty, crv, n, e, x, y, alg, use []byte }
	var bad *ProofError
	err := jose.ScanObject(raw, maxJWKMembers, func(name, value []byte) error {
		var dst *[]byte
		switch string(name) {
		case "kty":
			dst = &f.kty
		case "crv":
			dst = &f.crv
		case "n":
			dst = &f.n
		case "e":
			dst = &f.e
		case "x":
			dst = &f.x
		case "y":
			dst = &f.y
		case "alg":
			dst = &f.alg
		case "use":
			dst = &f.use
		case "d", "p", "q", "dp", "dq", "qi", "oth", "k":
			bad = refuse(ErrKey, "the jwk header holds the private or symmetric key member "+string(name)+": a proof carries only a public key")
			return errors.New("private")
		default:
			if r, folds := jose.FoldsTo(name, jwkNames[:]); folds {
				bad = refuse(ErrMalformed, "jwk member "+jose.Quote(string(name))+" differs from "+r+" only in letter case, which JSON decoders that ignore case would read as "+r)
				return errors.New("folded")
			}
			return nil // kid, key_ops, x5c...: not used
		}
		s, ok := jose.String(value)
		if !ok {
			bad = refuse(ErrMalformed, "jwk member "+string(name)+" is not a JSON string")
			return errors.New("type")
		}
		*dst = s
		return nil
	})
	if bad != nil {
		return nil, bad
	}
	if err != nil {
		return nil, refuse(ErrMalformed, "the jwk header is not a valid JSON object: "+err.Error())
	}
	if f.alg != nil && string(f.alg) != headerAlg {
		return nil, refuse(ErrKey, "the jwk's alg "+jose.Quote(string(f.alg))+" is not the proof's alg "+jose.Quote(headerAlg))
	}
	if f.use != nil && string(f.use) != "sig" {
		return nil, refuse(ErrKey, "the jwk's use "+jose.Quote(string(f.use))+" is not sig")
	}
	switch string(f.kty) {
	case "RSA":
		return rsaKey(f.n, f.e)
	case "EC":
		return ecKey(f.crv, f.x, f.y)
	case "OKP":
		if string(f.crv) != "Ed25519" {
			return nil, refuse(ErrKey, "OKP curve "+jose.Quote(string(f.crv))+" is not Ed25519")
		}
		x, ok := decodeExact(f.x, ed25519.PublicKeySize)
		if !ok {
			return nil, refuse(ErrKey, "the Ed25519 jwk's x is not the strict base64url of 32 bytes")
		}
		k := &proofKey{pub: ed25519.PublicKey(x)}
		var buf [128]byte
		k.thumbprint(append(append(append(buf[:0], `{"crv":"Ed25519","kty":"OKP","x":"`...), f.x...), `"}`...))
		return k, nil
	case "oct":
		return nil, refuse(ErrKey, "the jwk is a symmetric key (kty oct): a proof is signed with an asymmetric key")
	case "":
		if f.kty == nil {
			return nil, refuse(ErrKey, "the jwk has no kty")
		}
	}
	return nil, refuse(ErrKey, "jwk kty "+jose.Quote(string(f.kty))+" is not RSA, EC or OKP")
}

func rsaKey(n64, e64 []byte) (*proofKey, *ProofError) {
	n, ok := decode(n64, maxRSABits/8)
	if !ok || len(n) == 0 || n[0] == 0 {
		return nil, refuse(ErrKey, "the RSA jwk's n is not the minimal strict base64url of a modulus of at most 8192 bits")
	}
	e, ok := decode(e64, 4)
	if !ok || len(e) == 0 || e[0] == 0 {
		return nil, refuse(ErrKey, "the RSA jwk's e is not the minimal strict base64url of an exponent below 2^32")
	}
	var exp int64
	for _, b := range e {
		exp = exp<<8 | int64(b)
	}
	if exp < 3 || exp%2 == 0 || exp > 1<<31-1 {
		return nil, refuse(ErrKey, "the RSA jwk's exponent is not an odd number from 3 to 2^31-1")
	}
	mod := new(big.Int).SetBytes(n)
	if bits := mod.BitLen(); bits < minRSABits || mod.Bit(0) == 0 {
		return nil, refuse(ErrKey, "the RSA jwk's modulus is even or shorter than 2048 bits")
	}
	k := &proofKey{pub: &rsa.PublicKey{N: mod, E: int(exp)}}
	var buf [1600]byte // n of 8192 bits is 1366 characters
	b := append(append(buf[:0], `{"e":"`...), e64...)
	b = append(append(append(b, `","kty":"RSA","n":"`...), n64...), `"}`...)
	k.thumbprint(b)
	return k, nil
}

func ecKey(crv, x64, y64 []byte) (*proofKey, *ProofError) {
	var curve elliptic.Curve
	var size int
	switch string(crv) {
	case "P-256":
		curve, size = elliptic.P256(), 32
	case "P-384":
		curve, size = elliptic.P384(), 48
	case "P-521":
		curve, size = elliptic.P521(), 66
	default:
		return nil, refuse(ErrKey, "EC curve "+jose.Quote(string(crv))+" is not P-256, P-384 or P-521")
	}
	var point [1 + 2*66]byte
	point[0] = 4 // uncompressed
	x, okx := decodeInto(point[1:1+size], x64, size)
	y, oky := decodeInto(point[1+size:1+2*size], y64, size)
	if !okx || !oky || x != size || y != size {
		return nil, refuse(ErrKey, "the EC jwk's x or y is not the strict base64url of a full-size coordinate")
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, point[:1+2*size])
	if err != nil {
		return nil, refuse(ErrKey, "the EC jwk's point is not on curve "+string(crv))
	}
	k := &proofKey{pub: pub}
	var buf [256]byte
	b := append(append(append(buf[:0], `{"crv":"`...), crv...), `","kty":"EC","x":"`...)
	b = append(append(append(append(b, x64...), `","y":"`...), y64...), `"}`...)
	k.thumbprint(b)
	return k, nil
}

// thumbprint sets k.thumb to the RFC 7638 thumbprint of canonical, the JSON
// of the key's required members in name order without white space. The
// member values are strict base64url and curve names, which JSON writes
// without escapes, so canonical is built by plain concatenation.
func (k *proofKey) thumbprint(canonical []byte) {
	sum := sha256.Sum256(canonical)
	b64.Encode(k.thumb[:], sum[:])
}

// decode returns the strict base64url decoding of s when it holds at most
// max bytes.
func decode(s []byte, max int) ([]byte, bool) {
	if b64.DecodedLen(len(s)) > max {
		return nil, false
	}
	out := make([]byte, b64.DecodedLen(len(s)))
	n, err := b64.Decode(out, s)
	if err != nil || n > max {
		return nil, false
	}
	return out[:n], true
}

// decodeExact returns the strict base64url decoding of s when it is exactly
// size bytes.
func decodeExact(s []byte, size int) ([]byte, bool) {
	out := make([]byte, size)
	n, ok := decodeInto(out, s, size)
	return out, ok && n == size
}

// decodeInto decodes s into dst (len(dst) == size) when it fits.
func decodeInto(dst, s []byte, size int) (int, bool) {
	if b64.DecodedLen(len(s)) != size {
		return 0, false
	}
	n, err := b64.Decode(dst, s)
	return n, err == nil
}
