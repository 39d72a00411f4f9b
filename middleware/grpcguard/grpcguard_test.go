package grpcguard_test

import (
	"crypto/tls"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
	"github.com/tokenguard/tokenguard/middleware/grpcguard"
)

// env is the servers of the table, each a Guard of its own behind the
// interceptors, and the tokens, keys and certificates of its calls.
type env struct {
	pki   *pki
	addr  map[string]string // server name → address
	hooks *hookRecord

	valid, profile, expired, otherAud, tampered, down string
	dpop, certBound                                   string
	dpopKey, otherKey                                 *jwttest.ProofKey
}

func newEnv(t *testing.T) *env {
	t.Helper()
	iss := jwttest.Start(t, jwttest.Options{})
	v, err := jwtverify.New(t.Context(), jwtverify.Config{Issuer: iss.URL, Audiences: []string{audience}})
	if err != nil {
		t.Fatalf("jwtverify.New: %v", err)
	}
	t.Cleanup(v.Close)
	now := time.Now()
	e := &env{pki: newPKI(t), addr: map[string]string{},
		hooks: &hookRecord{rejected: map[string][]middleware.Rejection{}, accepted: map[string][]*jwtverify.Claims{}}}
	e.dpopKey, e.otherKey = proofKey(t, "ES256"), proofKey(t, "ES256")
	e.valid = iss.Mint(t, map[string]any{"aud": audience, "sub": "alice", "scope": "orders:read profile"})
	e.profile = iss.Mint(t, map[string]any{"aud": audience, "sub": "alice", "scope": "profile"})
	e.expired = iss.Mint(t, map[string]any{"aud": audience, "sub": "alice",
		"iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()})
	e.otherAud = iss.Mint(t, map[string]any{"aud": "https://other.test", "sub": "alice"})
	mallory := iss.Mint(t, map[string]any{"aud": audience, "sub": "mallory", "scope": "orders:read"})
	parts, other := strings.Split(e.valid, "."), strings.Split(mallory, ".")
	e.tampered = parts[0] + "." + other[1] + "." + parts[2]
	e.dpop = iss.Mint(t, map[string]any{"aud": audience, "sub": "erin", "scope": "orders:read",
		"cnf": map[string]any{"jkt": e.dpopKey.Thumbprint()}})
	e.certBound = iss.Mint(t, map[string]any{"aud": audience, "sub": "frank",
		"cnf": map[string]any{"x5t#S256": thumbprint(e.pki.certA)}})
	downV, downTok := downVerifier(t)
	e.down = downTok

	hooks := e.hooks.hooks()
	for name, g := range map[string]struct {
		a   middleware.Authenticator
		cfg middleware.Config
	}{
		"api":  {v, middleware.Config{Realm: "api-test", Hooks: hooks}},
		"down": {downV, middleware.Config{Realm: "down-test", Hooks: hooks}},
		"dpop": {v, middleware.Config{Realm: "dpop-test", Hooks: hooks,
			DPoP: middleware.DPoPConfig{Mode: middleware.DPoPAllowed, Algorithms: []string{"ES256"}}}},
		"nonce": {v, middleware.Config{Realm: "nonce-test", Hooks: hooks,
			DPoP: middleware.DPoPConfig{Mode: middleware.DPoPRequired, Algorithms: []string{"ES256"},
				NonceSecrets: [][]byte{[]byte("grpcguard test nonce secret, 32 bytes or more")}}}},
		"mtls": {v, middleware.Config{Realm: "mtls-test", RequireCertificateBinding: true, Hooks: hooks}},
	} {
		mg, err := middleware.NewGuard(g.a, g.cfg)
		if err != nil {
			t.Fatalf("middleware.NewGuard(%s): %v", name, err)
		}
		gg, err := grpcguard.New(mg, testConfig())
		if err != nil {
			t.Fatalf("grpcguard.New(%s): %v", name, err)
		}
		e.addr[name] = serve(t, e.pki, gg)
	}
	return e
}

func proofKey(t testing.TB, alg string) *jwttest.ProofKey {
	t.Helper()
	k, err := jwttest.NewProofKey(alg)
	if err != nil {
		t.Fatalf("jwttest.NewProofKey(%q): %v", alg, err)
	}
	return k
}

// url is the URL a DPoP proof names for a call of method to server.
func (e *env) url(server, method string) string { return "https://" + e.addr[server] + method }

// want is the expected end of a call.
type want struct {
	code codes.Code
	// sub is the subject of the claims the handler saw ("-": none), for OK.
	sub string
	// msg is the status message of a refusal: the fixed description.
	msg string
	// challenge is the www-authenticate trailer of a refusal, exactly;
	// holds, a part of it. Both "": no trailer.
	challenge, holds string
	// err is the category of the refusal the Guard reports to its
	// Rejected hook (errors.Is).
	err error
	// nonce is whether the answer carries a dpop-nonce header.
	nonce bool
	// retry is whether the answer carries a retry-after trailer (a whole
	// number of seconds, the Rejection's RetryAfter).
	retry bool
}

// testCase is one call: to a server, of a method, from a client with a
// certificate or none, with the metadata md makes (which may make calls of
// its own first, through send).
type testCase struct {
	name   string
	server string
	method string
	cert   func(*pki) *tls.Certificate
	md     func(t testing.TB, e *env, send func(metadata.MD) answer) metadata.MD
	want   want
}

func bearer(pick func(*env) string) func(testing.TB, *env, func(metadata.MD) answer) metadata.MD {
	return func(t testing.TB, e *env, _ func(metadata.MD) answer) metadata.MD {
		return metadata.Pairs("authorization", "Bearer "+pick(e))
	}
}

func raw(kv ...string) func(testing.TB, *env, func(metadata.MD) answer) metadata.MD {
	return func(testing.TB, *env, func(metadata.MD) answer) metadata.MD { return metadata.Pairs(kv...) }
}

// dpopCall is the metadata of a DPoP call of method to server with e.dpop
// and a proof by key for htm and htu.
func dpopCall(key func(*env) *jwttest.ProofKey, htm, server, method string) func(testing.TB, *env, func(metadata.MD) answer) metadata.MD {
	return func(t testing.TB, e *env, _ func(metadata.MD) answer) metadata.MD {
		var htu string
		switch {
		case strings.HasPrefix(method, "/"):
			htu = e.url(server, method)
		default: // a URL of its own
			htu = method
		}
		return metadata.Pairs("authorization", "DPoP "+e.dpop, "dpop", key(e).MustProof(t, htm, htu, e.dpop, ""))
	}
}

const (
	noToken       = "the request carries no access token"
	malformed     = "the Authorization header is not a valid Bearer credential"
	expired       = "the access token expired"
	foreign       = "the access token is not meant for this resource"
	badSignature  = "the access token signature is invalid"
	lacksScope    = "the access token lacks a required scope"
	unavailable   = "the access token cannot be checked now; retry later"
	proofReplayed = "the DPoP proof was already used"
)

func cases() []testCase {
	valid := func(e *env) string { return e.valid }
	dpopKey := func(e *env) *jwttest.ProofKey { return e.dpopKey }
	otherKey := func(e *env) *jwttest.ProofKey { return e.otherKey }
	certA := func(p *pki) *tls.Certificate { return &p.certA }
	certB := func(p *pki) *tls.Certificate { return &p.certB }
	ok := func(sub string) want { return want{code: codes.OK, sub: sub} }
	var tcs []testCase
	// Every kind of call, with and without a token.
	for _, m := range []string{methodEmpty, methodUnary, methodServer, methodClient, methodBidi} {
		kind := m[strings.LastIndexByte(m, '/')+1:]
		tcs = append(tcs,
			testCase{name: kind + "/no token", server: "api", method: m, md: raw(),
				want: want{code: codes.Unauthenticated, msg: noToken, challenge: `Bearer realm="api-test"`, err: middleware.ErrNoToken}},
			testCase{name: kind + "/valid token", server: "api", method: m, md: bearer(valid), want: ok("alice")},
			testCase{name: kind + "/expired", server: "api", method: m, md: bearer(func(e *env) string { return e.expired }),
				want: want{code: codes.Unauthenticated, msg: expired, err: jwtverify.ErrExpired,
					challenge: `Bearer realm="api-test", error="invalid_token", error_description="` + expired + `"`}},
			testCase{name: kind + "/DPoP", server: "dpop", method: m, md: dpopCall(dpopKey, "POST", "dpop", m), want: ok("erin")},
		)
	}
	tcs = append(tcs, []testCase{
		{name: "malformed", server: "api", method: methodEmpty, md: raw("authorization", "Bearer a,b"),
			want: want{code: codes.Unauthenticated, msg: malformed, err: middleware.ErrInvalidRequest,
				holds: `error="invalid_request"`}},
		{name: "two authorization values", server: "api", method: methodEmpty,
			md: func(t testing.TB, e *env, _ func(metadata.MD) answer) metadata.MD {
				return metadata.Pairs("authorization", "Bearer "+e.valid, "authorization", "Bearer "+e.valid)
			},
			want: want{code: codes.Unauthenticated, err: middleware.ErrInvalidRequest, holds: `error="invalid_request"`}},
		{name: "Basic scheme", server: "api", method: methodEmpty, md: raw("authorization", "Basic YWxpY2U6c2VjcmV0"),
			want: want{code: codes.Unauthenticated, err: middleware.ErrNoToken, challenge: `Bearer realm="api-test"`}},
		{name: "wrong audience", server: "api", method: methodEmpty, md: bearer(func(e *env) string { return e.otherAud }),
			want: want{code: codes.Unauthenticated, msg: foreign, err: jwtverify.ErrAudience,
				challenge: `Bearer realm="api-test", error="invalid_token", error_description="` + foreign + `"`}},
		{name: "tampered payload", server: "api", method: methodEmpty, md: bearer(func(e *env) string { return e.tampered }),
			want: want{code: codes.Unauthenticated, msg: badSignature, err: jwtverify.ErrSignature, holds: `error="invalid_token"`}},
		{name: "scope missing, unary", server: "api", method: methodUnary, md: bearer(func(e *env) string { return e.profile }),
			want: want{code: codes.PermissionDenied, msg: lacksScope, err: middleware.ErrInsufficientScope,
				challenge: `Bearer realm="api-test", error="insufficient_scope", error_description="` + lacksScope + `", scope="orders:read"`}},
		{name: "scope missing, bidi stream", server: "api", method: methodBidi, md: bearer(func(e *env) string { return e.profile }),
			want: want{code: codes.PermissionDenied, msg: lacksScope, err: middleware.ErrInsufficientScope, holds: `scope="orders:read"`}},
		{name: "scope not needed, token only", server: "api", method: methodServer, md: bearer(func(e *env) string { return e.profile }),
			want: ok("alice")},
		{name: "key source unavailable", server: "down", method: methodEmpty, md: bearer(func(e *env) string { return e.down }),
			want: want{code: codes.Unavailable, msg: unavailable, err: jwtverify.ErrUnavailable, retry: true}},
		{name: "public method without token", server: "api", method: methodPublic, md: raw(), want: ok("-")},
		{name: "public method with a bad token", server: "api", method: methodPublic,
			md: bearer(func(e *env) string { return e.tampered }), want: ok("-")},
		{name: "public method on a down key source", server: "down", method: methodPublic,
			md: bearer(func(e *env) string { return e.down }), want: ok("-")},

		// DPoP (RFC 9449): htm POST, htu the method's URL.
		{name: "DPoP replayed proof", server: "dpop", method: methodEmpty,
			md: func(t testing.TB, e *env, send func(metadata.MD) answer) metadata.MD {
				md := dpopCall(dpopKey, "POST", "dpop", methodEmpty)(t, e, send)
				if a := send(md); a.err != nil {
					t.Errorf("first use of the proof: %v, want OK", a.err)
				}
				return md
			},
			want: want{code: codes.Unauthenticated, msg: proofReplayed, err: middleware.ErrInvalidDPoPProof,
				holds: `DPoP realm="dpop-test", error="invalid_dpop_proof"`}},
		{name: "DPoP proof for another method", server: "dpop", method: methodEmpty,
			md:   dpopCall(dpopKey, "POST", "dpop", methodUnary),
			want: want{code: codes.Unauthenticated, err: middleware.ErrInvalidDPoPProof, holds: `error="invalid_dpop_proof"`}},
		{name: "DPoP proof with http htu", server: "dpop", method: methodEmpty,
			md: func(t testing.TB, e *env, send func(metadata.MD) answer) metadata.MD {
				return dpopCall(dpopKey, "POST", "dpop", "http://"+e.addr["dpop"]+methodEmpty)(t, e, send)
			},
			want: want{code: codes.Unauthenticated, err: middleware.ErrInvalidDPoPProof, holds: `error="invalid_dpop_proof"`}},
		{name: "DPoP proof with htm GET", server: "dpop", method: methodEmpty, md: dpopCall(dpopKey, "GET", "dpop", methodEmpty),
			want: want{code: codes.Unauthenticated, err: middleware.ErrInvalidDPoPProof, holds: `error="invalid_dpop_proof"`}},
		{name: "DPoP proof by another key", server: "dpop", method: methodEmpty, md: dpopCall(otherKey, "POST", "dpop", methodEmpty),
			want: want{code: codes.Unauthenticated, err: middleware.ErrInvalidDPoPProof, holds: `error="invalid_dpop_proof"`}},
		{name: "DPoP-bound token as Bearer", server: "dpop", method: methodEmpty, md: bearer(func(e *env) string { return e.dpop }),
			want: want{code: codes.Unauthenticated, err: jwtverify.ErrInvalidToken, holds: `error="invalid_token"`}},
		{name: "DPoP proof without token", server: "dpop", method: methodEmpty,
			md: func(t testing.TB, e *env, _ func(metadata.MD) answer) metadata.MD {
				return metadata.Pairs("dpop", e.dpopKey.MustProof(t, "POST", e.url("dpop", methodEmpty), "", ""))
			},
			want: want{code: codes.Unauthenticated, err: middleware.ErrInvalidRequest, holds: `error="invalid_request"`}},
		{name: "DPoP on a server with DPoP off", server: "api", method: methodEmpty, md: dpopCall(dpopKey, "POST", "api", methodEmpty),
			want: want{code: codes.Unauthenticated, err: middleware.ErrNoToken, challenge: `Bearer realm="api-test"`}},
		{name: "DPoP nonce asked for", server: "nonce", method: methodEmpty, md: dpopCall(dpopKey, "POST", "nonce", methodEmpty),
			want: want{code: codes.Unauthenticated, err: middleware.ErrUseDPoPNonce, nonce: true, holds: `error="use_dpop_nonce"`}},
		{name: "DPoP nonce given", server: "nonce", method: methodServer,
			md: func(t testing.TB, e *env, send func(metadata.MD) answer) metadata.MD {
				first := send(dpopCall(dpopKey, "POST", "nonce", methodServer)(t, e, send))
				n := first.header.Get("dpop-nonce")
				if status.Code(first.err) != codes.Unauthenticated || len(n) != 1 {
					t.Errorf("call without nonce = %v, dpop-nonce %q; want Unauthenticated and one nonce", first.err, n)
					return nil
				}
				proof := e.dpopKey.MustProof(t, "POST", e.url("nonce", methodServer), e.dpop, n[0])
				return metadata.Pairs("authorization", "DPoP "+e.dpop, "dpop", proof)
			},
			want: ok("erin")},

		// Certificate-bound tokens (RFC 8705): the client certificate of the
		// connection.
		{name: "certificate-bound, its certificate", server: "api", method: methodEmpty, cert: certA,
			md: bearer(func(e *env) string { return e.certBound }), want: ok("frank")},
		{name: "certificate-bound, its certificate, bidi", server: "api", method: methodClient, cert: certA,
			md: bearer(func(e *env) string { return e.certBound }), want: ok("frank")},
		{name: "certificate-bound, another certificate", server: "api", method: methodEmpty, cert: certB,
			md:   bearer(func(e *env) string { return e.certBound }),
			want: want{code: codes.Unauthenticated, err: jwtverify.ErrInvalidToken, holds: `error="invalid_token"`}},
		{name: "certificate-bound, no certificate", server: "api", method: methodEmpty,
			md:   bearer(func(e *env) string { return e.certBound }),
			want: want{code: codes.Unauthenticated, err: jwtverify.ErrInvalidToken, holds: `error="invalid_token"`}},
		{name: "certificate binding required, unbound token", server: "mtls", method: methodEmpty, cert: certA,
			md:   bearer(valid),
			want: want{code: codes.Unauthenticated, err: jwtverify.ErrInvalidToken, holds: `Bearer realm="mtls-test", error="invalid_token"`}},
		{name: "certificate binding required, bound token", server: "mtls", method: methodEmpty, cert: certA,
			md: bearer(func(e *env) string { return e.certBound }), want: ok("frank")},
	}...)
	return tcs
}

// TestInterceptors runs the table through real gRPC servers and clients
// over TLS on loopback: unary, server-, client- and bidi-streaming calls.
func TestInterceptors(t *testing.T) {
	e := newEnv(t)
	client := func(server string, cert *tls.Certificate, name string) func(metadata.MD) answer {
		c := dial(t, e.pki, e.addr[server], cert)
		return func(md metadata.MD) answer { return call(t.Context(), c, name, md) }
	}
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			var cert *tls.Certificate
			if tc.cert != nil {
				cert = tc.cert(e.pki)
			}
			send := client(tc.server, cert, tc.method)
			md := tc.md(t, e, send)
			if md == nil {
				return // md reported why
			}
			md = metadata.Join(md, metadata.Pairs(caseKey, tc.name))
			a := send(md)
			st := status.Convert(a.err)
			if st.Code() != tc.want.code {
				t.Fatalf("%s: code %v (%q), want %v", tc.method, st.Code(), st.Message(), tc.want.code)
			}
			rejected, accepted := e.hooks.of(tc.name)
			if nonce := len(a.header.Get("dpop-nonce")) > 0; nonce != tc.want.nonce {
				t.Errorf("dpop-nonce header %q, want one: %v", a.header.Get("dpop-nonce"), tc.want.nonce)
			}
			if tc.want.code == codes.OK {
				if got := a.header.Get(subjectKey); len(got) != 1 || got[0] != tc.want.sub {
					t.Errorf("the handler saw the subject %q, want %q", got, tc.want.sub)
				}
				if len(rejected) != 0 {
					t.Errorf("Rejected hook called with %+v, want no call", rejected)
				}
				if wantAccepted := tc.want.sub != "-"; (len(accepted) == 1) != wantAccepted {
					t.Errorf("Authenticated hook called %d times, want %v", len(accepted), wantAccepted)
				}
				return
			}
			if len(a.header.Get(subjectKey)) != 0 {
				t.Errorf("the handler ran on a refused call")
			}
			if tc.want.msg != "" && st.Message() != tc.want.msg {
				t.Errorf("message %q, want %q", st.Message(), tc.want.msg)
			}
			if len(rejected) != 1 {
				t.Fatalf("Rejected hook called %d times, want 1", len(rejected))
			}
			rej := rejected[0]
			if !errors.Is(rej.Err, tc.want.err) {
				t.Errorf("Rejected hook's error = %v, want one matching %v", rej.Err, tc.want.err)
			}
			if st.Message() != rej.Description {
				t.Errorf("message %q, want the rejection's description %q", st.Message(), rej.Description)
			}
			if strings.Contains(st.Message(), "jwtverify:") || strings.Contains(st.Message(), "middleware:") {
				t.Errorf("message %q carries an internal error", st.Message())
			}
			got := a.trailer.Get("www-authenticate")
			switch c, h := tc.want.challenge, tc.want.holds; {
			case c == "" && h == "":
				if len(got) != 0 {
					t.Errorf("www-authenticate trailer %q, want none", got)
				}
			case len(got) != 1:
				t.Errorf("www-authenticate trailer %q, want one value", got)
			case c != "" && got[0] != c:
				t.Errorf("www-authenticate trailer %q, want %q", got[0], c)
			case !strings.Contains(got[0], h):
				t.Errorf("www-authenticate trailer %q, want it to hold %q", got[0], h)
			}
			switch got := a.trailer.Get("retry-after"); {
			case !tc.want.retry && len(got) > 0:
				t.Errorf("retry-after trailer %q, want none", got)
			case tc.want.retry && (len(got) != 1 || got[0] != strconv.Itoa(int(rej.RetryAfter/time.Second)) || rej.RetryAfter < time.Second):
				t.Errorf("retry-after trailer %q, want the rejection's RetryAfter %v in seconds", got, rej.RetryAfter)
			}
			if got := a.trailer.Get("www-authenticate"); len(got) == 1 && got[0] != rej.Challenge {
				t.Errorf("www-authenticate trailer %q, want the rejection's challenge %q", got[0], rej.Challenge)
			}
		})
	}
}

