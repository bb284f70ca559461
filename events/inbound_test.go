package events_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pmoves/model-registry/devstack/natsdev"
	"github.com/pmoves/model-registry/events"
	"github.com/pmoves/model-registry/registry"
)

// want is the part of a deployment an event decides.
type want struct {
	Status   registry.DeploymentStatus
	Provider registry.DeploymentProvider
	VRAM     *int
	LastSeen time.Time
}

func summary(d registry.Deployment) want {
	w := want{Status: d.Status, Provider: d.ProviderType, VRAM: d.VRAMAllocatedMB}
	if d.LastSeenAt != nil {
		w.LastSeen = d.LastSeenAt.UTC()
	}
	return w
}

func TestInboundPayloadForms(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	store := newFakeStore()
	qwen := store.addModel(registry.DeployOllama, "qwen3:8b")
	llama := store.addModel(registry.DeployVLLM, "meta-llama/Llama-3.1-8B")
	b := startBridge(t, srv.URL(), store, func(c *events.Config) { c.DefaultNode = "gpu-default" })
	b.waitMode(t, events.ModeJetStream)
	_, js := connect(t, srv.URL())

	ts := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, subject, payload string
		header                 []string
		model, node            string
		want                   want
		stamped                bool // LastSeen is the stream time, not ts
	}{
		{name: "form1 UUID", subject: events.SubjectModelLoaded,
			payload: fmt.Sprintf(`{"node_id":"gpu-1","provider_type":"ollama","model_id":%q,"vram_allocated_mb":5120,"status":"loaded"}`, qwen.ID),
			model:   qwen.ID, node: "gpu-1", stamped: true,
			want: want{Status: registry.StatusLoaded, Provider: registry.DeployOllama, VRAM: ptr(5120)}},
		{name: "form1 provider model id", subject: events.SubjectModelLoaded,
			payload: `{"node_id":"gpu-2","provider_type":"ollama","model_id":"qwen3:8b","vram_allocated_mb":4096}`,
			model:   qwen.ID, node: "gpu-2", stamped: true,
			want: want{Status: registry.StatusLoaded, Provider: registry.DeployOllama, VRAM: ptr(4096)}},
		{name: "form1 status from subject", subject: events.SubjectModelUnloaded,
			payload: `{"node_id":"gpu-3","provider_type":"ollama","model_id":"qwen3:8b"}`,
			model:   qwen.ID, node: "gpu-3", stamped: true,
			want: want{Status: registry.StatusUnloaded, Provider: registry.DeployOllama}},
		{name: "form2 model_key with slashes, RFC 3339 ts, node header", subject: events.SubjectModelLoaded,
			payload: `{"type":"model.loaded","model_key":"vllm/meta-llama/Llama-3.1-8B","vram_mb":16000,"ts":"2026-03-01T12:00:00Z"}`,
			header:  []string{events.HeaderNodeID, "gpu-4"},
			model:   llama.ID, node: "gpu-4",
			want: want{Status: registry.StatusLoaded, Provider: registry.DeployVLLM, VRAM: ptr(16000), LastSeen: ts}},
		{name: "form2 unix millis, default node", subject: events.SubjectModelUnloaded,
			payload: fmt.Sprintf(`{"type":"model.unloaded","model_key":"ollama/qwen3:8b","vram_mb":0,"ts":%d}`, ts.UnixMilli()),
			model:   qwen.ID, node: "gpu-default",
			want: want{Status: registry.StatusUnloaded, Provider: registry.DeployOllama, VRAM: ptr(0), LastSeen: ts}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now().UTC()
			send(t, js, tt.subject, tt.payload, tt.header...)
			var d registry.Deployment
			waitFor(t, wait, "the deployment", func() bool {
				var ok bool
				d, _, ok = store.get(tt.model, tt.node)
				return ok
			})
			got := summary(d)
			if tt.stamped {
				if got.LastSeen.Before(before.Add(-time.Second)) || got.LastSeen.After(time.Now().Add(time.Second)) {
					t.Errorf("last_seen_at %v is not the stream time (sent at %v)", got.LastSeen, before)
				}
				got.LastSeen = time.Time{}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("deployment (-want +got):\n%s", diff)
			}
		})
	}
	if n := b.counter(`model_registry_events_applied_total{subject="mesh.gpu.model.loaded.v1"}`); n != 3 {
		t.Errorf("applied loaded events = %d, want 3", n)
	}
}

