package supabase

// The events bridge over this store, with real parts only: an in-process
// NATS server with JetStream, the devstack PostgREST-compatible server and
// PostgreSQL. These tests live here because dbtest.Main must own the test
// binary's TestMain.

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/devstack/natsdev"
	"github.com/pmoves/model-registry/events"
	"github.com/pmoves/model-registry/registry"
)

var _ events.Store = (*Client)(nil)

// natsEnv is a NATS server holding a backlog of GPU node events.
type natsEnv struct {
	url     string
	nc      *nats.Conn
	js      jetstream.JetStream
	changes *nats.Subscription // model.registry.updated.v1
}

// startNATS starts NATS with the bridge's stream already there, so events
// sent before a bridge starts wait for it, as after an outage.
func startNATS(t *testing.T) *natsEnv {
	t.Helper()
	srv, err := natsdev.Start(natsdev.Options{Port: -1, StoreDir: t.TempDir()})
	ok(t, err)
	t.Cleanup(srv.Shutdown)
	nc, err := nats.Connect(srv.URL())
	ok(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	ok(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: events.DefaultStream, Subjects: events.InboundSubjects})
	ok(t, err)
	sub, err := nc.SubscribeSync(events.SubjectChanged)
	ok(t, err)
	ok(t, sub.SetPendingLimits(-1, -1))
	ok(t, nc.Flush())
	return &natsEnv{url: srv.URL(), nc: nc, js: js, changes: sub}
}

// send publishes a GPU node event into the stream.
func (n *natsEnv) send(t *testing.T, subject, payload string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := n.js.Publish(ctx, subject, []byte(payload))
	ok(t, err)
}

// settled waits until the consumer has settled (acknowledged or
// terminated) every event in the stream, and returns its state.
func (n *natsEnv) settled(t *testing.T) *jetstream.ConsumerInfo {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var info *jetstream.ConsumerInfo
		var last uint64
		s, err := n.js.Stream(ctx, events.DefaultStream)
		if err == nil {
			last = s.CachedInfo().State.LastSeq
			var c jetstream.Consumer
			if c, err = n.js.Consumer(ctx, events.DefaultStream, events.DefaultDurable); err == nil {
				info, err = c.Info(ctx)
			}
		}
		cancel()
		if err == nil && info.AckFloor.Stream >= last && info.NumAckPending == 0 {
			return info
		}
		if time.Now().After(deadline) {
			t.Fatalf("events not settled (last %d): %+v %v", last, info, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// changeIDs reads the change events published so far, by resource type,
// and fails on a repeated Nats-Msg-Id.
func (n *natsEnv) changeIDs(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	seen := map[string]bool{}
	for {
		msg, err := n.changes.NextMsg(200 * time.Millisecond)
		if err != nil {
			return out
		}
		var e registry.ChangeEvent
		ok(t, json.Unmarshal(msg.Data, &e))
		id := msg.Header.Get(events.HeaderMsgID)
		if id == "" || seen[id] {
			t.Errorf("change event %s with id %q", msg.Data, id)
		}
		seen[id] = true
		out[e.ResourceType]++
	}
}

// bridge is a started bridge and its counters.
type bridge struct {
	*events.Bridge
	set *metrics.Set
}

func (b bridge) counter(name string) uint64 { return b.set.GetOrCreateCounter(name).Get() }

func (b bridge) applied() uint64 {
	return b.counter(`model_registry_events_applied_total{subject="mesh.gpu.model.loaded.v1"}`) +
		b.counter(`model_registry_events_applied_total{subject="mesh.gpu.model.unloaded.v1"}`)
}

func startBridge(t *testing.T, url string, store events.Store, mod func(*events.Config)) bridge {
	t.Helper()
	cfg := events.Config{URL: url, Metrics: metrics.NewSet(), RetryMin: 20 * time.Millisecond,
		RetryMax: 200 * time.Millisecond, DrainTimeout: 2 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	b, err := events.Start(context.Background(), cfg, store)
	ok(t, err)
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("bridge Close: %v", err)
		}
	})
	return bridge{b, cfg.Metrics}
}

// A burst of events for new pairs, shared by two replicas, is written with
// a few bulk inserts; every fifth event unloads a pair loaded just before.
func TestIntegrationBridgeBurst(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.TemplateEmpty)
	c, reqs := e.observed(t)
	p := e.provider(t, "ollama_local", registry.ProviderOllama)
	var models []registry.Model
	for i := range 5 {
		models = append(models, e.model(t, p.ID, fmt.Sprintf("m%d", i), fmt.Sprintf("model-%d:7b", i)))
	}
	n := startNATS(t)
	const total = 500
	loaded := 0
	for i := range total {
		subject, pair := events.SubjectModelLoaded, loaded
		if i%5 == 4 {
			subject, pair = events.SubjectModelUnloaded, loaded-1
		} else {
			loaded++
		}
		m := models[pair%len(models)]
		node := fmt.Sprintf("burst-%03d", pair/len(models))
		if i%2 == 0 {
			n.send(t, subject, fmt.Sprintf(`{"node_id":%q,"provider_type":"ollama","model_id":%q}`, node, m.ID))
		} else {
			n.send(t, subject, fmt.Sprintf(`{"node_id":%q,"provider_type":"ollama","model_id":%q}`, node, m.ModelID))
		}
	}
	reqs.take()
	a := startBridge(t, n.url, c, nil)
	b := startBridge(t, n.url, c, nil)
	info := n.settled(t)

	stale := a.counter("model_registry_events_stale_total") + b.counter("model_registry_events_stale_total")
	if applied := a.applied() + b.applied(); applied+stale != total || info.NumRedelivered != 0 {
		t.Errorf("applied %d + stale %d, want %d; redelivered %d", applied, stale, total, info.NumRedelivered)
	}
	got := reqs.take()
	if got["POST model_deployments"] > total/20 {
		t.Errorf("%d inserts for %d events: not batched (%v)", got["POST model_deployments"], total, got)
	}
	t.Logf("requests for %d events: %v", total, got)
	if rows := e.count(t, "SELECT count(*) FROM pmoves_core.model_deployments WHERE node_id LIKE 'burst-%'"); rows != loaded {
		t.Errorf("%d deployments, want %d", rows, loaded)
	}
	if rows := e.count(t, "SELECT count(*) FROM pmoves_core.model_deployments WHERE status = 'unloaded'"); rows != total-loaded {
		t.Errorf("%d unloaded, want %d", rows, total-loaded)
	}
	if changes := n.changeIDs(t); changes[registry.ResourceDeployment] != int(a.applied()+b.applied()) {
		t.Errorf("%d deployment change events, want one per applied event (%d)", changes[registry.ResourceDeployment], a.applied()+b.applied())
	}
}

