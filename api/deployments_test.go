package api_test

import (
	"sync"
	"testing"

	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/registry"
)

func TestDeployments(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateEmpty)
	_, chat, embed := catalogue(t, s)

	var d registry.Deployment
	s.do("POST", "/api/deployments/register", map[string]any{"model_id": chat.ID, "node_id": "gpu-1",
		"provider_type": "ollama", "status": "loaded", "vram_allocated_mb": 6100}).must(t, 201, &d)
	if d.Status != "loaded" || d.LoadedAt == nil || d.LastSeenAt == nil || d.VRAMAllocatedMB == nil || *d.VRAMAllocatedMB != 6100 {
		t.Errorf("registered = %+v", d)
	}
	// The same (model, node) again updates the one row.
	var again registry.Deployment
	s.do("POST", "/api/deployments/register", map[string]any{"model_id": chat.ID, "node_id": "gpu-1",
		"provider_type": "ollama", "vram_allocated_mb": 6200}).must(t, 200, &again)
	if again.ID != d.ID || *again.VRAMAllocatedMB != 6200 {
		t.Errorf("re-registered = %+v, want the same row %s", again, d.ID)
	}
	// By the provider's own model id.
	s.do("POST", "/api/deployments/register", map[string]any{"provider_model_id": "nomic-embed-text", "node_id": "gpu-1",
		"provider_type": "ollama", "status": "loading"}).must(t, 201, &d)
	if d.ModelID != embed.ID {
		t.Errorf("resolved model = %s, want %s", d.ModelID, embed.ID)
	}
	r := s.do("POST", "/api/deployments/register", map[string]any{"provider_model_id": "no-such:model", "node_id": "gpu-1",
		"provider_type": "ollama"})
	if code, msg, _ := r.errorOf(t); r.Status != 404 || code != "not_found" ||
		msg != `no model with model_id "no-such:model" from a provider of type ollama` {
		t.Errorf("unknown model: %d %s", r.Status, r.Body)
	}

	var l list[registry.Deployment]
	s.do("GET", "/api/deployments", nil).must(t, 200, &l)
	if l.Count != 2 {
		t.Errorf("default list (loading+loaded) = %d, want 2", l.Count)
	}
	s.do("PUT", "/api/deployments/"+d.ID+"/status", map[string]any{"status": "error", "error_message": "CUDA OOM"}).must(t, 200, &d)
	if d.Status != "error" || d.ErrorMessage == nil || *d.ErrorMessage != "CUDA OOM" {
		t.Errorf("after status change = %+v", d)
	}
	s.do("GET", "/api/deployments", nil).must(t, 200, &l)
	if l.Count != 1 {
		t.Errorf("an errored deployment is still listed by default: %+v", l)
	}
	for query, want := range map[string]int{
		"?status=error":               1,
		"?status=error,loaded":        2,
		"?node_id=gpu-1&status=error": 1,
		"?node_id=gpu":                0, // exact, not a prefix
		"?model_id=" + chat.ID:        1,
	} {
		s.do("GET", "/api/deployments"+query, nil).must(t, 200, &l)
		if l.Count != want {
			t.Errorf("GET /api/deployments%s: %d, want %d", query, l.Count, want)
		}
	}
	s.do("GET", "/api/deployments?status=running", nil).must(t, 400, nil)
	s.do("PUT", "/api/deployments/00000000-0000-0000-0000-000000000000/status", map[string]any{"status": "loaded"}).must(t, 404, nil)
}

func TestConcurrentRegisterLeavesOneRow(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateEmpty)
	_, chat, _ := catalogue(t, s)
	var wg sync.WaitGroup
	statuses := make(chan int, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := s.do("POST", "/api/deployments/register", map[string]any{"model_id": chat.ID, "node_id": "gpu-race",
				"provider_type": "ollama", "vram_allocated_mb": 1000 + i})
			statuses <- r.Status
		}()
	}
	wg.Wait()
	close(statuses)
	for st := range statuses {
		if st != 200 && st != 201 {
			t.Errorf("concurrent register answered %d", st)
		}
	}
	var n int
	conn := dbtest.Connect(t, s.db)
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pmoves_core.model_deployments WHERE node_id = 'gpu-race'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d rows for one (model, node), want 1", n)
	}
}
