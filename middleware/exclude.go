package middleware

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// excluded reports whether r passes without a check: its path is byte for
// byte one of Config.ExcludePaths, or Config.Exclude selects it.
func (g *Guard) excluded(r *http.Request) bool {
	if g.paths != nil {
		// RawPath is set whenever the path as sent differs from the
		// plain encoding of Path; a listed path has no character that
		// encoding changes, so an empty RawPath and a listed Path mean
		// the request line carried exactly that path.
		if u := r.URL; u != nil && u.RawPath == "" && u.Opaque == "" {
			if _, ok := g.paths[u.Path]; ok {
				return true
			}
		}
	}
	return g.exclude != nil && g.exclude(r)
}

// excludeSet checks paths as Config.ExcludePaths documents and returns them
// as a set, or nil if there are none.
func excludeSet(paths []string) (map[string]struct{}, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	set := make(map[string]struct{}, len(paths))
	for i, p := range paths {
		if err := checkExcludePath(i, p); err != nil {
			return nil, err
		}
		set[p] = struct{}{}
	}
	return set, nil
}

func checkExcludePath(i int, p string) error {
	field := "ExcludePaths[" + strconv.Itoa(i) + "]"
	if !strings.HasPrefix(p, "/") {
		return configError(field, "%q does not begin with \"/\"; give the path as a request carries it, such as \"/healthz\"", p)
	}
	if problem := checkPath(p); problem != "" {
		return configError(field, "%q %s", p, problem)
	}
	return nil
}

// checkPath reports what makes the path p, which begins with "/", one that
// routers could route differently from the way it reads, or "" if nothing
// does: a character a request carries only percent-encoded, a dot segment,
// an empty segment.
func checkPath(p string) string {
	for _, c := range p {
		if s := string(c); (&url.URL{Path: s}).EscapedPath() != s {
			return fmt.Sprintf("holds %q, which a request path carries only percent-encoded (allowed: ASCII letters, digits and $&+,-./:;=@_~)", s)
		}
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		switch seg {
		case ".", "..":
			return fmt.Sprintf("has a %q segment, which clients and routers resolve differently; give the resolved path", seg)
		}
	}
	if strings.Contains(p, "//") {
		return "has an empty segment (\"//\"), which routers treat differently; give the path with single slashes"
	}
	return ""
}
