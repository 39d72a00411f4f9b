//go:build !race

package dpop

// raceEnabled reports that the race detector is on (see race_internal_test.go).
const raceEnabled = false
