package middleware

import (
	"strings"
	"testing"
)

func TestIsB64Token(t *testing.T) {
	for s, want := range map[string]bool{
		"":                              false,
		"=":                             false,
		"a":                             true,
		"a=":                            true,
		"abc==":                         true,
		"a=b":                           false,
		"a b":                           false,
		"a,b":                           false,
		"aGVsbG8=":                      true,
		"A-Z._~+/09":                    true,
		"abcdefgh\x00":                  false,
		"é":                             false,
		strings.Repeat("x", 1000) + "!": false,
	} {
		if got := isB64Token(s); got != want {
			t.Errorf("isB64Token(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestIsB64TokenEveryByte compares isB64Token with the grammar for every
// byte value at every position of an unrolled round and of the tail.
func TestIsB64TokenEveryByte(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/"
	for pos := 0; pos < 11; pos++ {
		for c := 0; c < 256; c++ {
			b := []byte("AAAAAAAAAAA")
			b[pos] = byte(c)
			want := strings.IndexByte(alphabet, byte(c)) >= 0 || (c == '=' && pos == len(b)-1)
			if got := isB64Token(string(b)); got != want {
				t.Errorf("isB64Token(%q) = %v, want %v", b, got, want)
			}
		}
	}
}

func BenchmarkIsB64Token(b *testing.B) {
	s := strings.Repeat("eyJhbGciOiJSUzI1NiIsImtpZCI6IlJTMjU2LTEi", 17)
	for b.Loop() {
		if !isB64Token(s) {
			b.Fatal("rejected")
		}
	}
}

// TestBearerLimitIsOnTheToken: MaxTokenBytes bounds the token, however many
// spaces separate it from the scheme.
func TestBearerLimitIsOnTheToken(t *testing.T) {
	g := mustGuard(t, Config{MaxTokenBytes: 16})
	for h, want := range map[string]error{
		"Bearer " + strings.Repeat("a", 16):    nil,
		"Bearer    " + strings.Repeat("a", 16): nil,
		"Bearer " + strings.Repeat("a", 17):    errTooLong,
		"Bearer" + strings.Repeat(" ", 40):     errBearerSyntax,
	} {
		if _, _, err := g.credentials(h); err != want {
			t.Errorf("credentials(%q) = %v, want %v", h, err, want)
		}
	}
}

// mustGuard returns newGuard(cfg), failing tb on an error.
func mustGuard(tb testing.TB, cfg Config) *Guard {
	tb.Helper()
	g, err := newGuard(cfg)
	if err != nil {
		tb.Fatalf("newGuard: %v", err)
	}
	return g
}
