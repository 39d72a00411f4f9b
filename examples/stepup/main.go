// Command stepup shows step-up authentication (RFC 9470) and protected
// resource metadata (RFC 9728) in one process: a client, an API and a test
// authorization server.
//
// An access token says who the user is and what the client may do; its acr
// and auth_time claims also say how the user logged in and when. Most
// routes do not care. Some do: sending money may need a second factor, and
// deleting an account a login of the last few minutes. Such a route refuses
// a valid token with 401 insufficient_user_authentication and says what it
// needs (acr_values, max_age); the client sends the user back to the
// authorization server with those parameters and retries with the new
// token.
//
// The program prints each step: the client finds the authorization server
// from the API's first 401 (RFC 9728), is refused a transfer with a
// password login, logs in with a second factor and is served; is refused
// an account deletion with a login of an hour ago, logs in again and is
// served. It exits with status 1 if anything goes otherwise.
//
//	go run ./examples/stepup
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
	"github.com/tokenguard/tokenguard/middleware"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "stepup:", err)
		os.Exit(1)
	}
}

func run(out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// The authorization server (in production: yours) and a verifier for
	// its tokens, as in examples/quickstart.
	issuer, err := jwttest.NewIssuer(jwttest.Options{Algorithms: []string{"ES256"}})
	if err != nil {
		return err
	}
	defer issuer.Close()

	// The API listens first, so that its metadata can name its URL.
	srv := httptest.NewUnstartedServer(nil)
	defer srv.Close()
	api := "http://" + srv.Listener.Addr().String() // https in production; http is for loopback only

	verifier, err := jwtverify.New(ctx, jwtverify.Config{Issuer: issuer.URL, Audiences: []string{api}})
	if err != nil {
		return err
	}
	defer verifier.Close()
	guard, err := middleware.NewGuard(verifier, middleware.Config{
		Metadata: &middleware.ResourceMetadata{
			Resource:             api,
			AuthorizationServers: []string{issuer.URL},
			ScopesSupported:      []string{"payments"},
		},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+guard.MetadataPath(), guard.MetadataHandler())
	mux.Handle("POST /transfers", guard.Require(middleware.ACR("urn:example:mfa"))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "transfer sent") })))
	mux.Handle("DELETE /account", guard.Require(middleware.MaxAge(5*time.Minute))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "account deleted") })))
	srv.Config.Handler = guard.Handler(mux)
	srv.Start()

	// login is the authorization server's side of a (re-)login: the user
	// authenticates as asked (the first class of acrValues, or a password
	// when none is asked for), and gets a token saying so.
	login := func(acrValues string, at time.Time) (string, error) {
		acr := "urn:example:pwd"
		if acrValues != "" {
			acr, _, _ = strings.Cut(acrValues, " ")
		}
		return issuer.Sign(jwttest.Token{Claims: map[string]any{"aud": api, "sub": "alice", "scope": "payments",
			"acr": acr, "auth_time": at.Unix()}})
	}
	client := srv.Client()

	// 1. The client knows only the API's URL: its first 401 names the
	// metadata, which names the authorization server.
	res, err := send(ctx, client, http.MethodPost, api+"/transfers", "")
	if err != nil {
		return err
	}
	meta, ok := param(res.Header.Get("WWW-Authenticate"), "resource_metadata")
	if res.StatusCode != http.StatusUnauthorized || !ok {
		return fmt.Errorf("POST /transfers without a token: %d %q, want 401 with resource_metadata", res.StatusCode, res.Header.Get("WWW-Authenticate"))
	}
	fmt.Fprintf(out, "1. no token: %d, metadata at %s\n", res.StatusCode, strings.TrimPrefix(meta, api))
	var doc struct {
		Resource             string   `json:"resource"`
		AuthorizationServers []string `json:"authorization_servers"`
	}
	if err := getJSON(ctx, client, meta, &doc); err != nil {
		return err
	}
	if doc.Resource != api || len(doc.AuthorizationServers) != 1 || doc.AuthorizationServers[0] != issuer.URL {
		return fmt.Errorf("metadata %+v: want resource %s and the test issuer", doc, api)
	}
	fmt.Fprintln(out, "   the metadata names the resource called and one authorization server")

	// 2. A password login an hour ago is a valid token, but not enough to
	// send money: the API asks for a stronger login.
	password, err := login("", time.Now().Add(-time.Hour))
	if err != nil {
		return err
	}
	res, err = send(ctx, client, http.MethodPost, api+"/transfers", password)
	if err != nil {
		return err
	}
	acrValues, ok := param(res.Header.Get("WWW-Authenticate"), "acr_values")
	if res.StatusCode != http.StatusUnauthorized || !ok {
		return fmt.Errorf("POST /transfers with a password login: %d %q, want 401 with acr_values", res.StatusCode, res.Header.Get("WWW-Authenticate"))
	}
	fmt.Fprintf(out, "2. password login: %d insufficient_user_authentication, acr_values=%q\n", res.StatusCode, acrValues)

	// 3. The user logs in again as asked; the new token is served.
	strong, err := login(acrValues, time.Now())
	if err != nil {
		return err
	}
	if err := expect(ctx, client, out, "3. second-factor login", http.MethodPost, api+"/transfers", strong, "transfer sent"); err != nil {
		return err
	}

	// 4. Deleting the account needs a login of the last five minutes: the
	// password login of an hour ago is refused, with max_age.
	res, err = send(ctx, client, http.MethodDelete, api+"/account", password)
	if err != nil {
		return err
	}
	maxAge, ok := param(res.Header.Get("WWW-Authenticate"), "max_age")
	if res.StatusCode != http.StatusUnauthorized || !ok {
		return fmt.Errorf("DELETE /account with an old login: %d %q, want 401 with max_age", res.StatusCode, res.Header.Get("WWW-Authenticate"))
	}
	fmt.Fprintf(out, "4. login of an hour ago: %d insufficient_user_authentication, max_age=%s\n", res.StatusCode, maxAge)

	// 5. A fresh login (the client would pass max_age on to the
	// authorization server, which makes the user authenticate again).
	if _, err := strconv.Atoi(maxAge); err != nil {
		return fmt.Errorf("max_age %q is not a number of seconds", maxAge)
	}
	fresh, err := login("", time.Now())
	if err != nil {
		return err
	}
	return expect(ctx, client, out, "5. fresh login", http.MethodDelete, api+"/account", fresh, "account deleted")
}

