package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/pmoves/model-registry/registry"
)

// maxStoreAttempts bounds the deliveries of an event the store keeps failing
// with an unclassified error; transient errors (unavailable, timeouts) are
// retried without bound.
const maxStoreAttempts = 10

// inbound is one received event, whatever the transport.
type inbound struct {
	subject  string
	data     []byte
	header   nats.Header
	received time.Time // stream time with JetStream, arrival time without
	msgID    string    // stable identity for the change event it causes
}

// outcome of applying an event.
type outcome struct {
	rejected *rejection // final: terminate, count, log
	retry    error      // store failure: redeliver later
}

// apply records one event through the store and announces the change.
func (b *Bridge) apply(ctx context.Context, in inbound) outcome {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.StoreTimeout)
	defer cancel()
	switch in.subject {
	case SubjectModelLoaded, SubjectModelUnloaded:
		return b.applyModel(ctx, in)
	case SubjectNodeStatus:
		node, ts, rej := parseStatusEvent(in.data, in.header, b.cfg.DefaultNode)
		if rej != nil {
			return outcome{rejected: rej}
		}
		if err := b.store.TouchNode(ctx, node, observedAt(ts, in.received)); err != nil {
			return storeFailure(err)
		}
		b.m.applied(in.subject)
		return outcome{}
	}
	return outcome{rejected: reject(reasonSubject, "subject %q", in.subject)}
}

func (b *Bridge) applyModel(ctx context.Context, in inbound) outcome {
	e := b.parseModel(in)
	if e.res.rejected == nil {
		b.recordModels(ctx, []*modelEvent{e})
	}
	return e.res
}

// modelEvent is a loaded or unloaded event on its way to the store.
type modelEvent struct {
	in       inbound
	reg      registry.DeploymentRegistration
	observed time.Time
	res      outcome
}

// parseModel reads a model event; a malformed one gets its rejection.
func (b *Bridge) parseModel(in inbound) *modelEvent {
	e := &modelEvent{in: in}
	reg, ts, rej := parseModelEvent(in.subject, in.data, in.header, b.cfg.DefaultNode)
	if rej != nil {
		e.res = outcome{rejected: rej}
		return e
	}
	e.reg, e.observed = reg, observedAt(ts, in.received)
	return e
}

// recordModels records parsed model events through the store, all in one
// call, and sets the outcome of each. A model the registry does not know is
// discovered (once per batch) and its events recorded again.
func (b *Bridge) recordModels(ctx context.Context, evs []*modelEvent) {
	if again := b.record(ctx, evs, true); len(again) > 0 {
		b.record(ctx, again, false)
	}
}

// record is one store call for evs. With discover, it returns the events
// whose model it has just discovered, to be recorded again.
func (b *Bridge) record(ctx context.Context, evs []*modelEvent, discover bool) (again []*modelEvent) {
	regs := make([]registry.DeploymentRegistration, len(evs))
	observed := make([]time.Time, len(evs))
	for i, e := range evs {
		regs[i], observed[i] = e.reg, e.observed
	}
	ds, applied, errs := b.store.RecordDeployments(ctx, regs, observed)
	if len(ds) != len(evs) || len(applied) != len(evs) || len(errs) != len(evs) {
		err := fmt.Errorf("store answered %d events with %d results", len(evs), len(errs))
		for _, e := range evs {
			e.res = storeFailure(err)
		}
		return nil
	}
	type modelKey struct {
		runtime registry.DeploymentProvider
		id      string
	}
	type discovery struct {
		m   registry.Model
		err error
	}
	var seen map[modelKey]discovery
	for i, e := range evs {
		if !discover || !errors.Is(errs[i], registry.ErrNotFound) || e.reg.ProviderModelID == "" {
			e.res = b.recorded(e, ds[i], applied[i], errs[i])
			continue
		}
		k := modelKey{e.reg.ProviderType, e.reg.ProviderModelID}
		d, ok := seen[k]
		if !ok {
			if seen == nil {
				seen = map[modelKey]discovery{}
			}
			d.m, d.err = b.discover(ctx, e.reg)
			seen[k] = d
		}
		if d.err != nil {
			e.res = storeFailure(d.err)
			continue
		}
		e.reg.ModelID, e.reg.ProviderModelID = d.m.ID, ""
		again = append(again, e)
	}
	return again
}

