package tomlgen

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestImportRoundTrip checks render(import(F)) == F as parsed TOML for every
// fixture, with the plan sent through JSON and jsonb on the way.
func TestImportRoundTrip(t *testing.T) {
	extra, _ := filepath.Glob(filepath.Join("testdata", "roundtrip", "*.toml"))
	for _, name := range append(fixtures(t), extra...) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			doc := mustRead(t, name)
			plan, err := Import(doc)
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			var stored Plan
			roundTrip(t, plan, &stored)
			c, err := stored.Catalog(planIDs(&stored))
			if err != nil {
				t.Fatal(err)
			}
			out, fs := renderString(t, throughJSONB(t, c))
			if len(fs) > 0 {
				t.Errorf("Render findings:\n%s", findingLines(fs))
			}
			want, err := parseDoc(doc)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseDoc([]byte(out))
			if err != nil {
				t.Fatalf("rendered document does not parse: %v\n%s", err, out)
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateNaNs()); diff != "" {
				t.Errorf("render(import(F)) differs from F (-want +got):\n%s", diff)
			}
		})
	}
}

// TestImportRowsValid checks every imported row against the registry's rules
// and the uniqueness the database enforces.
func TestImportRowsValid(t *testing.T) {
	for _, name := range fixtures(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			plan, err := Import(mustRead(t, name))
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			names := map[string]bool{}
			for _, p := range plan.Providers {
				if err := p.Validate(); err != nil {
					t.Errorf("provider %s: %v", p.Name, err)
				}
				if names[p.Name] {
					t.Errorf("provider %s twice", p.Name)
				}
				names[p.Name] = true
			}
			keys := map[ModelKey]bool{}
			for _, m := range plan.Models {
				in := m.Input
				in.ProviderID = fakeUUID
				if err := in.Validate(); err != nil {
					t.Errorf("model %s: %v", in.Name, err)
				}
				if keys[m.Key()] {
					t.Errorf("model key %v twice", m.Key())
				}
				keys[m.Key()] = true
				if !names[m.Provider] {
					t.Errorf("model %s: unknown provider %s", in.Name, m.Provider)
				}
			}
			for _, m := range plan.Mappings {
				in := m.Input
				in.ModelID = fakeUUID
				if err := in.Validate(); err != nil {
					t.Errorf("mapping %v: %v", in.Key(), err)
				}
				if !keys[m.Model] {
					t.Errorf("mapping %v: unknown model %v", in.Key(), m.Model)
				}
			}
			for k, v := range plan.Passthrough {
				if !json.Valid(v) {
					t.Errorf("pass-through %s: not JSON", k)
				}
			}
		})
	}
}

func TestImportErrors(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"not TOML", "[models\n", "not TOML"},
		{"models not a table", "models = 1\n", "models: is a integer"},
		{"no providers", "[models.m]\nrouting = [\"p\"]\n", "has no providers"},
		{"no routing", "[models.m.providers.p]\ntype = \"openai\"\nmodel_name = \"x\"\n", "has no routing"},
		{"provider without type", "[models.m]\nrouting = [\"p\"]\n[models.m.providers.p]\nmodel_name = \"x\"\n", "has no string type"},
		{"reserved model name", "[models.\"tensorzero::m\"]\nrouting = [\"p\"]\n[models.\"tensorzero::m\".providers.p]\ntype = \"openai\"\nmodel_name = \"x\"\n", "cannot hold this model name"},
		{"control character", "[models.\"a\\u0001\"]\nrouting = [\"p\"]\n[models.\"a\\u0001\".providers.p]\ntype = \"openai\"\nmodel_name = \"x\"\n", "cannot hold this model name"},
		{"bad provider name", "[models.m]\nrouting = [\" p\"]\n[models.m.providers.\" p\"]\ntype = \"openai\"\nmodel_name = \"x\"\n", "cannot hold this provider name"},
		{"functions not a table", "functions = []\n", "functions: is a array"},
		{"variants not a table", "[functions.f]\ntype = \"chat\"\nvariants = 3\n", "functions.f.variants: is a integer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Import([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Import error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestImportDeterministic imports the same file twice: the plans are equal.
func TestImportDeterministic(t *testing.T) {
	for _, name := range fixtures(t) {
		a, err := Import(mustRead(t, name))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Import(mustRead(t, name))
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Errorf("%s: two imports differ", name)
		}
	}
}

// TestImportPMOVES checks how the PMOVES configuration lands in the registry.
func TestImportPMOVES(t *testing.T) {
	plan, err := Import(mustRead(t, filepath.Join("testdata", "fixtures", "pmoves-4d409f35.toml")))
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	for _, p := range plan.Providers {
		types[p.Name] = string(p.Type)
	}
	want := map[string]string{"ollama_local": "ollama", "ollama_edge": "ollama", "ollama_local_embedding": "ollama",
		"openai_platform": "openai_compatible", "cloudflare_workers": "openai_compatible", "together_embed_primary": "openai_compatible"}
	for name, typ := range want {
		if types[name] != typ {
			t.Errorf("provider %s is %q, want %q", name, types[name], typ)
		}
	}
	if len(plan.Providers) != 14 || len(plan.Models) != 29 || len(plan.Mappings) != 50 {
		t.Errorf("%d providers, %d models, %d mappings; want 14, 29, 50", len(plan.Providers), len(plan.Models), len(plan.Mappings))
	}
	for _, m := range plan.Models {
		if m.Input.Metadata != nil && string(m.Input.Metadata) != `{"tensorzero":{"routing":0}}` {
			t.Errorf("model %s carries pass-through %s; PMOVES needs none", m.Input.Name, m.Input.Metadata)
		}
	}
	for _, m := range plan.Mappings {
		if m.Input.ServiceName != m.Input.FunctionName || m.Input.Params != nil {
			t.Errorf("mapping %v: params %s", m.Input.Key(), m.Input.Params)
		}
	}
}

// TestTOML11 checks that TOML 1.1 documents parse without the
// BURNTSUSHI_TOML_110 variable older BurntSushi/toml releases needed (v1.6.0
// parses 1.1 by default). No fixture needs it: all are TOML 1.0.
func TestTOML11(t *testing.T) {
	t.Setenv("BURNTSUSHI_TOML_110", "")
	doc := "[models.m]\nrouting = [\"p\"]\nproviders = {\n  p = { type = \"openai\", model_name = \"x\", },\n}\n"
	fs, err := Lint([]byte(doc))
	if err != nil || len(fs) != 0 {
		t.Fatalf("Lint: %v %v", fs, err)
	}
	if _, err := Import([]byte(doc)); err != nil {
		t.Fatalf("Import: %v", err)
	}
}
