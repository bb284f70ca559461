package events

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const (
	setupTimeout = 5 * time.Second // one round of JetStream API calls
	ackTimeout   = 5 * time.Second // a double acknowledgement
	pullBatch    = 128             // events buffered per replica: two batches
	maxAckPend   = 1024            // unacknowledged events across replicas
	streamMaxAge = 72 * time.Hour  // how long an outage of the registry may last
)

// setup picks the inbound mode for the server we are connected to and makes
// sure its subscriptions exist. It is idempotent, so it runs after every
// (re)connection: a replaced server gets its stream and consumer back.
func (b *Bridge) setup() error {
	ctx, cancel := context.WithTimeout(b.setupCtx, setupTimeout)
	defer cancel()
	b.checkOutbound(ctx)
	if b.store == nil {
		b.mode.Store(ModeNone)
		return nil
	}
	_, err := b.js.AccountInfo(ctx)
	if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
		return b.useCore("the server has no JetStream")
	}
	if err != nil {
		err = fmt.Errorf("jetstream account info: %w", err)
	} else {
		var stream string
		if stream, err = b.ensureStream(ctx); err == nil {
			err = b.ensureConsumer(ctx, stream)
		}
	}
	if err != nil && !b.consuming() {
		// Keep events flowing, at most once, until JetStream works.
		return errors.Join(err, b.useCore("JetStream set-up failed"))
	}
	return err
}

// ensureStream finds or creates the stream capturing the inbound subjects
// and returns its name.
func (b *Bridge) ensureStream(ctx context.Context) (string, error) {
	name, err := b.ensureStreamOnce(ctx)
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) { // another replica just made it
		name, err = b.ensureStreamOnce(ctx)
	}
	return name, err
}

func (b *Bridge) ensureStreamOnce(ctx context.Context) (string, error) {
	name := b.cfg.Stream
	s, err := b.js.Stream(ctx, name)
	if err == nil {
		cfg := s.CachedInfo().Config
		missing := uncovered(cfg.Subjects, InboundSubjects)
		if len(missing) == 0 {
			return name, nil
		}
		cfg.Subjects = append(cfg.Subjects, missing...)
		if _, err := b.js.UpdateStream(ctx, cfg); err != nil {
			return "", fmt.Errorf("add %v to stream %s: %w", missing, name, err)
		}
		b.log.Info("added subjects to the stream", "stream", name, "subjects", missing)
		return name, nil
	}
	if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return "", fmt.Errorf("stream %s: %w", name, err)
	}
	_, err = b.js.CreateStream(ctx, jetstream.StreamConfig{
		Name:        name,
		Description: "GPU node model events, consumed by the model registry",
		Subjects:    InboundSubjects,
		Retention:   jetstream.InterestPolicy, // kept until every consumer acknowledged it
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardOld,
		MaxAge:      streamMaxAge,
		Duplicates:  2 * time.Minute,
	})
	if err == nil {
		b.log.Info("created the stream", "stream", name, "subjects", InboundSubjects)
		return name, nil
	}
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return "", err
	}
	// Another stream may already capture the subjects: use it.
	other, oerr := b.js.StreamNameBySubject(ctx, InboundSubjects[0])
	if oerr != nil {
		return "", fmt.Errorf("create stream %s: %w", name, err)
	}
	for _, subj := range InboundSubjects[1:] {
		if n, err2 := b.js.StreamNameBySubject(ctx, subj); err2 != nil || n != other {
			return "", fmt.Errorf("create stream %s: %w (stream %s captures only some subjects)", name, err, other)
		}
	}
	b.log.Info("using the existing stream that captures the subjects", "stream", other)
	return other, nil
}

// ensureConsumer creates or updates the shared durable consumer and starts
// consuming it.
func (b *Bridge) ensureConsumer(ctx context.Context, stream string) error {
	cfg := jetstream.ConsumerConfig{
		Durable:        b.cfg.Durable,
		Description:    "model registry: records GPU node deployments",
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        b.cfg.AckWait,
		MaxDeliver:     -1, // store outages are retried for as long as they last
		MaxAckPending:  maxAckPend,
		FilterSubjects: InboundSubjects,
	}
	cons, err := b.js.CreateOrUpdateConsumer(ctx, stream, cfg)
	if err != nil {
		// A consumer made with settings that cannot change is still usable.
		c, gerr := b.js.Consumer(ctx, stream, b.cfg.Durable)
		if gerr != nil {
			return fmt.Errorf("consumer %s on %s: %w", b.cfg.Durable, stream, err)
		}
		b.log.Warn("using the existing consumer as it is", "consumer", b.cfg.Durable, "error", err)
		cons = c
	}
	return b.useJetStream(cons)
}