func TestUnknownModelIsDiscovered(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	store := newFakeStore()
	b := startBridge(t, srv.URL(), store, nil)
	b.waitMode(t, events.ModeJetStream)
	_, js := connect(t, srv.URL())

	send(t, js, events.SubjectModelLoaded, `{"node_id":"gpu-1","provider_type":"ollama","model_id":"mistral-small:24b","vram_allocated_mb":14000}`)
	var m registry.Model
	waitFor(t, wait, "the discovered model's deployment", func() bool {
		var ok bool
		if m, ok = store.model("mistral-small:24b"); !ok {
			return false
		}
		_, _, ok = store.get(m.ID, "gpu-1")
		return ok
	})
	if m.Active {
		t.Error("discovered model is active, want inactive")
	}
	// The same unknown model again is not discovered twice.
	send(t, js, events.SubjectModelLoaded, `{"node_id":"gpu-2","provider_type":"ollama","model_id":"mistral-small:24b"}`)
	waitFor(t, wait, "second deployment", func() bool { _, _, ok := store.get(m.ID, "gpu-2"); return ok })
	if _, _, discovered := store.stats(); discovered != 1 {
		t.Errorf("models discovered = %d, want 1", discovered)
	}
	if n := b.counter("model_registry_models_discovered_total"); n != 1 {
		t.Errorf("discovered counter = %d, want 1", n)
	}
}

func TestUnresolvableEventsAreTerminated(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	store := newFakeStore()
	store.addModel(registry.DeployOllama, "twin")
	store.addModel(registry.DeployOllama, "twin") // two providers, same runtime and id
	b := startBridge(t, srv.URL(), store, nil)
	b.waitMode(t, events.ModeJetStream)
	_, js := connect(t, srv.URL())

	send(t, js, events.SubjectModelLoaded, `{"node_id":"gpu-1","provider_type":"ollama","model_id":"twin"}`)
	send(t, js, events.SubjectModelLoaded, `{"node_id":"gpu-1","provider_type":"ollama","model_id":"0f0f0f0f-0000-4000-8000-000000000000"}`)
	waitFor(t, wait, "both rejections", func() bool {
		return b.counter(`model_registry_events_rejected_total{reason="ambiguous_model"}`) == 1 &&
			b.counter(`model_registry_events_rejected_total{reason="unknown_model"}`) == 1
	})
	waitFor(t, wait, "nothing left to acknowledge", func() bool {
		info := consumerInfo(t, js)
		return info.NumAckPending == 0 && info.NumPending == 0
	})
	if info := consumerInfo(t, js); info.NumRedelivered != 0 {
		t.Errorf("redelivered = %d, want 0", info.NumRedelivered)
	}
}

// An "unloaded" stamped later arrives before the "loaded" stamped earlier;
// the deployment must stay unloaded.
func TestReorderedEventsDoNotFlipState(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	store := newFakeStore()
	m := store.addModel(registry.DeployOllama, "qwen3:8b")
	b := startBridge(t, srv.URL(), store, nil)
	b.waitMode(t, events.ModeJetStream)
	_, js := connect(t, srv.URL())

	early := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	late := early.Add(10 * time.Second)
	send(t, js, events.SubjectModelUnloaded, fmt.Sprintf(`{"model_key":"ollama/qwen3:8b","ts":%q}`, late.Format(time.RFC3339)), events.HeaderNodeID, "gpu-1")
	// Events are applied concurrently, so let the later one land first:
	// that is the reordering under test.
	waitFor(t, wait, "the later event to be applied", func() bool {
		_, writes, _ := store.get(m.ID, "gpu-1")
		return writes == 1
	})
	send(t, js, events.SubjectModelLoaded, fmt.Sprintf(`{"model_key":"ollama/qwen3:8b","vram_mb":5000,"ts":%d}`, early.Unix()), events.HeaderNodeID, "gpu-1")
	waitFor(t, wait, "the stale event to be seen", func() bool {
		return b.counter("model_registry_events_stale_total") == 1
	})
	d, writes, _ := store.get(m.ID, "gpu-1")
	if d.Status != registry.StatusUnloaded || !d.LastSeenAt.Equal(late) || writes != 1 {
		t.Errorf("deployment = %s seen %v after %d writes, want unloaded seen %v after 1", d.Status, d.LastSeenAt, writes, late)
	}
}

