package integration

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// What authserver/server.mjs configures. The secrets are test-only.
const (
	wantProviderVersion = "9.13.3" // pinned in authserver/package.json

	// The API client gets Bearer tokens, or DPoP-bound ones when it sends
	// a proof (a nonce is optional). The DPoP client gets DPoP-bound tokens
	// only, and must put a server nonce in its proofs. The mTLS client's
	// tokens are bound to its TLS client certificate. The resource server
	// only introspects.
	apiClientID      = "tokenguard-api-client"
	apiClientSecret  = "api-client-secret-for-tests-only"
	dpopClientID     = "tokenguard-dpop-client"
	dpopClientSecret = "dpop-client-secret-for-tests-only"
	mtlsClientID     = "tokenguard-mtls-client"
	mtlsClientSecret = "mtls-client-secret-for-tests-only"
	rsClientID       = "tokenguard-resource-server"
	rsClientSecret   = "resource-server-secret-for-tests-only"

	resRS256  = "https://rs256.api.test/"
	resPS256  = "https://ps256.api.test/"
	resES256  = "https://es256.api.test/"
	resEdDSA  = "https://eddsa.api.test/"
	resOther  = "https://other.api.test/" // ES256, for audience mismatches
	resShort  = "https://short.api.test/" // ES256, 2 s lifetime
	resOpaque = "https://opaque.api.test/"

	clientScopes = "orders:read orders:write"
)

const (
	startTimeout = 30 * time.Second // npm-installed oidc-provider starts in well under 1s
	stopTimeout  = 10 * time.Second
)

const authserverDir = "authserver"

// shared is the server most tests use, started by the first test that
// needs it and stopped by TestMain. Tests that restart a server (key
// rotation) start their own.
//
// Everything here runs inside tests, not in TestMain before m.Run: only
// then does go test record the environment variables and files read, so
// that a cached result is reused only when they are unchanged.
var shared struct {
	prereqOnce sync.Once
	skip       string // why the integration tests are skipped
	prereqErr  error  // why they cannot run although they must

	startOnce sync.Once
	srv       *authServer
	dir       string // its signing keys and TLS certificate and key
	startErr  error  // why the shared server did not start
}

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	code := m.Run()
	if shared.srv != nil {
		shared.srv.Stop()
		if code != 0 {
			fmt.Fprintf(os.Stderr, "--- output of the shared authorization server %s:\n%s\n", shared.srv.Issuer, shared.srv.Logs())
		}
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	return code
}

// prerequisites decides whether the integration tests run: skip is set when
// they are skipped, err when they must run but cannot.
func prerequisites() (skip string, err error) {
	required := os.Getenv("CI") == "true"
	if os.Getenv("TOKENGUARD_INTEGRATION") != "1" && !required {
		return "integration tests against oidc-provider are off: run them with " +
			"`npm ci --prefix internal/integration/authserver && TOKENGUARD_INTEGRATION=1 go test ./internal/integration/`", nil
	}
	missing := func(msg string) (string, error) {
		if required {
			return "", fmt.Errorf("CI=true and %s", msg)
		}
		return msg, nil
	}
	// Stat what node runs, so that editing it invalidates cached results.
	for _, f := range []string{"server.mjs", "package.json", "package-lock.json"} {
		if _, err := os.Stat(filepath.Join(authserverDir, f)); err != nil {
			return "", err
		}
	}
	if _, err := exec.LookPath("node"); err != nil {
		return missing("node is not on PATH (Node.js 20 or later is needed)")
	}
	pkg, err := os.ReadFile(filepath.Join(authserverDir, "node_modules", "oidc-provider", "package.json"))
	if err != nil {
		return missing("oidc-provider is not installed: run `npm ci --prefix internal/integration/authserver --no-audit --no-fund`")
	}
	var meta struct{ Version string }
	if err := json.Unmarshal(pkg, &meta); err != nil {
		return "", fmt.Errorf("reading the installed oidc-provider's package.json: %w", err)
	}
	if meta.Version != wantProviderVersion {
		return "", fmt.Errorf("installed oidc-provider is %s, want %s: run `npm ci` in %s", meta.Version, wantProviderVersion, authserverDir)
	}
	return "", nil
}

