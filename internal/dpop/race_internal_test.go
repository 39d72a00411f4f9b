//go:build race

package dpop

// raceEnabled reports that the race detector is on: it multiplies the
// memory and time of every access, so the full-size store test fills a
// smaller store and leaves the memory figure to the run without -race
// (CI runs both).
const raceEnabled = true
