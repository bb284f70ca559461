package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pmoves/model-registry/api"
	"github.com/pmoves/model-registry/devstack/dbtest"
)

func TestWritesNeedAKey(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateSeeded)
	body := map[string]any{"name": "p", "type": "ollama"}
	for _, h := range [][]string{
		{"X-None", "x"},
		{"Authorization", "Bearer wrong"},
		{"Authorization", "Basic " + apiKey},
		{"apikey", "wrong"},
		{"Authorization", "Bearer " + apiKey[:len(apiKey)-1]},
	} {
		r := s.do("POST", "/api/providers", body, h...)
		if code, _, _ := r.errorOf(t); r.Status != 401 || code != "unauthorized" {
			t.Errorf("%v: %d %s", h, r.Status, r.Body)
		}
		if strings.Contains(string(r.Body), apiKey) || strings.Contains(string(r.Body), s.serviceKey) {
			t.Errorf("a key leaked into a response: %s", r.Body)
		}
	}
	for _, path := range []string{"/api/models/00000000-0000-0000-0000-000000000000", "/api/mappings/a/b/c",
		"/api/aliases/00000000-0000-0000-0000-000000000000", "/api/deployments/00000000-0000-0000-0000-000000000000/status"} {
		if r := s.do("DELETE", path, nil, "X-None", "x"); r.Status != 401 && r.Status != 405 {
			t.Errorf("DELETE %s without key: %d", path, r.Status)
		}
	}
	// Both key forms and both keys work; reads are open.
	s.do("POST", "/api/providers", map[string]any{"name": "p1", "type": "ollama"}, "apikey", apiKey).must(t, 201, nil)
	s.do("POST", "/api/providers", map[string]any{"name": "p2", "type": "ollama"}, "Authorization", "Bearer "+s.serviceKey).must(t, 201, nil)
	s.do("GET", "/api/models", nil, "X-None", "x").must(t, 200, nil)
	if s.events.count() != 2 {
		t.Errorf("%d change events, want 2 (refused writes publish nothing)", s.events.count())
	}
}

func TestReadsCanRequireAKey(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateSeeded, func(c *api.Config) { c.RequireAuthReads = true })
	s.do("GET", "/api/models", nil, "X-None", "x").must(t, 401, nil)
	s.do("GET", "/api/models", nil).must(t, 200, nil)
	s.do("GET", "/healthz", nil, "X-None", "x").must(t, 200, nil)
}

func TestBadInputIsAClearClientError(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateSeeded)
	cases := []struct {
		method, path string
		body         any
		status       int
		field        string
	}{
		{"POST", "/api/providers", `{"name":"p","type":"ollama","colour":"red"}`, 400, "colour"},
		{"POST", "/api/providers", `{"name":"p","type":7}`, 400, "type"},
		{"POST", "/api/providers", `{"name":"p",`, 400, "body"},
		{"POST", "/api/providers", ``, 400, "body"},
		{"POST", "/api/providers", `[]`, 400, "body"},
		{"POST", "/api/providers", `{"name":"p","type":"ollama"} {}`, 400, "body"},
		{"POST", "/api/models", `{"provider_id":"x","name":"n","model_id":"m","model_type":"chat","vram_mb":1e40}`, 400, "vram_mb"},
		{"POST", "/api/models", `{"provider_id":"x","name":"n","model_id":"m","model_type":"chat"}`, 400, "provider_id"},
		{"GET", "/api/models/not-a-uuid", nil, 400, "id"},
		{"PATCH", "/api/models/00000000-0000-0000-0000-000000000000", `{}`, 400, "body"},
		{"PATCH", "/api/models/00000000-0000-0000-0000-000000000000", `{"active":true}`, 404, ""},
		{"GET", "/api/models?limit=abc", nil, 400, "limit"},
		{"GET", "/api/models?limit=-1", nil, 400, "limit"},
		{"GET", "/api/models?offset=-5", nil, 400, "offset"},
		{"GET", "/api/models?model_type=llm", nil, 400, "model_type"},
		{"GET", "/api/models?active=perhaps", nil, 400, "active"},
		{"GET", "/api/models?colour=red", nil, 400, "colour"},
		{"GET", "/api/models?q=%27%3B%20DROP%20TABLE%20models%3B--", nil, 200, ""},
		{"GET", "/api/models?provider=%22%29%2C%28", nil, 200, ""},
		{"GET", "/api/deployments?node_id=a.b,c(d)", nil, 200, ""},
		{"DELETE", "/api/models/00000000-0000-0000-0000-000000000000?cascade=maybe", nil, 400, "cascade"},
		{"POST", "/api/deployments/register", `{"model_id":"qwen3:8b","node_id":"n","provider_type":"ollama"}`, 409, ""},
		{"POST", "/api/deployments", `{"model_id":" qwen3:8b","node_id":"n","provider_type":"ollama"}`, 400, "model_id"},
		{"POST", "/api/deployments", `{"model_id":"qwen3:8b","node_id":"n","provider_type":"docker"}`, 400, "provider_type"},
		{"GET", "/api/services/agent-zero/models?fn=x", nil, 400, "fn"},
		{"PUT", "/api/deployments/00000000-0000-0000-0000-000000000000/status", `{"status":"gone"}`, 400, "status"},
		{"GET", "/api/nowhere", nil, 404, ""},
		{"PATCH", "/api/mappings", `{}`, 405, ""},
	}
	for _, c := range cases {
		r := s.do(c.method, c.path, c.body)
		if r.Status != c.status {
			t.Errorf("%s %s %v: status %d, want %d; body %s", c.method, c.path, c.body, r.Status, c.status, r.Body)
			continue
		}
		if c.status >= 400 {
			_, _, fields := r.errorOf(t)
			if c.field != "" && fields[c.field] == "" {
				t.Errorf("%s %s: fields %v do not name %q", c.method, c.path, fields, c.field)
			}
		}
	}
	// A body over 1 MiB is 413, whatever it holds.
	big := `{"name":"p","type":"ollama","description":"` + strings.Repeat("x", 1<<20) + `"}`
	if r := s.do("POST", "/api/providers", big); r.Status != 413 {
		t.Errorf("1 MiB body: %d %s", r.Status, r.Body)
	}
}

func TestHealthReadinessMetrics(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateSeeded)
	var h struct {
		Status       string            `json:"status"`
		Timestamp    time.Time         `json:"timestamp"`
		Services     map[string]string `json:"services"`
		Dependencies map[string]string `json:"dependencies"`
	}
	s.do("GET", "/healthz", nil).must(t, 200, &h)
	if h.Status != "healthy" || h.Services["postgrest"] != "ok" || h.Dependencies["postgrest"] != "ok" ||
		time.Since(h.Timestamp) > time.Minute {
		t.Errorf("healthz = %+v, want the platform's healthy answer", h)
	}
	s.do("GET", "/readyz", nil).must(t, 200, nil)
	s.do("GET", "/api/models", nil).must(t, 200, nil)
	r := s.do("GET", "/metrics", nil).must(t, 200, nil)
	if !strings.Contains(string(r.Body), `model_registry_http_requests_total{route="/api/models",method="GET",status="200"} 1`) {
		t.Errorf("metrics lack the request counter:\n%s", r.Body)
	}
	if r.Header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id on the response")
	}
	r = s.do("GET", "/healthz", nil, "X-Request-Id", "trace-123")
	if r.Header.Get("X-Request-Id") != "trace-123" {
		t.Errorf("X-Request-Id not honoured: %q", r.Header.Get("X-Request-Id"))
	}
}
