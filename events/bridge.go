package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Inbound modes reported by Health under "nats_mode".
const (
	ModeUnknown   = "unknown"   // not connected yet
	ModeJetStream = "jetstream" // durable consumer: at-least-once, acknowledged after the store
	ModeCore      = "core"      // core queue subscription: at-most-once
	ModeNone      = "none"      // bridge disabled, or outbound only (no store)
)

// Bridge connects the registry to NATS. Its methods are safe for concurrent
// use; a nil or disabled Bridge publishes nothing.
type Bridge struct {
	cfg   Config
	store Store // nil: outbound only
	log   *slog.Logger
	m     meters
	limit *logLimiter

	nc *nats.Conn
	js jetstream.JetStream

	ctx    context.Context // lives until Close ends; parent of store calls and publishes
	cancel context.CancelFunc
	// setupCtx ends when Close begins, cutting short set-up and lag requests.
	setupCtx    context.Context
	cancelSetup context.CancelFunc

	kick    chan struct{} // asks the supervisor to (re)do the set-up
	stop    chan struct{} // closed by Close: supervisor and sender stop
	closed  chan struct{} // closed when the connection is closed
	closing atomic.Bool   // Close has begun: inbound events go back to the server
	// senderDone: the sender has stopped; later change events are dropped.
	senderDone atomic.Bool
	workers    sync.WaitGroup
	handlers   sync.WaitGroup // events and batches being applied
	slots      chan struct{}  // bounds single-event handlers to cfg.Concurrency
	batch      gathering      // queues model events for the batch handlers
	closeErr   error
	once       sync.Once

	mode  atomic.Value // string: a Mode constant
	outJS atomic.Bool  // a stream captures SubjectChanged
	out   *outbox

	mu       sync.Mutex // guards the inbound subscriptions below
	cons     jetstream.Consumer
	cc       jetstream.ConsumeContext
	coreSubs []*nats.Subscription
}

// Start creates the bridge and connects in the background: it returns at
// once, even while NATS is unreachable, and keeps reconnecting until Close.
// It fails only for an unusable configuration (a bad URL) or when ctx is
// already done; ctx bounds the start-up only. With an empty cfg.URL the
// bridge is disabled. A nil store makes an outbound-only bridge.
func Start(ctx context.Context, cfg Config, store Store) (*Bridge, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	b := &Bridge{cfg: cfg, store: store, log: cfg.Logger.With("component", "nats"), m: meters{cfg.Metrics},
		limit: newLogLimiter(), kick: make(chan struct{}, 1), stop: make(chan struct{}),
		closed: make(chan struct{}), out: newOutbox(cfg.PublishQueue), slots: make(chan struct{}, cfg.Concurrency)}
	b.batch.room = sync.NewCond(&b.batch.mu)
	b.mode.Store(ModeNone)
	b.m.gauge(metricPublishQueue)
	if cfg.URL == "" {
		close(b.closed)
		return b, nil
	}
	b.mode.Store(ModeUnknown)
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.setupCtx, b.cancelSetup = context.WithCancel(b.ctx)
	nc, err := nats.Connect(cfg.URL,
		nats.Name(cfg.Name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(cfg.ReconnectWait),
		nats.DrainTimeout(cfg.DrainTimeout),
		nats.ConnectHandler(func(nc *nats.Conn) { b.onConnect(nc, "connected to NATS") }),
		nats.ReconnectHandler(func(nc *nats.Conn) { b.onConnect(nc, "reconnected to NATS") }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if !b.closing.Load() {
				b.log.Warn("disconnected from NATS; reconnecting in the background", "error", err)
			}
		}),
		nats.ClosedHandler(func(*nats.Conn) { close(b.closed) }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if ok, held := b.limit.allow("async " + err.Error()); ok {
				b.log.Warn("NATS error", "error", err, "similar_since_last_log", held)
			}
		}),
	)
	if err != nil {
		b.cancel()
		return nil, fmt.Errorf("events: connect %s: %w", redactURL(cfg.URL), err)
	}
	b.nc = nc
	if cfg.OnChange != nil {
		// A core subscription: every replica hears every change. nats.go
		// restores it after a reconnect.
		if _, err := nc.Subscribe(SubjectChanged, func(m *nats.Msg) {
			if e, ok := decodeChange(m.Data); ok {
				cfg.OnChange(e)
			}
		}); err != nil {
			nc.Close()
			b.cancel()
			return nil, fmt.Errorf("events: subscribe %s: %w", SubjectChanged, err)
		}
	}
	if cs, ok := store.(CandidateStore); ok {
		if err := b.subscribeCandidates(nc, cs); err != nil {
			nc.Close()
			b.cancel()
			return nil, err
		}
	}
	if b.js, err = jetstream.New(nc); err != nil {
		nc.Close()
		b.cancel()
		return nil, fmt.Errorf("events: jetstream: %w", err)
	}
	if !nc.IsConnected() {
		b.log.Warn("NATS unreachable; serving without it and reconnecting in the background", "url", redactURL(cfg.URL))
	}
	b.workers.Add(2)
	go b.supervise()
	go b.sendLoop()
	b.poke()
	return b, nil
}

