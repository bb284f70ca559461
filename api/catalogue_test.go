package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pmoves/model-registry/api"
	"github.com/pmoves/model-registry/devstack"
	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/devstack/postgrest"
	"github.com/pmoves/model-registry/registry"
	"github.com/pmoves/model-registry/supabase"
)

func TestProviders(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateEmpty)
	var p registry.Provider
	s.do("POST", "/api/providers", map[string]any{"name": "ollama_gpu", "type": "ollama",
		"api_base": "http://gpu:11434", "metadata": map[string]any{"rack": 3}}).must(t, 201, &p)
	if p.ID == "" || p.Name != "ollama_gpu" || !p.Active || string(p.Metadata) != `{"rack": 3}` && string(p.Metadata) != `{"rack":3}` {
		t.Errorf("created provider = %+v (metadata %s)", p, p.Metadata)
	}
	if e := s.events.last(); e.Action != "created" || e.ResourceType != "provider" || e.ResourceID != p.ID || e.Type != "model.registry.updated.v1" {
		t.Errorf("change event = %+v", e)
	}

	var got registry.Provider
	s.do("GET", "/api/providers/"+p.ID, nil).must(t, 200, &got)
	if got.ID != p.ID || got.APIBase == nil || *got.APIBase != "http://gpu:11434" {
		t.Errorf("get = %+v", got)
	}

	// Same name again: a conflict that says so.
	r := s.do("POST", "/api/providers", map[string]any{"name": "ollama_gpu", "type": "vllm"})
	if code, msg, _ := r.errorOf(t); r.Status != 409 || code != "conflict" || !strings.Contains(msg, "ollama_gpu") {
		t.Errorf("duplicate: %d %s", r.Status, r.Body)
	}

	// PUT replaces every field; PATCH changes only what it names.
	s.do("PUT", "/api/providers/"+p.ID, map[string]any{"name": "ollama_gpu", "type": "vllm",
		"api_key_env_var": "VLLM_API_KEY"}).must(t, 200, &got)
	if got.Type != "vllm" || got.APIBase != nil || got.APIKeyEnvVar == nil || *got.APIKeyEnvVar != "VLLM_API_KEY" {
		t.Errorf("after PUT = %+v", got)
	}
	s.do("PATCH", "/api/providers/"+p.ID, map[string]any{"active": false}).must(t, 200, &got)
	if got.Active || got.Type != "vllm" {
		t.Errorf("after PATCH = %+v", got)
	}

	var l list[registry.Provider]
	s.do("GET", "/api/providers?type=vllm", nil).must(t, 200, &l)
	if l.Count != 1 || len(l.Items) != 1 {
		t.Errorf("list by type = %+v", l)
	}
	s.do("GET", "/api/providers?active=true", nil).must(t, 200, &l)
	if l.Count != 0 {
		t.Errorf("inactive provider listed as active: %+v", l)
	}

	s.do("DELETE", "/api/providers/"+p.ID, nil).must(t, 204, nil)
	if e := s.events.last(); e.Action != "deleted" || e.ResourceID != p.ID {
		t.Errorf("delete event = %+v", e)
	}
	r = s.do("GET", "/api/providers/"+p.ID, nil)
	if code, _, _ := r.errorOf(t); r.Status != 404 || code != "not_found" {
		t.Errorf("after delete: %d %s", r.Status, r.Body)
	}
	s.do("DELETE", "/api/providers/"+p.ID, nil).must(t, 404, nil)
}

// catalogue makes a provider, two models and a mapping for the tests below.
func catalogue(t *testing.T, s *stack) (provider, chat, other registry.Model) {
	t.Helper()
	var p registry.Provider
	s.do("POST", "/api/providers", map[string]any{"name": "local", "type": "ollama", "api_base": "http://o:11434"}).must(t, 201, &p)
	s.do("POST", "/api/models", map[string]any{"provider_id": p.ID, "name": "qwen3_8b", "model_id": "qwen3:8b",
		"model_type": "chat", "capabilities": []string{"chat", "tools"}, "vram_mb": 6000}).must(t, 201, &chat)
	s.do("POST", "/api/models", map[string]any{"provider_id": p.ID, "name": "nomic", "model_id": "nomic-embed-text",
		"model_type": "embedding"}).must(t, 201, &other)
	return registry.Model{ID: p.ID, Name: p.Name}, chat, other
}

