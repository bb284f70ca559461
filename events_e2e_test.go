package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/devstack/natsdev"
	"github.com/pmoves/model-registry/registry"
)

// TestGPUEventsEndToEnd runs serve with a real NATS server (JetStream), the
// PostgREST-compatible server and PostgreSQL, and drives it the way GPU
// nodes and API clients do.
func TestGPUEventsEndToEnd(t *testing.T) {
	base, env, nc := platformServe(t, map[string]string{"NATS_DEFAULT_NODE": "default-node"})
	changes, err := nc.SubscribeSync(registry.ChangeEventType)
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	publish := func(subject, node, payload string) {
		t.Helper()
		msg := nats.NewMsg(subject)
		msg.Data = []byte(payload)
		if node != "" {
			msg.Header.Set("Nats-Node-Id", node)
		}
		if err := nc.PublishMsg(msg); err != nil {
			t.Fatal(err)
		}
	}
	deployment := func(node string) (d registry.Deployment, ok bool) {
		var l struct {
			Items []registry.Deployment `json:"items"`
		}
		json.Unmarshal([]byte(get(t, base+"/api/deployments?node_id="+node+"&status=loading,loaded,unloaded,error")), &l)
		if len(l.Items) != 1 {
			return d, false
		}
		return l.Items[0], true
	}

	// First form: node and provider model id in the payload. qwen3:8b is on
	// two Ollama providers in the seed, so name a unique one.
	publish("mesh.gpu.model.loaded.v1", "", `{"node_id":"e2e-node-1","provider_type":"ollama","model_id":"qwen2.5:32b","vram_allocated_mb":21000,"status":"loaded"}`)
	waitFor(t, "the loaded event to land", func() bool {
		d, ok := deployment("e2e-node-1")
		return ok && d.Status == "loaded" && d.VRAMAllocatedMB != nil && *d.VRAMAllocatedMB == 21000
	})

	// Second form: the node comes from the header; an older unloaded event
	// after a newer loaded one must not flip the state back.
	now := time.Now().UTC()
	publish("mesh.gpu.model.loaded.v1", "e2e-node-2", `{"type":"loaded","model_key":"ollama/qwen2.5:32b","vram_mb":20000,"ts":"`+now.Format(time.RFC3339Nano)+`"}`)
	waitFor(t, "the model_key event to land", func() bool { d, ok := deployment("e2e-node-2"); return ok && d.Status == "loaded" })
	publish("mesh.gpu.model.unloaded.v1", "e2e-node-2", `{"type":"unloaded","model_key":"ollama/qwen2.5:32b","ts":"`+now.Add(-time.Minute).Format(time.RFC3339Nano)+`"}`)
	// Events are applied in order: once a later marker has landed, the stale
	// event has been handled.
	publish("mesh.gpu.model.loaded.v1", "e2e-marker", `{"type":"loaded","model_key":"ollama/qwen2.5:32b"}`)
	waitFor(t, "the marker", func() bool { _, ok := deployment("e2e-marker"); return ok })
	if d, _ := deployment("e2e-node-2"); d.Status != "loaded" {
		t.Fatalf("an older unloaded event flipped the deployment to %s", d.Status)
	}
	// A heartbeat newer than the next event must not hide it.
	publish("mesh.gpu.status.v1", "e2e-node-2", `{"ts":"`+now.Add(2*time.Minute).Format(time.RFC3339Nano)+`"}`)
	publish("mesh.gpu.model.unloaded.v1", "e2e-node-2", `{"type":"unloaded","model_key":"ollama/qwen2.5:32b","ts":"`+now.Add(time.Minute).Format(time.RFC3339Nano)+`"}`)
	waitFor(t, "the newer unloaded event to land", func() bool { d, ok := deployment("e2e-node-2"); return ok && d.Status == "unloaded" })

	// An unknown model is registered as an inactive discovered model.
	publish("mesh.gpu.model.loaded.v1", "", `{"node_id":"e2e-node-3","provider_type":"vllm","model_id":"acme/brand-new-7b","status":"loaded"}`)
	waitFor(t, "the unknown model to be discovered", func() bool {
		return strings.Contains(get(t, base+"/api/models?active=false&q=brand-new"), `"model_id":"acme/brand-new-7b"`)
	})
	waitFor(t, "its deployment", func() bool { _, ok := deployment("e2e-node-3"); return ok })

	// Malformed events are dropped without harm; the API keeps working.
	publish("mesh.gpu.model.loaded.v1", "", `{not json`)

	// An API write announces itself on NATS.
	for {
		if _, err := changes.NextMsg(10 * time.Millisecond); err != nil {
			break // drain what the events above caused
		}
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/api/providers", strings.NewReader(`{"name":"e2e_provider","type":"vllm"}`))
	req.Header.Set("Authorization", "Bearer "+env["SUPABASE_SERVICE_KEY"])
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("create provider: %v %v", err, res)
	}
	var created registry.Provider
	json.NewDecoder(res.Body).Decode(&created)
	res.Body.Close()
	msg, err := changes.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatalf("no change event: %v", err)
	}
	var ev registry.ChangeEvent
	if err := json.Unmarshal(msg.Data, &ev); err != nil || ev.Action != "created" || ev.ResourceType != "provider" || ev.ResourceID != created.ID {
		t.Errorf("change event = %s (%v)", msg.Data, err)
	}
	if msg.Header.Get("Nats-Msg-Id") == "" {
		t.Error("change event without Nats-Msg-Id")
	}
	metrics := get(t, base+"/metrics")
	promtoolCheck(t, metrics)
	for _, name := range []string{"model_registry_events_received_total", "model_registry_events_applied_total",
		"model_registry_events_rejected_total", "model_registry_http_request_duration_seconds_bucket",
		"model_registry_upstream_request_duration_seconds_bucket", "model_registry_upstream_requests_total",
		`model_registry_catalogue_models{model_type="chat"}`, `model_registry_catalogue_deployments{status="loaded"}`,
		"model_registry_build_info", "process_resident_memory_bytes"} {
		if !strings.Contains(metrics, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestReplicasDropCachedConfigOnChange runs two registries on one NATS and
// one database, with a long config cache: a write through one shows in the
// other's rendered configuration as soon as the change event arrives.
func TestReplicasDropCachedConfigOnChange(t *testing.T) {
	env := restStack(t, dbtest.TemplateSeeded)
	ns, err := natsdev.Start(natsdev.Options{Port: -1, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	env["NATS_URL"], env["MODEL_REGISTRY_CONFIG_TTL"] = ns.URL(), "1h"
	ctx, cancel := context.WithCancel(context.Background())
	var bases []string
	var errcs []chan error
	for range 2 {
		e := map[string]string{}
		for k, v := range env {
			e[k] = v
		}
		port := freePort(t)
		e["MODEL_REGISTRY_PORT"] = strconv.Itoa(port)
		errc := make(chan error, 1)
		go func() { errc <- run(ctx, []string{"serve"}, fakeEnv(e), io.Discard) }()
		base := "http://127.0.0.1:" + strconv.Itoa(port)
		waitOK(t, base+"/healthz", errc)
		bases, errcs = append(bases, base), append(errcs, errc)
	}
	t.Cleanup(func() {
		cancel()
		for _, errc := range errcs {
			if err := <-errc; err != nil {
				t.Errorf("serve: %v", err)
			}
		}
	})
	a, b := bases[0], bases[1]
	before := get(t, b+"/api/tensorzero/config") // b caches it for an hour
	var models struct {
		Items []registry.Model `json:"items"`
	}
	json.Unmarshal([]byte(get(t, a+"/api/models?model_type=chat&limit=1")), &models)
	req, _ := http.NewRequest(http.MethodPut, a+"/api/mappings/replica-test/replica_fn/only",
		strings.NewReader(`{"model_id":"`+models.Items[0].ID+`"}`))
	req.Header.Set("Authorization", "Bearer "+env["SUPABASE_SERVICE_KEY"])
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("write through replica a: %v %v", err, res)
	}
	res.Body.Close()
	waitFor(t, "replica b to render the change", func() bool {
		return strings.Contains(get(t, b+"/api/tensorzero/config"), "[functions.replica_fn")
	})
	if strings.Contains(before, "replica_fn") {
		t.Fatal("the function existed before the write")
	}
}
