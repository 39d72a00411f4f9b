// Package jwttest is a test issuer for code that uses tokenguard: an
// in-process authorization server (an [httptest.Server]) that publishes
// OpenID Connect / RFC 8414 metadata and a JWK Set, signs access tokens with
// any supported algorithm, and rotates keys on demand.
//
//	iss := jwttest.Start(t, jwttest.Options{})
//	v, _ := jwtverify.New(ctx, jwtverify.Config{Issuer: iss.URL, Audiences: []string{"api"}})
//	tok := iss.Mint(t, map[string]any{"aud": "api", "sub": "alice"})
//	claims, err := v.Verify(ctx, tok)
//
// It is for tests and demos only: its keys live in memory and it serves
// plain HTTP on the loopback interface.
package jwttest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Options configures an [Issuer]. The zero value is an RS256 issuer on the
// real clock.
type Options struct {
	// Algorithms are the algorithms the issuer has a key for; the first is
	// the default of [Issuer.Sign]. If empty, RS256 only. Supported:
	// RS256/384/512, PS256/384/512, ES256/384/512, EdDSA.
	Algorithms []string
	// Now is the clock used for default iat and exp. If nil, time.Now.
	Now func() time.Time
	// TokenLifetime is the default exp - iat. If zero, one hour.
	TokenLifetime time.Duration
}

// Issuer is a running test authorization server. It is safe for concurrent
// use.
type Issuer struct {
	// URL is the issuer identifier (and the server's base URL).
	URL string
	// JWKSURL is the address of the published JWK Set.
	JWKSURL string

	srv      *httptest.Server
	opts     Options
	requests atomic.Int64

	mu      sync.Mutex
	keys    []*signingKey // published keys, in publication order
	current map[string]*signingKey
	serial  int
}

type signingKey struct {
	kid string
	alg string
	key crypto.Signer
}