func TestStatusRefreshesLastSeen(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	store := newFakeStore()
	m := store.addModel(registry.DeployOllama, "qwen3:8b")
	b := startBridge(t, srv.URL(), store, nil)
	b.waitMode(t, events.ModeJetStream)
	_, js := connect(t, srv.URL())

	loaded := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	send(t, js, events.SubjectModelLoaded, fmt.Sprintf(`{"node_id":"gpu-1","provider_type":"ollama","model_id":"qwen3:8b","ts":%q}`, loaded.Format(time.RFC3339)))
	waitFor(t, wait, "the deployment", func() bool { _, _, ok := store.get(m.ID, "gpu-1"); return ok })

	seen := loaded.Add(30 * time.Minute)
	send(t, js, events.SubjectNodeStatus, fmt.Sprintf(`{"node_id":"gpu-1","gpu_util":0.4,"ts":%q}`, seen.Format(time.RFC3339)))
	// A bare heartbeat naming its node in the header counts too.
	send(t, js, events.SubjectNodeStatus, ``, events.HeaderNodeID, "gpu-9")
	waitFor(t, wait, "last_seen_at to move", func() bool {
		d, _, _ := store.get(m.ID, "gpu-1")
		return d.LastSeenAt.Equal(seen)
	})
	waitFor(t, wait, "both status events applied", func() bool {
		return b.counter(`model_registry_events_applied_total{subject="mesh.gpu.status.v1"}`) == 2
	})
	if d, _, _ := store.get(m.ID, "gpu-1"); !d.LoadedAt.Equal(loaded) || d.Status != registry.StatusLoaded {
		t.Errorf("status refresh changed the deployment: %+v", d)
	}
}

func TestMalformedEventsTerminatedCountedLoggedOnce(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	store := newFakeStore()
	m := store.addModel(registry.DeployOllama, "qwen3:8b")
	b := startBridge(t, srv.URL(), store, nil)
	b.waitMode(t, events.ModeJetStream)
	_, js := connect(t, srv.URL())

	send(t, js, events.SubjectModelLoaded, `{"node_id":"gpu-1",`)
	send(t, js, events.SubjectModelLoaded, `["not","an","object"]`)
	send(t, js, events.SubjectModelLoaded, `{not json}`)
	send(t, js, events.SubjectModelLoaded, `{"node_id":"gpu-1","provider_type":"ollama"}`)
	send(t, js, events.SubjectModelLoaded, `{"node_id":"gpu-1","provider_type":"llamacpp","model_id":"x"}`)
	send(t, js, events.SubjectModelLoaded, `{"node_id":"gpu-1","provider_type":"ollama","model_id":"qwen3:8b"}`)
	waitFor(t, wait, "the valid event after the bad ones", func() bool { _, _, ok := store.get(m.ID, "gpu-1"); return ok })
	waitFor(t, wait, "every event settled", func() bool {
		info := consumerInfo(t, js)
		return info.NumAckPending == 0 && info.NumPending == 0
	})
	info := consumerInfo(t, js)
	if info.NumRedelivered != 0 || info.Delivered.Consumer != 6 {
		t.Errorf("deliveries = %d (redelivered %d), want 6 and none redelivered", info.Delivered.Consumer, info.NumRedelivered)
	}
	for reason, want := range map[string]uint64{"malformed_json": 3, "missing_model": 1, "invalid_provider_type": 1} {
		if got := b.counter(fmt.Sprintf(`model_registry_events_rejected_total{reason=%q}`, reason)); got != want {
			t.Errorf("rejected %s = %d, want %d", reason, got, want)
		}
	}
	if n := b.log.count("rejected a NATS event", "reason=malformed_json"); n != 1 {
		t.Errorf("malformed_json logged %d times, want once", n)
	}
	if n := b.counter(`model_registry_events_received_total{subject="mesh.gpu.model.loaded.v1"}`); n != 6 {
		t.Errorf("received = %d, want 6", n)
	}
}

