//go:build race

package main

// raceEnabled: the test builds the registry with -race too, which reuses
// the race-compiled packages of `go test -race` instead of compiling the
// module again.
const raceEnabled = true
