package registry

import (
	"encoding/json"
	"time"
)

// MaxWeight is the largest experimentation weight a mapping may carry.
const MaxWeight = 1000

// Mapping routes one variant of a service's function to a model. Lower
// Priority is preferred; among mappings of equal priority, Weight splits the
// traffic. The model and provider fields are filled when read from the
// registry's view v_mappings.
type Mapping struct {
	ID              string          `json:"id"`
	ServiceName     string          `json:"service_name"`
	FunctionName    string          `json:"function_name"`
	VariantName     string          `json:"variant_name"`
	ModelID         string          `json:"model_id"`
	Priority        int             `json:"priority"`
	Weight          float64         `json:"weight"`
	FallbackModelID *string         `json:"fallback_model_id"`
	Params          json.RawMessage `json:"params"`
	CreatedAt       time.Time       `json:"created_at"`
	UpdatedAt       time.Time       `json:"updated_at"`

	ModelName         string       `json:"model_name,omitempty"`
	ProviderModelID   string       `json:"provider_model_id,omitempty"`
	ModelType         ModelType    `json:"model_type,omitempty"`
	ProviderID        string       `json:"provider_id,omitempty"`
	ProviderName      string       `json:"provider_name,omitempty"`
	ProviderType      ProviderType `json:"provider_type,omitempty"`
	FallbackModelName *string      `json:"fallback_model_name,omitempty"`
}

// MappingKey names a mapping: its service, function and variant.
type MappingKey struct {
	Service  string `json:"service_name"`
	Function string `json:"function_name"`
	Variant  string `json:"variant_name"`
}

// Validate checks the three names.
func (k MappingKey) Validate() error {
	f := fieldErrors{}
	k.check(f)
	return f.err()
}

func (k MappingKey) check(f fieldErrors) {
	if msg := checkName(k.Service); msg != "" {
		f.set("service_name", msg)
	}
	if msg := checkGatewayName(k.Function); msg != "" {
		f.set("function_name", msg)
	}
	if msg := checkGatewayName(k.Variant); msg != "" {
		f.set("variant_name", msg)
	}
}

// MappingInput creates a mapping, or replaces the mapping with the same key.
type MappingInput struct {
	ServiceName     string          `json:"service_name"`
	FunctionName    string          `json:"function_name"`
	VariantName     string          `json:"variant_name"`
	ModelID         string          `json:"model_id"`
	Priority        *int            `json:"priority,omitempty"`
	Weight          *float64        `json:"weight,omitempty"`
	FallbackModelID *string         `json:"fallback_model_id,omitempty"`
	Params          json.RawMessage `json:"params,omitempty"`
}

// Key returns the mapping's key.
func (in MappingInput) Key() MappingKey {
	return MappingKey{Service: in.ServiceName, Function: in.FunctionName, Variant: in.VariantName}
}

// Validate checks every field and reports all problems at once.
func (in MappingInput) Validate() error {
	f := fieldErrors{}
	in.Key().check(f)
	checkUUID(f, "model_id", in.ModelID)
	checkOptionalUUID(f, "fallback_model_id", in.FallbackModelID)
	if in.FallbackModelID != nil && *in.FallbackModelID == in.ModelID && in.ModelID != "" {
		f.add("fallback_model_id", "must differ from model_id")
	}
	if in.Priority != nil && (*in.Priority < 0 || *in.Priority > 1_000_000) {
		f.add("priority", "must be between 0 and 1000000")
	}
	if in.Weight != nil && !(*in.Weight >= 0 && *in.Weight <= MaxWeight) {
		f.add("weight", "must be between 0 and 1000")
	}
	checkObject(f, "params", in.Params)
	return f.err()
}

// ServiceModel is a row of the platform's v_service_models: one variant of
// a service's function and the model it routes to, named the platform's way
// (ModelID and FallbackModelID are the providers' own ids, e.g. "qwen3:8b").
// The registry's UUIDs are MappingID, ModelUUID and FallbackModelUUID.
type ServiceModel struct {
	ServiceName       string       `json:"service_name"`
	FunctionName      string       `json:"function_name"`
	VariantName       string       `json:"variant_name"`
	Priority          int          `json:"priority"`
	Weight            float64      `json:"weight"`
	ModelID           string       `json:"model_id"`
	ModelName         string       `json:"model_name"`
	ModelType         ModelType    `json:"model_type"`
	VRAMMB            *int         `json:"vram_mb"`
	ContextLength     *int         `json:"context_length"`
	ProviderName      string       `json:"provider_name"`
	ProviderType      ProviderType `json:"provider_type"`
	APIBase           *string      `json:"api_base"`
	FallbackModelID   *string      `json:"fallback_model_id"`
	FallbackModelName *string      `json:"fallback_model_name"`

	MappingID         string          `json:"id"`
	ModelUUID         string          `json:"model_uuid"`
	FallbackModelUUID *string         `json:"fallback_model_uuid"`
	ProviderID        string          `json:"provider_id"`
	Params            json.RawMessage `json:"params"`
	CreatedAt         time.Time       `json:"created_at"`
	UpdatedAt         time.Time       `json:"updated_at"`
}
