package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pmoves/model-registry/api"
	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/registry"
)

func withReadCache(ttl time.Duration) func(*api.Config) {
	return func(c *api.Config) { c.ReadCacheTTL = ttl }
}

// describeBehindTheBack changes a model's description straight through
// PostgREST, as another tool or a replica without NATS would: the API hears
// nothing of it.
func (s *stack) describeBehindTheBack(id, desc string) {
	s.t.Helper()
	if _, err := s.store.UpdateModel(context.Background(), id, registry.ModelPatch{Description: &desc}); err != nil {
		s.t.Fatal(err)
	}
}

func descriptions(t *testing.T, r response) []string {
	t.Helper()
	var l list[registry.Model]
	r.must(t, 200, &l)
	var out []string
	for _, m := range l.Items {
		d := ""
		if m.Description != nil {
			d = *m.Description
		}
		out = append(out, d)
	}
	return out
}

func TestReadCache(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateEmpty, withReadCache(time.Hour))
	var p registry.Provider
	s.do("POST", "/api/providers", map[string]any{"name": "ollama", "type": "ollama"}).must(t, 201, &p)
	var m registry.Model
	s.do("POST", "/api/models", map[string]any{"provider_id": p.ID, "name": "llama", "model_id": "llama3",
		"model_type": "chat", "description": "v1"}).must(t, 201, &m)

	const page = "/api/models?limit=5&model_type=chat"
	first := s.do("GET", page, nil)
	if got := descriptions(t, first); len(got) != 1 || got[0] != "v1" {
		t.Fatalf("first read = %v", got)
	}

	// A change the API did not make is not seen while the answer is fresh,
	// whatever the order of the query parameters.
	s.describeBehindTheBack(m.ID, "v2")
	for _, path := range []string{page, "/api/models?model_type=chat&limit=5"} {
		if r := s.do("GET", path, nil); string(r.Body) != string(first.Body) {
			t.Errorf("GET %s was not answered from the cache: %s", path, r.Body)
		}
	}
	if r := s.do("GET", "/api/models/"+m.ID, nil); !json.Valid(r.Body) || r.Status != 200 {
		t.Fatalf("get model: %d %s", r.Status, r.Body)
	}
	scrape := string(s.do("GET", "/metrics", nil).Body)
	for _, want := range []string{`model_registry_read_cache_requests_total{result="hit"} 2`,
		`model_registry_read_cache_requests_total{result="miss"} 2`} {
		if !strings.Contains(scrape, want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// Invalidate (a change event from another replica) drops everything.
	s.api.Invalidate()
	if got := descriptions(t, s.do("GET", page, nil)); len(got) != 1 || got[0] != "v2" {
		t.Errorf("after Invalidate = %v, want [v2]", got)
	}
	var one registry.Model
	s.do("GET", "/api/models/"+m.ID, nil).must(t, 200, &one)
	if one.Description == nil || *one.Description != "v2" {
		t.Errorf("get after Invalidate = %+v", one)
	}

	// A write through the API is read back at once (read-your-writes).
	s.do("PATCH", "/api/models/"+m.ID, map[string]any{"description": "v3"}).must(t, 200, nil)
	if got := descriptions(t, s.do("GET", page, nil)); len(got) != 1 || got[0] != "v3" {
		t.Errorf("after PATCH through the API = %v, want [v3]", got)
	}
	s.do("GET", "/api/models/"+m.ID, nil).must(t, 200, &one)
	if *one.Description != "v3" {
		t.Errorf("get after PATCH = %q", *one.Description)
	}

	// An empty answer is kept like any other; errors are not kept.
	const missing = "/api/models?model_type=embedding"
	if got := descriptions(t, s.do("GET", missing, nil)); len(got) != 0 {
		t.Fatalf("embedding models = %v", got)
	}
	s.do("GET", "/api/models?model_type=nonsense", nil).must(t, 400, nil)
	s.do("GET", "/api/models?model_type=nonsense", nil).must(t, 400, nil)

	// Deployments are never cached: nodes change them all the time.
	s.do("GET", "/api/deployments", nil).must(t, 200, nil)
	if _, _, err := s.store.RegisterDeployment(context.Background(), registry.DeploymentRegistration{
		ModelID: m.ID, NodeID: "gpu-1", ProviderType: registry.DeployOllama}); err != nil {
		t.Fatal(err)
	}
	var deps list[registry.Deployment]
	s.do("GET", "/api/deployments", nil).must(t, 200, &deps)
	if deps.Count != 1 {
		t.Errorf("deployments after a registration behind the API = %+v", deps)
	}
}

func TestReadCacheExpires(t *testing.T) {
	t.Parallel()
	const ttl = 50 * time.Millisecond
	s := newStack(t, dbtest.TemplateEmpty, withReadCache(ttl))
	var p registry.Provider
	s.do("POST", "/api/providers", map[string]any{"name": "ollama", "type": "ollama"}).must(t, 201, &p)
	var m registry.Model
	s.do("POST", "/api/models", map[string]any{"provider_id": p.ID, "name": "llama", "model_id": "llama3",
		"model_type": "chat", "description": "v1"}).must(t, 201, &m)
	descriptions(t, s.do("GET", "/api/models", nil))
	s.describeBehindTheBack(m.ID, "v2")
	time.Sleep(2 * ttl)
	if got := descriptions(t, s.do("GET", "/api/models", nil)); len(got) != 1 || got[0] != "v2" {
		t.Errorf("after the TTL = %v, want [v2]", got)
	}
}

// TestReadCacheKeepsAuth: with reads behind a key, a cached answer is not
// handed to a request without one.
func TestReadCacheKeepsAuth(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateEmpty, withReadCache(time.Hour), func(c *api.Config) { c.RequireAuthReads = true })
	s.do("GET", "/api/providers", nil).must(t, 200, nil)
	for _, h := range [][]string{{"X-Nothing", "x"}, {"Authorization", "Bearer wrong"}} {
		if r := s.do("GET", "/api/providers", nil, h...); r.Status != 401 {
			t.Errorf("GET /api/providers with %v: %d %s", h, r.Status, r.Body)
		}
	}
}

// TestReadCacheDropsAnswersOlderThanAWrite: a read that PostgREST answered
// before a write through the API, but that ends after it, is not kept, so
// the writer's next read sees its write.
func TestReadCacheDropsAnswersOlderThanAWrite(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateEmpty, withReadCache(time.Hour))
	var p registry.Provider
	s.do("POST", "/api/providers", map[string]any{"name": "ollama", "type": "ollama"}).must(t, 201, &p)
	var m registry.Model
	s.do("POST", "/api/models", map[string]any{"provider_id": p.ID, "name": "llama", "model_id": "llama3",
		"model_type": "chat", "description": "v1"}).must(t, 201, &m)

	h := s.rest.holdNextAnswer("v_active_models")
	old := make(chan response, 1)
	go func() { old <- s.do("GET", "/api/models", nil) }()
	waitClosed(t, h.arrived, "the list was read")
	s.do("PATCH", "/api/models/"+m.ID, map[string]any{"description": "v2"}).must(t, 200, nil)
	close(h.release)
	if got := descriptions(t, <-old); len(got) != 1 || got[0] != "v1" {
		t.Fatalf("the held read = %v, want [v1]", got)
	}
	if got := descriptions(t, s.do("GET", "/api/models", nil)); len(got) != 1 || got[0] != "v2" {
		t.Errorf("after the write = %v, want [v2]: the older answer was kept", got)
	}
}
