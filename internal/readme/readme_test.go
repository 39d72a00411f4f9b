package readme

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// programs returns the fenced ```go blocks of md that are whole programs
// (they start with "package main").
func programs(md string) []string {
	var out []string
	for {
		i := strings.Index(md, "```go\n")
		if i < 0 {
			return out
		}
		md = md[i+len("```go\n"):]
		j := strings.Index(md, "\n```")
		if j < 0 {
			return out
		}
		if block := md[:j+1]; strings.HasPrefix(block, "package main\n") {
			out = append(out, block)
		}
		md = md[j+len("\n```"):]
	}
}

func TestProgramsFindsBlocks(t *testing.T) {
	md := "x\n```go\npackage main\n\nfunc main() {}\n```\n```go\nv := 1\n```\n```go\npackage main\n```\n"
	if got := programs(md); len(got) != 2 || got[0] != "package main\n\nfunc main() {}\n" || got[1] != "package main\n" {
		t.Fatalf("programs = %q, want the two package main blocks", got)
	}
}

// TestREADMEProgramsCompile writes each complete program of README.md into a
// directory inside this module and runs go vet on it, which type-checks it
// against the current API.
func TestREADMEProgramsCompile(t *testing.T) {
	md, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	progs := programs(string(md))
	if len(progs) == 0 {
		t.Fatal("README.md shows no complete program (a ```go block starting with package main); the quick start should be one")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go command not found: %v", err)
	}
	for i, src := range progs {
		// Inside the module (testdata is ignored by ./... patterns), so
		// the program builds against this checkout.
		dir, err := os.MkdirTemp("testdata", "prog")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.CommandContext(t.Context(), goTool, "vet", "./"+filepath.ToSlash(dir)).CombinedOutput()
		if err != nil {
			t.Errorf("README program %d does not compile (go vet: %v):\n%s\n--- program:\n%s", i+1, err, out, src)
		}
	}
}
