package middleware

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/tokenguard/tokenguard/jwtverify"
)

// ExcludePaths returns a [Config.Exclude] function that lets through, with no
// check and no claims, the requests whose path is exactly one of paths, such
// as "/healthz". The query does not count: "/healthz?verbose=1" is excluded
// too.
//
// Exactly means byte for byte, as the request line carries the path: a path
// with a percent-escape anywhere (even of a plain letter: "/health%7a" is not
// "/healthz"), a doubled slash, a dot segment, a trailing slash that paths
// lack, or another case is not excluded, and needs a token like any other
// request. Routers do not agree on what such a path means: echo, chi and gin
// with UseRawPath route on the path as sent, escapes and all, while others
// decode or clean it first; a request the Guard let through because its
// decoded path looked public could reach a protected route. Requests are
// compared on r.URL (Path and RawPath), the URL the router after the Guard
// routes on; a handler in front of the Guard that rewrites r.URL (such as
// [http.StripPrefix]) changes what is compared. Behind a chi Mount or a
// framework's route group, paths are still full paths.
//
// Each of paths must begin with "/", hold only characters that a request
// path carries unescaped (ASCII letters, digits and $&+,-./:;=@_~), and have
// no empty segment ("//") and no "." or ".." segment: such a path could
// never be excluded, or could be excluded on one router and routed elsewhere
// on another. ExcludePaths panics, with an error that matches
// [jwtverify.ErrConfig], if one of paths breaks these rules. With no paths it
// excludes nothing. The returned function is safe for concurrent use.
func ExcludePaths(paths ...string) func(*http.Request) bool {
	set, err := excludeSet(paths)
	if err != nil {
		panic(err)
	}
	return func(r *http.Request) bool {
		u := r.URL
		// RawPath is set whenever the path as sent differs from the
		// plain encoding of Path; a listed path has no character that
		// encoding changes, so an empty RawPath and a listed Path mean
		// the request line carried exactly that path.
		if u == nil || u.RawPath != "" || u.Opaque != "" {
			return false
		}
		_, ok := set[u.Path]
		return ok
	}
}

// excludeSet checks paths as [ExcludePaths] documents and returns them as a
// set.
func excludeSet(paths []string) (map[string]struct{}, error) {
	set := make(map[string]struct{}, len(paths))
	for _, p := range paths {
		if err := checkExcludePath(p); err != nil {
			return nil, err
		}
		set[p] = struct{}{}
	}
	return set, nil
}

func checkExcludePath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("middleware: ExcludePaths: %q does not begin with \"/\"; give the path as a request carries it, such as \"/healthz\": %w", p, jwtverify.ErrConfig)
	}
	for _, c := range p {
		if s := string(c); (&url.URL{Path: s}).EscapedPath() != s {
			return fmt.Errorf("middleware: ExcludePaths: %q holds %q, which a request path carries only percent-encoded, and an encoded path is never excluded (allowed: ASCII letters, digits and $&+,-./:;=@_~): %w", p, s, jwtverify.ErrConfig)
		}
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		switch seg {
		case ".", "..":
			return fmt.Errorf("middleware: ExcludePaths: %q has a %q segment, which clients and routers resolve differently; give the resolved path: %w", p, seg, jwtverify.ErrConfig)
		}
	}
	if strings.Contains(p, "//") {
		return fmt.Errorf("middleware: ExcludePaths: %q has an empty segment (\"//\"), which routers treat differently; give the path with single slashes: %w", p, jwtverify.ErrConfig)
	}
	return nil
}
