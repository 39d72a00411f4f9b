// Command dpop shows DPoP (RFC 9449), sender-constrained access tokens, in
// one process: a client, an API and a test authorization server.
//
// A bearer token works for whoever holds it. A DPoP token is bound to a
// key pair of the client (the token's cnf.jkt claim is the thumbprint of
// the public key), and every request carries, next to the token, a proof:
// a small JWT signed with the private key, naming the request's method and
// URL, the moment, and the token. A thief who copies the token, or a whole
// request, cannot make a new proof without the key.
//
// The program prints each step: the API asks for a server nonce, the
// client retries with it and is served; a copied request and a stolen token
// are refused; a nonce about to expire is renewed. It exits with status 1
// if anything goes otherwise.
//
//	go run ./examples/dpop
package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
)

const audience = "https://api.example.com"

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "dpop:", err)
		os.Exit(1)
	}
}

func run(out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// The authorization server (in production: yours, with DPoP on) and a
	// verifier for its tokens, as in examples/quickstart.
	issuer, err := jwttest.NewIssuer(jwttest.Options{Algorithms: []string{"ES256"}})
	if err != nil {
		return err
	}
	defer issuer.Close()
	verifier, err := jwtverify.New(ctx, jwtverify.Config{Issuer: issuer.URL, Audiences: []string{audience}})
	if err != nil {
		return err
	}
	defer verifier.Close()

	// The client's key pair. A real client makes it once and keeps the
	// private key to itself; it sends a proof of possession to the token
	// endpoint, and the authorization server binds the token to the key by
	// putting the key's thumbprint in cnf.jkt.
	key, err := jwttest.NewProofKey("ES256")
	if err != nil {
		return err
	}
	token, err := issuer.Sign(jwttest.Token{Claims: map[string]any{
		"aud": audience, "sub": "alice", "scope": "orders:read",
		"cnf": map[string]any{"jkt": key.Thumbprint()},
	}})
	if err != nil {
		return err
	}

	// The API. DPoPRequired accepts DPoP tokens only (DPoPAllowed would take
	// Bearer ones too). Algorithms are the proof algorithms it accepts (its
	// challenges announce them in algs; by default every asymmetric one).
	// NonceSecrets turns server nonces on: each proof must carry a recent
	// nonce from this API, so that nobody can make proofs ahead of time;
	// every instance of the API shares the secret. Instead of waiting for
	// a nonce to age, this program moves the API's clock forward.
	secret := make([]byte, 32)
	rand.Read(secret)
	clock := newClock()
	why := make(chan string, 1) // why the last request was refused
	guard, err := middleware.NewGuard(verifier, middleware.Config{
		DPoP: middleware.DPoPConfig{
			Mode:          middleware.DPoPRequired,
			Algorithms:    []string{"ES256", "EdDSA"},
			NonceSecrets:  [][]byte{secret},
			NonceLifetime: 30 * time.Second,
			Now:           clock.now,
		},
		Hooks: middleware.Hooks{Rejected: func(_ context.Context, rej middleware.Rejection) {
			select {
			case why <- rej.Reason:
			default:
			}
		}},
	})
	if err != nil {
		return err
	}
	api := httptest.NewServer(guard.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := jwtverify.ClaimsFromContext(r.Context())
		fmt.Fprintf(w, "hello %s, here are your orders", claims.Subject)
	})))
	defer api.Close()
	orders := api.URL + "/orders"

	// prove signs a proof by k for GET /orders with the token and nonce
	// ("" for none), as the client does before each request.
	prove := func(k *jwttest.ProofKey, nonce string) string {
		proof, err := k.Proof(http.MethodGet, orders, token, nonce)
		if err != nil {
			log.Fatal(err)
		}
		return proof
	}

	// send makes one request and checks the answer is what the story says.
	send := func(step, authorization, proof string, wantStatus int, wantError string) (*http.Response, error) {
		fmt.Fprintf(out, "%s\n", step)
		resp, err := call(ctx, api.Client(), orders, authorization, proof)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(out, "    HTTP %d %s\n", resp.StatusCode, resp.body)
		for _, h := range []string{"WWW-Authenticate", "DPoP-Nonce"} {
			if v := resp.Header.Get(h); v != "" {
				fmt.Fprintf(out, "    %s: %s\n", h, v)
			}
		}
		select {
		case reason := <-why:
			fmt.Fprintf(out, "    (server side: %s)\n", reason)
		default:
		}
		if resp.StatusCode != wantStatus || !strings.Contains(resp.Header.Get("WWW-Authenticate"), wantError) {
			return nil, fmt.Errorf("%s got HTTP %d, WWW-Authenticate %q; want %d and %q",
				step, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), wantStatus, wantError)
		}
		return resp.Response, nil
	}

	// 1. The client's first proof has no nonce: the API answers with one.
	resp, err := send("1. GET /orders with the token and a proof (no nonce yet):",
		"DPoP "+token, prove(key, ""), 401, `error="use_dpop_nonce"`)
	if err != nil {
		return err
	}
	nonce := resp.Header.Get("DPoP-Nonce")

	// 2. A new proof carrying the nonce: served.
	proof := prove(key, nonce)
	if _, err := send("2. The same request, with a new proof carrying that nonce:",
		"DPoP "+token, proof, 200, ""); err != nil {
		return err
	}

	// 3. Someone who copied request 2 (token and proof) sends it again.
	if _, err := send("3. An attacker replays request 2 exactly:",
		"DPoP "+token, proof, 401, `error="invalid_dpop_proof"`); err != nil {
		return err
	}

	// 4. A thief with the token but not the key signs a proof with a key
	//    of his own: its thumbprint is not the token's cnf.jkt.
	thief, err := jwttest.NewProofKey("ES256")
	if err != nil {
		return err
	}
	if _, err := send("4. A thief signs a fresh proof for the stolen token with his own key:",
		"DPoP "+token, prove(thief, nonce), 401, `error="invalid_dpop_proof"`); err != nil {
		return err
	}

	// 5. Nor can he use it as a bearer token.
	if _, err := send("5. The thief sends the stolen token as a Bearer token:",
		"Bearer "+token, "", 401, "DPoP"); err != nil {
		return err
	}

	// 6. Time passes: the nonce is now from the previous time step. It is
	//    still accepted, and the answer carries a fresh one to use next.
	clock.skip(30 * time.Second)
	resp, err = send("6. 30 seconds later, a proof with the old nonce:",
		"DPoP "+token, prove(key, nonce), 200, "")
	if err != nil {
		return err
	}
	fresh := resp.Header.Get("DPoP-Nonce")
	if fresh == "" || fresh == nonce {
		return fmt.Errorf("step 6: DPoP-Nonce %q, want a fresh nonce", fresh)
	}
	if _, err := send("7. The next proof carries the fresh nonce:",
		"DPoP "+token, prove(key, fresh), 200, ""); err != nil {
		return err
	}
	return nil
}

// clock is the API's clock: stopped at the moment the program started,
// moved only by skip, so that what happens to nonces does not depend on
// how fast the program runs.
type clock struct{ t atomic.Int64 } // Unix nanoseconds

func newClock() *clock {
	c := &clock{}
	c.t.Store(time.Now().UnixNano())
	return c
}

func (c *clock) now() time.Time       { return time.Unix(0, c.t.Load()) }
func (c *clock) skip(d time.Duration) { c.t.Add(int64(d)) }

// response is an answer with its body read.
type response struct {
	*http.Response
	body string
}

// call makes a GET request to url with the Authorization header and, when
// proof is not empty, the DPoP header.
func call(ctx context.Context, client *http.Client, url, authorization, proof string) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", authorization)
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return nil, err
	}
	return &response{Response: resp, body: strings.TrimSpace(string(body))}, nil
}
