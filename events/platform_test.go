package events_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pmoves/model-registry/devstack/natsdev"
	"github.com/pmoves/model-registry/events"
	"github.com/pmoves/model-registry/registry"
)

// The platform's GPU orchestrator names no node, neither in the payload nor
// in a header: with no DefaultNode configured its events are recorded under
// "gpu-orchestrator".
func TestOrchestratorEventsUseDefaultNode(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	store := newFakeStore()
	m := store.addModel(registry.DeployOllama, "qwen3:8b")
	b := startBridge(t, srv.URL(), store, nil) // no DefaultNode
	b.waitMode(t, events.ModeJetStream)
	_, js := connect(t, srv.URL())

	loadedAt := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	send(t, js, events.SubjectModelLoaded, fmt.Sprintf(
		`{"type":"mesh.gpu.model.loaded.v1","model_key":"ollama/qwen3:8b","vram_mb":5200,"ts":%d}`, loadedAt.Unix()))
	var d registry.Deployment
	waitFor(t, wait, "the deployment on gpu-orchestrator", func() bool {
		var ok bool
		d, _, ok = store.get(m.ID, events.DefaultNode)
		return ok
	})
	if d.NodeID != "gpu-orchestrator" || d.Status != registry.StatusLoaded || d.VRAMAllocatedMB == nil ||
		*d.VRAMAllocatedMB != 5200 || d.LastSeenAt == nil || !d.LastSeenAt.Equal(loadedAt) {
		t.Fatalf("deployment = %+v, want loaded on gpu-orchestrator with 5200 MB seen %v", d, loadedAt)
	}

	send(t, js, events.SubjectModelUnloaded, fmt.Sprintf(
		`{"type":"mesh.gpu.model.unloaded.v1","model_key":"ollama/qwen3:8b","ts":%d}`, loadedAt.Add(time.Second).Unix()))
	waitFor(t, wait, "the deployment to be unloaded", func() bool {
		d, _, _ = store.get(m.ID, events.DefaultNode)
		return d.Status == registry.StatusUnloaded
	})
	if n := b.counter(`model_registry_events_rejected_total{reason="missing_node"}`); n != 0 {
		t.Errorf("events rejected for a missing node: %d", n)
	}
	if deps, _, _ := store.stats(); deps != 1 {
		t.Errorf("deployments = %d, want 1", deps)
	}
}

// A configured DefaultNode still replaces "gpu-orchestrator", and a header
// still beats it.
func TestConfiguredDefaultNode(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	store := newFakeStore()
	m := store.addModel(registry.DeployOllama, "qwen3:8b")
	b := startBridge(t, srv.URL(), store, func(c *events.Config) { c.DefaultNode = "gpu-box" })
	b.waitMode(t, events.ModeJetStream)
	_, js := connect(t, srv.URL())

	send(t, js, events.SubjectModelLoaded, `{"type":"mesh.gpu.model.loaded.v1","model_key":"ollama/qwen3:8b","vram_mb":5200}`)
	send(t, js, events.SubjectModelLoaded, `{"type":"mesh.gpu.model.loaded.v1","model_key":"ollama/qwen3:8b"}`,
		events.HeaderNodeID, "gpu-header")
	waitFor(t, wait, "both deployments", func() bool {
		_, _, a := store.get(m.ID, "gpu-box")
		_, _, b := store.get(m.ID, "gpu-header")
		return a && b
	})
	if _, _, ok := store.get(m.ID, events.DefaultNode); ok {
		t.Error("an event was recorded under gpu-orchestrator despite the configured default node")
	}
}

// decodeNumbers decodes a JSON object keeping numbers as json.Number.
func decodeNumbers(t testing.TB, data []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("change event %s: %v", data, err)
	}
	return raw
}

// A published change event carries "ts" as integer unix seconds and "time"
// as RFC 3339 with nanoseconds, the other fields unchanged.
func TestChangeEventWireForm(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	b := startBridge(t, srv.URL(), nil, nil)
	nc, _ := connect(t, srv.URL())
	sub := subscribe(t, nc, events.SubjectChanged)
	waitFor(t, wait, "connected", func() bool { return b.Health()["nats"] == "connected" })

	before := time.Now()
	e := registry.NewChangeEvent(registry.ActionUpdated, registry.ResourceMapping, "m1")
	e.TS = e.TS.Truncate(time.Second).Add(123456789) // a fraction a float or text would show
	b.Publish(context.Background(), e)
	msg, err := sub.NextMsg(wait)
	if err != nil {
		t.Fatalf("no change event: %v", err)
	}
	raw := decodeNumbers(t, msg.Data)
	for k, want := range map[string]string{"type": "model.registry.updated.v1", "action": "updated",
		"resource_type": "mapping", "resource_id": "m1"} {
		if raw[k] != want {
			t.Errorf("%s = %v, want %q", k, raw[k], want)
		}
	}
	num, ok := raw["ts"].(json.Number)
	if !ok {
		t.Fatalf("ts = %#v (%s), want a JSON number", raw["ts"], msg.Data)
	}
	ts, err := num.Int64()
	if err != nil {
		t.Fatalf("ts = %s, want an integer: %v", num, err)
	}
	if ts != e.TS.Unix() || ts < before.Unix()-1 || ts > time.Now().Unix()+1 {
		t.Errorf("ts = %d, want %d, unix seconds of now", ts, e.TS.Unix())
	}
	text, _ := raw["time"].(string)
	at, err := time.Parse(time.RFC3339Nano, text)
	if err != nil || !at.Equal(e.TS) || at.Location() != time.UTC {
		t.Errorf("time = %q (%v), want %s in UTC", text, err, e.TS.Format(time.RFC3339Nano))
	}
	// The registry's own decoder restores the full time.
	var back registry.ChangeEvent
	err = json.Unmarshal(msg.Data, &back)
	if err != nil || !back.TS.Equal(e.TS) || back.Type != e.Type || back.Action != e.Action ||
		back.ResourceType != e.ResourceType || back.ResourceID != e.ResourceID {
		t.Errorf("decoded = %+v (%v), want %+v", back, err, e)
	}

	// A change event built without a time is stamped on publish.
	b.Publish(context.Background(), registry.ChangeEvent{Action: registry.ActionDeleted, ResourceType: registry.ResourceModel, ResourceID: "x"})
	msg, err = sub.NextMsg(wait)
	if err != nil {
		t.Fatalf("no change event: %v", err)
	}
	raw = decodeNumbers(t, msg.Data)
	if ts, err := raw["ts"].(json.Number).Int64(); err != nil || ts < before.Unix()-1 || ts > time.Now().Unix()+1 {
		t.Errorf("stamped ts = %v (%v), want unix seconds of now", raw["ts"], err)
	}
}

