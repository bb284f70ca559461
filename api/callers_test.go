package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pmoves/model-registry/devstack/dbtest"
)

// These tests read the registry as the platform's own callers do
// (../shared/platform/CONTRACT.md section 2), with their requests as they
// send them and only the fields they read.

// TestModelClientResolvesAServiceToTheProvidersModelID: the platform's model
// client asks /api/services/{service}/models and loads the first matching
// item's model_id: it must be the provider's text id, never a UUID.
func TestModelClientResolvesAServiceToTheProvidersModelID(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateSeeded)
	var rows []struct {
		ModelID       string `json:"model_id"`
		ModelType     string `json:"model_type"`
		FunctionName  string `json:"function_name"`
		Priority      int    `json:"priority"`
		FallbackModel string `json:"fallback_model_id"`
		ModelUUID     string `json:"model_uuid"`
	}
	s.do("GET", "/api/services/hi-rag/models?function=rag_answer", nil, "X-Nothing", "").must(t, 200, &rows)
	if len(rows) == 0 {
		t.Fatal("no routes for hi-rag/rag_answer")
	}
	for _, r := range rows {
		if r.FunctionName != "rag_answer" {
			t.Errorf("function filter let %s through", r.FunctionName)
		}
	}
	// The seed routes rag_answer first to qwen2.5:14b on the local Ollama
	// (priority 1, weight 70), falling back to gpt-4o-mini.
	if first := rows[0]; first.ModelID != "qwen2.5:14b" || first.ModelType != "chat" || first.FallbackModel != "gpt-4o-mini" ||
		len(first.ModelUUID) != 36 {
		t.Errorf("first route = %+v, want qwen2.5:14b by its provider id, the UUID under model_uuid", first)
	}
	for i := 1; i < len(rows); i++ {
		if rows[i].Priority < rows[i-1].Priority {
			t.Errorf("routes not best first: %+v", rows)
		}
	}
	// An embedding service's lookup, then the fallback read of the client.
	var embed []struct {
		ModelID   string `json:"model_id"`
		ModelType string `json:"model_type"`
	}
	s.do("GET", "/api/services/hi-rag/models", nil, "X-Nothing", "").must(t, 200, &embed)
	found := false
	for _, r := range embed {
		if r.ModelType == "embedding" {
			found = true
			if strings.Count(r.ModelID, "-") == 4 && len(r.ModelID) == 36 {
				t.Errorf("embedding route names a UUID: %s", r.ModelID)
			}
		}
	}
	if !found {
		t.Error("hi-rag has no embedding route in the seed")
	}
	var models struct {
		Items []struct {
			ModelID string `json:"model_id"`
			Active  bool   `json:"active"`
		} `json:"items"`
		Count int `json:"count"`
	}
	s.do("GET", "/api/models?model_type=embedding", nil, "X-Nothing", "").must(t, 200, &models)
	if models.Count == 0 || len(models.Items) != models.Count || models.Items[0].ModelID == "" || !models.Items[0].Active {
		t.Errorf("embedding models = %+v", models)
	}
}

