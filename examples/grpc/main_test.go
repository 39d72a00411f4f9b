package main

import (
	"strings"
	"testing"
)

// TestRun runs the story of the example: run returns an error as soon as
// a call's outcome is not the one the story tells.
func TestRun(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatalf("run() = %v; output:\n%s", err, out.String())
	}
}
