package tomlgen

import (
	"encoding/json"
	"fmt"

	"github.com/pmoves/model-registry/registry"
)

func ptr[T any](v T) *T { return &v }

// catalogBuilder builds catalogues for tests with deterministic ids.
type catalogBuilder struct {
	c         Catalog
	providers map[string]string // name -> id
	models    map[string]string // "provider/model_id" -> id
}

func newBuilder() *catalogBuilder {
	return &catalogBuilder{c: Catalog{Passthrough: Passthrough{}}, providers: map[string]string{}, models: map[string]string{}}
}

func (b *catalogBuilder) provider(name string, typ registry.ProviderType, base, env string, meta *ProviderMeta) {
	p := registry.Provider{ID: fakeID('p', len(b.c.Providers)), Name: name, Type: typ, Active: true}
	if base != "" {
		p.APIBase = ptr(base)
	}
	if env != "" {
		p.APIKeyEnvVar = ptr(env)
	}
	if meta != nil {
		p.Metadata = encodeMeta(meta)
	}
	b.providers[name] = p.ID
	b.c.Providers = append(b.c.Providers, p)
}

func (b *catalogBuilder) model(provider, name, modelID string, typ registry.ModelType, meta *ModelMeta) string {
	m := registry.Model{ID: fakeID('m', len(b.c.Models)), ProviderID: b.providers[provider], Name: name, ModelID: modelID,
		ModelType: typ, Active: true}
	if meta != nil {
		m.Metadata = encodeMeta(meta)
	}
	b.models[provider+"/"+modelID] = m.ID
	b.c.Models = append(b.c.Models, m)
	return m.ID
}

// mapping adds a mapping to the model provider/modelID; fallback is
// "provider/model_id" or "".
func (b *catalogBuilder) mapping(service, fn, variant, model string, priority int, weight float64, fallback string) {
	m := registry.Mapping{ID: fakeID('s', len(b.c.Mappings)), ServiceName: service, FunctionName: fn, VariantName: variant,
		ModelID: b.models[model], Priority: priority, Weight: weight}
	if m.ModelID == "" {
		panic("unknown model " + model)
	}
	if fallback != "" {
		m.FallbackModelID = ptr(b.models[fallback])
	}
	b.c.Mappings = append(b.c.Mappings, m)
}

func (b *catalogBuilder) section(name, doc string) {
	raw, _ := json.Marshal(SectionEntry{TOML: doc})
	b.c.Passthrough[SectionPrefix+name] = raw
}

func (b *catalogBuilder) function(name string, e FunctionEntry) {
	raw, _ := json.Marshal(e)
	b.c.Passthrough[FunctionPrefix+name] = raw
}

