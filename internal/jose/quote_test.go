package jose

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestQuoteKeepsUTF8(t *testing.T) {
	long := strings.Repeat("a", 63) + "é" + strings.Repeat("b", 10) // é straddles the cut
	q := Quote(long + "\"\n")
	if !utf8.ValidString(q) || strings.ContainsAny(q[1:len(q)-1], "\"\n") {
		t.Errorf("Quote(%q) = %q, want valid UTF-8 without quotes or control characters inside", long, q)
	}
}

func TestQuoteList(t *testing.T) {
	for _, tc := range []struct {
		list []string
		want string
	}{
		{nil, "[]"},
		{[]string{"a"}, `["a"]`},
		{[]string{"a", "b\n", "c"}, `["a" "b?" "c"]`},
		{[]string{"a", "b", "c", "d", "e"}, `["a" "b" "c" … and 2 more]`},
	} {
		if got := QuoteList(tc.list); got != tc.want {
			t.Errorf("QuoteList(%q) = %s, want %s", tc.list, got, tc.want)
		}
	}
	if got := QuoteList([]string{strings.Repeat("x", 100), strings.Repeat("y", 100), "z"}); len(got) > 200 {
		t.Errorf("QuoteList of long strings is %d bytes, want under 200", len(got))
	}
}