// send sends a request with the bearer token tok, if any, and returns the
// answer with its body read and closed.
func send(ctx context.Context, c *http.Client, method, url, tok string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return nil, err
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	res.Body = io.NopCloser(strings.NewReader(string(body)))
	return res, err
}

// expect sends a request and checks that it is served with body want.
func expect(ctx context.Context, c *http.Client, out io.Writer, step, method, url, tok, want string) error {
	res, err := send(ctx, c, method, url, tok)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || string(body) != want {
		return fmt.Errorf("%s: %s = %d %q, want 200 %q", step, method, res.StatusCode, body, want)
	}
	fmt.Fprintf(out, "%s: %d %s\n", step, res.StatusCode, body)
	return nil
}

func getJSON(ctx context.Context, c *http.Client, url string, v any) error {
	res, err := send(ctx, c, http.MethodGet, url, "")
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s = %d, want 200", url, res.StatusCode)
	}
	return json.NewDecoder(res.Body).Decode(v)
}

// param returns the value of the quoted auth-param name of a
// WWW-Authenticate value, as the middleware writes them (no escapes).
func param(challenge, name string) (string, bool) {
	for rest := challenge; ; {
		i := strings.Index(rest, name+`="`)
		if i < 0 {
			return "", false
		}
		if i == 0 || rest[i-1] == ' ' {
			v, _, ok := strings.Cut(rest[i+len(name)+2:], `"`)
			return v, ok
		}
		rest = rest[i+1:]
	}
}
