package tzsync

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/pmoves/model-registry/registry"
)

// recheck is how long after an event's pass that found nothing new Watch
// asks once more: the event may come from a replica whose peers have not
// dropped their cached configuration yet.
const recheck = 500 * time.Millisecond

// Watch syncs once (forced, see Sync), then again after every change event
// on NATS (natsURL, when not empty; deployment events are ignored, they do
// not change the configuration) and every interval, until ctx ends. Events
// that come while a pass runs, or within the Coalesce quiet time of each
// other, make one pass. Watch keeps running when the registry, NATS or the
// file fail; each pass logs its outcome. It returns an error only when it
// cannot start.
func (s *Syncer) Watch(ctx context.Context, natsURL string, interval time.Duration) error {
	if interval <= 0 {
		return fmt.Errorf("tzsync: the interval must be positive, not %s", interval)
	}
	trigger := make(chan struct{}, 1)
	poke := func() {
		select {
		case trigger <- struct{}{}:
		default:
		}
	}
	if natsURL != "" {
		nc, err := s.subscribe(natsURL, poke)
		if err != nil {
			return err
		}
		defer nc.Close()
	}
	s.Sync(ctx, true)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var again <-chan time.Time
	for {
		event := false
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-again:
			again = nil
		case <-trigger:
			if !s.settle(ctx, trigger) {
				return nil
			}
			event = true
		}
		if o := s.Sync(ctx, false); event && o.Result == NotModified {
			again = time.After(recheck)
		}
	}
}

// settle waits until no event came for the Coalesce time, or ten times
// that in all; false when ctx ended.
func (s *Syncer) settle(ctx context.Context, trigger <-chan struct{}) bool {
	quiet := s.opts.Coalesce
	limit := time.NewTimer(10 * quiet)
	defer limit.Stop()
	for {
		t := time.NewTimer(quiet)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-trigger:
			t.Stop()
		case <-t.C:
			return true
		case <-limit.C:
			t.Stop()
			return true
		}
	}
}

// subscribe listens for change events with a core NATS subscription. The
// connection retries in the background, also when the server is down at
// start; a reconnection pokes a pass, as events may have been missed.
func (s *Syncer) subscribe(natsURL string, poke func()) (*nats.Conn, error) {
	log := s.log
	nc, err := nats.Connect(natsURL, nats.Name("model-registry tensorzero sync"),
		nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second),
		nats.ConnectHandler(func(c *nats.Conn) {
			log.Info("tensorzero sync: nats connected", "url", c.ConnectedUrlRedacted())
			poke()
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("tensorzero sync: nats reconnected", "url", c.ConnectedUrlRedacted())
			poke()
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("tensorzero sync: nats disconnected", "error", err.Error())
			}
		}))
	if err != nil {
		return nil, fmt.Errorf("nats %s: %w", redact(natsURL), err)
	}
	if _, err := nc.Subscribe(registry.ChangeEventType, func(m *nats.Msg) {
		if changesConfig(m.Data) {
			poke()
		}
	}); err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats subscribe %s: %w", registry.ChangeEventType, err)
	}
	if nc.IsConnected() {
		_ = nc.FlushTimeout(2 * time.Second) // the subscription is in place before the first pass
	}
	return nc, nil
}

// changesConfig reports whether a change event can change the
// configuration: any but a deployment's or a model candidate's. An event
// that does not decode
// counts, to be safe. Only resource_type is read ("ts" is an integer of
// unix seconds, or RFC 3339 text from older registries).
func changesConfig(data []byte) bool {
	var ev struct {
		ResourceType string `json:"resource_type"`
	}
	return json.Unmarshal(data, &ev) != nil ||
		ev.ResourceType != registry.ResourceDeployment && ev.ResourceType != registry.ResourceCandidate
}

// redact hides a password in a URL.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