// sharedServer returns the shared server, starting it on first use, or
// skips or fails t.
func sharedServer(t *testing.T) *authServer {
	t.Helper()
	requireNode(t)
	shared.startOnce.Do(func() {
		var keyFile string
		var pki *testPKI
		keys, err := newKeySet("shared")
		if err == nil {
			shared.dir, err = os.MkdirTemp("", "tokenguard-as-")
		}
		if err == nil {
			keyFile, err = writeKeyFile(shared.dir, keys)
		}
		if err == nil {
			pki, err = newTestPKI(shared.dir)
		}
		if err == nil {
			// Not t.Context(): the server outlives this test; TestMain stops it.
			shared.srv, err = startAuthServer(context.Background(), 0, keyFile, pki)
		}
		if err != nil {
			shared.startErr = fmt.Errorf("starting the authorization server: %w", err)
		}
	})
	if shared.startErr != nil {
		t.Fatal(shared.startErr)
	}
	return shared.srv
}

// requireNode skips t when the integration tests are off, and fails it when
// they must run but node or oidc-provider is missing.
func requireNode(t *testing.T) {
	t.Helper()
	shared.prereqOnce.Do(func() { shared.skip, shared.prereqErr = prerequisites() })
	if shared.skip != "" {
		t.Skip(shared.skip)
	}
	if shared.prereqErr != nil {
		t.Fatal(shared.prereqErr)
	}
}

// authServer is one running node process of authserver/server.mjs.
type authServer struct {
	Issuer string
	Port   int

	pki      *testPKI // nil: no HTTPS listener, no certificate-bound tokens
	cmd      *exec.Cmd
	lifeline io.Closer // node's stdin: the server exits when it is closed
	out      *serverOutput
	done     chan struct{} // closed when the process has exited
	waitErr  error         // valid after done
	pidFile  string
	stopOnce sync.Once
	meta     *metadata
	metaErr  error
	metaOnce sync.Once
}

// startAuthServer starts server.mjs on 127.0.0.1:port (0: any free port)
// with the private keys of keysFile, and waits until it listens. With a
// pki, the server also listens over HTTPS with pki's server certificate,
// for certificate-bound tokens (on a free port, named by the
// mtls_endpoint_aliases of its metadata).
func startAuthServer(ctx context.Context, port int, keysFile string, pki *testPKI) (*authServer, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, err
	}
	out := newServerOutput()
	cmd := exec.Command(node, "server.mjs", strconv.Itoa(port))
	cmd.Dir = authserverDir
	cmd.Env = append(os.Environ(),
		"TOKENGUARD_AS_KEYS="+keysFile,
		"TOKENGUARD_AS_LIFELINE=1", // if this process dies, node sees EOF and exits
		"NO_COLOR=1",
	)
	if pki != nil {
		cmd.Env = append(cmd.Env,
			"TOKENGUARD_AS_TLS_CERT="+pki.serverCertFile,
			"TOKENGUARD_AS_TLS_KEY="+pki.serverKeyFile,
		)
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = stopTimeout
	lifeline, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting node: %w", err)
	}
	s := &authServer{pki: pki, cmd: cmd, lifeline: lifeline, out: out, done: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	if dir := os.Getenv("TOKENGUARD_AS_PIDDIR"); dir != "" {
		s.pidFile = filepath.Join(dir, strconv.Itoa(cmd.Process.Pid)+".pid")
		if err := os.WriteFile(s.pidFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
			s.Stop()
			return nil, err
		}
	}

	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case issuer := <-out.issuer:
		s.Issuer = issuer
	case <-s.done:
		s.Stop()
		return nil, fmt.Errorf("server.mjs exited before listening (%v):\n%s", s.waitErr, out.String())
	case <-timer.C:
		s.Stop()
		return nil, fmt.Errorf("server.mjs did not print ISSUER= within %v:\n%s", startTimeout, out.String())
	case <-ctx.Done():
		s.Stop()
		return nil, ctx.Err()
	}
	u, err := url.Parse(s.Issuer)
	if err == nil && u.Hostname() == "127.0.0.1" {
		s.Port, err = strconv.Atoi(u.Port())
	} else if err == nil {
		err = errors.New("issuer is not on 127.0.0.1")
	}
	if err != nil || (port != 0 && s.Port != port) {
		s.Stop()
		return nil, fmt.Errorf("server.mjs printed issuer %q (asked for port %d): %v", s.Issuer, port, err)
	}
	return s, nil
}