func TestModels(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateEmpty)
	p, chat, embed := catalogue(t, s)
	if chat.ProviderName != "local" || chat.ProviderType != "ollama" || len(chat.Capabilities) != 2 || chat.VRAMMB == nil {
		t.Errorf("created model lacks its view fields: %+v", chat)
	}

	var l list[registry.Model]
	for query, want := range map[string]int{
		"":                       2,
		"?model_type=embedding":  1,
		"?provider=local":        2,
		"?provider=ollama":       2,
		"?provider=nobody":       0,
		"?q=QWEN":                1,
		"?q=embed-text":          1,
		"?q=a,b)(or=id.eq.1":     0,
		"?limit=1":               2,
		"?limit=1&offset=1":      2,
		"?active=false":          0,
		"?model_type=chat&q=qwe": 1,
	} {
		s.do("GET", "/api/models"+query, nil).must(t, 200, &l)
		if l.Count != want {
			t.Errorf("GET /api/models%s: count %d, want %d", query, l.Count, want)
		}
		if strings.Contains(query, "limit=1") && len(l.Items) != 1 {
			t.Errorf("GET /api/models%s: %d items, want 1", query, len(l.Items))
		}
	}

	// Deactivated models leave the default list but stay reachable.
	var m registry.Model
	s.do("PATCH", "/api/models/"+embed.ID, map[string]any{"active": false}).must(t, 200, &m)
	s.do("GET", "/api/models", nil).must(t, 200, &l)
	if l.Count != 1 {
		t.Errorf("inactive model still listed: %+v", l)
	}
	s.do("GET", "/api/models?active=false", nil).must(t, 200, &l)
	if l.Count != 1 || l.Items[0].ID != embed.ID {
		t.Errorf("?active=false = %+v", l)
	}
	s.do("GET", "/api/models/"+embed.ID, nil).must(t, 200, &m)

	// An unknown provider is a field error, a duplicate a conflict.
	r := s.do("POST", "/api/models", map[string]any{"provider_id": "00000000-0000-0000-0000-000000000000",
		"name": "x", "model_id": "x", "model_type": "chat"})
	if _, _, fields := r.errorOf(t); r.Status != 400 || fields["provider_id"] == "" {
		t.Errorf("unknown provider: %d %s", r.Status, r.Body)
	}
	r = s.do("POST", "/api/models", map[string]any{"provider_id": p.ID, "name": "again", "model_id": "qwen3:8b", "model_type": "chat"})
	if code, _, _ := r.errorOf(t); r.Status != 409 || code != "conflict" {
		t.Errorf("duplicate model id: %d %s", r.Status, r.Body)
	}

	// PUT replaces the whole model.
	s.do("PUT", "/api/models/"+chat.ID, map[string]any{"provider_id": p.ID, "name": "qwen3_8b", "model_id": "qwen3:8b",
		"model_type": "vl"}).must(t, 200, &m)
	if m.ModelType != "vl" || m.VRAMMB != nil || len(m.Capabilities) != 0 {
		t.Errorf("after PUT = %+v", m)
	}
}

func TestDeleteInUseNeedsCascade(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateEmpty)
	p, chat, _ := catalogue(t, s)
	s.do("PUT", "/api/mappings/agent-zero/chat/primary", map[string]any{"model_id": chat.ID}).must(t, 201, nil)

	for _, path := range []string{"/api/models/" + chat.ID, "/api/providers/" + p.ID} {
		r := s.do("DELETE", path, nil)
		code, msg, _ := r.errorOf(t)
		if r.Status != 409 || code != "conflict" || !strings.Contains(msg, "agent-zero/chat/primary") {
			t.Errorf("DELETE %s in use: %d %s", path, r.Status, r.Body)
		}
	}
	s.do("GET", "/api/models/"+chat.ID, nil).must(t, 200, nil) // nothing half-deleted

	s.do("DELETE", "/api/models/"+chat.ID+"?cascade=true", nil).must(t, 204, nil)
	var l list[registry.Mapping]
	s.do("GET", "/api/mappings", nil).must(t, 200, &l)
	if l.Count != 0 {
		t.Errorf("cascade left mappings: %+v", l)
	}
	// The provider still has a model: refused without cascade, gone with it.
	s.do("DELETE", "/api/providers/"+p.ID, nil).must(t, 409, nil)
	s.do("DELETE", "/api/providers/"+p.ID+"?cascade=true", nil).must(t, 204, nil)
	var ml list[registry.Model]
	s.do("GET", "/api/models?active=false", nil).must(t, 200, &ml)
	s.do("GET", "/api/models", nil).must(t, 200, &ml)
	if ml.Count != 0 {
		t.Errorf("provider cascade left models: %+v", ml)
	}
}