// One batch mixing new and existing pairs, a duplicate pair, older events
// after newer ones, an unknown model named twice and a malformed event:
// each settles as it would alone, nothing is lost or redelivered.
func TestIntegrationBridgeMixedBatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.TemplateEmpty)
	c, reqs := e.observed(t)
	p := e.provider(t, "ollama_local", registry.ProviderOllama)
	a := e.model(t, p.ID, "a", "a:7b")
	b := e.model(t, p.ID, "b", "b:7b")
	t0 := base()
	at := func(s int) string { return t0.Add(time.Duration(s) * time.Second).Format(time.RFC3339Nano) }
	r := recordBatch(t, c, []registry.DeploymentRegistration{{ModelID: a.ID, NodeID: "exist",
		ProviderType: registry.DeployOllama, VRAMAllocatedMB: ptr(5000)}}, []time.Time{t0})
	ok(t, r[0].err)

	n := startNATS(t)
	payloads := []struct{ subject, body string }{
		{events.SubjectModelLoaded, `{"node_id":"new-1","provider_type":"ollama","model_id":"a:7b"}`},
		{events.SubjectModelUnloaded, `{"node_id":"exist","provider_type":"ollama","model_id":"a:7b","ts":"` + at(1) + `"}`},
		{events.SubjectModelLoaded, `{"node_id":"dup","provider_type":"ollama","model_id":"` + b.ID + `","ts":"` + at(1) + `"}`},
		{events.SubjectModelUnloaded, `{"node_id":"dup","provider_type":"ollama","model_id":"` + b.ID + `","ts":"` + at(2) + `"}`},
		{events.SubjectModelLoaded, `{"node_id":"dup","provider_type":"ollama","model_id":"b:7b","ts":"` + at(0) + `"}`},
		{events.SubjectModelLoaded, `{"node_id":"new-1",`},
		{events.SubjectModelLoaded, `{"node_id":"x","provider_type":"vllm","model_id":"acme/new-7b","ts":"` + at(1) + `"}`},
		{events.SubjectModelLoaded, `{"node_id":"y","provider_type":"vllm","model_id":"acme/new-7b","ts":"` + at(1) + `"}`},
		{events.SubjectModelLoaded, `{"node_id":"exist","provider_type":"ollama","model_id":"a:7b","ts":"` + at(-60) + `"}`},
	}
	for _, pl := range payloads {
		n.send(t, pl.subject, pl.body)
	}
	reqs.take()
	br := startBridge(t, n.url, c, func(cfg *events.Config) { cfg.BatchSize, cfg.BatchWait = len(payloads), time.Minute })
	info := n.settled(t)
	if info.NumRedelivered != 0 || info.Delivered.Consumer != uint64(len(payloads)) {
		t.Errorf("delivered %d, redelivered %d", info.Delivered.Consumer, info.NumRedelivered)
	}
	for name, want := range map[string]uint64{
		`model_registry_events_rejected_total{reason="malformed_json"}`: 1,
		"model_registry_models_discovered_total":                        1,
		"model_registry_events_stale_total":                             2,
	} {
		if got := br.counter(name); got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	if got := br.applied(); got != 6 {
		t.Errorf("applied %d, want 6", got)
	}
	got := reqs.take()
	// The batch in one call, then the discovered model's two events in
	// another; the discovered model is written and read back once.
	if got["POST rpc/registry_record_deployments"] != 2 || got["POST model_deployments"] != 0 ||
		got["PATCH model_deployments"] != 0 || got["GET v_models"] != 1 {
		t.Errorf("requests %v: want 2 calls of registry_record_deployments and 1 model read", got)
	}
	t.Logf("requests: %v", got)

	check := func(model, node string, status registry.DeploymentStatus) deploymentState {
		t.Helper()
		st := e.state(t, model, node)
		if st.Status != status {
			t.Errorf("%s on %s is %s, want %s", model, node, st.Status, status)
		}
		return st
	}
	check(a.ID, "new-1", registry.StatusLoaded)
	if st := check(a.ID, "exist", registry.StatusUnloaded); *st.VRAMAllocatedMB != 5000 || !st.LoadedAt.Equal(t0) {
		t.Errorf("exist: %+v", st)
	}
	check(b.ID, "dup", registry.StatusUnloaded)
	discovered, _, err := c.ListModels(context.Background(), registry.ModelFilter{Active: ptr(false), Q: "acme/new-7b"})
	ok(t, err)
	if len(discovered) != 1 {
		t.Fatalf("discovered models: %+v", discovered)
	}
	m := discovered[0].ID
	check(m, "x", registry.StatusLoaded)
	check(m, "y", registry.StatusLoaded)
	changes := n.changeIDs(t)
	if changes[registry.ResourceDeployment] != 6 || changes[registry.ResourceModel] != 1 {
		t.Errorf("change events %v, want 6 deployments and 1 model", changes)
	}
}

