package tomlgen

import (
	"strings"

	"github.com/pmoves/model-registry/registry"
)

// providerSpec describes one TensorZero provider type (RULES.md §2): the keys
// it requires and accepts, and which of them carry the registry's fields.
type providerSpec struct {
	idKey    string   // key that carries the registry model_id; "" when the type has none (tgi)
	urlKey   string   // key that carries the provider's api_base; "" when none
	credKey  string   // credential key; "" when the type has none (the AWS types)
	required []string // keys the gateway requires, besides type
	optional []string // other keys the gateway accepts for this type
	// embedRequired/embedOptional are the keys of the type under
	// [embedding_models]; embedding is false for types that cannot embed.
	embedding     bool
	embedRequired []string
	embedOptional []string
	shorthand     bool // "<type>::model" is a valid model name
	testOnly      bool // compiled into test builds of the gateway only
}

// providerCommonKeys are accepted by every provider type under [models].
var providerCommonKeys = []string{"type", "extra_body", "extra_headers", "timeouts", "discard_unknown_chunks", "cost", "batch_cost"}

// embeddingCommonKeys are accepted by every provider type under [embedding_models].
var embeddingCommonKeys = []string{"type", "timeout_ms", "extra_body", "extra_headers", "cost"}

func nameOnly(credKey string, shorthand bool, extra ...string) providerSpec {
	return providerSpec{idKey: "model_name", credKey: credKey, required: []string{"model_name"},
		optional: append([]string{credKey}, extra...), shorthand: shorthand}
}

// providerSpecs lists every provider type of the gateway at release 2026.4.1.
var providerSpecs = map[string]providerSpec{
	"openai": {idKey: "model_name", urlKey: "api_base", credKey: "api_key_location",
		required:  []string{"model_name"},
		optional:  []string{"api_base", "api_key_location", "api_type", "include_encrypted_reasoning", "provider_tools", "content_type_overrides"},
		embedding: true, embedRequired: []string{"model_name"}, embedOptional: []string{"api_base", "api_key_location"},
		shorthand: true},
	"anthropic": {idKey: "model_name", urlKey: "api_base", credKey: "api_key_location",
		required:  []string{"model_name"},
		optional:  []string{"api_base", "api_key_location", "beta_structured_outputs", "provider_tools"},
		shorthand: true},
	"azure": {idKey: "deployment_id", urlKey: "endpoint", credKey: "api_key_location",
		required: []string{"deployment_id", "endpoint"}, optional: []string{"api_key_location"},
		embedding: true, embedRequired: []string{"deployment_id", "endpoint"}, embedOptional: []string{"api_key_location"}},
	"aws_bedrock": {idKey: "model_id", urlKey: "endpoint_url",
		required: []string{"model_id", "region"},
		optional: []string{"endpoint_url", "api_key", "access_key_id", "secret_access_key", "session_token", "allow_auto_detect_region"}},
	"aws_sagemaker": {idKey: "model_name", urlKey: "endpoint_url",
		required: []string{"endpoint_name", "model_name", "hosted_provider", "region"},
		optional: []string{"endpoint_url", "access_key_id", "secret_access_key", "session_token", "allow_auto_detect_region"}},
	"gcp_vertex_gemini": {idKey: "model_id", credKey: "credential_location",
		required: []string{"location", "project_id"}, optional: []string{"model_id", "endpoint_id", "credential_location"},
		shorthand: true},
	"gcp_vertex_anthropic": {idKey: "model_id", credKey: "credential_location",
		required: []string{"model_id", "location", "project_id"}, optional: []string{"credential_location", "provider_tools"},
		shorthand: true},
	"google_ai_studio_gemini": nameOnly("api_key_location", true),
	"groq":                    nameOnly("api_key_location", true, "reasoning_format"),
	"mistral":                 nameOnly("api_key_location", true, "prompt_mode"),
	"fireworks":               nameOnly("api_key_location", true, "parse_think_blocks"),
	"together":                nameOnly("api_key_location", true, "parse_think_blocks"),
	"deepseek":                nameOnly("api_key_location", true),
	"hyperbolic":              nameOnly("api_key_location", true),
	"xai":                     nameOnly("api_key_location", true),
	"openrouter": {idKey: "model_name", credKey: "api_key_location",
		required: []string{"model_name"}, optional: []string{"api_key_location"},
		embedding: true, embedRequired: []string{"model_name"}, embedOptional: []string{"api_key_location"},
		shorthand: true},
	"vllm": {idKey: "model_name", urlKey: "api_base", credKey: "api_key_location",
		required: []string{"model_name", "api_base"}, optional: []string{"api_key_location"}},
	"sglang": {idKey: "model_name", urlKey: "api_base", credKey: "api_key_location",
		required: []string{"model_name", "api_base"}, optional: []string{"api_key_location"}},
	"tgi": {urlKey: "api_base", credKey: "api_key_location",
		required: []string{"api_base"}, optional: []string{"api_key_location"}},
	"dummy": {idKey: "model_name", credKey: "api_key_location",
		required: []string{"model_name"}, optional: []string{"api_key_location"},
		embedding: true, embedRequired: []string{"model_name"}, embedOptional: []string{"api_key_location"},
		testOnly: true},
}

// specFor returns the spec of a gateway provider type. Unknown types get the
// shape most types share (model_name, api_base, api_key_location), so that an
// importer keeps them and the lint reports them.
func specFor(gwType string) (providerSpec, bool) {
	s, ok := providerSpecs[gwType]
	if !ok {
		return providerSpec{idKey: "model_name", urlKey: "api_base", credKey: "api_key_location"}, false
	}
	return s, true
}

// accepts reports whether a provider block of this type takes key k.
func (s providerSpec) accepts(k string, embedding bool) bool {
	common, required, optional := providerCommonKeys, s.required, s.optional
	if embedding {
		common, required, optional = embeddingCommonKeys, s.embedRequired, s.embedOptional
	}
	for _, list := range [][]string{common, required, optional} {
		for _, a := range list {
			if a == k {
				return true
			}
		}
	}
	return false
}

// reservedPrefix returns the reserved prefix a model name starts with,
// "tensorzero::" or "<provider type>::", or "". Type names have no colon, so
// only the text before the first "::" can be one.
func reservedPrefix(name string) string {
	typ, _, ok := strings.Cut(name, "::")
	if !ok {
		return ""
	}
	if _, known := providerSpecs[typ]; known || typ == "tensorzero" {
		return name[:len(typ)+len("::")]
	}
	return ""
}

// shorthandOK reports whether name is a valid "<type>::<model>" shorthand
// for a chat model (embedding false) or an embedding model (embedding true)
// in a release build of the gateway.
func shorthandOK(name string, embedding bool) bool {
	typ, rest, ok := strings.Cut(name, "::")
	if !ok || rest == "" {
		return false
	}
	if embedding {
		return typ == "openai" || typ == "openrouter"
	}
	s, known := providerSpecs[typ]
	return known && s.shorthand
}

// gatewayType returns the TensorZero provider type of a registry provider's
// models, or "" for a custom provider that stores none. The gateway's vllm
// type cannot embed, so embedding models of a vllm provider use the openai
// type, which vLLM's OpenAI-compatible API serves.
func gatewayType(t registry.ProviderType, meta ProviderMeta, embedding bool) string {
	switch t {
	case registry.ProviderOllama, registry.ProviderOpenAICompatible:
		return "openai"
	case registry.ProviderAnthropic:
		return "anthropic"
	case registry.ProviderVLLM:
		if embedding {
			return "openai"
		}
		return "vllm"
	case registry.ProviderCustom:
		return meta.Type
	}
	return ""
}
