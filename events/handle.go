package events

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// dispatch hands an event of the durable consumer over: loaded and unloaded
// events to the batch handlers (batch.go), others each to a handler
// goroutine, at most cfg.Concurrency at once. When the handlers are busy it
// blocks, which holds back the pull. Events of one (model, node) in
// different batches may then be applied out of order: the store's ordering
// guard (the time each state was observed) keeps the newest state whatever
// the order.
func (b *Bridge) dispatch(msg jetstream.Msg) {
	switch msg.Subject() {
	case SubjectModelLoaded, SubjectModelUnloaded:
		b.collect(msg)
	default:
		b.handlers.Add(1)
		b.spawn(func() { b.onJetStreamMsg(msg) })
	}
}

// spawn runs f on a handler goroutine once a slot is free. The caller has
// counted it in b.handlers, which f's end uncounts.
func (b *Bridge) spawn(f func()) {
	b.slots <- struct{}{}
	go func() {
		defer b.handlers.Done()
		defer func() { <-b.slots }()
		f()
	}()
}

// onJetStreamMsg applies one event of the durable consumer and settles it.
func (b *Bridge) onJetStreamMsg(msg jetstream.Msg) {
	if b.closing.Load() {
		_ = msg.Nak() // hand it back at once, to another replica
		return
	}
	in, delivered := b.receive(msg)
	b.settle(msg, in, delivered, b.apply(b.ctx, in))
}

// receive reads an event of the durable consumer and counts it; delivered
// is how often the server has delivered it, this time included.
func (b *Bridge) receive(msg jetstream.Msg) (in inbound, delivered uint64) {
	in = inbound{subject: msg.Subject(), data: msg.Data(), header: msg.Headers(), received: time.Now().UTC()}
	delivered = 1
	if md, err := msg.Metadata(); err == nil {
		in.received = md.Timestamp.UTC()
		in.msgID = "deployment-" + streamMsgID(md.Stream, md.Sequence.Stream)
		delivered = md.NumDelivered
		b.m.gauge(metricLag).Set(float64(md.NumPending))
	}
	b.m.received(in.subject)
	return in, delivered
}

// settle tells the server what became of an event: ack once the store
// accepted it, term when it can never apply, nak with back-off when the
// store failed.
func (b *Bridge) settle(msg jetstream.Msg, in inbound, delivered uint64, res outcome) {
	var err error
	switch {
	case res.rejected != nil:
		b.logRejected(in, res.rejected)
		err = msg.TermWithReason(res.rejected.reason)
	case res.retry != nil && b.closing.Load():
		b.m.retried()
		err = msg.Nak()
	case res.retry != nil && !transient(res.retry) && delivered >= maxStoreAttempts:
		b.logRejected(in, reject(reasonStoreError, "%v (after %d deliveries)", res.retry, delivered))
		err = msg.TermWithReason(reasonStoreError)
	case res.retry != nil:
		delay := b.cfg.backoff(delivered)
		b.logRetry(in, res.retry, delay)
		err = msg.NakWithDelay(delay)
	default:
		ctx, cancel := context.WithTimeout(b.ctx, ackTimeout)
		err = msg.DoubleAck(ctx)
		cancel()
	}
	if err != nil {
		if ok, held := b.limit.allow("settle " + in.subject); ok {
			b.log.Warn("could not settle an event with the server; it may come again (applying it twice is harmless)",
				"subject", in.subject, "error", err, "similar_since_last_log", held)
		}
	}
}

// onCoreMsg applies one event of the core subscription. Nothing can be
// redelivered here, so a store failure loses the event (counted).
func (b *Bridge) onCoreMsg(msg *nats.Msg) {
	if b.closing.Load() {
		return
	}
	in := inbound{subject: msg.Subject, data: msg.Data, header: msg.Header, received: time.Now().UTC()}
	b.m.received(in.subject)
	res := b.apply(b.ctx, in)
	switch {
	case res.rejected != nil:
		b.logRejected(in, res.rejected)
	case res.retry != nil:
		b.logRejected(in, reject(reasonStoreDown, "%v (no redelivery without JetStream)", res.retry))
	}
}
