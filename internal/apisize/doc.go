// Package apisize holds a test that counts the exported top-level names of
// the public packages, so that the API grows only on purpose. It has no code
// of its own.
package apisize