// A model deleted while its event waits fails that event alone (a foreign
// key, caught in its savepoint): the batch is still one call, and only that
// event is terminated.
func TestIntegrationBridgeBulkFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.TemplateEmpty)
	c, reqs := e.observed(t)
	p := e.provider(t, "ollama_local", registry.ProviderOllama)
	a := e.model(t, p.ID, "a", "a:7b")
	gone := e.model(t, p.ID, "gone", "gone:7b")
	n := startNATS(t)
	for i, m := range []string{a.ID, gone.ID, a.ID, a.ID} {
		n.send(t, events.SubjectModelLoaded, fmt.Sprintf(`{"node_id":"n%d","provider_type":"ollama","model_id":%q}`, i, m))
	}
	e.exec(t, "DELETE FROM pmoves_core.models WHERE id = $1", gone.ID)
	reqs.take()
	br := startBridge(t, n.url, c, func(cfg *events.Config) { cfg.BatchSize, cfg.BatchWait = 4, time.Minute })
	n.settled(t)
	if got := br.counter(`model_registry_events_rejected_total{reason="unknown_model"}`); got != 1 {
		t.Errorf("unknown_model rejections = %d, want 1", got)
	}
	if got := br.applied(); got != 3 {
		t.Errorf("applied %d, want 3", got)
	}
	if got := reqs.take(); got["POST rpc/registry_record_deployments"] != 1 || len(got) != 1 {
		t.Errorf("requests %v: want one call", got)
	}
	if rows := e.count(t, "SELECT count(*) FROM pmoves_core.model_deployments"); rows != 3 {
		t.Errorf("%d deployments, want 3", rows)
	}
}
