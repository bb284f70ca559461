package events_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pmoves/model-registry/devstack/natsdev"
	"github.com/pmoves/model-registry/events"
	"github.com/pmoves/model-registry/registry"
)

func TestDisabledWithoutURL(t *testing.T) {
	t.Parallel()
	b, err := events.Start(context.Background(), events.Config{}, newFakeStore())
	if err != nil {
		t.Fatal(err)
	}
	b.Publish(context.Background(), registry.NewChangeEvent(registry.ActionCreated, registry.ResourceModel, "x"))
	if h := b.Health(); h["nats"] != "disabled" || h["nats_mode"] != events.ModeNone {
		t.Errorf("Health = %v", h)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	var nilBridge *events.Bridge
	nilBridge.Publish(context.Background(), registry.ChangeEvent{})
	if nilBridge.Health()["nats"] != "disabled" || nilBridge.Close() != nil {
		t.Error("a nil bridge is not a disabled one")
	}
}

func TestBadURLFailsStart(t *testing.T) {
	t.Parallel()
	if _, err := events.Start(context.Background(), events.Config{URL: "nats://[::1"}, nil); err == nil {
		t.Fatal("Start accepted an unparseable URL")
	}
}

func TestCoreFallbackWithoutJetStream(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{NoJetStream: true})
	store := newFakeStore()
	m := store.addModel(registry.DeployOllama, "qwen3:8b")
	b := startBridge(t, srv.URL(), store, nil)
	b.waitMode(t, events.ModeCore)
	nc, _ := connect(t, srv.URL())
	sub := subscribe(t, nc, events.SubjectChanged)
	if err := nc.Publish(events.SubjectModelLoaded, []byte(`{"node_id":"gpu-1","provider_type":"ollama","model_id":"qwen3:8b"}`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, wait, "the event applied", func() bool { _, _, ok := store.get(m.ID, "gpu-1"); return ok })
	if e, _ := nextChange(t, sub); e.ResourceType != registry.ResourceDeployment {
		t.Errorf("change event = %+v", e)
	}
	if n := b.log.count("without JetStream"); n != 1 {
		t.Errorf("fallback logged %d times, want once", n)
	}
}

// NATS is not running at start: Start returns, the bridge reports it is
// reconnecting, and events flow once a server appears on that port.
func TestStartWhileNATSIsDown(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	store := newFakeStore()
	m := store.addModel(registry.DeployOllama, "qwen3:8b")
	b := startBridge(t, fmt.Sprintf("nats://127.0.0.1:%d", port), store, nil)
	if h := b.Health(); h["nats"] != "reconnecting" || h["nats_mode"] != events.ModeUnknown {
		t.Errorf("Health before NATS = %v", h)
	}
	b.Publish(context.Background(), registry.NewChangeEvent(registry.ActionCreated, registry.ResourceModel, m.ID))

	srv := startNATS(t, natsdev.Options{Port: port})
	nc, js := connect(t, srv.URL())
	sub := subscribe(t, nc, events.SubjectChanged)
	b.waitMode(t, events.ModeJetStream)
	send(t, js, events.SubjectModelLoaded, `{"node_id":"gpu-1","provider_type":"ollama","model_id":"qwen3:8b"}`)
	waitFor(t, wait, "the event applied", func() bool { _, _, ok := store.get(m.ID, "gpu-1"); return ok })
	// The deployment change arrives; the model change queued while NATS was
	// down may have been sent before this subscriber existed.
	for {
		if e, _ := nextChange(t, sub); e.ResourceType == registry.ResourceDeployment {
			break
		}
	}
}

// Close ends every goroutine of the bridge and its connection. Not
// parallel, so that no other test's goroutines are around.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	srv := startNATS(t, natsdev.Options{})
	store := newFakeStore()
	m := store.addModel(registry.DeployOllama, "qwen3:8b")
	b, err := events.Start(context.Background(), events.Config{URL: srv.URL()}, store)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, wait, "JetStream mode", func() bool { return b.Health()["nats_mode"] == events.ModeJetStream })
	send(t, js, events.SubjectModelLoaded, `{"node_id":"gpu-1","provider_type":"ollama","model_id":"qwen3:8b"}`)
	waitFor(t, wait, "the event applied", func() bool { _, _, ok := store.get(m.ID, "gpu-1"); return ok })
	b.Publish(context.Background(), registry.NewChangeEvent(registry.ActionCreated, registry.ResourceModel, m.ID))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if h := b.Health(); h["nats"] != "closed" {
		t.Errorf("Health after Close = %v", h)
	}
	nc.Close()
	if leaks := waitNoLeaks(5 * time.Second); leaks != "" {
		t.Fatalf("goroutines left by Close:\n%s", leaks)
	}
}

// Close does not wait for a server that is gone.
func TestCloseWhileDisconnectedIsQuick(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	b := startBridge(t, srv.URL(), newFakeStore(), nil)
	b.waitMode(t, events.ModeJetStream)
	b.Publish(context.Background(), registry.NewChangeEvent(registry.ActionCreated, registry.ResourceModel, "x"))
	srv.Shutdown()
	waitFor(t, wait, "the bridge to notice", func() bool { return b.Health()["nats"] == "reconnecting" })
	b.Publish(context.Background(), registry.NewChangeEvent(registry.ActionCreated, registry.ResourceModel, "y"))
	start := time.Now()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %s while disconnected", d)
	}
	if n := b.counter("model_registry_events_publish_dropped_total"); n != 1 {
		t.Errorf("dropped = %d, want 1 (the event queued while disconnected)", n)
	}
}