// TestFreshNonceOnSuccess: when the nonce of an accepted call's proof is
// about to expire, the Guard issues a fresh one, and the call's answer
// carries it in the dpop-nonce header.
func TestFreshNonceOnSuccess(t *testing.T) {
	iss := jwttest.Start(t, jwttest.Options{})
	v, err := jwtverify.New(t.Context(), jwtverify.Config{Issuer: iss.URL, Audiences: []string{audience}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	key := proofKey(t, "ES256")
	tok := iss.Mint(t, map[string]any{"aud": audience, "sub": "erin", "cnf": map[string]any{"jkt": key.Thumbprint()}})
	const life = 10 * time.Second
	var offset atomic.Int64
	base := time.Now()
	now := func() time.Time { return base.Add(time.Duration(offset.Load())) }
	g, err := middleware.NewGuard(v, middleware.Config{DPoP: middleware.DPoPConfig{Mode: middleware.DPoPRequired, Now: now,
		NonceSecrets: [][]byte{[]byte("grpcguard test nonce secret, 32 bytes or more")}, NonceLifetime: life}})
	if err != nil {
		t.Fatal(err)
	}
	gg, err := grpcguard.New(g, grpcguard.Config{})
	if err != nil {
		t.Fatal(err)
	}
	p := newPKI(t)
	addr := serve(t, p, gg)
	c := dial(t, p, addr, nil)
	send := func(nonce string) answer {
		proof := key.MustProof(t, "POST", "https://"+addr+methodEmpty, tok, nonce)
		return call(t.Context(), c, methodEmpty, metadata.Pairs("authorization", "DPoP "+tok, "dpop", proof))
	}

	first := send("")
	n := first.header.Get("dpop-nonce")
	if status.Code(first.err) != codes.Unauthenticated || len(n) != 1 {
		t.Fatalf("call without nonce = %v, dpop-nonce %q; want Unauthenticated and one nonce", first.err, n)
	}
	offset.Add(int64(life)) // the nonce is now of the previous step: accepted, about to expire
	second := send(n[0])
	fresh := second.header.Get("dpop-nonce")
	if second.err != nil || len(fresh) != 1 || fresh[0] == n[0] {
		t.Errorf("call with a nonce about to expire = %v, dpop-nonce %q; want OK and a fresh nonce (not %q)", second.err, fresh, n[0])
	}
	if got := second.header.Get(subjectKey); len(got) != 1 || got[0] != "erin" {
		t.Errorf("the handler saw the subject %q, want erin", got)
	}
}
