package jwtverify

import (
	"errors"
	"strings"
	"testing"
)

// TestUnexportedDetailErrors: the detail types that are no longer exported
// still match their finer sentinel and ErrInvalidToken, and their text
// still names what came and what is accepted.
func TestUnexportedDetailErrors(t *testing.T) {
	for _, tt := range []struct {
		name     string
		err      error
		sentinel error
		pieces   []string
	}{
		{"algorithm", &algorithmError{Algorithm: "HS256", Reason: "not in Config.Algorithms"}, ErrAlgorithm, []string{`"HS256"`, "Config.Algorithms"}},
		{"unknown key", &unknownKeyError{KeyID: "k1", Issuer: "https://a.example"}, ErrUnknownKey, []string{`"k1"`, `"https://a.example"`}},
		{"type", &typeError{Type: "JWT"}, ErrType, []string{`"JWT"`, "at+jwt"}},
		{"type, strict", &typeError{strict: true}, ErrType, []string{"typ header missing", "Config.StrictRFC9068"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.sentinel) || !errors.Is(tt.err, ErrInvalidToken) {
				t.Errorf("%v matches neither %v nor ErrInvalidToken", tt.err, tt.sentinel)
			}
			msg := tt.err.Error()
			if !strings.HasPrefix(msg, "jwtverify: ") {
				t.Errorf("message %q lacks the package prefix", msg)
			}
			for _, p := range tt.pieces {
				if !strings.Contains(msg, p) {
					t.Errorf("message %q does not name %s", msg, p)
				}
			}
		})
	}
}