// onConnect runs on nats.go's callback goroutine, possibly before Start has
// stored the connection: it uses the one it is given.
func (b *Bridge) onConnect(nc *nats.Conn, msg string) {
	b.log.Info(msg, "url", nc.ConnectedUrlRedacted())
	b.poke()
	b.out.wakeUp()
}

func (b *Bridge) poke() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// Health names the state of the NATS link: "nats" is connected,
// reconnecting, draining, closed or disabled; "nats_mode" is jetstream,
// core, unknown (not connected yet) or none (disabled or outbound only).
func (b *Bridge) Health() map[string]string {
	if b == nil || b.nc == nil {
		return map[string]string{"nats": "disabled", "nats_mode": ModeNone}
	}
	state := "reconnecting"
	switch b.nc.Status() {
	case nats.CONNECTED:
		state = "connected"
	case nats.DRAINING_SUBS, nats.DRAINING_PUBS:
		state = "draining"
	case nats.CLOSED:
		state = "closed"
	}
	return map[string]string{"nats": state, "nats_mode": b.mode.Load().(string)}
}

// supervise (re)does the set-up after each (re)connection, retries a failed
// one, and refreshes the consumer lag, until Close.
func (b *Bridge) supervise() {
	defer b.workers.Done()
	lag := time.NewTicker(b.cfg.LagInterval)
	defer lag.Stop()
	var retry <-chan time.Time
	for {
		select {
		case <-b.stop:
			return
		case <-b.kick:
		case <-retry:
		case <-lag.C:
			b.refreshLag()
			continue
		}
		retry = nil
		if !b.nc.IsConnected() {
			continue // the reconnect handler pokes again
		}
		if err := b.setup(); err != nil && !b.closing.Load() {
			b.log.Warn("NATS set-up failed; retrying", "error", err, "retry_in", b.cfg.SetupRetry.String(),
				"mode", b.mode.Load())
			retry = time.After(b.cfg.SetupRetry)
		}
	}
}

// Close stops consuming (events in flight are finished or handed back to
// the server), sends the queued change events for up to DrainTimeout, then
// drains and closes the connection. It is safe to call more than once.
func (b *Bridge) Close() error {
	if b == nil || b.nc == nil {
		return nil
	}
	b.once.Do(func() { b.closeErr = b.close() })
	return b.closeErr
}

func (b *Bridge) close() error {
	b.closing.Store(true)
	b.mu.Lock()
	cc := b.cc
	b.mu.Unlock()
	deadline := time.NewTimer(b.cfg.DrainTimeout)
	defer deadline.Stop()
	if cc != nil {
		if b.nc.IsConnected() {
			cc.Drain() // buffered events reach the handler, which hands them back
		} else {
			cc.Stop() // the server is gone: it redelivers after AckWait anyway
		}
		select {
		case <-cc.Closed():
		case <-deadline.C:
		}
	}
	b.shutGathering()
	b.handlers.Wait() // each hands its events back or settles them
	b.cancelSetup()
	close(b.stop)
	b.workers.Wait() // the sender flushes what it can before it returns
	if n := b.out.len(); n > 0 {
		b.m.publishDropped(n)
		b.log.Warn("change events not published before shutdown", "count", n)
	}
	var err error
	drained := false
	if b.nc.IsConnected() {
		err = b.nc.Drain() // flushes, then closes the connection
		drained = err == nil
	}
	if !drained {
		b.nc.Close()
	}
	select {
	case <-b.closed:
	case <-time.After(b.cfg.DrainTimeout):
		b.nc.Close()
		<-b.closed
	}
	b.cancel()
	if errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrConnectionReconnecting) {
		err = nil // closed all the same
	}
	return err
}
