package pathtest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tokenguard/tokenguard/jwtverify"
	"github.com/tokenguard/tokenguard/jwtverify/jwttest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode) // once, before any engine exists
	os.Exit(m.Run())
}

const audience = "https://api.test"

// newVerifier starts a test issuer and returns a Verifier that trusts it.
func newVerifier(t *testing.T) (*jwttest.Issuer, *jwtverify.Verifier) {
	t.Helper()
	iss := jwttest.Start(t, jwttest.Options{})
	v, err := jwtverify.New(t.Context(), jwtverify.Config{Issuer: iss.URL, Audiences: []string{audience}})
	if err != nil {
		t.Fatalf("jwtverify.New: %v", err)
	}
	t.Cleanup(v.Close)
	return iss, v
}

// Headers by which the test servers tell the client who answered.
const (
	uriHeader     = "X-Pathtest-Request-Uri" // the RequestURI the server read
	handlerHeader = "X-Pathtest-Handler"     // "public" or "protected"
	claimsHeader  = "X-Pathtest-Claims"      // "true" when the handler saw claims
)

// serve starts a real HTTP server in front of h that reports the
// RequestURI it read on every answer, whoever writes it.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(uriHeader, r.RequestURI)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// answer is what a raw request got back.
type answer struct {
	status   int
	handler  string // "public", "protected" or "" (the middleware or the router answered)
	claims   bool
	location string
	header   http.Header
	body     []byte
}

func (a answer) String() string {
	switch {
	case a.handler == "protected":
		return fmt.Sprintf("%d protected (claims %v)", a.status, a.claims)
	case a.handler != "":
		return fmt.Sprintf("%d %s", a.status, a.handler)
	case a.location != "":
		return fmt.Sprintf("%d -> %s", a.status, a.location)
	}
	return fmt.Sprint(a.status)
}

// rawGet sends "GET target HTTP/1.1" exactly as written, with no client in
// between to clean or re-encode the path, and checks that the server read
// the same request target.
func rawGet(t *testing.T, srv *httptest.Server, target, authorization string) answer {
	t.Helper()
	var d net.Dialer
	conn, err := d.DialContext(t.Context(), "tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	req := "GET " + target + " HTTP/1.1\r\nHost: pathtest\r\nConnection: close\r\n"
	if authorization != "" {
		req += "Authorization: " + authorization + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatalf("write request: %v", err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: http.MethodGet})
	if err != nil {
		t.Fatalf("GET %s: reading the response: %v", target, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", target, err)
	}
	if got := res.Header.Get(uriHeader); got != target {
		t.Fatalf("GET %s: the server read the request target %q, want it unchanged (status %d)", target, got, res.StatusCode)
	}
	return answer{
		status:   res.StatusCode,
		handler:  res.Header.Get(handlerHeader),
		claims:   res.Header.Get(claimsHeader) == "true",
		location: res.Header.Get("Location"),
		header:   res.Header,
		body:     body,
	}
}
