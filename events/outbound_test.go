package events_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pmoves/model-registry/devstack/natsdev"
	"github.com/pmoves/model-registry/events"
	"github.com/pmoves/model-registry/registry"
)

// subscribe subscribes and makes sure the server knows before returning.
func subscribe(t testing.TB, nc *nats.Conn, subject string) *nats.Subscription {
	t.Helper()
	sub, err := nc.SubscribeSync(subject)
	if err == nil {
		err = nc.Flush()
	}
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// nextChange reads one change event from a core subscription.
func nextChange(t testing.TB, sub *nats.Subscription) (registry.ChangeEvent, *nats.Msg) {
	t.Helper()
	msg, err := sub.NextMsg(wait)
	if err != nil {
		t.Fatalf("no change event: %v", err)
	}
	var e registry.ChangeEvent
	if err := json.Unmarshal(msg.Data, &e); err != nil {
		t.Fatalf("change event %s: %v", msg.Data, err)
	}
	return e, msg
}

func TestPublishDeliversChangeEvent(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	b := startBridge(t, srv.URL(), nil, nil) // outbound only
	nc, _ := connect(t, srv.URL())
	sub := subscribe(t, nc, events.SubjectChanged)
	waitFor(t, wait, "connected", func() bool { return b.Health()["nats"] == "connected" })

	want := registry.NewChangeEvent(registry.ActionCreated, registry.ResourceModel, "0f0f0f0f-0000-4000-8000-000000000001")
	b.Publish(context.Background(), want)
	b.Publish(context.Background(), registry.NewChangeEvent(registry.ActionDeleted, registry.ResourceAlias, "a"))
	got, msg := nextChange(t, sub)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("change event (-want +got):\n%s", diff)
	}
	var raw map[string]any
	_ = json.Unmarshal(msg.Data, &raw)
	if raw["type"] != "model.registry.updated.v1" || raw["resource_type"] != "model" || raw["action"] != "created" {
		t.Errorf("payload = %s", msg.Data)
	}
	id1 := msg.Header.Get(events.HeaderMsgID)
	_, msg2 := nextChange(t, sub)
	if id2 := msg2.Header.Get(events.HeaderMsgID); id1 == "" || id2 == "" || id1 == id2 {
		t.Errorf("Nats-Msg-Id headers %q and %q: want two distinct ids", id1, id2)
	}
	waitFor(t, wait, "published counter", func() bool { return b.counter("model_registry_events_published_total") == 2 })
}

// An applied inbound event is announced as a deployment change.
func TestAppliedEventIsAnnounced(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	store := newFakeStore()
	m := store.addModel(registry.DeployOllama, "qwen3:8b")
	nc, js := connect(t, srv.URL())
	sub := subscribe(t, nc, events.SubjectChanged)
	b := startBridge(t, srv.URL(), store, nil)
	b.waitMode(t, events.ModeJetStream)

	send(t, js, events.SubjectModelLoaded, `{"node_id":"gpu-1","provider_type":"ollama","model_id":"qwen3:8b"}`)
	e, msg := nextChange(t, sub)
	d, _, _ := store.get(m.ID, "gpu-1")
	if e.ResourceType != registry.ResourceDeployment || e.ResourceID != d.ID || e.Action != registry.ActionCreated {
		t.Errorf("change event = %+v, want created deployment %s", e, d.ID)
	}
	if msg.Header.Get(events.HeaderMsgID) == "" {
		t.Error("no Nats-Msg-Id header")
	}
}

// With a stream capturing the change subject, events go through JetStream
// and a redelivered inbound event is announced only once.
func TestPublishThroughJetStream(t *testing.T) {
	t.Parallel()
	srv := startNATS(t, natsdev.Options{})
	_, js := connect(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	out, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "REGISTRY", Subjects: []string{"model.registry.>"}})
	if err != nil {
		t.Fatal(err)
	}
	b := startBridge(t, srv.URL(), nil, nil)
	waitFor(t, wait, "connected", func() bool { return b.Health()["nats"] == "connected" })
	b.Publish(ctx, registry.NewChangeEvent(registry.ActionUpdated, registry.ResourceMapping, "m1"))
	waitFor(t, wait, "the event in the stream", func() bool {
		info, err := out.Info(ctx)
		return err == nil && info.State.Msgs == 1
	})
	msg, err := out.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get(events.HeaderMsgID) == "" {
		t.Error("stored event has no Nats-Msg-Id")
	}
}

// A change published while NATS is away is sent once it is back.
func TestPublishRetriedAfterReconnect(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := startNATS(t, natsdev.Options{StoreDir: dir})
	port := srv.Port()
	_, js := connect(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "REGISTRY", Subjects: []string{events.SubjectChanged}}); err != nil {
		t.Fatal(err)
	}
	b := startBridge(t, srv.URL(), nil, nil)
	waitFor(t, wait, "connected", func() bool { return b.Health()["nats"] == "connected" })

	srv.Shutdown()
	waitFor(t, wait, "the bridge to notice", func() bool { return b.Health()["nats"] == "reconnecting" })
	b.Publish(ctx, registry.NewChangeEvent(registry.ActionDeleted, registry.ResourceProvider, "p1"))
	waitFor(t, wait, "a failed attempt", func() bool { return b.counter("model_registry_events_publish_failures_total") >= 1 })

	srv = startNATS(t, natsdev.Options{Port: port, StoreDir: dir})
	_, js = connect(t, srv.URL())
	waitFor(t, wait, "the event in the stream", func() bool {
		s, err := js.Stream(ctx, "REGISTRY")
		if err != nil {
			return false
		}
		info, err := s.Info(ctx)
		return err == nil && info.State.Msgs == 1
	})
	if n := b.counter("model_registry_events_published_total"); n != 1 {
		t.Errorf("published = %d, want 1", n)
	}
}
