package tomlgen

import (
	"bytes"
	"encoding/json"
	"flag"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "update .golden files")

// golden compares got with testdata/<name>, or writes it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", p, diff)
	}
}

func TestRenderGolden(t *testing.T) {
	c := smallCatalog()
	out, fs := renderString(t, c)
	golden(t, "render/small.toml.golden", []byte(out))
	golden(t, "render/small.findings.golden", []byte(findingLines(fs)))
	fns, err := json.MarshalIndent(Functions(c), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "render/small.functions.json.golden", append(fns, '\n'))

	// The golden output is itself a fixed point: importing and rendering it
	// gives the same document.
	plan, err := Import([]byte(out))
	if err != nil {
		t.Fatalf("Import(rendered): %v", err)
	}
	c2, err := plan.Catalog(planIDs(plan))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := renderString(t, throughJSONB(t, c2))
	if diff := cmp.Diff(mustParse(t, out), mustParse(t, again)); diff != "" {
		t.Errorf("render(import(render(c))) differs (-want +got):\n%s", diff)
	}
}

func mustParse(t testing.TB, doc string) map[string]any {
	t.Helper()
	m, err := parseDoc([]byte(doc))
	if err != nil {
		t.Fatalf("rendered document does not parse: %v\n%s", err, doc)
	}
	return m
}

// TestRenderDeterministic renders the same data twice and in shuffled order.
func TestRenderDeterministic(t *testing.T) {
	for name, c := range map[string]Catalog{"small": smallCatalog(), "realistic": realisticCatalog()} {
		t.Run(name, func(t *testing.T) {
			first, fs1 := renderString(t, c)
			r := rand.New(rand.NewSource(1))
			for i := 0; i < 20; i++ {
				s := Catalog{Passthrough: c.Passthrough}
				s.Providers = append(s.Providers, c.Providers...)
				s.Models = append(s.Models, c.Models...)
				s.Mappings = append(s.Mappings, c.Mappings...)
				r.Shuffle(len(s.Providers), func(i, j int) { s.Providers[i], s.Providers[j] = s.Providers[j], s.Providers[i] })
				r.Shuffle(len(s.Models), func(i, j int) { s.Models[i], s.Models[j] = s.Models[j], s.Models[i] })
				r.Shuffle(len(s.Mappings), func(i, j int) { s.Mappings[i], s.Mappings[j] = s.Mappings[j], s.Mappings[i] })
				got, fs2 := renderString(t, throughJSONB(t, s))
				if got != first {
					t.Fatalf("render %d differs:\n%s", i, cmp.Diff(first, got))
				}
				if diff := cmp.Diff(fs1, fs2); diff != "" {
					t.Fatalf("findings %d differ:\n%s", i, diff)
				}
			}
		})
	}
}

// TestRenderRealistic renders a seed-sized catalogue: the output lints with
// no error, and what is left out is reported.
func TestRenderRealistic(t *testing.T) {
	out, fs := renderString(t, realisticCatalog())
	lint, err := Lint([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if HasErrors(lint) {
		t.Errorf("rendered catalogue has lint errors:\n%s\n%s", findingLines(lint), out)
	}
	golden(t, "render/realistic.findings.golden", []byte(findingLines(fs)))
	golden(t, "render/realistic.lint.golden", []byte(findingLines(lint)))
	doc := mustParse(t, out)
	models := doc["models"].(map[string]any)
	if got := len(models); got != 22 {
		t.Errorf("%d chat models, want 22", got)
	}
	// One model served by four providers, in stored routing order, then by name.
	routing := models["qwen3_8b"].(map[string]any)["routing"]
	if diff := cmp.Diff([]any{"ollama_edge", "ollama_local", "vllm_gpu"}, routing); diff != "" {
		t.Errorf("qwen3_8b routing (-want +got):\n%s", diff)
	}
	fns := doc["functions"].(map[string]any)
	exp := fns["agent_zero"].(map[string]any)["experimentation"]
	want := map[string]any{
		"type":               "static",
		"candidate_variants": map[string]any{"local_mistral7b": 40.0, "local_qwen14b": 60.0},
		"fallback_variants":  []any{"local_qwen14b__fallback", "edge_mistral7b", "hosted_claude", "hosted_openai", "hosted_openai__fallback"},
	}
	if diff := cmp.Diff(want, exp); diff != "" {
		t.Errorf("agent_zero experimentation (-want +got):\n%s", diff)
	}
	ee := fns["extract_entities"].(map[string]any)
	if ee["type"] != "json" {
		t.Errorf("extract_entities type = %v, want json from the pass-through", ee["type"])
	}
	for name, v := range ee["variants"].(map[string]any) {
		if v.(map[string]any)["json_mode"] == nil {
			t.Errorf("extract_entities variant %s has no json_mode", name)
		}
	}
}

// TestRenderEmpty renders an empty catalogue: a valid, empty configuration.
func TestRenderEmpty(t *testing.T) {
	out, fs := renderString(t, Catalog{})
	if len(fs) != 0 || len(mustParse(t, out)) != 0 {
		t.Errorf("empty catalogue: findings %v, output %q", fs, out)
	}
}

// TestRenderNoCredentials checks that no key value reaches the output.
func TestRenderNoCredentials(t *testing.T) {
	c := realisticCatalog()
	out, _ := renderString(t, c)
	if bytes.Contains([]byte(out), []byte("sk-")) {
		t.Error("output contains something like a key")
	}
	for _, p := range c.Providers {
		if p.APIKeyEnvVar != nil && !bytes.Contains([]byte(out), []byte(`"env::`+*p.APIKeyEnvVar+`"`)) && p.Name != "tts_server" {
			t.Errorf("provider %s: env::%s not rendered", p.Name, *p.APIKeyEnvVar)
		}
	}
}
