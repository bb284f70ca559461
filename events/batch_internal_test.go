package events

import (
	"testing"
	"time"
)

// TestBatchBudget: a batch gets a store timeout per 16 events, up to AckWait.
func TestBatchBudget(t *testing.T) {
	b := &Bridge{cfg: Config{StoreTimeout: 10 * time.Second, AckWait: 30 * time.Second}}
	for n, want := range map[int]time.Duration{1: 10 * time.Second, 16: 10 * time.Second,
		17: 20 * time.Second, 64: 30 * time.Second} {
		if got := b.batchBudget(n); got != want {
			t.Errorf("batchBudget(%d) = %s, want %s", n, got, want)
		}
	}
}
