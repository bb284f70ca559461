package api_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/registry"
	"github.com/pmoves/model-registry/tomlgen"
)

func TestTensorZeroConfigFromTheSeed(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateSeeded)
	r := s.do("GET", "/api/tensorzero/config", nil, "X-None", "x").must(t, 200, nil)
	if ct := r.Header.Get("Content-Type"); ct != "application/toml; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	etag := r.Header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || len(etag) < 10 {
		t.Errorf("ETag = %q, want a strong validator", etag)
	}
	var doc map[string]any
	if _, err := toml.Decode(string(r.Body), &doc); err != nil {
		t.Fatalf("rendered config is not TOML: %v", err)
	}
	findings, err := tomlgen.Lint(r.Body)
	if err != nil || tomlgen.HasErrors(findings) {
		t.Errorf("the seed renders a config the gateway would refuse: %v %+v", err, findings)
	}
	if models, _ := doc["models"].(map[string]any); len(models) < 20 {
		t.Errorf("rendered %d models from the seed", len(models))
	}
	if strings.Contains(string(r.Body), "sk-") {
		t.Error("a credential-looking value in the rendered config")
	}

	// Same data, same bytes and ETag; If-None-Match gets 304.
	again := s.do("GET", "/api/tensorzero/config", nil).must(t, 200, nil)
	if string(again.Body) != string(r.Body) || again.Header.Get("ETag") != etag {
		t.Error("two renders of one catalogue differ")
	}
	nm := s.do("GET", "/api/tensorzero/config", nil, "If-None-Match", etag).must(t, 304, nil)
	if len(nm.Body) != 0 || nm.Header.Get("ETag") != etag {
		t.Errorf("304 answer: body %q etag %q", nm.Body, nm.Header.Get("ETag"))
	}

	// A routing change through the API shows in the next render.
	var models list[registry.Model]
	s.do("GET", "/api/models?model_type=chat&limit=1", nil).must(t, 200, &models)
	s.do("PUT", "/api/mappings/new-service/brand_new_function/only", map[string]any{"model_id": models.Items[0].ID}).must(t, 201, nil)
	changed := s.do("GET", "/api/tensorzero/config", nil, "If-None-Match", etag).must(t, 200, nil)
	if changed.Header.Get("ETag") == etag || !strings.Contains(string(changed.Body), "[functions.brand_new_function") {
		t.Errorf("the new mapping is not in the render (etag %s)", changed.Header.Get("ETag"))
	}

	var fns list[tomlgen.Function]
	s.do("GET", "/api/tensorzero/functions", nil).must(t, 200, &fns)
	found := false
	for _, f := range fns.Items {
		found = found || f.Name == "brand_new_function"
	}
	if fns.Count < 10 || !found {
		t.Errorf("functions: count %d, brand_new_function listed %v", fns.Count, found)
	}
}

func TestTensorZeroValidate(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateEmpty)
	fixture, err := os.ReadFile("../tomlgen/testdata/fixtures/pmoves-4d409f35.toml")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Valid    bool              `json:"valid"`
		Errors   int               `json:"errors"`
		Findings []tomlgen.Finding `json:"findings"`
	}
	// Validation changes nothing, so it needs no key.
	s.do("POST", "/api/tensorzero/validate", string(fixture), "Content-Type", "application/toml").must(t, 200, &v)
	if !v.Valid || v.Errors != 0 {
		t.Errorf("the platform's own config: %+v", v)
	}
	bad := "[models.x]\nrouting = [\"a\"]\n[models.x.providers.b]\ntype = \"openai\"\nmodel_name = \"m\"\n"
	s.do("POST", "/api/tensorzero/validate", bad).must(t, 200, &v)
	if v.Valid || v.Errors == 0 {
		t.Errorf("routing/providers mismatch not found: %+v", v)
	}
	raw, _ := json.Marshal(v.Findings)
	if !strings.Contains(string(raw), "models.x") {
		t.Errorf("findings do not name the path: %s", raw)
	}
	r := s.do("POST", "/api/tensorzero/validate", "this is [not toml")
	if _, _, f := r.errorOf(t); r.Status != 400 || f["body"] == "" {
		t.Errorf("not TOML: %d %s", r.Status, r.Body)
	}
}