// discover registers the unknown model of reg and announces it.
func (b *Bridge) discover(ctx context.Context, reg registry.DeploymentRegistration) (registry.Model, error) {
	m, err := b.store.DiscoverModel(ctx, reg.ProviderType, reg.ProviderModelID, reg.NodeID)
	if err != nil {
		return m, err
	}
	b.m.discovered()
	b.log.Info("registered a discovered model", "model_id", m.ID, "provider_model_id", reg.ProviderModelID,
		"provider_type", reg.ProviderType, "node_id", reg.NodeID)
	b.publish(registry.NewChangeEvent(registry.ActionCreated, registry.ResourceModel, m.ID), "model-discovered-"+m.ID)
	return m, nil
}

// recorded turns the store's answer for one event into its outcome, and
// announces an applied change.
func (b *Bridge) recorded(e *modelEvent, d registry.Deployment, applied bool, err error) outcome {
	if err != nil {
		if errors.Is(err, registry.ErrNotFound) {
			return outcome{rejected: reject(reasonUnknownModel, "model %s is not in the registry", e.reg.ModelID)}
		}
		return storeFailure(err)
	}
	if !applied {
		b.m.stale()
		return outcome{}
	}
	b.m.applied(e.in.subject)
	action := registry.ActionUpdated
	if !d.CreatedAt.IsZero() && d.CreatedAt.Equal(d.UpdatedAt) {
		action = registry.ActionCreated
	}
	id := e.in.msgID
	if id == "" {
		id = newMsgID()
	}
	b.publish(registry.NewChangeEvent(action, registry.ResourceDeployment, d.ID), id)
	return outcome{}
}

// storeFailure classifies a store error: final kinds reject the event,
// anything else asks for a redelivery.
func storeFailure(err error) outcome {
	switch {
	case errors.Is(err, registry.ErrConflict):
		return outcome{rejected: reject(reasonAmbiguous, "%v", err)}
	case errors.Is(err, registry.ErrInvalid):
		return outcome{rejected: reject(reasonStoreInvalid, "%v", err)}
	case errors.Is(err, registry.ErrNotFound):
		return outcome{rejected: reject(reasonUnknownModel, "%v", err)}
	}
	return outcome{retry: err}
}

// transient reports whether a store error clears by itself, so the event is
// retried for as long as it takes.
func transient(err error) bool {
	return errors.Is(err, registry.ErrUnavailable) || errors.Is(err, registry.ErrUnauthorized) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// logRejected logs a rejection, at most once a minute per reason and subject.
func (b *Bridge) logRejected(in inbound, rej *rejection) {
	b.m.rejected(rej.reason)
	if ok, held := b.limit.allow("reject " + rej.reason + " " + in.subject); ok {
		b.log.Warn("rejected a NATS event", "subject", in.subject, "reason", rej.reason,
			"detail", rej.detail, "similar_since_last_log", held)
	}
}

// logRetry logs a store failure that will be retried, rate-limited the same way.
func (b *Bridge) logRetry(in inbound, err error, delay time.Duration) {
	b.m.retried()
	if ok, held := b.limit.allow("retry " + in.subject); ok {
		b.log.Warn("store failed; the event will be redelivered", "subject", in.subject,
			"error", err, "retry_in", delay.String(), "similar_since_last_log", held)
	}
}

func streamMsgID(stream string, seq uint64) string { return fmt.Sprintf("%s-%d", stream, seq) }
