package dpop

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/tokenguard/tokenguard/internal/jose"
)

// MaxProofBytes bounds a DPoP header: a longer one is refused before any
// parsing. A proof with an RSA key of 4096 bits is about 1.5 KiB.
const MaxProofBytes = 8 << 10

// Bounds on the proof's content.
const (
	maxJTIBytes         = 256
	maxHeaderMembers    = 16
	maxClaimMembers     = 64
	maxUnix             = 253402300799 // the last second of year 9999
	defaultWindow       = 60 * time.Second
	defaultNonceLife    = 5 * time.Minute
	minNonceSecretBytes = 32
)

// Config configures a [Checker]. Each zero field means the default its
// comment states.
type Config struct {
	// Algorithms lists the proof algorithms accepted. If empty, every
	// supported one: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384,
	// ES512, EdDSA and Ed25519. HMAC and none are never accepted.
	Algorithms []string
	// ProofWindow is how far a proof's iat may lie from now, either way.
	// If zero, 60s.
	ProofWindow time.Duration
	// Replay remembers proofs already presented. If nil, a bounded
	// in-memory store of 1,536,000 proofs (about 43 MiB when full) is used:
	// each proof is kept until its iat plus ProofWindow, so it holds about
	// 25,000 proofs per second with the default 60s window (fewer with a
	// longer window, or when proofs' iat lies ahead), and refuses more,
	// failing closed. A fleet of instances must share one store, or a proof
	// can be replayed once to each.
	Replay ReplayStore
	// NonceSecrets turns server nonces on (RFC 9449 §9) when not empty:
	// every proof must then carry a nonce this server issued. Nonces are
	// issued with the first secret and accepted with any, so a secret
	// rotates by putting the new one first and dropping the old one a
	// NonceLifetime later. Each secret must be at least 32 random bytes. If
	// nil, no nonce is required (and a proof's nonce claim is ignored).
	NonceSecrets [][]byte
	// NonceLifetime is the time step of nonces: a nonce is accepted for
	// between one and two NonceLifetimes after it is issued. If zero, 5m.
	NonceLifetime time.Duration
	// ExternalURL is the scheme://host[:port][/prefix] that clients call,
	// for a service behind a proxy that rewrites the host or the scheme:
	// the URL a proof must name is ExternalURL followed by the request's
	// path. If empty, the URL is made from the request (see
	// [Checker.RequestURL]).
	ExternalURL string
	// TrustForwardedHeaders takes the scheme and host from the Forwarded
	// header, or X-Forwarded-Proto and X-Forwarded-Host, when ExternalURL is
	// empty. Set it only behind a proxy that sets them: otherwise a client
	// chooses the URL its proofs are checked against. Off by default.
	TrustForwardedHeaders bool
	// Now is the clock. If nil, time.Now.
	Now func() time.Time
}

// Checker checks DPoP proofs (RFC 9449) for a resource server. It is safe
// for concurrent use.
type Checker struct {
	algs           map[string]*jose.Alg
	window         time.Duration
	store          ReplayStore
	nonces         *nonceSource // nil: nonces off
	external       string
	trustForwarded bool
	now            func() time.Time
}

