package registry

// ProviderType is the kind of API a provider speaks.
type ProviderType string

// The provider types of model_providers.type.
const (
	ProviderOpenAICompatible ProviderType = "openai_compatible"
	ProviderAnthropic        ProviderType = "anthropic"
	ProviderOllama           ProviderType = "ollama"
	ProviderVLLM             ProviderType = "vllm"
	ProviderCustom           ProviderType = "custom"
)

// ProviderTypes lists every allowed ProviderType.
var ProviderTypes = []ProviderType{ProviderOpenAICompatible, ProviderAnthropic, ProviderOllama, ProviderVLLM, ProviderCustom}

// Valid reports whether t is one of ProviderTypes.
func (t ProviderType) Valid() bool { return oneOf(t, ProviderTypes) }

// ModelType is what a model does.
type ModelType string

// The model types of models.model_type.
const (
	ModelChat      ModelType = "chat"
	ModelEmbedding ModelType = "embedding"
	ModelReranker  ModelType = "reranker"
	ModelVL        ModelType = "vl"
	ModelTTS       ModelType = "tts"
	ModelAudio     ModelType = "audio"
	ModelImage     ModelType = "image"
)

// ModelTypes lists every allowed ModelType.
var ModelTypes = []ModelType{ModelChat, ModelEmbedding, ModelReranker, ModelVL, ModelTTS, ModelAudio, ModelImage}

// Valid reports whether t is one of ModelTypes.
func (t ModelType) Valid() bool { return oneOf(t, ModelTypes) }

// DeploymentProvider is the serving runtime of a deployment on a GPU node.
type DeploymentProvider string

// The runtimes of model_deployments.provider_type.
const (
	DeployOllama DeploymentProvider = "ollama"
	DeployVLLM   DeploymentProvider = "vllm"
	DeployTTS    DeploymentProvider = "tts"
	DeployCustom DeploymentProvider = "custom"
)

// DeploymentProviders lists every allowed DeploymentProvider.
var DeploymentProviders = []DeploymentProvider{DeployOllama, DeployVLLM, DeployTTS, DeployCustom}

// Valid reports whether p is one of DeploymentProviders.
func (p DeploymentProvider) Valid() bool { return oneOf(p, DeploymentProviders) }

// DeploymentStatus is the state of a model on a node.
type DeploymentStatus string

// The states of model_deployments.status.
const (
	StatusLoading  DeploymentStatus = "loading"
	StatusLoaded   DeploymentStatus = "loaded"
	StatusUnloaded DeploymentStatus = "unloaded"
	StatusError    DeploymentStatus = "error"
)

// DeploymentStatuses lists every allowed DeploymentStatus.
var DeploymentStatuses = []DeploymentStatus{StatusLoading, StatusLoaded, StatusUnloaded, StatusError}

// Valid reports whether s is one of DeploymentStatuses.
func (s DeploymentStatus) Valid() bool { return oneOf(s, DeploymentStatuses) }

// Active reports whether the status counts as deployed (loading or loaded).
func (s DeploymentStatus) Active() bool { return s == StatusLoading || s == StatusLoaded }

func oneOf[T comparable](v T, allowed []T) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

func list[T ~string](vs []T) string {
	s := ""
	for i, v := range vs {
		if i > 0 {
			s += ", "
		}
		s += string(v)
	}
	return s
}
