package events

import (
	"fmt"

	"github.com/VictoriaMetrics/metrics"
)

// Metric names. Labels: subject (inbound subject), reason (rejections).
const (
	metricReceived       = "model_registry_events_received_total"
	metricApplied        = "model_registry_events_applied_total"
	metricStale          = "model_registry_events_stale_total"
	metricRejected       = "model_registry_events_rejected_total"
	metricRetried        = "model_registry_events_retried_total"
	metricDiscovered     = "model_registry_models_discovered_total"
	metricPublished      = "model_registry_events_published_total"
	metricPublishFailed  = "model_registry_events_publish_failures_total"
	metricPublishDropped = "model_registry_events_publish_dropped_total"
	metricPublishQueue   = "model_registry_events_publish_queue_length"
	metricLag            = "model_registry_events_consumer_lag"
	metricAckPending     = "model_registry_events_consumer_ack_pending"
)

// Reasons an event is rejected (terminated without being applied).
const (
	reasonMalformed    = "malformed_json"
	reasonNoNode       = "missing_node"
	reasonNoModel      = "missing_model"
	reasonProviderType = "invalid_provider_type"
	reasonStatus       = "invalid_status"
	reasonInvalid      = "invalid_payload"
	reasonUnknownModel = "unknown_model"
	reasonAmbiguous    = "ambiguous_model"
	reasonStoreInvalid = "store_rejected"
	reasonStoreError   = "store_error"
	reasonStoreDown    = "store_unavailable" // core mode only: no redelivery
	reasonSubject      = "unknown_subject"
)

// meters wraps the bridge's metrics set.
type meters struct{ set *metrics.Set }

func (m meters) counter(name, label, value string) *metrics.Counter {
	if label == "" {
		return m.set.GetOrCreateCounter(name)
	}
	return m.set.GetOrCreateCounter(fmt.Sprintf("%s{%s=%q}", name, label, value))
}

func (m meters) received(subject string) { m.counter(metricReceived, "subject", subject).Inc() }
func (m meters) applied(subject string)  { m.counter(metricApplied, "subject", subject).Inc() }
func (m meters) stale()                  { m.counter(metricStale, "", "").Inc() }
func (m meters) rejected(reason string)  { m.counter(metricRejected, "reason", reason).Inc() }
func (m meters) retried()                { m.counter(metricRetried, "", "").Inc() }
func (m meters) discovered()             { m.counter(metricDiscovered, "", "").Inc() }
func (m meters) published()              { m.counter(metricPublished, "", "").Inc() }
func (m meters) publishFailed()          { m.counter(metricPublishFailed, "", "").Inc() }
func (m meters) publishDropped(n int)    { m.counter(metricPublishDropped, "", "").Add(n) }

func (m meters) gauge(name string) *metrics.Gauge { return m.set.GetOrCreateGauge(name, nil) }