// TestSyncToolReadsEveryModelWithoutParameters: the platform's TensorZero
// sync tool reads /api/models with no parameters and splices a block for
// every registry_* alias: it needs every active model, past PostgREST's row
// cap, each with its provider's api_base and aliases as {alias, context}.
func TestSyncToolReadsEveryModelWithoutParameters(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateSeeded)
	conn := dbtest.Connect(t, s.db)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, `
INSERT INTO pmoves_core.models (provider_id, name, model_id, model_type)
SELECT p.id, 'bulk_' || i, 'bulk-' || i || ':7b', 'chat'
  FROM pmoves_core.model_providers p, generate_series(1, 1100) i WHERE p.name = 'ollama_local';
INSERT INTO pmoves_core.model_aliases (model_id, alias, context)
SELECT id, 'registry_bulk_7', 'tensorzero' FROM pmoves_core.models WHERE name = 'bulk_7';`); err != nil {
		t.Fatal(err)
	}
	var want int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pmoves_core.v_active_models`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	var page struct {
		Items []struct {
			ID      string  `json:"id"`
			Name    string  `json:"name"`
			ModelID string  `json:"model_id"`
			APIBase *string `json:"api_base"`
			Aliases []struct {
				Alias   string  `json:"alias"`
				Context *string `json:"context"`
			} `json:"aliases"`
		} `json:"items"`
		Count int `json:"count"`
	}
	s.do("GET", "/api/models", nil, "X-Nothing", "").must(t, 200, &page)
	if want < 1150 || page.Count != want || len(page.Items) != want {
		t.Fatalf("/api/models without parameters: %d items, count %d, want all %d active models", len(page.Items), page.Count, want)
	}
	seen := map[string]bool{}
	var promoted []string
	for _, m := range page.Items {
		if seen[m.ID] {
			t.Errorf("%s (%s) listed twice", m.Name, m.ID)
		}
		seen[m.ID] = true
		if m.Aliases == nil {
			t.Errorf("%s: aliases missing, want [] when none", m.Name)
		}
		for _, a := range m.Aliases {
			if strings.HasPrefix(a.Alias, "registry_") {
				promoted = append(promoted, a.Alias)
				if m.APIBase == nil || !strings.HasPrefix(*m.APIBase, "http") || m.ModelID != "bulk-7:7b" ||
					a.Context == nil || *a.Context != "tensorzero" {
					t.Errorf("promoted model %+v lacks what the sync tool splices", m)
				}
			}
		}
	}
	if len(promoted) != 1 {
		t.Errorf("registry_ aliases seen: %v, want the one added", promoted)
	}
	// limit and offset still page.
	var one struct {
		Items []json.RawMessage `json:"items"`
		Count int               `json:"count"`
	}
	s.do("GET", "/api/models?limit=5&offset=10", nil, "X-Nothing", "").must(t, 200, &one)
	if len(one.Items) != 5 || one.Count != want {
		t.Errorf("a page: %d items, count %d", len(one.Items), one.Count)
	}
}

// TestEmbeddingServicesRegisterThroughTheOriginalRoute: embedding services
// POST /api/deployments at start-up with the original's body, naming the
// model by the provider's text id.
func TestEmbeddingServicesRegisterThroughTheOriginalRoute(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateSeeded)
	body := `{"model_id":"qwen3-embedding:4b","node_id":"gpu-node-1","provider_type":"ollama","status":"loaded","vram_allocated_mb":3000}`
	var d struct {
		ID              string `json:"id"`
		ModelID         string `json:"model_id"`
		ProviderModelID string `json:"provider_model_id"`
		NodeID          string `json:"node_id"`
		Status          string `json:"status"`
		VRAM            int    `json:"vram_allocated_mb"`
	}
	s.do("POST", "/api/deployments", body).must(t, 201, &d)
	if d.ProviderModelID != "qwen3-embedding:4b" || d.NodeID != "gpu-node-1" || d.Status != "loaded" || d.VRAM != 3000 {
		t.Errorf("registered %+v", d)
	}
	// Again, with an error: the same row, updated.
	var again struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	s.do("POST", "/api/deployments", strings.Replace(body, `"loaded"`, `"error","error_message":"OOM"`, 1)).must(t, 200, &again)
	if again.ID != d.ID || again.Status != "error" {
		t.Errorf("second registration %+v, want the same row in error", again)
	}
	// A text id that names models of several providers is a 409 that names
	// them; an unknown one a 404 that names it.
	r := s.do("POST", "/api/deployments", `{"model_id":"qwen3:8b","node_id":"n","provider_type":"ollama","status":"loaded"}`)
	if _, msg, _ := r.errorOf(t); r.Status != 409 || !strings.Contains(msg, "ollama_edge") || !strings.Contains(msg, "ollama_local") {
		t.Errorf("ambiguous text id: %d %s", r.Status, r.Body)
	}
	r = s.do("POST", "/api/deployments", `{"model_id":"nope:1b","node_id":"n","provider_type":"ollama","status":"loaded"}`)
	if _, msg, _ := r.errorOf(t); r.Status != 404 || !strings.Contains(msg, "nope:1b") {
		t.Errorf("unknown text id: %d %s", r.Status, r.Body)
	}
}

// TestIndexNamesTheServiceAndItsRoutes: GET / as the platform's docs use it.
func TestIndexNamesTheServiceAndItsRoutes(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateEmpty)
	var idx struct {
		Service string   `json:"service"`
		Version string   `json:"version"`
		Routes  []string `json:"routes"`
	}
	s.do("GET", "/", nil, "X-Nothing", "").must(t, 200, &idx)
	joined := strings.Join(idx.Routes, "\n")
	if idx.Service != "model-registry" || idx.Version == "" {
		t.Errorf("index = %+v", idx)
	}
	for _, want := range []string{"GET /api/models", "POST /api/deployments", "GET /api/services/:service/models", "GET /healthz"} {
		if !strings.Contains(joined+"\n", want+"\n") {
			t.Errorf("routes lack %q:\n%s", want, joined)
		}
	}
}