// New checks cfg and returns a Checker. A field it refuses is a
// [*ConfigError] matching [jwtverify.ErrConfig].
func New(cfg Config) (*Checker, error) {
	c := &Checker{
		window:         cfg.ProofWindow,
		store:          cfg.Replay,
		trustForwarded: cfg.TrustForwardedHeaders,
		now:            cfg.Now,
	}
	if c.now == nil {
		c.now = time.Now
	}
	names := cfg.Algorithms
	if len(names) == 0 {
		names = jose.Names()
	}
	c.algs = make(map[string]*jose.Alg, len(names))
	for i, name := range names {
		a, ok := jose.Lookup(name)
		if !ok {
			return nil, &ConfigError{Field: "Algorithms[" + strconv.Itoa(i) + "]", Reason: jose.Quote(name) + " is not a supported asymmetric signature algorithm (" + strings.Join(jose.Names(), ", ") + ")"}
		}
		c.algs[name] = a
	}
	switch {
	case c.window < 0:
		return nil, &ConfigError{Field: "ProofWindow", Reason: "is negative; zero means the default of 60s"}
	case c.window == 0:
		c.window = defaultWindow
	}
	if len(cfg.NonceSecrets) > 0 {
		life := cfg.NonceLifetime
		switch {
		case life == 0:
			life = defaultNonceLife
		case life < time.Second:
			return nil, &ConfigError{Field: "NonceLifetime", Reason: "is " + life.String() + ", under 1s; zero means the default of 5m"}
		}
		for i, s := range cfg.NonceSecrets {
			if len(s) < minNonceSecretBytes {
				return nil, &ConfigError{Field: "NonceSecrets[" + strconv.Itoa(i) + "]", Reason: "is " + strconv.Itoa(len(s)) + " bytes, want at least 32 random bytes"}
			}
		}
		c.nonces = newNonceSource(cfg.NonceSecrets, life)
	}
	if cfg.ExternalURL != "" {
		if strings.ContainsAny(cfg.ExternalURL, "?#") {
			return nil, &ConfigError{Field: "ExternalURL", Reason: jose.Quote(cfg.ExternalURL) + " has a query or fragment; want scheme://host[:port][/prefix]"}
		}
		u, reason := normalizeURL(cfg.ExternalURL)
		if reason != "" {
			return nil, &ConfigError{Field: "ExternalURL", Reason: jose.Quote(cfg.ExternalURL) + " " + reason + "; want scheme://host[:port][/prefix]"}
		}
		c.external = strings.TrimSuffix(u, "/")
	}
	if c.store == nil {
		// Entries last until iat+window, and iat may lie window ahead.
		c.store = newMemoryStore(memStoreLimit, 2*c.window+time.Second, c.now)
	}
	return c, nil
}

