package pgcluster

// SetFreePort replaces the port picker until the returned function runs.
func SetFreePort(f func() (int, error)) (restore func()) {
	old := freePort
	freePort = f
	return func() { freePort = old }
}
