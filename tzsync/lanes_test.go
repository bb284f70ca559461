package tzsync

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pmoves/model-registry/registry"
)

func ptr[T any](v T) *T { return &v }

func item(id, modelID, alias string, ctx *string, pname string, ptype registry.ProviderType, base, key *string) registry.Model {
	return registry.Model{ID: id, ModelID: modelID, ModelType: registry.ModelChat, ProviderID: "p-" + pname,
		ProviderName: pname, ProviderType: ptype, APIBase: base, APIKeyEnvVar: key, Active: true,
		Aliases: registry.AliasRefs{{Alias: alias, Context: ctx}, {Alias: "friendly-" + id}}}
}

// TestRenderLanes renders registry_ aliases with tomlgen's provider rules:
// Ollama gets /v1 and no key, a hosted API its env:: key, one alias on two
// providers a routing, one model aliased in two contexts one block; other
// aliases and models that cannot be lanes are left out, with findings.
func TestRenderLanes(t *testing.T) {
	ollama := ptr("http://pmoves-ollama:11434")
	worker := ptr("worker")
	embed := item("m5", "nomic-embed", "registry_embed", nil, "ollama_local", registry.ProviderOllama, ollama, nil)
	embed.ModelType = registry.ModelEmbedding
	custom := item("m6", "llama-3", "registry_custom", nil, "groq", registry.ProviderCustom, nil, ptr("GROQ_API_KEY"))
	models := []registry.Model{
		item("m1", "qwen3:8b", "registry_worker_qwen", worker, "ollama_local", registry.ProviderOllama, ollama, nil),
		item("m2", "claude-sonnet-4-5", "registry_worker_claude", nil, "anthropic", registry.ProviderAnthropic, nil, ptr("ANTHROPIC_API_KEY")),
		item("m3", "Qwen/Qwen3-8B", "registry_worker_qwen", nil, "vllm_gpu", registry.ProviderVLLM, ptr("http://vllm:8000/v1"), nil),
		embed, custom,
	}
	// The same model under one alias in a second context.
	models[0].Aliases = append(models[0].Aliases, registry.AliasRef{Alias: "registry_worker_qwen", Context: ptr("ui")})
	lanes, findings := RenderLanes(models)
	var names []string
	doc := ""
	for _, l := range lanes {
		names = append(names, l.Name)
		doc += string(l.TOML)
	}
	if diff := cmp.Diff([]string{"registry_worker_claude", "registry_worker_qwen"}, names); diff != "" {
		t.Fatalf("lanes (-want +got):\n%s", diff)
	}
	want := `[models.registry_worker_claude]
routing = ["anthropic"]

[models.registry_worker_claude.providers.anthropic]
api_key_location = "env::ANTHROPIC_API_KEY"
model_name = "claude-sonnet-4-5"
type = "anthropic"
[models.registry_worker_qwen]
routing = ["ollama_local", "vllm_gpu"]

[models.registry_worker_qwen.providers.ollama_local]
api_base = "http://pmoves-ollama:11434/v1"
api_key_location = "none"
model_name = "qwen3:8b"
type = "openai"

[models.registry_worker_qwen.providers.vllm_gpu]
api_base = "http://vllm:8000/v1"
api_key_location = "none"
model_name = "Qwen/Qwen3-8B"
type = "vllm"
`
	if diff := cmp.Diff(want, doc); diff != "" {
		t.Errorf("lanes (-want +got):\n%s", diff)
	}
	if err := Check([]byte(doc)); err != nil {
		t.Errorf("lanes fail the lint: %v", err)
	}
	var msgs []string
	for _, f := range findings {
		msgs = append(msgs, f.String())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"models.registry_embed: left out model \"nomic-embed\": model type embedding cannot", "models.registry_custom"} {
		if !strings.Contains(all, want) {
			t.Errorf("findings lack %q:\n%s", want, all)
		}
	}
}