// Algorithms returns the accepted proof algorithms, sorted, for the algs
// parameter of the DPoP challenge (RFC 9449 §7.1).
func (c *Checker) Algorithms() []string {
	names := make([]string, 0, len(c.algs))
	for n := range c.algs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Nonce returns the nonce to send now in a DPoP-Nonce header, or "" when
// nonces are off.
func (c *Checker) Nonce() string {
	if c.nonces == nil {
		return ""
	}
	return c.nonces.at(c.now()).issue
}

// Request is what a proof is checked against.
type Request struct {
	// Method is the request's method, compared with htm exactly.
	Method string
	// URL is the request's absolute URL, from [Checker.RequestURL]: htu
	// must name it once both are normalised. A query is ignored.
	URL string
	// AccessToken is the token of the Authorization header: ath must be
	// its hash.
	AccessToken string
	// KeyThumbprint is the token's cnf.jkt
	// ([jwtverify.Confirmation.KeyThumbprint]): the proof key's thumbprint
	// must equal it. Empty (a token bound to no key) fails with
	// [ErrBinding].
	KeyThumbprint string
}

// Result is what Check learns from an accepted proof.
type Result struct {
	// Thumbprint is the RFC 7638 thumbprint of the proof's key, base64url.
	Thumbprint string
	// Nonce, when not empty, is a fresh server nonce that the answer should
	// carry in a DPoP-Nonce header (with Cache-Control: no-store): the
	// proof's nonce was issued in the previous time step, or with a secret
	// that is no longer the first. Empty when nonces are off or the proof's
	// nonce is the current one.
	Nonce string
}

// Check checks proof, the value of the request's one DPoP header, against
// req, as RFC 9449 §4.3 lists: proof is at most [MaxProofBytes] and one
// compact JWS of strict base64url segments with JSON header and claims
// (no duplicate members at any depth, none differing from a known one only
// in case); typ is dpop+jwt (RFC 8725 §3.11 media type comparison); alg is
// one of Config.Algorithms and fits the key; jwk is a public key of the
// kinds parseJWK accepts, with no private or symmetric members; jti (1 to
// 256 bytes), htm (an HTTP method token), htu, iat (a finite number) and
// ath are present; htm is req.Method; htu, normalised, is req.URL,
// normalised (query and fragment ignored); iat is within Config.ProofWindow
// of now; ath is the base64url SHA-256 of req.AccessToken; the signature
// verifies with jwk; the key's thumbprint is req.KeyThumbprint (compared in
// constant time); with server nonces on, the nonce claim is a current one;
// and the proof was not presented before, which Config.Replay records last,
// so that only proofs that passed every other check take room in it.
//
// It does NOT check the access token itself (verify it first, and take
// req.KeyThumbprint from its claims), that there was exactly one DPoP
// header (see [HeaderProof]), nor anything about the client beyond its
// possession of the key.
//
// A refused proof is a [*ProofError] matching [ErrInvalidProof] and a finer
// sentinel; a missing, unknown or expired nonce a [*NonceError] matching
// [ErrUseNonce]; a failing replay store a [*StoreError] matching
// [jwtverify.ErrUnavailable].
func (c *Checker) Check(ctx context.Context, proof string, req Request) (Result, error) {
	if len(proof) > MaxProofBytes {
		return Result{}, refuse(ErrMalformed, "the proof is "+strconv.Itoa(len(proof))+" bytes, over the limit of "+strconv.Itoa(MaxProofBytes))
	}
	p, perr := parseProof(proof)
	if perr != nil {
		return Result{}, perr
	}
	if !isDPoPType(p.typ) {
		if p.typ == nil {
			return Result{}, refuse(ErrType, "the proof has no typ header; want dpop+jwt")
		}
		return Result{}, refuse(ErrType, "typ "+jose.Quote(string(p.typ))+" is not dpop+jwt")
	}
	alg, ok := c.algs[string(p.alg)]
	if !ok {
		return Result{}, refuse(ErrAlgorithm, "alg "+jose.Quote(string(p.alg))+" is not accepted; accepted: "+strings.Join(c.Algorithms(), " "))
	}
	if p.jwk == nil {
		return Result{}, refuse(ErrKey, "the proof has no jwk header")
	}
	key, perr := parseJWK(p.jwk, alg.Name)
	if perr != nil {
		return Result{}, perr
	}
	if !alg.Fits(key.pub) {
		return Result{}, refuse(ErrAlgorithm, "alg "+alg.Name+" does not fit the proof's key")
	}
	if perr := p.claimsPresent(); perr != nil {
		return Result{}, perr
	}
	if string(p.htm) != req.Method {
		return Result{}, refuse(ErrMethod, "htm "+jose.Quote(string(p.htm))+" is not the request's method "+jose.Quote(req.Method))
	}
	htu, reason := normalizeURL(alias(p.htu))
	if reason != "" {
		return Result{}, refuse(ErrURL, "htu "+reason)
	}
	want, reason := normalizeURL(req.URL)
	if reason != "" {
		return Result{}, refuse(ErrURL, "the request URL "+reason)
	}
	if htu != want {
		return Result{}, refuse(ErrURL, "htu "+jose.Quote(htu)+" is not the request's URL "+jose.Quote(want)+" (both normalised, without query)")
	}
	now := c.now()
	sec, frac := math.Modf(p.iat)
	iat := time.Unix(int64(sec), int64(frac*1e9))
	if d := now.Sub(iat); d > c.window || d < -c.window {
		when := " ago"
		if d < 0 {
			when = " ahead"
		}
		return Result{}, refuse(ErrTime, "iat "+iat.UTC().Format(time.RFC3339)+" is "+d.Abs().Round(time.Second).String()+when+
			", beyond the window of "+c.window.String()+" (are the clocks of client and server apart?)")
	}
	if req.AccessToken == "" {
		return Result{}, refuse(ErrTokenHash, "no access token to check ath against")
	}
	if !athMatches(p.ath, req.AccessToken) {
		return Result{}, refuse(ErrTokenHash, "ath is not the base64url SHA-256 of the access token the request presents")
	}
	if alg.Verify(key.pub, p.signingInput, p.sig) != nil {
		return Result{}, refuse(ErrSignature, "the signature does not verify with the proof's jwk")
	}
	if req.KeyThumbprint == "" {
		return Result{}, refuse(ErrBinding, "the access token is bound to no key (no cnf.jkt)")
	}
	if len(req.KeyThumbprint) != len(key.thumb) || subtle.ConstantTimeCompare(key.thumb[:], []byte(req.KeyThumbprint)) != 1 {
		return Result{}, refuse(ErrBinding, "the thumbprint of the proof's key is not the token's cnf.jkt")
	}
	var fresh string
	if c.nonces != nil {
		var nerr *NonceError
		if fresh, nerr = c.nonces.check(p.nonce, p.nonce != nil, now); nerr != nil {
			return Result{}, nerr
		}
	}
	first, err := c.store.Claim(ctx, replayKey(htu, p.jti), iat.Add(c.window))
	if err != nil {
		return Result{}, &StoreError{Err: err}
	}
	if !first {
		return Result{}, refuse(ErrReplay, "a proof with this jti was already presented for "+jose.Quote(htu)+" within its window")
	}
	return Result{Thumbprint: string(key.thumb[:]), Nonce: fresh}, nil
}

// replayKey is the base64url SHA-256 of htu, a zero byte and jti: a proof
// is replayed when both repeat (RFC 9449 §11.1 keys jti by the target URI),
// and the store never sees either.
func replayKey(htu string, jti []byte) string {
	h := sha256.New()
	h.Write(unsafe.Slice(unsafe.StringData(htu), len(htu)))
	h.Write([]byte{0})
	h.Write(jti)
	var sum [sha256.Size]byte
	return b64.EncodeToString(h.Sum(sum[:0]))
}

func athMatches(ath []byte, token string) bool {
	sum := sha256.Sum256(unsafe.Slice(unsafe.StringData(token), len(token)))
	var want [43]byte
	b64.Encode(want[:], sum[:])
	return subtle.ConstantTimeCompare(ath, want[:]) == 1
}

// isDPoPType compares typ with dpop+jwt as RFC 8725 §3.11 and RFC 7515
// §4.1.9 compare media types: without regard to ASCII case, with an
// optional "application/" prefix.
func isDPoPType(typ []byte) bool {
	t := alias(typ)
	if len(t) > len("application/") && strings.EqualFold(t[:len("application/")], "application/") {
		t = t[len("application/"):]
	}
	return typ != nil && strings.EqualFold(t, "dpop+jwt")
}

func alias(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// proof is a parsed proof; its slices alias one buffer.
type proof struct {
	typ, alg, jwk []byte
	jti, htm, htu []byte
	ath, nonce    []byte
	iat           float64
	haveIat       bool
	signingInput  []byte
	sig           []byte
}

// proofHeaderNames and proofClaimNames are the members the parser reads; a
// member that equals one only under case folding is refused.
var (
	proofHeaderNames = [...]string{"typ", "alg", "jwk", "crit", "b64"}
	proofClaimNames  = [...]string{"jti", "htm", "htu", "iat", "ath", "nonce"}
)

// parseProof splits and decodes the compact JWS and reads its header and
// claims; it checks syntax and types, not values.
func parseProof(s string) (*proof, *ProofError) {
	// Strict base64url decoding refuses every byte outside the alphabet
	// but the line breaks it skips, which are refused here.
	d1 := strings.IndexByte(s, '.')
	d2 := -1
	if d1 >= 0 {
		if d2 = strings.IndexByte(s[d1+1:], '.'); d2 >= 0 {
			d2 += d1 + 1
		}
	}
	switch {
	case d2 < 0:
		return nil, refuse(ErrMalformed, "the proof is not three dot-separated segments: not a compact JWS")
	case strings.IndexByte(s[d2+1:], '.') >= 0:
		return nil, refuse(ErrMalformed, "the proof has more than three segments: not a compact JWS")
	case strings.ContainsAny(s, "\r\n"):
		return nil, refuse(ErrMalformed, "the proof has a line break")
	}
	hs, ps, ss := s[:d1], s[d1+1:d2], s[d2+1:]
	if len(hs) == 0 || len(ps) == 0 || len(ss) == 0 {
		return nil, refuse(ErrMalformed, "the proof has an empty segment")
	}
	buf := make([]byte, b64.DecodedLen(len(hs))+b64.DecodedLen(len(ps))+b64.DecodedLen(len(ss)))
	p := &proof{signingInput: unsafe.Slice(unsafe.StringData(s), d2)}
	var hdr, payload []byte
	var ok bool
	if hdr, buf, ok = decodeSegment(buf, hs); !ok {
		return nil, refuse(ErrMalformed, "the proof's header is not strict unpadded base64url")
	}
	if payload, buf, ok = decodeSegment(buf, ps); !ok {
		return nil, refuse(ErrMalformed, "the proof's payload is not strict unpadded base64url")
	}
	if p.sig, _, ok = decodeSegment(buf, ss); !ok {
		return nil, refuse(ErrMalformed, "the proof's signature is not strict unpadded base64url")
	}
	if perr := p.parseHeader(hdr); perr != nil {
		return nil, perr
	}
	if perr := p.parseClaims(payload); perr != nil {
		return nil, perr
	}
	return p, nil
}

func decodeSegment(dst []byte, seg string) (decoded, rest []byte, ok bool) {
	n, err := b64.Decode(dst, unsafe.Slice(unsafe.StringData(seg), len(seg)))
	if err != nil {
		return nil, nil, false
	}
	return dst[:n:n], dst[n:], true
}

var errStop = errors.New("stop")

func (p *proof) parseHeader(data []byte) *ProofError {
	var bad *ProofError
	err := jose.ScanObject(data, maxHeaderMembers, func(name, value []byte) error {
		var dst *[]byte
		switch string(name) {
		case "typ":
			dst = &p.typ
		case "alg":
			dst = &p.alg
		case "jwk":
			p.jwk = value
			return nil
		case "crit":
			bad = refuse(ErrMalformed, "the proof's header has crit, naming extensions this server does not implement")
			return errStop
		case "b64":
			if string(value) != "true" {
				bad = refuse(ErrMalformed, "the proof's header has b64 other than true (RFC 7797 unencoded payload)")
				return errStop
			}
			return nil
		default:
			if r, folds := jose.FoldsTo(name, proofHeaderNames[:]); folds {
				bad = refuse(ErrMalformed, "header member "+jose.Quote(string(name))+" differs from "+r+" only in letter case, which JSON decoders that ignore case would read as "+r)
				return errStop
			}
			return nil // kid, x5c, jku...: never used
		}
		s, ok := jose.String(value)
		if !ok {
			bad = refuse(ErrMalformed, "header member "+string(name)+" is not a JSON string")
			return errStop
		}
		*dst = s
		return nil
	})
	if bad != nil {
		return bad
	}
	if err != nil {
		return refuse(ErrMalformed, "the proof's header is not a valid JSON object: "+err.Error())
	}
	if p.alg == nil {
		return refuse(ErrAlgorithm, "the proof's header has no alg")
	}
	return nil
}

func (p *proof) parseClaims(data []byte) *ProofError {
	var bad *ProofError
	err := jose.ScanObject(data, maxClaimMembers, func(name, value []byte) error {
		var dst *[]byte
		switch string(name) {
		case "jti":
			dst = &p.jti
		case "htm":
			dst = &p.htm
		case "htu":
			dst = &p.htu
		case "ath":
			dst = &p.ath
		case "nonce":
			dst = &p.nonce
		case "iat":
			f, ok := jose.Number(value)
			if !ok || f > maxUnix || f < -maxUnix {
				bad = refuse(ErrMalformed, "claim iat is not a finite JSON number of seconds within years 1 to 9999")
				return errStop
			}
			p.iat, p.haveIat = f, true
			return nil
		default:
			if r, folds := jose.FoldsTo(name, proofClaimNames[:]); folds {
				bad = refuse(ErrMalformed, "claim "+jose.Quote(string(name))+" differs from "+r+" only in letter case, which JSON decoders that ignore case would read as "+r)
				return errStop
			}
			return nil
		}
		s, ok := jose.String(value)
		if !ok {
			bad = refuse(ErrMalformed, "claim "+string(name)+" is not a JSON string")
			return errStop
		}
		if s == nil {
			s = []byte{} // present, empty
		}
		*dst = s
		return nil
	})
	if bad != nil {
		return bad
	}
	if err != nil {
		return refuse(ErrMalformed, "the proof's claims are not a valid JSON object: "+err.Error())
	}
	return nil
}

// claimsPresent checks that the claims RFC 9449 §4.2 requires of a proof
// that goes with an access token are present and within bounds.
func (p *proof) claimsPresent() *ProofError {
	for _, m := range [...]struct {
		name    string
		missing bool
	}{{"jti", p.jti == nil}, {"htm", p.htm == nil}, {"htu", p.htu == nil}, {"iat", !p.haveIat}, {"ath", p.ath == nil}} {
		if m.missing {
			return refuse(ErrMissingClaim, "the proof has no "+m.name+" claim")
		}
	}
	if len(p.jti) == 0 || len(p.jti) > maxJTIBytes {
		return refuse(ErrMalformed, "jti is "+strconv.Itoa(len(p.jti))+" bytes; want 1 to 256")
	}
	if len(p.htm) == 0 {
		return refuse(ErrMalformed, "htm is empty; want an HTTP method")
	}
	for _, c := range p.htm {
		if !isTChar(c) {
			return refuse(ErrMalformed, "htm "+jose.Quote(string(p.htm))+" is not an HTTP method token")
		}
	}
	return nil
}
