package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/devstack/natsdev"
	"github.com/pmoves/model-registry/registry"
	"github.com/pmoves/model-registry/supabase"
)

// platformServe runs serve on a seeded database and a real NATS server with
// JetStream, with extra settings, and returns its base URL, the environment
// and a client connection to NATS.
func platformServe(t *testing.T, extra map[string]string) (string, map[string]string, *nats.Conn) {
	t.Helper()
	env := restStack(t, dbtest.TemplateSeeded)
	ns, err := natsdev.Start(natsdev.Options{Port: -1, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	port := freePort(t)
	env["NATS_URL"], env["MODEL_REGISTRY_PORT"] = ns.URL(), strconv.Itoa(port)
	for k, v := range extra {
		env[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, []string{"serve"}, fakeEnv(env), io.Discard) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	waitOK(t, base+"/healthz", errc)
	nc, err := nats.Connect(ns.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	waitFor(t, "the bridge to use JetStream", func() bool {
		return strings.Contains(get(t, base+"/healthz"), `"nats_mode":"jetstream"`)
	})
	return base, env, nc
}

// seededModel finds the seeded model of a provider model id.
func seededModel(t *testing.T, base, providerModelID string) registry.Model {
	t.Helper()
	var l struct {
		Items []registry.Model `json:"items"`
	}
	if err := json.Unmarshal([]byte(get(t, base+"/api/models?q="+url.QueryEscape(providerModelID))), &l); err != nil {
		t.Fatal(err)
	}
	for _, m := range l.Items {
		if m.ModelID == providerModelID {
			return m
		}
	}
	t.Fatalf("no seeded model %s", providerModelID)
	return registry.Model{}
}

// The GPU orchestrator's own payloads, with no node id, no Nats-Node-Id
// header and no NATS_DEFAULT_NODE configured, are recorded on node
// gpu-orchestrator; an API write then announces itself with "ts" in integer
// unix seconds and "time" in RFC 3339.
func TestPlatformOrchestratorEvents(t *testing.T) {
	base, env, nc := platformServe(t, nil)
	if _, set := env["NATS_DEFAULT_NODE"]; set {
		t.Fatal("NATS_DEFAULT_NODE is set")
	}
	changes, err := nc.SubscribeSync(registry.ChangeEventType)
	if err != nil {
		t.Fatal(err)
	}
	m := seededModel(t, base, "qwen2.5:32b")
	deployment := func() (d registry.Deployment, ok bool) {
		var l struct {
			Items []registry.Deployment `json:"items"`
		}
		json.Unmarshal([]byte(get(t, base+"/api/deployments?node_id=gpu-orchestrator&status=loading,loaded,unloaded,error")), &l)
		if len(l.Items) != 1 {
			return d, false
		}
		return l.Items[0], true
	}
	if _, ok := deployment(); ok {
		t.Fatal("the seed already has a deployment on gpu-orchestrator")
	}

	loaded := time.Now().Unix()
	if err := nc.Publish("mesh.gpu.model.loaded.v1", []byte(fmt.Sprintf(
		`{"type":"mesh.gpu.model.loaded.v1","model_key":"ollama/qwen2.5:32b","vram_mb":5200,"ts":%d}`, loaded))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the loaded event on gpu-orchestrator", func() bool { d, ok := deployment(); return ok && d.Status == "loaded" })
	d, _ := deployment()
	if d.ModelID != m.ID || d.ProviderType != registry.DeployOllama || d.VRAMAllocatedMB == nil || *d.VRAMAllocatedMB != 5200 ||
		d.LastSeenAt == nil || d.LastSeenAt.Unix() != loaded {
		t.Errorf("deployment = %+v, want model %s on ollama with 5200 MB, seen at %d", d, m.ID, loaded)
	}

	if err := nc.Publish("mesh.gpu.model.unloaded.v1", []byte(fmt.Sprintf(
		`{"type":"mesh.gpu.model.unloaded.v1","model_key":"ollama/qwen2.5:32b","ts":%d}`, time.Now().Unix()))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the unloaded event on gpu-orchestrator", func() bool { d, ok := deployment(); return ok && d.Status == "unloaded" })
	if d2, _ := deployment(); d2.ID != d.ID {
		t.Errorf("unloaded deployment %s, want the loaded one %s", d2.ID, d.ID)
	}

	// An API write announces itself on NATS.
	for {
		if _, err := changes.NextMsg(10 * time.Millisecond); err != nil {
			break // drain what the events above caused
		}
	}
	before := time.Now()
	req, _ := http.NewRequest(http.MethodPost, base+"/api/providers", strings.NewReader(`{"name":"platform_provider","type":"vllm"}`))
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
	dec := json.NewDecoder(bytes.NewReader(msg.Data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("change event %s: %v", msg.Data, err)
	}
	if raw["type"] != "model.registry.updated.v1" || raw["action"] != "created" || raw["resource_type"] != "provider" ||
		raw["resource_id"] != created.ID {
		t.Errorf("change event = %s, want provider %s created", msg.Data, created.ID)
	}
	num, ok := raw["ts"].(json.Number)
	if !ok {
		t.Fatalf("ts = %#v in %s, want a JSON number", raw["ts"], msg.Data)
	}
	ts, err := num.Int64()
	if err != nil || ts < before.Unix()-1 || ts > time.Now().Unix()+1 {
		t.Errorf("ts = %s (%v), want integer unix seconds of now", num, err)
	}
	text, _ := raw["time"].(string)
	at, err := time.Parse(time.RFC3339Nano, text)
	if err != nil || at.Unix() != ts {
		t.Errorf("time = %q (%v), want RFC 3339 in the second of ts %d", text, err, ts)
	}
}

// A replica drops its cached reads on a change event from another replica,
// whether "ts" is integer seconds or the RFC 3339 text of older releases.
func TestPlatformChangeEventFormsDropCaches(t *testing.T) {
	base, env, nc := platformServe(t, map[string]string{"MODEL_REGISTRY_READ_CACHE_TTL": "1h", "MODEL_REGISTRY_CONFIG_TTL": "1h"})
	m := seededModel(t, base, "qwen2.5:32b")
	store, err := supabase.New(supabase.Config{URL: env["SUPABASE_REST_URL"], ServiceKey: env["SUPABASE_SERVICE_KEY"],
		Schema: "pmoves_core", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	page := base + "/api/models/" + m.ID
	for i, ts := range []string{
		strconv.FormatInt(time.Now().Unix(), 10),                 // this release and the platform
		strconv.Quote(time.Now().UTC().Format(time.RFC3339Nano)), // older releases
	} {
		get(t, page) // cached for an hour
		desc := fmt.Sprintf("changed behind the back %d", i)
		if _, err := store.UpdateModel(context.Background(), m.ID, registry.ModelPatch{Description: &desc}); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(get(t, page), desc) {
			t.Fatalf("the model was not read from the cache")
		}
		if err := nc.Publish(registry.ChangeEventType, []byte(`{"type":"model.registry.updated.v1","action":"updated",`+
			`"resource_type":"model","resource_id":"`+m.ID+`","ts":`+ts+`}`)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the change event with ts "+ts+" to drop the cache", func() bool { return strings.Contains(get(t, page), desc) })
	}
}

// NATS_DEFAULT_NODE defaults to the node the orchestrator is recorded under,
// and can still be changed.
func TestPlatformDefaultNodeConfig(t *testing.T) {
	cfg, err := loadConfig(fakeEnv(nil))
	if err != nil || cfg.NATSDefaultNode != "gpu-orchestrator" {
		t.Errorf("default NATS_DEFAULT_NODE = %q (%v), want gpu-orchestrator", cfg.NATSDefaultNode, err)
	}
	cfg, err = loadConfig(fakeEnv(map[string]string{"NATS_DEFAULT_NODE": "gpu-box"}))
	if err != nil || cfg.NATSDefaultNode != "gpu-box" {
		t.Errorf("NATS_DEFAULT_NODE=gpu-box gives %q (%v)", cfg.NATSDefaultNode, err)
	}
}
