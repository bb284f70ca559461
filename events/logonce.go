package events

import (
	"sync"
	"time"
)

// logEvery is how often a repeated problem of one kind is logged again.
const logEvery = time.Minute

// logLimiter lets one log line per key through each logEvery and counts the
// lines it held back, so a flood of bad events cannot flood the log.
type logLimiter struct {
	mu   sync.Mutex
	last map[string]time.Time
	held map[string]int
}

func newLogLimiter() *logLimiter {
	return &logLimiter{last: map[string]time.Time{}, held: map[string]int{}}
}

// allow reports whether to log for key now, and how many lines were held
// back since the last one.
func (l *logLimiter) allow(key string) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if t, seen := l.last[key]; seen && now.Sub(t) < logEvery {
		l.held[key]++
		return false, 0
	}
	if len(l.last) > 1000 { // keys are bounded in practice; stay bounded anyway
		clear(l.last)
		clear(l.held)
	}
	l.last[key] = now
	suppressed = l.held[key]
	delete(l.held, key)
	return true, suppressed
}