// Stop ends the server (SIGTERM, then SIGKILL after stopTimeout) and waits
// for it. It is safe to call more than once.
func (s *authServer) Stop() {
	s.stopOnce.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		timer := time.NewTimer(stopTimeout)
		defer timer.Stop()
		select {
		case <-s.done:
		case <-timer.C:
			_ = s.cmd.Process.Kill()
			<-s.done
		}
		s.lifeline.Close()
		if s.pidFile != "" {
			os.Remove(s.pidFile)
		}
	})
}

// Logs returns everything the server printed so far.
func (s *authServer) Logs() string { return s.out.String() }

// logOnFailure prints the server's output at the end of a failed test.
func (s *authServer) logOnFailure(t *testing.T) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("authorization server %s output:\n%s", s.Issuer, s.Logs())
		}
	})
}

// serverOutput collects node's stdout and stderr (one pipe, so lines stay
// whole) and reports the first ISSUER= line.
type serverOutput struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	line   []byte
	found  bool
	issuer chan string
}

const maxServerOutput = 1 << 20

func newServerOutput() *serverOutput { return &serverOutput{issuer: make(chan string, 1)} }

func (o *serverOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.buf.Len() < maxServerOutput {
		o.buf.Write(p)
	}
	if o.found {
		return len(p), nil
	}
	o.line = append(o.line, p...)
	for {
		i := bytes.IndexByte(o.line, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimSpace(string(o.line[:i]))
		o.line = o.line[i+1:]
		if issuer, ok := strings.CutPrefix(line, "ISSUER="); ok {
			o.found, o.line = true, nil
			o.issuer <- issuer
			break
		}
	}
	return len(p), nil
}

func (o *serverOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// metadata is the part of the server's discovery document the tests use.
type metadata struct {
	Issuer                string `json:"issuer"`
	TokenEndpoint         string `json:"token_endpoint"`
	IntrospectionEndpoint string `json:"introspection_endpoint"`
	RevocationEndpoint    string `json:"revocation_endpoint"`
	JWKSURI               string `json:"jwks_uri"`

	DPoPAlgorithms []string `json:"dpop_signing_alg_values_supported"` // RFC 9449 section 5.1
	// RFC 8705 sections 3.3 and 5: the server binds tokens to client
	// certificates, and the endpoints of its HTTPS listener.
	CertificateBoundTokens bool `json:"tls_client_certificate_bound_access_tokens"`
	MTLSAliases            struct {
		TokenEndpoint         string `json:"token_endpoint"`
		IntrospectionEndpoint string `json:"introspection_endpoint"`
	} `json:"mtls_endpoint_aliases"`
}

var testClient = &http.Client{Timeout: 10 * time.Second}

// Metadata returns the server's OpenID Connect discovery document.
func (s *authServer) Metadata(t *testing.T) *metadata {
	t.Helper()
	s.metaOnce.Do(func() {
		var m metadata
		s.metaErr = getJSON(t.Context(), s.Issuer+"/.well-known/openid-configuration", &m)
		if s.metaErr == nil && (m.Issuer != s.Issuer || m.TokenEndpoint == "") {
			s.metaErr = fmt.Errorf("discovery document of %s names issuer %q, token endpoint %q", s.Issuer, m.Issuer, m.TokenEndpoint)
		}
		if s.metaErr == nil && s.pki != nil && !strings.HasPrefix(m.MTLSAliases.TokenEndpoint, "https://127.0.0.1:") {
			s.metaErr = fmt.Errorf("discovery document of %s names mTLS token endpoint %q, want one on https://127.0.0.1", s.Issuer, m.MTLSAliases.TokenEndpoint)
		}
		s.meta = &m
	})
	if s.metaErr != nil {
		t.Fatal(s.metaErr)
	}
	return s.meta
}

func getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := testClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", u, resp.Status, body)
	}
	return json.Unmarshal(body, v)
}

// postForm posts form to endpoint with HTTP Basic client authentication
// and returns the status and body.
func postForm(t *testing.T, endpoint, clientID, secret string, form url.Values) (int, []byte) {
	t.Helper()
	resp := post(t, testClient, endpoint, clientID, secret, form, nil)
	return resp.Status, resp.Body
}

