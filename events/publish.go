package events

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pmoves/model-registry/registry"
)

const publishTimeout = 5 * time.Second // one JetStream publish

var errNotConnected = errors.New("not connected to NATS")

// Publish announces a catalogue change on model.registry.updated.v1. It
// never blocks and never fails: the event is queued and sent in the
// background, retried while NATS is away, and dropped (counted) only when
// the queue is full or the bridge closes. Each event carries a unique
// Nats-Msg-Id header. It satisfies the API's Publisher interface.
func (b *Bridge) Publish(_ context.Context, e registry.ChangeEvent) {
	if b == nil || b.nc == nil {
		return
	}
	b.publish(e, newMsgID())
}

// publish queues e under the de-duplication id.
func (b *Bridge) publish(e registry.ChangeEvent, id string) {
	if e.Type == "" {
		e.Type = registry.ChangeEventType
	}
	if e.TS.IsZero() {
		e.TS = time.Now().UTC()
	}
	data, err := json.Marshal(e)
	if err != nil { // cannot happen: the wire form has only strings and numbers
		b.log.Error("encode change event", "error", err)
		return
	}
	b.enqueue(outMsg{id: id, data: data})
}

// enqueue queues an outgoing message for the send loop.
func (b *Bridge) enqueue(m outMsg) {
	if b.senderDone.Load() { // after Close: nobody would send it
		b.m.publishDropped(1)
		return
	}
	if dropped := b.out.push(m); dropped > 0 {
		b.m.publishDropped(dropped)
		if ok, held := b.limit.allow("publish queue full"); ok {
			b.log.Warn("change event queue full; dropped the oldest", "capacity", b.cfg.PublishQueue,
				"similar_since_last_log", held)
		}
	}
	b.m.gauge(metricPublishQueue).Set(float64(b.out.len()))
}

// sendLoop publishes queued change events, in order, until Close; then it
// sends what it can within DrainTimeout.
func (b *Bridge) sendLoop() {
	defer b.workers.Done()
	var retry <-chan time.Time
	failures := uint64(0)
	for {
		select {
		case <-b.stop:
			b.flushFinal()
			b.senderDone.Store(true)
			return
		case <-b.out.wake:
		case <-retry:
		}
		retry = nil
		if err := b.flush(b.ctx); err != nil {
			failures++
			delay := b.cfg.backoff(failures)
			retry = time.After(delay)
			if ok, held := b.limit.allow("publish " + err.Error()); ok {
				b.log.Warn("could not publish a change event; retrying", "error", err, "retry_in", delay.String(),
					"queued", b.out.len(), "similar_since_last_log", held)
			}
		} else {
			failures = 0
		}
	}
}

// flush sends queued events until the queue is empty or a send fails.
func (b *Bridge) flush(ctx context.Context) error {
	defer func() { b.m.gauge(metricPublishQueue).Set(float64(b.out.len())) }()
	sent := false
	for {
		m, ok := b.out.peek()
		if !ok {
			break
		}
		if err := b.send(ctx, m); err != nil {
			b.m.publishFailed()
			return err
		}
		sent = true
		b.out.pop(m.seq)
		b.m.published()
	}
	if sent && !b.outJS.Load() { // push core publishes onto the wire
		ctx, cancel := context.WithTimeout(ctx, publishTimeout)
		defer cancel()
		return b.nc.FlushWithContext(ctx)
	}
	return nil
}

// flushFinal sends what it can of the queue within DrainTimeout.
func (b *Bridge) flushFinal() {
	ctx, cancel := context.WithTimeout(b.ctx, b.cfg.DrainTimeout)
	defer cancel()
	for b.out.len() > 0 && b.nc.IsConnected() && ctx.Err() == nil {
		if b.flush(ctx) != nil {
			select {
			case <-ctx.Done():
			case <-time.After(b.cfg.RetryMin):
			}
		}
	}
}

// send publishes one event: through JetStream when a stream captures the
// subject (the server acknowledges and de-duplicates), else core NATS.
func (b *Bridge) send(ctx context.Context, m outMsg) error {
	if !b.nc.IsConnected() {
		return errNotConnected
	}
	subject := m.subject
	if subject == "" {
		subject = SubjectChanged
	}
	msg := &nats.Msg{Subject: subject, Data: m.data, Header: nats.Header{}}
	msg.Header.Set(HeaderMsgID, m.id)
	msg.Header.Set("Content-Type", "application/json")
	if !b.outJS.Load() || subject != SubjectChanged { // only the change subject may be in a stream
		return b.nc.PublishMsg(msg)
	}
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	_, err := b.js.PublishMsg(ctx, msg, jetstream.WithMsgID(m.id))
	if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) {
		b.outJS.Store(false) // the stream went away: core from now on, and look again
		b.poke()
	}
	return err
}

// newMsgID returns a random de-duplication id.
func newMsgID() string {
	var p [16]byte
	_, _ = rand.Read(p[:])
	return hex.EncodeToString(p[:])
}

// outMsg is one queued change event.
type outMsg struct {
	seq     uint64
	id      string
	subject string // empty: SubjectChanged
	data    []byte
}

// outbox is a bounded FIFO of change events that drops its oldest entry
// when full.
type outbox struct {
	mu   sync.Mutex
	q    []outMsg
	next uint64
	max  int
	wake chan struct{}
}

func newOutbox(max int) *outbox { return &outbox{max: max, wake: make(chan struct{}, 1)} }

// push appends m and reports how many old events it dropped.
func (o *outbox) push(m outMsg) (dropped int) {
	o.mu.Lock()
	o.next++
	m.seq = o.next
	o.q = append(o.q, m)
	if over := len(o.q) - o.max; over > 0 {
		o.q = append(o.q[:0:0], o.q[over:]...)
		dropped = over
	}
	o.mu.Unlock()
	o.wakeUp()
	return dropped
}

func (o *outbox) peek() (outMsg, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.q) == 0 {
		return outMsg{}, false
	}
	return o.q[0], true
}

// pop removes the head if it is still the event seq (push may have dropped
// it meanwhile).
func (o *outbox) pop(seq uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.q) > 0 && o.q[0].seq == seq {
		o.q[0] = outMsg{}
		o.q = o.q[1:]
	}
}

func (o *outbox) len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.q)
}

func (o *outbox) wakeUp() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}
