// Package pathtest holds tests that send requests through real routers —
// net/http's ServeMux, gin (in each of its path modes), echo v4, echo v5 and
// chi — with tokenguard's real adapters in front, over real HTTP servers.
//
// Its table checks that every path-sensitive feature of the middleware
// (today middleware.Config.ExcludePaths) decides on the same path the router
// routes: encoded, double-slash, dot-segment, trailing-slash and case
// variants of an excluded path, sent as raw request lines, never reach a
// protected handler without a valid token. TestConformanceChi runs the
// conformance kit (internal/conformance) on chi, which has no adapter of its
// own; the other entry points run it in their own packages' tests.
// BenchmarkMiddleware times the middleware on each router.
//
// The package has no API: everything is in its _test.go files. It lives apart
// from the core packages because it imports the frameworks, and no core
// package nor any of its test files may (the dependency rule of DESIGN.md).
package pathtest
