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
	reg, ts, rej := parseModelEvent(in.subject, in.data, in.header, b.cfg.DefaultNode)
	if rej != nil {
		return outcome{rejected: rej}
	}
	observed := observedAt(ts, in.received)
	d, applied, err := b.store.RecordDeployment(ctx, reg, observed)
	if errors.Is(err, registry.ErrNotFound) && reg.ProviderModelID != "" {
		m, derr := b.store.DiscoverModel(ctx, reg.ProviderType, reg.ProviderModelID, reg.NodeID)
		if derr != nil {
			return storeFailure(derr)
		}
		b.m.discovered()
		b.log.Info("registered a discovered model", "model_id", m.ID, "provider_model_id", reg.ProviderModelID,
			"provider_type", reg.ProviderType, "node_id", reg.NodeID)
		b.publish(registry.NewChangeEvent(registry.ActionCreated, registry.ResourceModel, m.ID), "model-discovered-"+m.ID)
		reg.ModelID, reg.ProviderModelID = m.ID, ""
		d, applied, err = b.store.RecordDeployment(ctx, reg, observed)
	}
	if err != nil {
		if errors.Is(err, registry.ErrNotFound) {
			return outcome{rejected: reject(reasonUnknownModel, "model %s is not in the registry", reg.ModelID)}
		}
		return storeFailure(err)
	}
	if !applied {
		b.m.stale()
		return outcome{}
	}
	b.m.applied(in.subject)
	action := registry.ActionUpdated
	if !d.CreatedAt.IsZero() && d.CreatedAt.Equal(d.UpdatedAt) {
		action = registry.ActionCreated
	}
	id := in.msgID
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
