package events_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/pmoves/model-registry/devstack/natsdev"
	"github.com/pmoves/model-registry/events"
	"github.com/pmoves/model-registry/registry"
)

// backlog creates the bridge's stream, so that events sent before the
// bridge starts wait there for it, as after an outage of the registry.
func backlog(t testing.TB, js jetstream.JetStream) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	// Limits retention: with interest retention, the bridge's, the stream
	// would drop events sent before the consumer exists.
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: events.DefaultStream,
		Subjects: events.InboundSubjects}); err != nil {
		t.Fatal(err)
	}
}

// settled waits until the bridge consumes and has settled (acknowledged or
// terminated) every event in the stream.
func settled(t testing.TB, b testBridge, js jetstream.JetStream) *jetstream.ConsumerInfo {
	t.Helper()
	b.waitMode(t, events.ModeJetStream)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s, err := js.Stream(ctx, events.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	last := s.CachedInfo().State.LastSeq
	var info *jetstream.ConsumerInfo
	waitFor(t, wait, "every event settled", func() bool {
		info = consumerInfo(t, js)
		return info.AckFloor.Stream >= last && info.NumAckPending == 0
	})
	return info
}

// A backlog is recorded in batches of BatchSize, in order, and each applied
// event is announced under its stream sequence.
func TestBacklogIsRecordedInBatches(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	store := newFakeStore()
	m := store.addModel(registry.DeployOllama, "qwen3:8b")
	nc, js := connect(t, srv.URL())
	backlog(t, js)
	changes := subscribe(t, nc, events.SubjectChanged)

	const n, size = 100, 25
	for i := range n {
		subject, node := events.SubjectModelLoaded, fmt.Sprintf("gpu-%02d", i)
		if i%5 == 4 { // unloads the pair loaded just before, in the same batch
			subject, node = events.SubjectModelUnloaded, fmt.Sprintf("gpu-%02d", i-1)
		}
		send(t, js, subject, fmt.Sprintf(`{"node_id":%q,"provider_type":"ollama","model_id":"qwen3:8b"}`, node))
	}
	b := startBridge(t, srv.URL(), store, func(c *events.Config) { c.BatchSize, c.BatchWait = size, time.Minute })
	info := settled(t, b, js)
	if info.NumRedelivered != 0 {
		t.Errorf("redelivered %d", info.NumRedelivered)
	}
	if got := store.batchSizes(); !slices.Equal(got, []int{size, size, size, size}) {
		t.Errorf("batches %v, want four of %d", got, size)
	}
	for i := 3; i < n; i += 5 {
		if d, writes, _ := store.get(m.ID, fmt.Sprintf("gpu-%02d", i)); d.Status != registry.StatusUnloaded || writes != 2 {
			t.Errorf("gpu-%02d: %s after %d writes, want unloaded after 2", i, d.Status, writes)
		}
	}
	applied := b.counter(`model_registry_events_applied_total{subject="mesh.gpu.model.loaded.v1"}`) +
		b.counter(`model_registry_events_applied_total{subject="mesh.gpu.model.unloaded.v1"}`)
	if applied != n {
		t.Errorf("applied %d, want %d", applied, n)
	}
	ids := map[string]bool{}
	for range n {
		e, msg := nextChange(t, changes)
		id := msg.Header.Get(events.HeaderMsgID)
		if e.ResourceType != registry.ResourceDeployment || !strings.HasPrefix(id, "deployment-"+events.DefaultStream+"-") || ids[id] {
			t.Fatalf("change event %+v with id %q", e, id)
		}
		ids[id] = true
	}
}

// In one batch: a malformed event is terminated, an unknown model (named
// twice) is discovered once, unresolvable models are terminated, and the
// rest is applied.
func TestBatchSettlesEachEventOnItsOwn(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	store := newFakeStore()
	m := store.addModel(registry.DeployOllama, "qwen3:8b")
	store.addModel(registry.DeployOllama, "twin")
	store.addModel(registry.DeployOllama, "twin")
	_, js := connect(t, srv.URL())
	backlog(t, js)
	payloads := []string{
		`{"node_id":"gpu-1","provider_type":"ollama","model_id":"qwen3:8b"}`,
		`{"node_id":"gpu-1",`,
		`{"node_id":"gpu-1","provider_type":"ollama","model_id":"new-model:3b"}`,
		`{"node_id":"gpu-1","provider_type":"ollama","model_id":"twin"}`,
		`{"node_id":"gpu-2","provider_type":"ollama","model_id":"new-model:3b"}`,
		`{"node_id":"gpu-1","provider_type":"ollama","model_id":"0f0f0f0f-0000-4000-8000-000000000000"}`,
		`{"node_id":"gpu-2","provider_type":"ollama","model_id":"qwen3:8b"}`,
	}
	for _, p := range payloads {
		send(t, js, events.SubjectModelLoaded, p)
	}
	b := startBridge(t, srv.URL(), store, func(c *events.Config) { c.BatchSize, c.BatchWait = len(payloads), time.Minute })
	info := settled(t, b, js)
	if info.NumRedelivered != 0 || info.Delivered.Consumer != uint64(len(payloads)) {
		t.Errorf("delivered %d, redelivered %d", info.Delivered.Consumer, info.NumRedelivered)
	}
	// One call for the batch without the malformed event, one for the
	// events of the discovered model.
	if got := store.batchSizes(); !slices.Equal(got, []int{6, 2}) {
		t.Errorf("batches %v, want [6 2]", got)
	}
	discovered, ok := store.model("new-model:3b")
	if !ok {
		t.Fatal("new-model:3b not discovered")
	}
	for _, k := range []depKey{{m.ID, "gpu-1"}, {m.ID, "gpu-2"}, {discovered.ID, "gpu-1"}, {discovered.ID, "gpu-2"}} {
		if _, writes, _ := store.get(k.model, k.node); writes != 1 {
			t.Errorf("%v written %d times", k, writes)
		}
	}
	for name, want := range map[string]uint64{
		`model_registry_events_rejected_total{reason="malformed_json"}`:           1,
		`model_registry_events_rejected_total{reason="ambiguous_model"}`:          1,
		`model_registry_events_rejected_total{reason="unknown_model"}`:            1,
		`model_registry_models_discovered_total`:                                  1,
		`model_registry_events_applied_total{subject="mesh.gpu.model.loaded.v1"}`: 4,
	} {
		if got := b.counter(name); got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
}

// A batch the store cannot take goes back to the server with back-off and
// is applied once the store is back, each event once.
func TestBatchRedeliveredWhileStoreDown(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	store := newFakeStore()
	m := store.addModel(registry.DeployOllama, "qwen3:8b")
	_, js := connect(t, srv.URL())
	backlog(t, js)
	store.setDown(true)
	const n = 5
	for i := range n {
		send(t, js, events.SubjectModelLoaded, fmt.Sprintf(`{"node_id":"gpu-%d","provider_type":"ollama","model_id":"qwen3:8b"}`, i))
	}
	b := startBridge(t, srv.URL(), store, func(c *events.Config) { c.BatchSize = n })
	waitFor(t, wait, "failed deliveries", func() bool { _, failures, _ := store.stats(); return failures >= 2*n })
	store.setDown(false)
	settled(t, b, js)
	for i := range n {
		if _, writes, _ := store.get(m.ID, fmt.Sprintf("gpu-%d", i)); writes != 1 {
			t.Errorf("gpu-%d written %d times", i, writes)
		}
	}
	if b.counter("model_registry_events_retried_total") < 2*n {
		t.Errorf("retried %d, want >= %d", b.counter("model_registry_events_retried_total"), 2*n)
	}
}

// Close hands the events still gathering for a batch back to the server at
// once: another replica applies them without waiting for AckWait.
func TestCloseHandsBackGatheredEvents(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	store := newFakeStore()
	m := store.addModel(registry.DeployOllama, "qwen3:8b")
	_, js := connect(t, srv.URL())
	const n = 10
	slow := func(c *events.Config) { c.BatchSize, c.BatchWait, c.AckWait = 50, time.Minute, time.Minute }
	a := startBridge(t, srv.URL(), store, slow)
	a.waitMode(t, events.ModeJetStream)
	for i := range n {
		send(t, js, events.SubjectModelLoaded, fmt.Sprintf(`{"node_id":"gpu-%d","provider_type":"ollama","model_id":"qwen3:8b"}`, i))
	}
	waitFor(t, wait, "the events to reach the gathering", func() bool { return consumerInfo(t, js).NumAckPending == n })
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := store.stats(); n != 0 {
		t.Fatalf("%d deployments written by the closed bridge", n)
	}
	start := time.Now()
	settled(t, startBridge(t, srv.URL(), store, nil), js)
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %s: the events waited for AckWait", d)
	}
	for i := range n {
		if _, writes, _ := store.get(m.ID, fmt.Sprintf("gpu-%d", i)); writes != 1 {
			t.Errorf("gpu-%d written %d times", i, writes)
		}
	}
}
