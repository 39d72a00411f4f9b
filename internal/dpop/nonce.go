package dpop

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"sync/atomic"
	"time"
)

// nonceSource issues and checks stateless server nonces (RFC 9449 §9): the
// nonce of time step s (of length life) is the base64url of the first 16
// bytes of HMAC-SHA256(secret, label || s), issued with the first secret.
// A nonce is accepted during its own step and the next one, with any
// secret, so it lives between one and two lifetimes, and secrets rotate by
// putting the new one first: nonces of the old one keep working until they
// expire. Nothing is stored per client, so every instance of a fleet that
// shares the secrets accepts every other's nonces.
type nonceSource struct {
	secrets [][]byte // copies; the first issues
	life    int64    // nanoseconds
	step    atomic.Pointer[nonceStep]
}

// nonceStep caches the nonces of one time step, so that HMACs are computed
// once per step rather than per request.
type nonceStep struct {
	step  int64
	cur   []string // per secret, the nonce of step
	prev  []string // per secret, the nonce of step-1
	issue string   // cur[0]
}

const nonceLabel = "tokenguard DPoP nonce v1\x00"

func newNonceSource(secrets [][]byte, life time.Duration) *nonceSource {
	n := &nonceSource{life: int64(life)}
	for _, s := range secrets {
		n.secrets = append(n.secrets, append([]byte(nil), s...))
	}
	return n
}

// nonce computes the nonce of step with secret.
func nonce(secret []byte, step int64) string {
	m := hmac.New(sha256.New, secret)
	var in [len(nonceLabel) + 8]byte
	copy(in[:], nonceLabel)
	binary.BigEndian.PutUint64(in[len(nonceLabel):], uint64(step))
	m.Write(in[:])
	var sum [sha256.Size]byte
	return b64.EncodeToString(m.Sum(sum[:0])[:16])
}

// at returns the nonces of the step that holds now.
func (n *nonceSource) at(now time.Time) *nonceStep {
	t := now.UnixNano()
	step := t / n.life
	if t%n.life < 0 {
		step-- // floor for times before 1970
	}
	if s := n.step.Load(); s != nil && s.step == step {
		return s
	}
	s := &nonceStep{step: step, cur: make([]string, len(n.secrets)), prev: make([]string, len(n.secrets))}
	for i, secret := range n.secrets {
		s.cur[i], s.prev[i] = nonce(secret, step), nonce(secret, step-1)
	}
	s.issue = s.cur[0]
	n.step.Store(s)
	return s
}

// check checks the nonce claim of a proof (got; present false when the
// proof has none) at now. It returns the nonce the answer should carry: none
// when got is the nonce issued now, else the one issued now, so a client
// always holds a nonce valid for at least one more lifetime (and moves to the
// first secret after a rotation).
func (n *nonceSource) check(got []byte, present bool, now time.Time) (fresh string, err *NonceError) {
	s := n.at(now)
	if !present {
		return "", &NonceError{Nonce: s.issue, Reason: "missing"}
	}
	for i := range n.secrets {
		if equal(got, s.cur[i]) {
			if i == 0 {
				return "", nil
			}
			return s.issue, nil
		}
		if equal(got, s.prev[i]) {
			return s.issue, nil
		}
	}
	for _, secret := range n.secrets {
		if equal(got, nonce(secret, s.step-2)) {
			return "", &NonceError{Nonce: s.issue, Reason: "expired"}
		}
	}
	return "", &NonceError{Nonce: s.issue, Reason: "invalid"}
}

// equal compares in constant time (for equal lengths).
func equal(b []byte, s string) bool {
	return len(b) == len(s) && subtle.ConstantTimeCompare(b, []byte(s)) == 1
}
