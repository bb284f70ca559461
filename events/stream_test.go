package events_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/pmoves/model-registry/devstack/natsdev"
	"github.com/pmoves/model-registry/events"
	"github.com/pmoves/model-registry/registry"
)

func TestConfiguredStreamName(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	store := newFakeStore()
	m := store.addModel(registry.DeployOllama, "qwen3:8b")
	b := startBridge(t, srv.URL(), store, func(c *events.Config) { c.Stream, c.Durable = "GPU_EVENTS", "registry-a" })
	b.waitMode(t, events.ModeJetStream)
	_, js := connect(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := js.Consumer(ctx, "GPU_EVENTS", "registry-a"); err != nil {
		t.Fatalf("consumer registry-a on GPU_EVENTS: %v", err)
	}
	send(t, js, events.SubjectModelLoaded, `{"node_id":"gpu-1","provider_type":"ollama","model_id":"qwen3:8b"}`)
	waitFor(t, wait, "the event applied", func() bool { _, _, ok := store.get(m.ID, "gpu-1"); return ok })
}

// The platform may already run a stream that captures mesh.>: the bridge
// consumes that one instead of failing on overlapping subjects.
func TestExistingStreamCapturingTheSubjects(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	_, js := connect(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "MESH", Subjects: []string{"mesh.>"}}); err != nil {
		t.Fatal(err)
	}
	store := newFakeStore()
	m := store.addModel(registry.DeployOllama, "qwen3:8b")
	b := startBridge(t, srv.URL(), store, nil)
	b.waitMode(t, events.ModeJetStream)
	send(t, js, "mesh.other.v1", `{"unrelated":true}`) // captured by MESH, filtered out by the consumer
	send(t, js, events.SubjectModelLoaded, `{"node_id":"gpu-1","provider_type":"ollama","model_id":"qwen3:8b"}`)
	waitFor(t, wait, "the event applied", func() bool { _, _, ok := store.get(m.ID, "gpu-1"); return ok })
	if _, err := js.Consumer(ctx, "MESH", events.DefaultDurable); err != nil {
		t.Errorf("consumer on MESH: %v", err)
	}
	if _, err := js.Stream(ctx, events.DefaultStream); err == nil {
		t.Error("created MESH_GPU beside MESH")
	}
	if n := b.counter(`model_registry_events_rejected_total{reason="unknown_subject"}`); n != 0 {
		t.Errorf("unrelated subject reached the bridge %d times", n)
	}
}

// A stream of that name without all the subjects gets them added.
func TestStreamMissingSubjectsIsExtended(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	_, js := connect(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: events.DefaultStream, Subjects: []string{events.SubjectModelLoaded}}); err != nil {
		t.Fatal(err)
	}
	b := startBridge(t, srv.URL(), newFakeStore(), nil)
	b.waitMode(t, events.ModeJetStream)
	s, err := js.Stream(ctx, events.DefaultStream)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.Subjects; len(got) != 3 {
		t.Errorf("stream subjects = %v, want the three inbound subjects", got)
	}
}
