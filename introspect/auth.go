package introspect

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tokenguard/tokenguard/internal/jose"
)

// secret is a string that never shows itself in logs or fmt output.
type secret string

func (secret) String() string       { return redacted }
func (secret) GoString() string     { return redacted }
func (secret) LogValue() slog.Value { return slog.StringValue(redacted) }
func (s secret) reveal() string     { return string(s) }

// clientAuth holds the prepared credentials of one [AuthMethod]. Everything
// that does not change per request is computed in New.
type clientAuth struct {
	method   AuthMethod
	clientID string
	header   secret // whole Authorization header value (basic, bearer)
	secret   secret // client_secret form field (post)

	// private_key_jwt
	key       crypto.Signer
	alg       *jose.Alg
	headerB64 string // encoded JOSE header of every assertion
	audience  string
	size      int // ECDSA: byte length of r and s
}

const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionLifetime is the time from iat to exp of a client assertion.
const assertionLifetime = time.Minute

// credentialField is a credential field of Config and whether it is set.
type credentialField struct {
	name string
	set  bool
}

// credentialFields lists the credential fields of cfg, for the check that a
// method uses every field that is set.
func credentialFields(cfg *Config) []credentialField {
	return []credentialField{
		{"ClientID", cfg.ClientID != ""},
		{"ClientSecret", cfg.ClientSecret != ""},
		{"PrivateKey", cfg.PrivateKey != nil},
		{"KeyID", cfg.KeyID != ""},
		{"SigningAlgorithm", cfg.SigningAlgorithm != ""},
		{"AssertionAudience", cfg.AssertionAudience != ""},
		{"BearerToken", cfg.BearerToken != ""},
	}
}

// methodFields are the credential fields each method uses.
var methodFields = map[AuthMethod][]string{
	AuthClientSecretBasic: {"ClientID", "ClientSecret"},
	AuthClientSecretPost:  {"ClientID", "ClientSecret"},
	AuthPrivateKeyJWT:     {"ClientID", "PrivateKey", "KeyID", "SigningAlgorithm", "AssertionAudience"},
	AuthBearer:            {"BearerToken"},
	AuthNone:              {},
}

// newClientAuth checks the credentials of cfg's AuthMethod and prepares
// them.
func newClientAuth(cfg *Config) (*clientAuth, error) {
	a := &clientAuth{method: cfg.AuthMethod, clientID: cfg.ClientID}
	if a.method == "" {
		a.method = AuthClientSecretBasic
	}
	if err := checkFields(cfg, a.method); err != nil {
		return nil, err
	}
	switch a.method {
	case AuthClientSecretBasic:
		// RFC 6749 §2.3.1: both parts are form-encoded before Basic.
		raw := url.QueryEscape(cfg.ClientID) + ":" + url.QueryEscape(cfg.ClientSecret)
		a.header = secret("Basic " + base64.StdEncoding.EncodeToString([]byte(raw)))
	case AuthClientSecretPost:
		a.secret = secret(cfg.ClientSecret)
	case AuthBearer:
		a.header = secret("Bearer " + cfg.BearerToken)
	case AuthPrivateKeyJWT:
		if err := a.prepareAssertion(cfg); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// checkFields refuses an unknown method, a credential field the method does
// not use, and a missing one it needs.
func checkFields(cfg *Config, method AuthMethod) error {
	uses, ok := methodFields[method]
	if !ok {
		return fmt.Errorf("%w: Config.AuthMethod %s is not supported (use client_secret_basic, client_secret_post, private_key_jwt, bearer or none)", errConfig, quote(string(cfg.AuthMethod)))
	}
	for _, f := range credentialFields(cfg) {
		if f.set && !slices.Contains(uses, f.name) {
			return fmt.Errorf("%w: Config.%s is set but AuthMethod %s does not use it (it uses %s)", errConfig, f.name, method, usesText(uses))
		}
	}
	for _, f := range credentialFields(cfg) {
		if !f.set && slices.Contains(requiredFields[method], f.name) {
			return fmt.Errorf("%w: Config.%s is required with %s", errConfig, f.name, method)
		}
	}
	return nil
}

// requiredFields are the credential fields each method cannot do without.
var requiredFields = map[AuthMethod][]string{
	AuthClientSecretBasic: {"ClientID", "ClientSecret"},
	AuthClientSecretPost:  {"ClientID", "ClientSecret"},
	AuthPrivateKeyJWT:     {"ClientID", "PrivateKey"},
	AuthBearer:            {"BearerToken"},
}

// usesText lists fields for an error message.
func usesText(fields []string) string {
	if len(fields) == 0 {
		return "no credential"
	}
	return "only Config." + strings.Join(fields, ", Config.")
}

func (a *clientAuth) prepareAssertion(cfg *Config) error {
	audience := cfg.AssertionAudience
	if audience == "" {
		audience = cfg.Issuer
	}
	if audience == "" {
		return fmt.Errorf("%w: private_key_jwt needs the audience of its client assertions: set Config.Issuer "+
			"(the authorization server's issuer identifier, the audience by default) or Config.AssertionAudience", errConfig)
	}
	pub := cfg.PrivateKey.Public()
	name := cfg.SigningAlgorithm
	if name == "" {
		name = defaultAlgorithm(pub)
		if name == "" {
			return fmt.Errorf("%w: Config.PrivateKey has an unsupported public key type %T", errConfig, pub)
		}
	}
	alg, ok := jose.Lookup(name)
	if !ok {
		return fmt.Errorf("%w: Config.SigningAlgorithm %s is not supported (supported: RS256/384/512, PS256/384/512, ES256/384/512, EdDSA)", errConfig, quote(name))
	}
	if !alg.Fits(pub) {
		return fmt.Errorf("%w: Config.PrivateKey (%T) does not fit Config.SigningAlgorithm %s", errConfig, cfg.PrivateKey, name)
	}
	if k, ok := pub.(*ecdsa.PublicKey); ok {
		a.size = (k.Curve.Params().BitSize + 7) / 8
	}
	h := map[string]string{"alg": alg.Name, "typ": "JWT"}
	if cfg.KeyID != "" {
		h["kid"] = cfg.KeyID
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return err
	}
	a.key, a.alg, a.audience = cfg.PrivateKey, alg, audience
	a.headerB64 = base64.RawURLEncoding.EncodeToString(hb)
	return nil
}

func defaultAlgorithm(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return "RS256"
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return "ES256"
		case elliptic.P384():
			return "ES384"
		case elliptic.P521():
			return "ES512"
		}
	case ed25519.PublicKey:
		return "EdDSA"
	}
	return ""
}

