// Package readme holds a test that compiles every complete Go program shown
// in the repository's README.md, so that the README cannot drift from the
// API. It has no code of its own.
package readme