func TestMappings(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateEmpty)
	_, chat, _ := catalogue(t, s)
	var second registry.Model
	var p registry.Provider
	s.do("POST", "/api/providers", map[string]any{"name": "hosted", "type": "openai_compatible",
		"api_base": "https://api.example.com/v1", "api_key_env_var": "EXAMPLE_API_KEY"}).must(t, 201, &p)
	s.do("POST", "/api/models", map[string]any{"provider_id": p.ID, "name": "gpt_small", "model_id": "gpt-small",
		"model_type": "chat"}).must(t, 201, &second)

	var m registry.Mapping
	s.do("PUT", "/api/mappings/agent-zero/chat/local", map[string]any{"model_id": chat.ID, "priority": 1, "weight": 70,
		"fallback_model_id": second.ID, "params": map[string]any{"temperature": 0.2}}).must(t, 201, &m)
	if m.ModelName != "qwen3_8b" || m.FallbackModelName == nil || *m.FallbackModelName != "gpt_small" || m.Weight != 70 {
		t.Errorf("created mapping = %+v", m)
	}
	if e := s.events.last(); e.Action != "created" || e.ResourceType != "mapping" {
		t.Errorf("event = %+v", e)
	}
	// PUT again replaces: 200, absent fields back to defaults.
	s.do("PUT", "/api/mappings/agent-zero/chat/local", map[string]any{"model_id": chat.ID, "priority": 1, "weight": 30}).must(t, 200, &m)
	if m.Weight != 30 || m.FallbackModelID != nil {
		t.Errorf("replaced mapping = %+v", m)
	}
	if e := s.events.last(); e.Action != "updated" {
		t.Errorf("event = %+v", e)
	}
	s.do("PUT", "/api/mappings/agent-zero/chat/hosted", map[string]any{"model_id": second.ID, "priority": 1, "weight": 70}).must(t, 201, nil)
	s.do("POST", "/api/mappings", map[string]any{"service_name": "agent-zero", "function_name": "chat", "variant_name": "backup",
		"model_id": second.ID, "priority": 2}).must(t, 201, nil)
	s.do("POST", "/api/mappings", map[string]any{"service_name": "agent-zero", "function_name": "chat", "variant_name": "backup",
		"model_id": chat.ID}).must(t, 409, nil)
	s.do("POST", "/api/mappings", map[string]any{"service_name": "hi-rag", "function_name": "rag", "variant_name": "v",
		"model_id": second.ID}).must(t, 201, nil)

	var l list[registry.Mapping]
	s.do("GET", "/api/mappings/agent-zero", nil).must(t, 200, &l)
	if l.Count != 3 {
		t.Errorf("service mappings = %+v", l)
	}
	var best []registry.Mapping
	s.do("GET", "/api/services/agent-zero/models", nil).must(t, 200, &best)
	var order []string
	for _, b := range best {
		order = append(order, b.VariantName)
	}
	if strings.Join(order, ",") != "hosted,local,backup" {
		t.Errorf("best first = %v, want hosted (priority 1, weight 70), local (1, 30), backup (2)", order)
	}
	s.do("GET", "/api/services/nobody/models", nil).must(t, 200, &best)
	if best == nil || len(best) != 0 {
		t.Errorf("unknown service = %v, want []", best)
	}

	// The path names the mapping; a body that disagrees is refused.
	r := s.do("PUT", "/api/mappings/agent-zero/chat/local", map[string]any{"service_name": "other", "model_id": chat.ID})
	if _, _, f := r.errorOf(t); r.Status != 400 || f["service_name"] == "" {
		t.Errorf("disagreeing body: %d %s", r.Status, r.Body)
	}
	r = s.do("PUT", "/api/mappings/agent-zero/chat/local", map[string]any{"model_id": "00000000-0000-0000-0000-000000000000"})
	if _, _, f := r.errorOf(t); r.Status != 400 || f["model_id"] == "" {
		t.Errorf("unknown model: %d %s", r.Status, r.Body)
	}

	s.do("DELETE", "/api/mappings/agent-zero/chat/backup", nil).must(t, 204, nil)
	s.do("DELETE", "/api/mappings/agent-zero/chat/backup", nil).must(t, 404, nil)
	s.do("GET", "/api/mappings?service_name=hi-rag", nil).must(t, 200, &l)
	if l.Count != 1 {
		t.Errorf("filter by service = %+v", l)
	}
}

