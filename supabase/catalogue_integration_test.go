package supabase

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/registry"
)

func TestIntegrationProviders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.TemplateEmpty)
	ctx := context.Background()
	ok(t, e.c.Ping(ctx))

	p := must(e.c.CreateProvider(ctx, registry.ProviderInput{Name: "ollama_local", Type: registry.ProviderOllama,
		APIBase: ptr("http://ollama:11434"), Description: ptr("GPU box")}))(t)
	if !p.Active || string(p.Metadata) != "{}" || p.ID == "" || p.CreatedAt.IsZero() || p.APIKeyEnvVar != nil {
		t.Errorf("created %+v", p)
	}
	got := must(e.c.GetProvider(ctx, p.ID))(t)
	if d := cmp.Diff(p, got); d != "" {
		t.Errorf("get (-created +got):\n%s", d)
	}

	_, err := e.c.CreateProvider(ctx, registry.ProviderInput{Name: "ollama_local", Type: registry.ProviderVLLM})
	wantKind(t, err, registry.ErrConflict)
	if !strings.Contains(err.Error(), `a provider named "ollama_local" exists`) {
		t.Errorf("conflict says %q", err)
	}

	e.provider(t, "openai", registry.ProviderOpenAICompatible)
	must(e.c.CreateProvider(ctx, registry.ProviderInput{Name: "venice", Type: registry.ProviderOpenAICompatible, Active: ptr(false)}))(t)
	for _, tc := range []struct {
		f     registry.ProviderFilter
		names []string
		total int
	}{
		{registry.ProviderFilter{}, []string{"ollama_local", "openai", "venice"}, 3},
		{registry.ProviderFilter{Type: registry.ProviderOpenAICompatible}, []string{"openai", "venice"}, 2},
		{registry.ProviderFilter{Active: ptr(false)}, []string{"venice"}, 1},
		{registry.ProviderFilter{Page: registry.Page{Limit: 1, Offset: 1}}, []string{"openai"}, 3},
		{registry.ProviderFilter{Page: registry.Page{Limit: 10, Offset: 3}}, nil, 3},
		{registry.ProviderFilter{Page: registry.Page{Limit: 10, Offset: 50}}, nil, 3},
	} {
		items, n, err := e.c.ListProviders(ctx, tc.f)
		ok(t, err)
		var names []string
		for _, p := range items {
			names = append(names, p.Name)
		}
		if d := cmp.Diff(tc.names, names, cmpopts.EquateEmpty()); d != "" || n != tc.total {
			t.Errorf("%+v: count %d, want %d; names (-want +got):\n%s", tc.f, n, tc.total, d)
		}
	}

	r := must(e.c.ReplaceProvider(ctx, p.ID, registry.ProviderInput{Name: "ollama_gpu", Type: registry.ProviderOllama}))(t)
	if r.Name != "ollama_gpu" || r.APIBase != nil || r.Description != nil || r.ID != p.ID || !r.UpdatedAt.After(p.UpdatedAt) {
		t.Errorf("replaced %+v", r)
	}
	u := must(e.c.UpdateProvider(ctx, p.ID, registry.ProviderPatch{APIBase: ptr("http://x:1"), Active: ptr(false)}))(t)
	if u.Name != "ollama_gpu" || u.APIBase == nil || *u.APIBase != "http://x:1" || u.Active {
		t.Errorf("updated %+v", u)
	}
	u = must(e.c.UpdateProvider(ctx, p.ID, registry.ProviderPatch{APIBase: ptr(""), Metadata: json.RawMessage(`{"a":[1]}`)}))(t)
	var meta map[string][]int
	if u.APIBase != nil || json.Unmarshal(u.Metadata, &meta) != nil || meta["a"][0] != 1 {
		t.Errorf("cleared %+v", u)
	}
	_, err = e.c.UpdateProvider(ctx, p.ID, registry.ProviderPatch{Name: ptr("openai")})
	wantKind(t, err, registry.ErrConflict)

	_, err = e.c.UpdateProvider(ctx, someID, registry.ProviderPatch{Active: ptr(true)})
	wantKind(t, err, registry.ErrNotFound)
	_, err = e.c.ReplaceProvider(ctx, someID, registry.ProviderInput{Name: "x", Type: registry.ProviderCustom})
	wantKind(t, err, registry.ErrNotFound)
	_, err = e.c.GetProvider(ctx, someID)
	wantKind(t, err, registry.ErrNotFound)
	_, err = e.c.GetProvider(ctx, "not-a-uuid")
	wantKind(t, err, registry.ErrInvalid)

	ok(t, e.c.DeleteProvider(ctx, p.ID, false))
	_, err = e.c.GetProvider(ctx, p.ID)
	wantKind(t, err, registry.ErrNotFound)
	wantKind(t, e.c.DeleteProvider(ctx, p.ID, false), registry.ErrNotFound)
}