// smallCatalog is the catalogue of the render golden file.
func smallCatalog() Catalog {
	b := newBuilder()
	b.provider("ollama_local", registry.ProviderOllama, "http://pmoves-ollama:11434", "", nil)
	b.provider("openai", registry.ProviderOpenAICompatible, "https://api.openai.com/v1", "OPENAI_API_KEY", nil)
	b.provider("anthropic", registry.ProviderAnthropic, "", "ANTHROPIC_API_KEY", nil)
	b.provider("vllm_gpu", registry.ProviderVLLM, "http://gpu-node:8000/v1", "", nil)
	b.provider("bedrock", registry.ProviderCustom, "", "", &ProviderMeta{Type: "aws_bedrock", TOML: "region = \"us-east-1\"\n"})
	b.provider("tts", registry.ProviderCustom, "http://tts:5002", "", nil)
	b.model("ollama_local", "qwen3_8b", "qwen3:8b", registry.ModelChat, nil)
	b.model("vllm_gpu", "qwen3_8b", "Qwen/Qwen3-8B", registry.ModelChat, &ModelMeta{Routing: ptr(0)})
	b.model("openai", "gpt-4.1-mini", "gpt-4.1-mini", registry.ModelChat, &ModelMeta{TOML: "[[extra_body]]\npointer = \"/seed\"\nvalue = 7\n"})
	b.model("anthropic", "claude-haiku", "claude-haiku-4-5", registry.ModelChat, nil)
	b.model("bedrock", "claude-haiku", "us.anthropic.claude-haiku-4-5-20251001-v1:0", registry.ModelChat, nil)
	b.model("ollama_local", "qwen2_vl", "qwen2-vl:7b", registry.ModelVL, nil)
	b.model("ollama_local", "nomic_embed", "nomic-embed-text", registry.ModelEmbedding, nil)
	b.model("openai", "text-embedding-3-small", "text-embedding-3-small", registry.ModelEmbedding, nil)
	b.model("ollama_local", "qwen3_reranker", "qwen3-reranker:4b", registry.ModelReranker, nil)
	b.model("tts", "kokoro", "kokoro-v1", registry.ModelTTS, nil)
	b.mapping("agent_zero", "agent_zero", "local", "ollama_local/qwen3:8b", 1, 70, "openai/gpt-4.1-mini")
	b.mapping("agent_zero", "agent_zero", "claude", "anthropic/claude-haiku-4-5", 1, 30, "")
	b.mapping("agent_zero", "agent_zero", "hosted", "openai/gpt-4.1-mini", 2, 1, "")
	b.mapping("hirag", "hirag_rerank", "reranker", "ollama_local/qwen3-reranker:4b", 1, 1, "")
	b.mapping("hirag", "hirag_rerank", "fallback", "ollama_local/qwen3:8b", 2, 1, "")
	b.mapping("extract", "extract_entities", "gpt-4.1-mini", "openai/gpt-4.1-mini", 1, 1, "")
	b.mapping("extract", "extract_entities", "local", "ollama_local/qwen3:8b", 1, 1, "")
	b.function("extract_entities", FunctionEntry{TOML: "type = \"json\"\noutput_schema = \"functions/extract_entities/output_schema.json\"\n"})
	b.section("gateway", "[gateway]\nobservability.enabled = true\n")
	b.section("metrics", "[metrics.task_success]\ntype = \"boolean\"\noptimize = \"max\"\nlevel = \"inference\"\n")
	return b.c
}

