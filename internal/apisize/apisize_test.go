package apisize

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// budget is the most exported top-level names (types, functions, constants
// and variables; methods and fields not counted) that the public packages of
// v1 may have together. Each one is a promise kept for years (issue 12 set
// it; go-oidc's whole package exports 32).
const budget = 100

// public are the packages of v1 whose names count against the budget.
var public = []string{
	"jwtverify", "jwtverify/jwttest", "introspect", "middleware",
	"middleware/ginguard", "middleware/echoguard", "middleware/echo5guard", "middleware/grpcguard",
}

// exported returns the exported top-level names declared in the non-test
// files of the package in dir.
func exported(t *testing.T, dir string) []string {
	t.Helper()
	fset := token.NewFileSet()
	var names []string
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() {
					names = append(names, d.Name.Name)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch spec := spec.(type) {
					case *ast.TypeSpec:
						if spec.Name.IsExported() {
							names = append(names, spec.Name.Name)
						}
					case *ast.ValueSpec:
						for _, n := range spec.Names {
							if n.IsExported() {
								names = append(names, n.Name)
							}
						}
					}
				}
			}
		}
	}
	sort.Strings(names)
	return names
}

func TestExportedNamesWithinBudget(t *testing.T) {
	total := 0
	for _, pkg := range public {
		names := exported(t, filepath.Join("..", "..", filepath.FromSlash(pkg)))
		if len(names) == 0 {
			t.Errorf("package %s exports nothing: is the path still right?", pkg)
		}
		t.Logf("%-22s %3d %s", pkg, len(names), strings.Join(names, " "))
		total += len(names)
	}
	t.Logf("total %d of %d", total, budget)
	if total > budget {
		t.Errorf("the public packages export %d top-level names, over the budget of %d: before adding one, ask whether a field, a method or an unexported helper would do", total, budget)
	}
}

// TestNoOtherPublicPackage: every package outside internal/ and examples/
// is one of the counted ones, so a new public package cannot slip past the
// budget unnoticed.
func TestNoOtherPublicPackage(t *testing.T) {
	counted := map[string]bool{}
	for _, p := range public {
		counted[p] = true
	}
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			switch {
			case rel == ".":
				return nil
			case rel == "internal", rel == "examples", strings.HasPrefix(d.Name(), "."), d.Name() == "testdata", d.Name() == "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			if dir := filepath.ToSlash(filepath.Dir(rel)); !counted[dir] {
				t.Errorf("%s is in package directory %q, which is public but not counted in apisize's list", rel, dir)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