// While PostgREST is down the event is not acknowledged; it comes back until
// the store accepts it, and is applied exactly once.
func TestStoreDownEventRedeliveredUntilApplied(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	store := newFakeStore()
	m := store.addModel(registry.DeployOllama, "qwen3:8b")
	b := startBridge(t, srv.URL(), store, nil)
	b.waitMode(t, events.ModeJetStream)
	_, js := connect(t, srv.URL())

	store.setDown(true)
	send(t, js, events.SubjectModelLoaded, `{"node_id":"gpu-1","provider_type":"ollama","model_id":"qwen3:8b"}`)
	waitFor(t, wait, "several failed deliveries", func() bool { _, failures, _ := store.stats(); return failures >= 3 })
	if info := consumerInfo(t, js); info.NumAckPending != 1 {
		t.Errorf("ack pending while the store is down = %d, want 1", info.NumAckPending)
	}
	if n, _, _ := store.stats(); n != 0 {
		t.Fatalf("deployments while the store is down = %d", n)
	}
	ackPending := b.set.GetOrCreateGauge("model_registry_events_consumer_ack_pending", nil)
	waitFor(t, wait, "the ack-pending gauge", func() bool { return ackPending.Get() == 1 })
	store.setDown(false)
	waitFor(t, wait, "the event applied", func() bool { _, _, ok := store.get(m.ID, "gpu-1"); return ok })
	waitFor(t, wait, "the event acknowledged", func() bool { return consumerInfo(t, js).NumAckPending == 0 })
	if _, writes, _ := store.get(m.ID, "gpu-1"); writes != 1 {
		t.Errorf("writes = %d, want 1", writes)
	}
	if b.counter("model_registry_events_retried_total") < 3 {
		t.Errorf("retried counter = %d, want >= 3", b.counter("model_registry_events_retried_total"))
	}
	if n := b.log.count("store failed; the event will be redelivered"); n != 1 {
		t.Errorf("store failure logged %d times, want once", n)
	}
}

// Two replicas share the durable consumer: every event is applied once.
func TestReplicasApplyEachEventOnce(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	store := newFakeStore()
	m := store.addModel(registry.DeployOllama, "qwen3:8b")
	a := startBridge(t, srv.URL(), store, nil)
	b := startBridge(t, srv.URL(), store, nil)
	a.waitMode(t, events.ModeJetStream)
	b.waitMode(t, events.ModeJetStream)
	_, js := connect(t, srv.URL())

	const n = 60
	for i := range n {
		send(t, js, events.SubjectModelLoaded, fmt.Sprintf(`{"node_id":"gpu-%02d","provider_type":"ollama","model_id":"qwen3:8b"}`, i))
	}
	waitFor(t, wait, "every event applied", func() bool { d, _, _ := store.stats(); return d == n })
	waitFor(t, wait, "every event acknowledged", func() bool {
		info := consumerInfo(t, js)
		return info.NumAckPending == 0 && info.NumPending == 0
	})
	for k, w := range store.writes() {
		if w != 1 || k.model != m.ID {
			t.Errorf("%v written %d times", k, w)
		}
	}
	const applied = `model_registry_events_applied_total{subject="mesh.gpu.model.loaded.v1"}`
	if got := a.counter(applied) + b.counter(applied); got != n {
		t.Errorf("applied across replicas = %d, want %d", got, n)
	}
}