// NewIssuer starts an issuer. Call Close when done. In tests prefer [Start].
func NewIssuer(opts Options) (*Issuer, error) {
	if len(opts.Algorithms) == 0 {
		opts.Algorithms = []string{"RS256"}
	}
	opts.Algorithms = slices.Clone(opts.Algorithms)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TokenLifetime == 0 {
		opts.TokenLifetime = time.Hour
	}
	i := &Issuer{opts: opts, current: make(map[string]*signingKey)}
	for _, alg := range opts.Algorithms {
		if _, err := i.Rotate(alg); err != nil {
			return nil, err
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", i.serveMetadata)
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", i.serveMetadata)
	mux.HandleFunc("GET /jwks", i.serveJWKS)
	i.srv = httptest.NewServer(mux)
	i.URL = i.srv.URL
	i.JWKSURL = i.srv.URL + "/jwks"
	return i, nil
}

// Start starts an issuer for t, failing t on error, and closes it when the
// test ends.
func Start(t testing.TB, opts Options) *Issuer {
	t.Helper()
	i, err := NewIssuer(opts)
	if err != nil {
		t.Fatalf("jwttest.Start: %v", err)
	}
	t.Cleanup(i.Close)
	return i
}

// Close shuts the server down.
func (i *Issuer) Close() { i.srv.Close() }

// JWKSRequests returns how many times the JWK Set was served.
func (i *Issuer) JWKSRequests() int { return int(i.requests.Load()) }

// Rotate creates a new key for alg, publishes it beside the existing keys,
// and makes it the key that signs alg tokens from now on. It returns the new
// key's kid.
func (i *Issuer) Rotate(alg string) (string, error) {
	k, err := generate(alg)
	if err != nil {
		return "", err
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.serial++
	sk := &signingKey{kid: fmt.Sprintf("%s-%d", alg, i.serial), alg: alg, key: k}
	i.keys = append(i.keys, sk)
	i.current[alg] = sk
	return sk.kid, nil
}

// Remove stops publishing the key kid. Tokens it signed stop verifying once
// a verifier has refreshed its keys.
func (i *Issuer) Remove(kid string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.keys = slices.DeleteFunc(i.keys, func(k *signingKey) bool { return k.kid == kid })
}

// KeyID returns the kid that currently signs alg tokens.
func (i *Issuer) KeyID(alg string) string {
	i.mu.Lock()
	defer i.mu.Unlock()
	if k := i.current[alg]; k != nil {
		return k.kid
	}
	return ""
}

// PublicKey returns the public key of kid, or nil.
func (i *Issuer) PublicKey(kid string) crypto.PublicKey {
	if k := i.signer(kid); k != nil {
		return k.key.Public()
	}
	return nil
}

func (i *Issuer) signer(kid string) *signingKey {
	i.mu.Lock()
	defer i.mu.Unlock()
	for _, k := range i.keys {
		if k.kid == kid {
			return k
		}
	}
	for _, k := range i.current {
		if k.kid == kid {
			return k
		}
	}
	return nil
}

// Token describes a token for [Issuer.Sign].
type Token struct {
	// Alg is the algorithm; if empty, the issuer's first algorithm.
	Alg string
	// KeyID selects the signing key; if empty, the current key of Alg.
	KeyID string
	// Header members are added to (or replace) the defaults alg, kid and
	// typ ("at+jwt"). A nil value removes a member.
	Header map[string]any
	// Claims are the token's claims. iss (the issuer's URL), iat (now),
	// exp (now + TokenLifetime) and jti are filled in when absent; a nil
	// value removes a claim instead.
	Claims map[string]any
}

// Sign signs tok and returns the compact JWS.
func (i *Issuer) Sign(tok Token) (string, error) {
	alg := tok.Alg
	if alg == "" {
		alg = i.opts.Algorithms[0]
	}
	var sk *signingKey
	if tok.KeyID != "" {
		sk = i.signer(tok.KeyID)
	} else {
		i.mu.Lock()
		sk = i.current[alg]
		i.mu.Unlock()
	}
	if sk == nil {
		return "", fmt.Errorf("jwttest: no key for alg %q kid %q", alg, tok.KeyID)
	}
	header := map[string]any{"alg": alg, "kid": sk.kid, "typ": "at+jwt"}
	for k, v := range tok.Header {
		setOrDelete(header, k, v)
	}
	now := i.opts.Now()
	claims := map[string]any{
		"iss": i.URL,
		"iat": now.Unix(),
		"exp": now.Add(i.opts.TokenLifetime).Unix(),
		"jti": fmt.Sprintf("jti-%d", now.UnixNano()),
	}
	for k, v := range tok.Claims {
		setOrDelete(claims, k, v)
	}
	hb, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	cb, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := b64(hb) + "." + b64(cb)
	sig, err := SignRaw(alg, sk.key, []byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + b64(sig), nil
}

// Mint signs claims with the default algorithm, failing t on error.
func (i *Issuer) Mint(t testing.TB, claims map[string]any) string {
	t.Helper()
	tok, err := i.Sign(Token{Claims: claims})
	if err != nil {
		t.Fatalf("jwttest: Mint: %v", err)
	}
	return tok
}

// MintWith signs tok, failing t on error.
func (i *Issuer) MintWith(t testing.TB, tok Token) string {
	t.Helper()
	s, err := i.Sign(tok)
	if err != nil {
		t.Fatalf("jwttest: MintWith: %v", err)
	}
	return s
}

func setOrDelete(m map[string]any, k string, v any) {
	if v == nil {
		delete(m, k)
	} else {
		m[k] = v
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// SignRaw signs input with key as JWS algorithm alg (RFC 7518 encodings:
// PKCS #1 v1.5 or PSS for RSA, fixed-width R||S for ECDSA).
func SignRaw(alg string, key crypto.Signer, input []byte) ([]byte, error) {
	var h crypto.Hash
	switch alg {
	case "RS256", "PS256", "ES256":
		h = crypto.SHA256
	case "RS384", "PS384", "ES384":
		h = crypto.SHA384
	case "RS512", "PS512", "ES512":
		h = crypto.SHA512
	case "EdDSA", "Ed25519":
		k, ok := key.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("jwttest: %s needs an Ed25519 key", alg)
		}
		return ed25519.Sign(k, input), nil
	default:
		return nil, fmt.Errorf("jwttest: unsupported alg %q", alg)
	}
	var digest []byte
	switch h {
	case crypto.SHA256:
		d := sha256.Sum256(input)
		digest = d[:]
	case crypto.SHA384:
		d := sha512.Sum384(input)
		digest = d[:]
	default:
		d := sha512.Sum512(input)
		digest = d[:]
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if alg[0] == 'P' {
			return rsa.SignPSS(rand.Reader, k, h, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}
		if alg[0] != 'R' {
			return nil, fmt.Errorf("jwttest: %s cannot use an RSA key", alg)
		}
		return rsa.SignPKCS1v15(rand.Reader, k, h, digest)
	case *ecdsa.PrivateKey:
		if alg[0] != 'E' {
			return nil, fmt.Errorf("jwttest: %s cannot use an EC key", alg)
		}
		r, s, err := ecdsa.Sign(rand.Reader, k, digest)
		if err != nil {
			return nil, err
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out, nil
	}
	return nil, fmt.Errorf("jwttest: key type %T does not fit %s", key, alg)
}

func generate(alg string) (crypto.Signer, error) {
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		return rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ES512":
		return ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "EdDSA", "Ed25519":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	return nil, fmt.Errorf("jwttest: unsupported alg %q", alg)
}

// PublicJWK returns the public JWK (RFC 7517) of pub as a JSON-ready map,
// with kid and alg when not empty.
func PublicJWK(pub crypto.PublicKey, kid, alg string) map[string]any {
	m := map[string]any{}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		m["kty"] = "RSA"
		m["n"] = b64(k.N.Bytes())
		m["e"] = b64(big.NewInt(int64(k.E)).Bytes())
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		x, y := make([]byte, size), make([]byte, size)
		k.X.FillBytes(x)
		k.Y.FillBytes(y)
		m["kty"], m["crv"], m["x"], m["y"] = "EC", k.Curve.Params().Name, b64(x), b64(y)
	case ed25519.PublicKey:
		m["kty"], m["crv"], m["x"] = "OKP", "Ed25519", b64(k)
	}
	if kid != "" {
		m["kid"] = kid
	}
	if alg != "" {
		m["alg"] = alg
	}
	m["use"] = "sig"
	return m
}

// JWKS returns the JWK Set document the issuer currently publishes.
func (i *Issuer) JWKS() []byte {
	i.mu.Lock()
	keys := make([]any, 0, len(i.keys))
	for _, k := range i.keys {
		keys = append(keys, PublicJWK(k.key.Public(), k.kid, k.alg))
	}
	i.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"keys": keys})
	return b
}

func (i *Issuer) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	i.requests.Add(1)
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "max-age=300")
	w.Write(i.JWKS())
}

func (i *Issuer) serveMetadata(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"issuer":                                i.URL,
		"jwks_uri":                              i.JWKSURL,
		"id_token_signing_alg_values_supported": i.opts.Algorithms,
	})
}
