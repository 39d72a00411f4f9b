package middleware_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestCoreHasNoFrameworkImport fails when a core package, a package it
// imports, or one of their test files gains a dependency on a web framework,
// gRPC or Redis: only the adapter packages (and the test-only
// internal/pathtest and internal/integration) may import them. Test files
// count because a user's go mod tidy records what the tests of the packages
// it imports need; go list -deps -test lists the imports of the test files
// too, which the test checks by finding a package only middleware's tests
// import.
func TestCoreHasNoFrameworkImport(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go command not found: %v", err)
	}
	const module = "github.com/tokenguard/tokenguard/"
	var pkgs []string
	for _, p := range []string{
		"jwtverify", "jwtverify/jwttest", "introspect", "middleware",
		// What they import, and the kit their tests import. Some exist
		// only before or after the move of jwks under internal.
		"jwks", "internal/jwks", "internal/fetch", "internal/jose", "internal/conformance",
	} {
		if _, err := os.Stat("../" + p); err == nil {
			pkgs = append(pkgs, module+p)
		}
	}
	forbidden := []string{
		"github.com/gin-gonic/", "github.com/labstack/", "github.com/go-chi/",
		"google.golang.org/grpc", "github.com/redis/", "github.com/go-redis/",
	}
	for _, pkg := range pkgs {
		out, err := exec.CommandContext(t.Context(), goTool, "list", "-deps", "-test", "-f", "{{.ImportPath}}", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps -test %s: %v\n%s", pkg, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 2 {
			t.Fatalf("go list -deps -test %s listed %q, want the package and its dependencies", pkg, deps)
		}
		if pkg == module+"middleware" {
			// Only middleware's test files import the kit: seeing it
			// proves that test imports are listed.
			if !slices.Contains(deps, module+"internal/conformance") {
				t.Errorf("go list -deps -test %s does not list internal/conformance, which its tests import: test imports are not checked", pkg)
			}
		}
		for _, d := range deps {
			for _, f := range forbidden {
				if strings.HasPrefix(d, f) {
					t.Errorf("%s or its tests depend on %s; frameworks belong in the adapter packages and the test-only internal/pathtest and internal/integration", pkg, d)
					break
				}
			}
		}
	}

	// middleware may reach key sets through jwtverify, but imports neither
	// them nor introspect itself: they plug in through Authenticator.
	out, err := exec.CommandContext(t.Context(), goTool, "list", "-f", "{{join .Imports \"\\n\"}}", module+"middleware").CombinedOutput()
	if err != nil {
		t.Fatalf("go list middleware: %v\n%s", err, out)
	}
	for _, d := range strings.Fields(string(out)) {
		for _, p := range []string{"jwks", "internal/jwks", "internal/fetch", "introspect"} {
			if d == module+p || strings.HasPrefix(d, module+p+"/") {
				t.Errorf("middleware imports %s; key sources and introspection plug in through Authenticator", d)
			}
		}
	}
}