// apply adds the client's credentials to an introspection request: it
// returns the Authorization header value to send, if any, and adds form
// fields to form.
func (a *clientAuth) apply(form url.Values, now time.Time) (string, error) {
	switch a.method {
	case AuthClientSecretBasic, AuthBearer:
		return a.header.reveal(), nil
	case AuthClientSecretPost:
		form.Set("client_id", a.clientID)
		form.Set("client_secret", a.secret.reveal())
	case AuthPrivateKeyJWT:
		assertion, err := a.assertion(now)
		if err != nil {
			return "", err
		}
		form.Set("client_id", a.clientID)
		form.Set("client_assertion_type", assertionType)
		form.Set("client_assertion", assertion)
	}
	return "", nil
}

// assertion signs a new client assertion (RFC 7523 §3): a fresh jti every
// time, since servers may refuse a replayed one.
func (a *clientAuth) assertion(now time.Time) (string, error) {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", err
	}
	claims, err := json.Marshal(struct {
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Aud string `json:"aud"`
		Jti string `json:"jti"`
		Iat int64  `json:"iat"`
		Exp int64  `json:"exp"`
	}{a.clientID, a.clientID, a.audience, base64.RawURLEncoding.EncodeToString(id[:]), now.Unix(), now.Add(assertionLifetime).Unix()})
	if err != nil {
		return "", err
	}
	input := a.headerB64 + "." + base64.RawURLEncoding.EncodeToString(claims)
	sig, err := a.sign([]byte(input))
	if err != nil {
		return "", fmt.Errorf("signing the client assertion: %w", err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// sign produces a JWS signature (RFC 7518 encodings) with any crypto.Signer.
func (a *clientAuth) sign(input []byte) ([]byte, error) {
	if a.alg.KeyType == jose.KeyEd25519 {
		return a.key.Sign(rand.Reader, input, crypto.Hash(0))
	}
	h := a.alg.Hash.New()
	h.Write(input)
	digest := h.Sum(nil)
	var opts crypto.SignerOpts = a.alg.Hash
	if a.alg.PSS {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: a.alg.Hash}
	}
	sig, err := a.key.Sign(rand.Reader, digest, opts)
	if err != nil || a.alg.KeyType != jose.KeyEC {
		return sig, err
	}
	// crypto.Signer returns ECDSA signatures as ASN.1; JWS wants R||S.
	var rs struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(sig, &rs); err != nil || len(rest) != 0 || rs.R.Sign() <= 0 || rs.S.Sign() <= 0 {
		return nil, errors.New("ECDSA signer returned a malformed signature")
	}
	if rs.R.BitLen() > 8*a.size || rs.S.BitLen() > 8*a.size {
		return nil, errors.New("ECDSA signature does not fit the curve")
	}
	out := make([]byte, 2*a.size)
	rs.R.FillBytes(out[:a.size])
	rs.S.FillBytes(out[a.size:])
	return out, nil
}