// consuming reports whether a JetStream consumer is running.
func (b *Bridge) consuming() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cc != nil && !isClosed(b.cc)
}

func isClosed(cc jetstream.ConsumeContext) bool {
	select {
	case <-cc.Closed():
		return true
	default:
		return false
	}
}

// useJetStream consumes cons, unless it already does, and ends the core
// subscriptions.
func (b *Bridge) useJetStream(cons jetstream.Consumer) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closing.Load() {
		return nil
	}
	info := cons.CachedInfo()
	if b.cc != nil && !isClosed(b.cc) && b.cons != nil && b.cons.CachedInfo().Stream == info.Stream {
		b.cons = cons
		return nil
	}
	if b.cc != nil {
		b.cc.Stop()
	}
	cc, err := cons.Consume(b.dispatch, jetstream.PullMaxMessages(pullBatch),
		jetstream.ConsumeErrHandler(b.onConsumeErr))
	if err != nil {
		return fmt.Errorf("consume %s: %w", info.Name, err)
	}
	b.cc, b.cons = cc, cons
	b.dropCoreLocked()
	b.mode.Store(ModeJetStream)
	b.log.Info("consuming GPU node events through JetStream", "stream", info.Stream, "consumer", info.Name)
	return nil
}

// useCore subscribes to the inbound subjects without JetStream, in a queue
// group so that replicas share the events.
func (b *Bridge) useCore(why string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closing.Load() {
		return nil
	}
	if b.cc != nil {
		b.cc.Stop()
		b.cc, b.cons = nil, nil
	}
	if len(b.coreSubs) == 0 {
		for _, subj := range InboundSubjects {
			sub, err := b.nc.QueueSubscribe(subj, b.cfg.Durable, b.onCoreMsg)
			if err != nil {
				b.dropCoreLocked()
				return fmt.Errorf("subscribe %s: %w", subj, err)
			}
			b.coreSubs = append(b.coreSubs, sub)
		}
	}
	if b.mode.Swap(ModeCore) != ModeCore {
		b.log.Warn("consuming GPU node events without JetStream: at most once, lost while the store is down", "reason", why)
	}
	return nil
}

func (b *Bridge) dropCoreLocked() {
	for _, s := range b.coreSubs {
		_ = s.Drain()
	}
	b.coreSubs = nil
}

// onConsumeErr hears about consumer trouble; a lost consumer or stream is
// set up again.
func (b *Bridge) onConsumeErr(_ jetstream.ConsumeContext, err error) {
	if b.closing.Load() {
		return
	}
	if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) ||
		errors.Is(err, jetstream.ErrNoHeartbeat) || errors.Is(err, nats.ErrNoResponders) {
		b.poke()
	}
	if ok, held := b.limit.allow("consume " + err.Error()); ok {
		b.log.Warn("JetStream consumer error", "error", err, "similar_since_last_log", held)
	}
}

// checkOutbound notes whether a stream captures the change events.
func (b *Bridge) checkOutbound(ctx context.Context) {
	name, err := b.js.StreamNameBySubject(ctx, SubjectChanged)
	switch {
	case err == nil:
		if !b.outJS.Swap(true) {
			b.log.Info("publishing change events through JetStream", "stream", name)
		}
	case errors.Is(err, jetstream.ErrStreamNotFound), errors.Is(err, nats.ErrNoResponders),
		errors.Is(err, jetstream.ErrJetStreamNotEnabled):
		b.outJS.Store(false)
	}
}

// refreshLag reads the consumer's backlog.
func (b *Bridge) refreshLag() {
	b.mu.Lock()
	cons := b.cons
	b.mu.Unlock()
	if cons == nil || !b.nc.IsConnected() {
		return
	}
	ctx, cancel := context.WithTimeout(b.setupCtx, setupTimeout)
	defer cancel()
	if info, err := cons.Info(ctx); err == nil {
		b.m.gauge(metricLag).Set(float64(info.NumPending))
		b.m.gauge(metricAckPending).Set(float64(info.NumAckPending))
	}
}

// uncovered lists the subjects no pattern captures.
func uncovered(patterns, subjects []string) []string {
	var out []string
	for _, s := range subjects {
		covered := false
		for _, p := range patterns {
			if subjectMatch(p, s) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, s)
		}
	}
	return out
}

// subjectMatch reports whether the NATS subject pattern p (with * and >)
// captures subject s.
func subjectMatch(p, s string) bool {
	pt, st := strings.Split(p, "."), strings.Split(s, ".")
	for i, tok := range pt {
		switch {
		case tok == ">":
			return len(st) > i
		case i >= len(st):
			return false
		case tok != "*" && tok != st[i]:
			return false
		}
	}
	return len(pt) == len(st)
}