func TestIntegrationModels(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.TemplateEmpty)
	ctx := context.Background()
	// A provider name full of PostgREST's reserved characters.
	nasty := e.provider(t, `ol"la,ma (local).x`, registry.ProviderOllama)
	hosted := e.provider(t, "hosted", registry.ProviderOpenAICompatible)

	m := must(e.c.CreateModel(ctx, registry.ModelInput{ProviderID: nasty.ID, Name: "qwen3_8b", ModelID: "qwen3:8b",
		ModelType: registry.ModelChat, Capabilities: []string{"chat", "tools"}, VRAMMB: ptr(6000),
		Description: ptr("Qwen, 7b (fast) 100% local_model")}))(t)
	if m.ProviderName != nasty.Name || m.ProviderType != registry.ProviderOllama || !m.Active ||
		m.ProviderActive == nil || !*m.ProviderActive || *m.VRAMMB != 6000 || len(m.Capabilities) != 2 ||
		string(m.Metadata) != "{}" || len(m.Aliases) != 0 {
		t.Errorf("created %+v", m)
	}
	if d := cmp.Diff(m, must(e.c.GetModel(ctx, m.ID))(t)); d != "" {
		t.Errorf("get (-created +got):\n%s", d)
	}
	_, err := e.c.CreateModel(ctx, registry.ModelInput{ProviderID: nasty.ID, Name: "other", ModelID: "qwen3:8b", ModelType: registry.ModelChat})
	wantKind(t, err, registry.ErrConflict)
	if !strings.Contains(err.Error(), `model_id "qwen3:8b"`) {
		t.Errorf("conflict says %q", err)
	}
	_, err = e.c.CreateModel(ctx, registry.ModelInput{ProviderID: someID, Name: "x", ModelID: "x", ModelType: registry.ModelChat})
	wantField(t, err, "provider_id")

	e.model(t, hosted.ID, "gpt_star", "gpt-4*")
	e.model(t, hosted.ID, "pct", "a%b")
	e.model(t, hosted.ID, "under_score", "a_b")
	emb := must(e.c.CreateModel(ctx, registry.ModelInput{ProviderID: hosted.ID, Name: "embed", ModelID: "text-embedding-3",
		ModelType: registry.ModelEmbedding}))(t)
	must(e.c.CreateModel(ctx, registry.ModelInput{ProviderID: hosted.ID, Name: "retired", ModelID: "old",
		ModelType: registry.ModelChat, Active: ptr(false)}))(t)

	names := func(f registry.ModelFilter) ([]string, int) {
		t.Helper()
		items, n, err := e.c.ListModels(ctx, f)
		ok(t, err)
		var out []string
		for _, m := range items {
			out = append(out, m.Name)
		}
		slices.Sort(out)
		return out, n
	}
	for _, tc := range []struct {
		name string
		f    registry.ModelFilter
		want []string
	}{
		{"default active", registry.ModelFilter{}, []string{"embed", "gpt_star", "pct", "qwen3_8b", "under_score"}},
		{"inactive", registry.ModelFilter{Active: ptr(false)}, []string{"retired"}},
		{"type", registry.ModelFilter{ModelType: registry.ModelEmbedding}, []string{"embed"}},
		{"provider by nasty name", registry.ModelFilter{Provider: nasty.Name}, []string{"qwen3_8b"}},
		{"provider by type", registry.ModelFilter{Provider: "openai_compatible"}, []string{"embed", "gpt_star", "pct", "under_score"}},
		{"q with comma and space", registry.ModelFilter{Q: "qwen, 7b (FAST)"}, []string{"qwen3_8b"}},
		{"q matches model_id", registry.ModelFilter{Q: "QWEN3:8"}, []string{"qwen3_8b"}},
		{"q percent is literal", registry.ModelFilter{Q: "%"}, []string{"pct", "qwen3_8b"}},
		{"q underscore is literal", registry.ModelFilter{Q: "a_b"}, []string{"under_score"}},
		{"q star", registry.ModelFilter{Q: "4*"}, []string{"gpt_star"}},
		{"q quote and backslash", registry.ModelFilter{Q: `"\`}, nil},
		{"q and provider", registry.ModelFilter{Q: "a", Provider: "hosted"}, []string{"gpt_star", "pct", "under_score"}},
	} {
		got, n := names(tc.f)
		if d := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); d != "" || n != len(tc.want) {
			t.Errorf("%s: count %d; (-want +got):\n%s", tc.name, n, d)
		}
	}
	if _, n := names(registry.ModelFilter{Page: registry.Page{Limit: 2}}); n != 5 {
		t.Errorf("count with limit 2: %d", n)
	}

	// Replace: absent fields take their defaults.
	r := must(e.c.ReplaceModel(ctx, m.ID, registry.ModelInput{ProviderID: hosted.ID, Name: "qwen3_8b", ModelID: "qwen3:8b",
		ModelType: registry.ModelVL}))(t)
	if r.ProviderName != "hosted" || r.VRAMMB != nil || r.Description != nil || len(r.Capabilities) != 0 || r.ModelType != registry.ModelVL {
		t.Errorf("replaced %+v", r)
	}
	u := must(e.c.UpdateModel(ctx, m.ID, registry.ModelPatch{Active: ptr(false), ContextLength: ptr(32768)}))(t)
	if u.Active || *u.ContextLength != 32768 || u.Name != "qwen3_8b" {
		t.Errorf("updated %+v", u)
	}
	_, err = e.c.UpdateModel(ctx, m.ID, registry.ModelPatch{ProviderID: ptr(someID)})
	wantField(t, err, "provider_id")
	_, err = e.c.UpdateModel(ctx, m.ID, registry.ModelPatch{ModelID: ptr("gpt-4*")})
	wantKind(t, err, registry.ErrConflict)
	_, err = e.c.UpdateModel(ctx, someID, registry.ModelPatch{Active: ptr(true)})
	wantKind(t, err, registry.ErrNotFound)

	// A model of an inactive provider leaves the default list.
	must(e.c.UpdateProvider(ctx, hosted.ID, registry.ProviderPatch{Active: ptr(false)}))(t)
	if got, _ := names(registry.ModelFilter{}); len(got) != 0 {
		t.Errorf("active models of an inactive provider listed: %v", got)
	}
	if got, _ := names(registry.ModelFilter{Active: ptr(true)}); len(got) != 0 {
		t.Errorf("active=true lists models of an inactive provider: %v", got)
	}
	ok(t, e.c.DeleteModel(ctx, emb.ID, false))
	wantKind(t, e.c.DeleteModel(ctx, emb.ID, false), registry.ErrNotFound)
}

func TestIntegrationAliases(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.TemplateEmpty)
	ctx := context.Background()
	p := e.provider(t, "p", registry.ProviderOllama)
	a := e.model(t, p.ID, "model_a", "a")
	b := e.model(t, p.ID, "model_b", "b")
	ui := `ui, "chat" (v2)`

	global := must(e.c.CreateAlias(ctx, registry.AliasInput{ModelID: a.ID, Alias: "fast, cheap"}))(t)
	scoped := must(e.c.CreateAlias(ctx, registry.AliasInput{ModelID: b.ID, Alias: "fast, cheap", Context: &ui}))(t)
	if global.Context != nil || scoped.Context == nil || *scoped.Context != ui {
		t.Errorf("aliases %+v %+v", global, scoped)
	}
	_, err := e.c.CreateAlias(ctx, registry.AliasInput{ModelID: b.ID, Alias: "fast, cheap"})
	wantKind(t, err, registry.ErrConflict)
	if !strings.Contains(err.Error(), "without a context") {
		t.Errorf("conflict says %q", err)
	}
	_, err = e.c.CreateAlias(ctx, registry.AliasInput{ModelID: a.ID, Alias: "fast, cheap", Context: &ui})
	wantKind(t, err, registry.ErrConflict)
	_, err = e.c.CreateAlias(ctx, registry.AliasInput{ModelID: someID, Alias: "x"})
	wantField(t, err, "model_id")

	for _, tc := range []struct {
		scope *string
		want  string
	}{{nil, a.ID}, {&ui, b.ID}, {ptr("other"), a.ID}, {ptr(""), a.ID}} {
		m, err := e.c.ResolveAlias(ctx, "fast, cheap", tc.scope)
		ok(t, err)
		if m.ID != tc.want || m.ProviderName != "p" {
			t.Errorf("resolve in %v: %s, want %s", tc.scope, m.ID, tc.want)
		}
	}
	_, err = e.c.ResolveAlias(ctx, "slow", nil)
	wantKind(t, err, registry.ErrNotFound)

	// An alias of an inactive model still resolves; the model says so.
	must(e.c.UpdateModel(ctx, b.ID, registry.ModelPatch{Active: ptr(false)}))(t)
	m, err := e.c.ResolveAlias(ctx, "fast, cheap", &ui)
	ok(t, err)
	if m.ID != b.ID || m.Active {
		t.Errorf("resolved %+v", m)
	}
	if len(must(e.c.GetModel(ctx, a.ID))(t).Aliases) != 1 {
		t.Errorf("model a lacks its alias")
	}

	for _, tc := range []struct {
		f    registry.AliasFilter
		want []string
	}{
		{registry.AliasFilter{}, []string{global.ID, scoped.ID}},
		{registry.AliasFilter{ModelID: b.ID}, []string{scoped.ID}},
		{registry.AliasFilter{Context: &ui}, []string{scoped.ID}},
		{registry.AliasFilter{Context: ptr("")}, []string{global.ID}},
	} {
		items, n, err := e.c.ListAliases(ctx, tc.f)
		ok(t, err)
		var ids []string
		for _, a := range items {
			ids = append(ids, a.ID)
		}
		if d := cmp.Diff(tc.want, ids); d != "" || n != len(tc.want) {
			t.Errorf("%+v: count %d (-want +got):\n%s", tc.f, n, d)
		}
	}
	ok(t, e.c.DeleteAlias(ctx, scoped.ID))
	wantKind(t, e.c.DeleteAlias(ctx, scoped.ID), registry.ErrNotFound)
	m, err = e.c.ResolveAlias(ctx, "fast, cheap", &ui)
	ok(t, err)
	if m.ID != a.ID {
		t.Errorf("after delete, resolved to %s", m.ID)
	}
}

// TestIntegrationSeeded reads the seed catalogue.
func TestIntegrationSeeded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.TemplateSeeded)
	ctx := context.Background()
	ok(t, e.c.Ping(ctx))
	models, n, err := e.c.ListModels(ctx, registry.ModelFilter{Page: registry.Page{Limit: 1000}})
	ok(t, err)
	if n < 20 || len(models) != n {
		t.Errorf("seed: %d active models, %d listed", n, len(models))
	}
	for _, m := range models {
		if !m.Active || m.ProviderActive != nil || m.ProviderName == "" || m.Aliases == nil {
			t.Errorf("default list holds %+v", m)
		}
	}
	maps, n, err := e.c.ListMappings(ctx, registry.MappingFilter{Page: registry.Page{Limit: 1000}})
	ok(t, err)
	if n == 0 || len(maps) != n || maps[0].ModelName == "" || maps[0].ProviderName == "" {
		t.Errorf("seed: %d mappings; first %+v", n, maps)
	}
	aliases, _, err := e.c.ListAliases(ctx, registry.AliasFilter{})
	ok(t, err)
	for _, a := range aliases {
		m, err := e.c.ResolveAlias(ctx, a.Alias, a.Context)
		ok(t, err)
		if m.ID != a.ModelID {
			t.Errorf("alias %q (%v) resolves to %s, want %s", a.Alias, a.Context, m.ID, a.ModelID)
		}
	}
	_, _, err = e.c.ListDeployments(ctx, registry.DeploymentFilter{})
	ok(t, err)
}
