package tomlgen

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// importCatalog imports a document and returns the catalogue the database
// would then hold.
func importCatalog(t *testing.T, doc []byte) Catalog {
	t.Helper()
	plan, err := Import(doc)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	c, err := plan.Catalog(planIDs(plan))
	if err != nil {
		t.Fatal(err)
	}
	return throughJSONB(t, c)
}

// setMapping changes the mapping of function/variant as an operator would
// through the API.
func setMapping(t *testing.T, c Catalog, fn, variant string, change func(m *mappingChange)) {
	t.Helper()
	for i := range c.Mappings {
		m := &c.Mappings[i]
		if m.FunctionName == fn && m.VariantName == variant {
			ch := mappingChange{Priority: m.Priority, Weight: m.Weight, Fallback: m.FallbackModelID}
			change(&ch)
			m.Priority, m.Weight, m.FallbackModelID = ch.Priority, ch.Weight, ch.Fallback
			return
		}
	}
	t.Fatalf("no mapping %s/%s", fn, variant)
}

type mappingChange struct {
	Priority int
	Weight   float64
	Fallback *string
}

// renderedFunction renders c, checks it lints without errors, and returns one
// function table.
func renderedFunction(t *testing.T, c Catalog, fn string) map[string]any {
	t.Helper()
	out, _ := renderString(t, c)
	fs, err := Lint([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Severity == SeverityError && !strings.Contains(f.Message, "dummy") {
			t.Errorf("lint error after the change: %s", f)
		}
	}
	return mustParse(t, out)["functions"].(map[string]any)[fn].(map[string]any)
}

// TestPriorityChangeTakesEffect: pmoves has no experimentation; once an
// operator gives one mapping a worse priority, the render derives it.
func TestPriorityChangeTakesEffect(t *testing.T) {
	c := importCatalog(t, mustRead(t, filepath.Join("testdata", "fixtures", "pmoves-4d409f35.toml")))
	if got := renderedFunction(t, c, "archon_code_review")["experimentation"]; got != nil {
		t.Fatalf("experimentation before any change: %v", got)
	}
	setMapping(t, c, "archon_code_review", "hosted_openrouter", func(m *mappingChange) { m.Priority = 5 })
	got := renderedFunction(t, c, "archon_code_review")["experimentation"]
	want := map[string]any{"type": "static", "candidate_variants": []any{"local_qwen32b"}, "fallback_variants": []any{"hosted_openrouter"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("experimentation (-want +got):\n%s", diff)
	}
	// Other functions keep what the file had.
	if got := renderedFunction(t, c, "agent_zero")["experimentation"]; got != nil {
		t.Errorf("agent_zero got experimentation %v", got)
	}
}

// TestWeightChangeKeepsAdaptive: a weight change re-derives the candidates
// of an adaptive experimentation and keeps its metric and settings.
func TestWeightChangeKeepsAdaptive(t *testing.T) {
	c := importCatalog(t, mustRead(t, filepath.Join("testdata", "fixtures", "tensorzero-ui-fixture.toml")))
	setMapping(t, c, "extract_entities", "turbo", func(m *mappingChange) { m.Weight = 1 })
	got := renderedFunction(t, c, "extract_entities")["experimentation"]
	want := map[string]any{
		"type": "adaptive", "metric": "jaro_winkler_similarity", "min_samples_per_variant": int64(10),
		"delta": 0.05, "epsilon": 0.1, "update_period_s": int64(60),
		"candidate_variants": []any{"gpt4o_initial_prompt", "gpt4o_mini_initial_prompt", "llama_8b_initial_prompt", "turbo"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("experimentation (-want +got):\n%s", diff)
	}
}

const legacyWeights = `
[models.small]
routing = ["ollama"]
[models.small.providers.ollama]
type = "openai"
api_base = "http://ollama:11434/v1"
model_name = "qwen3:8b"
api_key_location = "none"

[models.big]
routing = ["ollama"]
[models.big.providers.ollama]
type = "openai"
api_base = "http://ollama:11434/v1"
model_name = "qwen3:32b"
api_key_location = "none"

[functions.answer]
type = "chat"
[functions.answer.variants.small]
type = "chat_completion"
model = "small"
weight = 0.7
temperature = 0.2
[functions.answer.variants.big]
type = "chat_completion"
model = "big"
weight = 0.3
[functions.answer.variants.backup]
type = "chat_completion"
model = "openai::gpt-4o-mini"
`

// TestLegacyWeights: legacy variant weights render as they were until an
// operator changes one; then they become an experimentation table (never
// both, which the gateway refuses).
func TestLegacyWeights(t *testing.T) {
	c := importCatalog(t, []byte(legacyWeights))
	fn := renderedFunction(t, c, "answer")
	if fn["experimentation"] != nil || fn["variants"].(map[string]any)["small"].(map[string]any)["weight"] != 0.7 {
		t.Fatalf("legacy weights not kept: %v", fn)
	}
	if got := Functions(c)[0]; got.Source != "stored" || got.Experimentation != "weights" {
		t.Errorf("Functions: source %q experimentation %q", got.Source, got.Experimentation)
	}
	setMapping(t, c, "answer", "big", func(m *mappingChange) { m.Weight = 0.5 })
	fn = renderedFunction(t, c, "answer")
	want := map[string]any{"type": "static", "candidate_variants": map[string]any{"small": 0.7, "big": 0.5}, "fallback_variants": []any{"backup"}}
	if diff := cmp.Diff(want, fn["experimentation"]); diff != "" {
		t.Errorf("experimentation (-want +got):\n%s", diff)
	}
	for name, v := range fn["variants"].(map[string]any) {
		if w, ok := v.(map[string]any)["weight"]; ok {
			t.Errorf("variant %s still has weight %v", name, w)
		}
	}
	if got := fn["variants"].(map[string]any)["small"].(map[string]any)["temperature"]; got != 0.2 {
		t.Errorf("variant params lost: temperature %v", got)
	}
}

// TestFallbackModel: a mapping's fallback_model_id becomes a variant with the
// same parameters, tried after the mapping's tier.
func TestFallbackModel(t *testing.T) {
	c := importCatalog(t, []byte(legacyWeights))
	var big string
	for _, m := range c.Models {
		if m.Name == "big" {
			big = m.ID
		}
	}
	setMapping(t, c, "answer", "small", func(m *mappingChange) { m.Fallback = &big })
	fn := renderedFunction(t, c, "answer")
	fb := fn["variants"].(map[string]any)["small__fallback"]
	want := map[string]any{"type": "chat_completion", "model": "big", "temperature": 0.2}
	if diff := cmp.Diff(want, fb); diff != "" {
		t.Errorf("fallback variant (-want +got):\n%s", diff)
	}
	exp := fn["experimentation"].(map[string]any)
	if diff := cmp.Diff([]any{"small__fallback", "backup"}, exp["fallback_variants"]); diff != "" {
		t.Errorf("fallback_variants (-want +got):\n%s", diff)
	}
}

// TestDeriveExperimentation covers the rules of deriveExperimentation.
func TestDeriveExperimentation(t *testing.T) {
	p := func(name string, prio int, w float64, fbs ...string) participant {
		return participant{name: name, role: Role{Priority: prio, Weight: w}, fallbacks: fbs}
	}
	tests := []struct {
		name      string
		parts     []participant
		cands     []string
		fallbacks []string
	}{
		{"none", nil, nil, nil},
		{"tiers", []participant{p("c", 2, 1), p("a", 1, 1), p("b", 1, 2, "b__fallback"), p("d", 3, 1)}, []string{"a", "b"}, []string{"b__fallback", "c", "d"}},
		{"weight zero leaves out", []participant{p("a", 1, 0), p("b", 2, 1)}, []string{"b"}, nil},
		{"all zero means unweighted", []participant{p("a", 1, 0), p("b", 1, 0)}, []string{"a", "b"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cands, fbs := deriveExperimentation(tc.parts)
			var names []string
			for _, c := range cands {
				names = append(names, c.name)
			}
			if diff := cmp.Diff(tc.cands, names); diff != "" {
				t.Errorf("candidates (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.fallbacks, fbs); diff != "" {
				t.Errorf("fallbacks (-want +got):\n%s", diff)
			}
		})
	}
}
