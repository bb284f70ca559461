package events

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Loaded and unloaded events of the durable consumer are recorded in
// batches: the store writes a batch in a few requests where one event alone
// costs one to three, and a request costs about as much whether it writes
// one row or fifty (a JWT check, a transaction and a role switch).
//
// Events queue in a gathering; up to cfg.Batches batch handlers each take
// what is queued, up to cfg.BatchSize events, record it with one store call,
// and take the next, until the queue is empty. So batches grow with the
// load: while every handler is busy, events pile up for the next batch. A
// handler starts when cfg.BatchSize events are queued, or cfg.BatchWait
// after the first of them.

// gathering queues model events for the batch handlers.
type gathering struct {
	mu       sync.Mutex
	room     *sync.Cond // signalled when the queue shrinks or shuts
	msgs     []jetstream.Msg
	handlers int         // batch handlers running
	timer    *time.Timer // starts a handler cfg.BatchWait after the first queued event
	wake     uint64      // counts timers set or stopped; a timer acts only if it is the last
	shut     bool        // Close has begun: events go back to the server
}

// collect queues a model event. It blocks while a full batch is already
// waiting for a handler, which holds back the pull.
func (b *Bridge) collect(msg jetstream.Msg) {
	g := &b.batch
	g.mu.Lock()
	for !g.shut && len(g.msgs) >= b.cfg.BatchSize {
		g.room.Wait()
	}
	if g.shut {
		g.mu.Unlock()
		_ = msg.Nak() // hand it back at once, to another replica
		return
	}
	g.msgs = append(g.msgs, msg)
	switch {
	case g.handlers >= b.cfg.Batches: // a busy handler takes it next
	case len(g.msgs) >= b.cfg.BatchSize:
		b.startHandlerLocked()
	case g.timer == nil:
		g.wake++
		wake := g.wake
		g.timer = time.AfterFunc(b.cfg.BatchWait, func() { b.waited(wake) })
	}
	g.mu.Unlock()
}

// waited starts a handler for the events queued since timer wake was set,
// unless it was stopped meanwhile.
func (b *Bridge) waited(wake uint64) {
	g := &b.batch
	g.mu.Lock()
	defer g.mu.Unlock()
	if wake != g.wake {
		return
	}
	g.timer = nil
	if !g.shut && len(g.msgs) > 0 && g.handlers < b.cfg.Batches {
		b.startHandlerLocked()
	}
}

// stopTimerLocked stops the timer, if one is set.
func (b *Bridge) stopTimerLocked() {
	g := &b.batch
	if g.timer != nil {
		g.timer.Stop()
		g.timer = nil
		g.wake++
	}
}

// startHandlerLocked starts a batch handler. It is counted in b.handlers
// under the lock, so that Close, which shuts the gathering under the same
// lock, waits for it.
func (b *Bridge) startHandlerLocked() {
	g := &b.batch
	b.stopTimerLocked()
	g.handlers++
	b.handlers.Add(1)
	go b.handleBatches()
}

// handleBatches records queued events, a batch at a time, until none is left.
func (b *Bridge) handleBatches() {
	defer b.handlers.Done()
	g := &b.batch
	for {
		g.mu.Lock()
		n := min(len(g.msgs), b.cfg.BatchSize)
		if n == 0 {
			g.handlers--
			g.mu.Unlock()
			return
		}
		msgs := make([]jetstream.Msg, n)
		copy(msgs, g.msgs)
		g.msgs = append(g.msgs[:0], g.msgs[n:]...)
		g.room.Broadcast()
		g.mu.Unlock()
		b.onBatch(msgs)
	}
}

// shutGathering hands the queued events back to the server, and later ones
// at once (Close). Batch handlers still running finish their batches.
func (b *Bridge) shutGathering() {
	g := &b.batch
	g.mu.Lock()
	g.shut = true
	msgs := g.msgs
	g.msgs = nil
	b.stopTimerLocked()
	g.room.Broadcast()
	g.mu.Unlock()
	for _, msg := range msgs {
		_ = msg.Nak()
	}
}

// onBatch records a batch of model events with one store call and settles
// each event as onJetStreamMsg does.
func (b *Bridge) onBatch(msgs []jetstream.Msg) {
	if b.closing.Load() {
		for _, msg := range msgs {
			_ = msg.Nak()
		}
		return
	}
	evs := make([]*modelEvent, len(msgs))
	delivered := make([]uint64, len(msgs))
	todo := make([]*modelEvent, 0, len(msgs))
	for i, msg := range msgs {
		var in inbound
		in, delivered[i] = b.receive(msg)
		evs[i] = b.parseModel(in)
		if evs[i].res.rejected == nil {
			todo = append(todo, evs[i])
		}
	}
	if len(todo) > 0 {
		ctx, cancel := context.WithTimeout(b.ctx, b.batchBudget(len(todo)))
		b.recordModels(ctx, todo)
		cancel()
	}
	// One at a time, the round trips of the acknowledgements would take
	// about half as long as recording the batch.
	var wg sync.WaitGroup
	for i, msg := range msgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.settle(msg, evs[i].in, delivered[i], evs[i].res)
		}()
	}
	wg.Wait()
}

// batchBudget is how long recording n events may take: StoreTimeout for
// every 16 of them (a batch is a few requests, then one update per event on
// an existing pair, four at a time), but not past AckWait, when the server
// hands the events to another replica anyway.
func (b *Bridge) batchBudget(n int) time.Duration {
	return min(b.cfg.StoreTimeout*time.Duration((n+15)/16), b.cfg.AckWait)
}