// realisticCatalog is a catalogue like the seed: 13 providers of every type,
// 52 models of every type and 40 mappings with priorities, weights and
// fallback models.
func realisticCatalog() Catalog {
	b := newBuilder()
	b.provider("ollama_local", registry.ProviderOllama, "http://pmoves-ollama:11434", "", nil)
	b.provider("ollama_edge", registry.ProviderOllama, "http://jetson-ollama:11434/v1", "", nil)
	b.provider("openai", registry.ProviderOpenAICompatible, "https://api.openai.com/v1", "OPENAI_API_KEY", nil)
	b.provider("openrouter", registry.ProviderOpenAICompatible, "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", nil)
	b.provider("together", registry.ProviderOpenAICompatible, "https://api.together.xyz", "TOGETHER_API_KEY", nil)
	b.provider("groq", registry.ProviderOpenAICompatible, "https://api.groq.com/openai/v1", "GROQ_API_KEY", nil)
	b.provider("anthropic", registry.ProviderAnthropic, "", "ANTHROPIC_API_KEY", nil)
	b.provider("vllm_gpu", registry.ProviderVLLM, "http://gpu-node:8000/v1", "", nil)
	b.provider("tts_server", registry.ProviderCustom, "http://tts:5002", "", nil)
	b.provider("azure", registry.ProviderCustom, "https://pmoves.openai.azure.com", "AZURE_API_KEY", &ProviderMeta{Type: "azure"})
	b.provider("bedrock", registry.ProviderCustom, "", "", &ProviderMeta{Type: "aws_bedrock", TOML: "region = \"us-east-1\"\n"})
	b.provider("mistral", registry.ProviderCustom, "", "MISTRAL_API_KEY", &ProviderMeta{Type: "mistral"})
	b.provider("vertex", registry.ProviderCustom, "", "", &ProviderMeta{Type: "gcp_vertex_gemini", TOML: "location = \"us-central1\"\nproject_id = \"pmoves\"\n"})
	chat := []struct{ provider, name, id string }{
		{"ollama_local", "qwen3_8b", "qwen3:8b"}, {"ollama_local", "qwen2_5_14b", "qwen2.5:14b"}, {"ollama_local", "qwen2_5_32b", "qwen2.5:32b"},
		{"ollama_local", "mistral7b", "mistral:7b-instruct"}, {"ollama_local", "phi3_mini", "phi3:3.8b-mini-128k-instruct"},
		{"ollama_local", "nemotron_mini", "nemotron-mini"}, {"ollama_local", "llama3_1", "llama3.1"},
		{"ollama_edge", "mistral7b", "mistral:7b-instruct"}, {"ollama_edge", "phi3_mini", "phi3:3.8b-mini-128k-instruct"},
		{"ollama_edge", "qwen3_8b", "qwen3:8b"},
		{"openai", "gpt-4o-mini", "gpt-4o-mini"}, {"openai", "gpt-4.1", "gpt-4.1"}, {"openai", "o4-mini", "o4-mini"},
		{"openrouter", "gpt-4o-mini", "openai/gpt-4o-mini"}, {"openrouter", "claude-sonnet", "anthropic/claude-sonnet-4.5"},
		{"openrouter", "deepseek-r1", "deepseek/deepseek-r1"},
		{"together", "llama3_3_70b", "meta-llama/Llama-3.3-70B-Instruct-Turbo"}, {"together", "qwen2_5_32b", "Qwen/Qwen2.5-32B-Instruct"},
		{"groq", "llama3_1_8b", "llama-3.1-8b-instant"}, {"groq", "llama3_3_70b", "llama-3.3-70b-versatile"},
		{"anthropic", "claude-haiku", "claude-haiku-4-5"}, {"anthropic", "claude-sonnet", "claude-sonnet-4-5"},
		{"vllm_gpu", "qwen3_8b", "Qwen/Qwen3-8B"}, {"vllm_gpu", "gpt-oss-20b", "openai/gpt-oss-20b"},
		{"azure", "gpt-4o-mini", "gpt-4o-mini-deployment"}, {"bedrock", "claude-haiku", "us.anthropic.claude-haiku-4-5-20251001-v1:0"},
		{"bedrock", "nova-lite", "us.amazon.nova-lite-v1:0"}, {"mistral", "mistral-small", "mistral-small-latest"},
		{"vertex", "gemini-2.5-flash", "gemini-2.5-flash"}, {"tts_server", "orpheus-chat", "orpheus-3b"},
	}
	for i, m := range chat {
		var meta *ModelMeta
		if i%7 == 3 {
			meta = &ModelMeta{Routing: ptr(i % 2)}
		}
		b.model(m.provider, m.name, m.id, registry.ModelChat, meta)
	}
	b.model("ollama_local", "qwen2_vl_7b", "qwen2-vl:7b", registry.ModelVL, nil)
	b.model("openai", "gpt-4o-vision", "gpt-4o", registry.ModelVL, &ModelMeta{TOML: "api_type = \"responses\"\n"})
	b.model("vllm_gpu", "qwen2_5_vl_7b", "Qwen/Qwen2.5-VL-7B-Instruct", registry.ModelVL, nil)
	for _, m := range []struct{ provider, name, id string }{
		{"ollama_local", "qwen3_embedding_4b", "qwen3-embedding:4b"}, {"ollama_local", "nomic_embed", "nomic-embed-text"},
		{"ollama_edge", "nomic_embed", "nomic-embed-text"}, {"openai", "text-embedding-3-small", "text-embedding-3-small"},
		{"openai", "text-embedding-3-large", "text-embedding-3-large"}, {"together", "bge_large", "BAAI/bge-large-en-v1.5"},
		{"azure", "text-embedding-3-small", "text-embedding-3-small"}, {"anthropic", "claude-embed", "no-such-embedding"},
		{"vllm_gpu", "e5-large", "intfloat/e5-large-v2"},
	} {
		b.model(m.provider, m.name, m.id, registry.ModelEmbedding, nil)
	}
	b.model("ollama_local", "qwen3_reranker_4b", "qwen3-reranker:4b", registry.ModelReranker, nil)
	b.model("vllm_gpu", "bge_reranker", "BAAI/bge-reranker-v2-m3", registry.ModelReranker, nil)
	b.model("tts_server", "kokoro", "kokoro-v1", registry.ModelTTS, nil)
	b.model("tts_server", "xtts", "xtts-v2", registry.ModelTTS, nil)
	b.model("ollama_local", "whisper", "whisper-large-v3", registry.ModelAudio, nil)
	b.model("tts_server", "parakeet", "parakeet-tdt", registry.ModelAudio, nil)
	b.model("vllm_gpu", "flux", "black-forest-labs/FLUX.1-schnell", registry.ModelImage, nil)
	b.model("openai", "gpt-image-1", "gpt-image-1", registry.ModelImage, nil)
	b.model("ollama_local", "old_model", "old:1b", registry.ModelChat, nil)
	b.c.Models[len(b.c.Models)-1].Active = false

	type mp struct {
		fn, variant, model string
		priority           int
		weight             float64
		fallback           string
	}
	services := map[string][]mp{
		"agent_zero": {
			{"agent_zero", "local_qwen14b", "ollama_local/qwen2.5:14b", 1, 60, "ollama_edge/qwen3:8b"},
			{"agent_zero", "local_mistral7b", "ollama_local/mistral:7b-instruct", 1, 40, ""},
			{"agent_zero", "edge_mistral7b", "ollama_edge/mistral:7b-instruct", 2, 1, ""},
			{"agent_zero", "hosted_openai", "openai/gpt-4o-mini", 3, 1, "openrouter/openai/gpt-4o-mini"},
			{"agent_zero", "hosted_claude", "anthropic/claude-haiku-4-5", 3, 1, ""},
			{"agent_zero_subordinate", "local_qwen14b", "ollama_local/qwen2.5:14b", 1, 1, ""},
			{"agent_zero_subordinate", "hosted_together", "together/meta-llama/Llama-3.3-70B-Instruct-Turbo", 2, 1, ""},
		},
		"langextract": {
			{"langextract", "local_qwen7b", "ollama_local/qwen3:8b", 1, 1, ""},
			{"langextract", "local_phi3", "ollama_local/phi3:3.8b-mini-128k-instruct", 1, 1, ""},
			{"langextract", "edge_phi3", "ollama_edge/phi3:3.8b-mini-128k-instruct", 2, 1, ""},
			{"langextract", "gpt-4.1", "openai/gpt-4.1", 3, 1, ""},
			{"langextract", "groq", "groq/llama-3.1-8b-instant", 3, 0, ""},
		},
		"hirag": {
			{"hirag_rerank", "local_reranker", "ollama_local/qwen3-reranker:4b", 1, 1, ""},
			{"hirag_rerank", "local_qwen14b", "ollama_local/qwen2.5:14b", 2, 1, ""},
			{"hirag_answer", "vllm", "vllm_gpu/Qwen/Qwen3-8B", 1, 3, "ollama_local/qwen3:8b"},
			{"hirag_answer", "azure", "azure/gpt-4o-mini-deployment", 1, 1, ""},
			{"hirag_vision", "qwen_vl", "ollama_local/qwen2-vl:7b", 1, 1, "openai/gpt-4o"},
		},
		"deepresearch": {
			{"deepresearch", "nemotron_mini", "ollama_local/nemotron-mini", 1, 1, "ollama_local/qwen3:8b"},
			{"deepresearch", "qwen3_8b", "ollama_local/qwen3:8b", 2, 1, ""},
			{"deepresearch", "hosted_openrouter", "openrouter/deepseek/deepseek-r1", 3, 1, ""},
			{"deepresearch", "bedrock", "bedrock/us.amazon.nova-lite-v1:0", 3, 1, ""},
		},
		"archon": {
			{"archon_work_orders", "local_qwen32b", "ollama_local/qwen2.5:32b", 1, 2, ""},
			{"archon_work_orders", "together_qwen32b", "together/Qwen/Qwen2.5-32B-Instruct", 1, 1, ""},
			{"archon_work_orders", "hosted_sonnet", "anthropic/claude-sonnet-4-5", 2, 1, "openrouter/anthropic/claude-sonnet-4.5"},
			{"archon_code_review", "sonnet", "anthropic/claude-sonnet-4-5", 1, 1, ""},
			{"archon_code_review", "o4-mini", "openai/o4-mini", 2, 1, ""},
		},
		"media": {
			{"pmoves_media_processor", "local_qwen14b", "ollama_local/qwen2.5:14b", 1, 1, ""},
			{"pmoves_media_processor", "tts", "tts_server/kokoro-v1", 1, 1, ""},
			{"pmoves_media_processor", "mistral", "mistral/mistral-small-latest", 2, 1, ""},
			{"pmoves_log_analyzer", "local", "ollama_local/llama3.1", 1, 1, ""},
			{"pmoves_log_analyzer", "gemini", "vertex/gemini-2.5-flash", 2, 1, ""},
		},
		"extract": {
			{"extract_entities", "gpt-4o-mini", "openai/gpt-4o-mini", 1, 1, ""},
			{"extract_entities", "local", "ollama_local/qwen3:8b", 1, 1, "openai/gpt-4.1"},
			{"extract_entities", "oss", "vllm_gpu/openai/gpt-oss-20b", 2, 1, ""},
		},
		"chat_ui": {
			{"chat", "default", "ollama_local/llama3.1", 1, 1, ""},
			{"chat", "edge", "ollama_edge/qwen3:8b", 2, 1, ""},
			{"chat", "groq", "groq/llama-3.3-70b-versatile", 2, 1, ""},
			{"chat", "inactive", "ollama_local/old:1b", 1, 1, ""},
			{"chat", "tts_custom", "tts_server/orpheus-3b", 1, 1, ""},
		},
		"ui": {
			{"chat", "default", "openai/gpt-4o-mini", 1, 1, ""},
		},
	}
	for _, svc := range sortedKeys(services) {
		for _, m := range services[svc] {
			b.mapping(svc, m.fn, m.variant, m.model, m.priority, m.weight, m.fallback)
		}
	}
	b.function("extract_entities", FunctionEntry{TOML: "type = \"json\"\noutput_schema = \"functions/extract_entities/output_schema.json\"\n\n[variants.dicl]\ntype = \"experimental_dynamic_in_context_learning\"\nembedding_model = \"text-embedding-3-small\"\nmodel = \"gpt-4o-mini\"\nk = 5\njson_mode = \"strict\"\n",
		Roles: map[string]Role{"dicl": {Priority: 3, Weight: 1}}})
	b.section("gateway", "[gateway]\nobservability.enabled = true\nglobal_outbound_http_timeout_ms = 300000\n")
	b.section("metrics", "[metrics.task_success]\ntype = \"boolean\"\noptimize = \"max\"\nlevel = \"inference\"\n")
	if n := len(b.c.Mappings); n != 40 {
		panic(fmt.Sprintf("realistic catalogue has %d mappings", n))
	}
	return b.c
}
