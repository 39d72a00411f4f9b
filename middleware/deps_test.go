package middleware_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestCoreHasNoFrameworkImport fails when a core package, or one of its test
// files, gains a dependency on a web framework: only the adapter packages
// (and the test-only internal/pathtest) may import gin, echo or chi. Test
// files count because a user's go mod tidy records what the tests of the
// packages it imports need.
func TestCoreHasNoFrameworkImport(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found:", err)
	}
	const module = "github.com/tokenguard/tokenguard/"
	var pkgs []string
	for _, p := range []string{"jwks", "jwtverify", "middleware", "introspect"} {
		if _, err := os.Stat("../" + p); err == nil { // introspect may not exist yet
			pkgs = append(pkgs, module+p)
		}
	}
	forbidden := []string{"github.com/gin-gonic/", "github.com/labstack/", "github.com/go-chi/"}
	for _, pkg := range pkgs {
		out, err := exec.CommandContext(t.Context(), goTool, "list", "-deps", "-test", "-f", "{{.ImportPath}}", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps -test %s: %v\n%s", pkg, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 2 {
			t.Fatalf("go list -deps -test %s listed %q, want the package and its dependencies", pkg, deps)
		}
		for _, d := range deps {
			for _, f := range forbidden {
				if strings.HasPrefix(d, f) {
					t.Errorf("%s or its tests depend on %s; frameworks belong in the adapter packages and internal/pathtest only", pkg, d)
					break
				}
			}
		}
	}

	// middleware may reach jwks through jwtverify, but imports neither jwks
	// nor introspect itself: they plug in through Authenticator.
	out, err := exec.CommandContext(t.Context(), goTool, "list", "-f", "{{join .Imports \"\\n\"}}", module+"middleware").CombinedOutput()
	if err != nil {
		t.Fatalf("go list middleware: %v\n%s", err, out)
	}
	for _, d := range strings.Fields(string(out)) {
		if strings.HasPrefix(d, module+"jwks") || strings.HasPrefix(d, module+"introspect") {
			t.Errorf("middleware imports %s; key sources and introspection plug in through Authenticator", d)
		}
	}
}