func TestAliases(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateEmpty)
	_, chat, embed := catalogue(t, s)
	var a registry.Alias
	s.do("POST", "/api/aliases", map[string]any{"model_id": chat.ID, "alias": "fast"}).must(t, 201, &a)
	s.do("POST", "/api/aliases", map[string]any{"model_id": embed.ID, "alias": "fast", "context": "rag"}).must(t, 201, nil)
	s.do("POST", "/api/aliases", map[string]any{"model_id": embed.ID, "alias": "fast"}).must(t, 409, nil)

	var m registry.Model
	s.do("GET", "/api/aliases/resolve/fast", nil).must(t, 200, &m)
	if m.ID != chat.ID {
		t.Errorf("resolve fast = %s, want the context-free alias %s", m.ID, chat.ID)
	}
	s.do("GET", "/api/aliases/resolve/fast?context=rag", nil).must(t, 200, &m)
	if m.ID != embed.ID {
		t.Errorf("resolve fast in rag = %s, want %s", m.ID, embed.ID)
	}
	s.do("GET", "/api/aliases/resolve/fast?context=ui", nil).must(t, 200, &m)
	if m.ID != chat.ID {
		t.Errorf("resolve fast in ui falls back to no context: got %s", m.ID)
	}
	s.do("GET", "/api/aliases/resolve/"+"sl%C3%B6w%20one", nil).must(t, 404, nil)

	var l list[registry.Alias]
	s.do("GET", "/api/aliases?model_id="+embed.ID, nil).must(t, 200, &l)
	if l.Count != 1 {
		t.Errorf("aliases of model = %+v", l)
	}
	s.do("DELETE", "/api/aliases/"+a.ID, nil).must(t, 204, nil)
	s.do("DELETE", "/api/aliases/"+a.ID, nil).must(t, 404, nil)
	s.do("GET", "/api/aliases/resolve/fast", nil).must(t, 404, nil)
}

func TestPagingPastTheRowCap(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateEmpty)
	conn := dbtest.Connect(t, s.db)
	if _, err := conn.Exec(t.Context(), `
INSERT INTO pmoves_core.model_providers (id, name, type) VALUES ('00000000-0000-0000-0000-000000000001', 'bulk', 'vllm');
INSERT INTO pmoves_core.models (provider_id, name, model_id, model_type)
SELECT '00000000-0000-0000-0000-000000000001', 'm' || i, 'model-' || lpad(i::text, 5, '0'), 'chat' FROM generate_series(1, 1500) i;`); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for offset := 0; ; offset += 1000 {
		var l list[registry.Model]
		s.do("GET", fmt.Sprintf("/api/models?limit=1000&offset=%d", offset), nil).must(t, 200, &l)
		if l.Count != 1500 {
			t.Fatalf("count = %d, want 1500", l.Count)
		}
		for _, m := range l.Items {
			seen[m.ID] = true
		}
		if len(l.Items) < 1000 {
			break
		}
	}
	if len(seen) != 1500 {
		t.Errorf("paged through %d distinct models, want 1500", len(seen))
	}
	s.do("GET", "/api/models?limit=1001", nil).must(t, 400, nil)
	_ = http.StatusOK
}

// TestModelPageBelowAPostgRESTCap lists 1,000 models where PostgREST caps
// reads at 300 rows: the page is complete all the same.
func TestModelPageBelowAPostgRESTCap(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t, dbtest.TemplateEmpty)
	rest, err := postgrest.New(context.Background(), postgrest.Config{DBURL: devstack.AuthenticatorURL(db),
		Schemas: []string{"pmoves_core"}, AnonRole: "anon", JWTSecret: jwtSecret, MaxRows: 300})
	if err != nil {
		t.Fatal(err)
	}
	restSrv := httptest.NewServer(rest)
	t.Cleanup(func() { restSrv.Close(); rest.Close() })
	key, _ := devstack.SignKey(jwtSecret, "service_role")
	store, err := supabase.New(supabase.Config{URL: restSrv.URL + "/rest/v1", ServiceKey: key})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Config{Store: store}))
	t.Cleanup(srv.Close)
	if _, err := dbtest.Connect(t, db).Exec(t.Context(), `
INSERT INTO pmoves_core.model_providers (id, name, type) VALUES ('00000000-0000-0000-0000-000000000001', 'bulk', 'vllm');
INSERT INTO pmoves_core.models (provider_id, name, model_id, model_type)
SELECT '00000000-0000-0000-0000-000000000001', 'm' || i, 'model-' || i, 'chat' FROM generate_series(1, 1200) i;`); err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, url: srv.URL, events: &recorder{}}
	var l list[registry.Model]
	s.do("GET", "/api/models?limit=1000", nil).must(t, 200, &l)
	if len(l.Items) != 1000 || l.Count != 1200 {
		t.Errorf("got %d items of %d, want 1000 of 1200", len(l.Items), l.Count)
	}
}