// Change events from other replicas reach OnChange whatever the form of
// their time: integer seconds (this release and the platform), "time", or
// the RFC 3339 "ts" of older releases.
func TestOnChangeReadsEveryTimeForm(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	var mu sync.Mutex
	got := map[string]registry.ChangeEvent{}
	b := startBridge(t, srv.URL(), nil, func(c *events.Config) {
		c.OnChange = func(e registry.ChangeEvent) {
			mu.Lock()
			defer mu.Unlock()
			got[e.ResourceID] = e
		}
	})
	waitFor(t, wait, "connected", func() bool { return b.Health()["nats"] == "connected" })
	nc, _ := connect(t, srv.URL())
	// The bridge subscribes without waiting for the server: probe until its
	// subscription is in place.
	waitFor(t, wait, "the bridge's subscription", func() bool {
		_ = nc.Publish(events.SubjectChanged, []byte(`{"type":"model.registry.updated.v1","resource_id":"probe"}`))
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		_, ok := got["probe"]
		return ok
	})

	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		id, payload string
		want        time.Time
	}{
		{"int", fmt.Sprintf(`{"type":"model.registry.updated.v1","action":"created","resource_type":"model","resource_id":"int","ts":%d}`, at.Unix()), at},
		{"time", fmt.Sprintf(`{"type":"model.registry.updated.v1","action":"updated","resource_type":"provider","resource_id":"time","ts":%d,"time":%q}`,
			at.Unix(), at.Add(250*time.Millisecond).Format(time.RFC3339Nano)), at.Add(250 * time.Millisecond)},
		{"old", fmt.Sprintf(`{"type":"model.registry.updated.v1","action":"deleted","resource_type":"mapping","resource_id":"old","ts":%q}`,
			at.Add(time.Microsecond).Format(time.RFC3339Nano)), at.Add(time.Microsecond)},
		{"float", fmt.Sprintf(`{"type":"model.registry.updated.v1","action":"updated","resource_type":"model","resource_id":"float","ts":%d.5}`, at.Unix()),
			at.Add(500 * time.Millisecond)},
		{"none", `{"type":"model.registry.updated.v1","action":"updated","resource_type":"model","resource_id":"none"}`, time.Time{}},
		{"garbled", `{"type":"model.registry.updated.v1","action":"updated","resource_type":"model","resource_id":"garbled","ts":"yesterday"}`, time.Time{}},
	}
	for _, tt := range tests {
		if err := nc.Publish(events.SubjectChanged, []byte(tt.payload)); err != nil {
			t.Fatal(err)
		}
	}
	// Neither another type nor a payload that is not an object reaches it.
	for _, p := range []string{`{"type":"something.else","resource_id":"other"}`, `[1]`} {
		if err := nc.Publish(events.SubjectChanged, []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Publish(events.SubjectChanged, []byte(`{"type":"model.registry.updated.v1","resource_id":"last","ts":0}`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, wait, "every change event", func() bool {
		mu.Lock()
		defer mu.Unlock()
		_, ok := got["last"]
		return ok
	})
	mu.Lock()
	defer mu.Unlock()
	for _, tt := range tests {
		e, ok := got[tt.id]
		if !ok {
			t.Errorf("%s: not delivered", tt.id)
			continue
		}
		if !e.TS.Equal(tt.want) || e.Type != registry.ChangeEventType || e.ResourceType == "" || e.Action == "" {
			t.Errorf("%s: delivered %+v, want time %v", tt.id, e, tt.want)
		}
	}
	if _, ok := got["other"]; ok {
		t.Error("an event of another type reached OnChange")
	}
	if len(got) != len(tests)+2 { // and the probe and the last
		t.Errorf("delivered %d events, want %d", len(got), len(tests)+2)
	}
}