// formResponse is an answer to post.
type formResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// post posts form to endpoint through client, with HTTP Basic client
// authentication and the headers of header (nil: none).
func post(t *testing.T, client *http.Client, endpoint, clientID, secret string, form url.Values, header http.Header) *formResponse {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	for name, values := range header {
		req.Header[name] = values
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("POST %s: reading the body: %v", endpoint, err)
	}
	return &formResponse{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// tokenResponse is a token endpoint answer (RFC 6749 §5.1).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

// token gets an access token for resource with the client_credentials
// grant, as the API client, without a DPoP proof: a Bearer token. scope
// may be empty.
func (s *authServer) token(t *testing.T, resource, scope string) string {
	t.Helper()
	resp := post(t, testClient, s.Metadata(t).TokenEndpoint, apiClientID, apiClientSecret, tokenForm(resource, scope), nil)
	return parseTokenResponse(t, resp, "Bearer").AccessToken
}

// revoke revokes token at the revocation endpoint (RFC 7009), as the API
// client that got it.
func (s *authServer) revoke(t *testing.T, token string) {
	t.Helper()
	status, body := postForm(t, s.Metadata(t).RevocationEndpoint, apiClientID, apiClientSecret, url.Values{"token": {token}})
	if status != http.StatusOK {
		t.Fatalf("revoking a token: status %d: %s", status, body)
	}
}

// joseHeader decodes the protected header of a compact JWS, to check what
// the server really sent.
func joseHeader(t *testing.T, token string) (alg, kid, typ string) {
	t.Helper()
	head, _, ok := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(head)
	var h struct{ Alg, Kid, Typ string }
	if !ok || err != nil || json.Unmarshal(raw, &h) != nil {
		t.Fatalf("token is not a compact JWS: %.20q...", token)
	}
	return h.Alg, h.Kid, h.Typ
}

// keySet is a set of private signing keys for server.mjs: an RSA key
// (RS256 and PS256), an EC P-256 key (ES256) and an Ed25519 key (EdDSA).
// Key IDs end in the set's name.
type keySet struct {
	name string
	jwks []map[string]string
}

func newKeySet(name string) (*keySet, error) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	ecJWK, err := ecPrivateJWK("ec-"+name, ecKey)
	if err != nil {
		return nil, err
	}
	return &keySet{name: name, jwks: []map[string]string{
		rsaPrivateJWK("rsa-"+name, rsaKey),
		ecJWK,
		edPrivateJWK("ed-"+name, edKey),
	}}, nil
}

// rsaKID is the kid of the set's RSA key (RS256, PS256).
func (k *keySet) rsaKID() string { return "rsa-" + k.name }

// writeKeyFile writes the keys of sets, in order, as a JWK Set to a new
// file in dir and returns its path. server.mjs signs with the first key
// that fits an algorithm.
func writeKeyFile(dir string, sets ...*keySet) (string, error) {
	keys := []map[string]string{}
	for _, s := range sets {
		keys = append(keys, s.jwks...)
	}
	data, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, "tokenguard-as-keys-*.json")
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return f.Name(), err
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func b64Int(i *big.Int) string { return b64(i.Bytes()) }

func rsaPrivateJWK(kid string, k *rsa.PrivateKey) map[string]string {
	k.Precompute()
	return map[string]string{
		"kty": "RSA", "kid": kid,
		"n": b64Int(k.N), "e": b64Int(big.NewInt(int64(k.E))), "d": b64Int(k.D),
		"p": b64Int(k.Primes[0]), "q": b64Int(k.Primes[1]),
		"dp": b64Int(k.Precomputed.Dp), "dq": b64Int(k.Precomputed.Dq), "qi": b64Int(k.Precomputed.Qinv),
	}
}

func ecPrivateJWK(kid string, k *ecdsa.PrivateKey) (map[string]string, error) {
	pub, err := k.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		return nil, err
	}
	d, err := k.Bytes()
	if err != nil {
		return nil, err
	}
	n := (len(pub) - 1) / 2
	return map[string]string{
		"kty": "EC", "kid": kid, "crv": "P-256",
		"x": b64(pub[1 : 1+n]), "y": b64(pub[1+n:]), "d": b64(d),
	}, nil
}

func edPrivateJWK(kid string, k ed25519.PrivateKey) map[string]string {
	return map[string]string{
		"kty": "OKP", "kid": kid, "crv": "Ed25519",
		"x": b64(k.Public().(ed25519.PublicKey)), "d": b64(k.Seed()),
	}
}

// poll calls cond every interval until it returns true or timeout passes;
// it reports whether cond returned true.
func poll(t *testing.T, timeout, interval time.Duration, cond func() bool) bool {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			return cond()
		case <-t.Context().Done():
			return false
		}
	}
}
