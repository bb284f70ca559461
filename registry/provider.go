package registry

import (
	"encoding/json"
	"time"
)

// Provider is a serving endpoint: a local Ollama, a vLLM server, a hosted
// OpenAI-compatible API, Anthropic, or a custom server.
type Provider struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Type         ProviderType    `json:"type"`
	APIBase      *string         `json:"api_base"`
	APIKeyEnvVar *string         `json:"api_key_env_var"`
	Description  *string         `json:"description"`
	Metadata     json.RawMessage `json:"metadata"`
	Active       bool            `json:"active"`
	CreatedAt    time.Time       `json:"created_at"`
	UpdatedAt    time.Time       `json:"updated_at"`
}

// ProviderInput creates a provider, or replaces one (PUT).
type ProviderInput struct {
	Name         string          `json:"name"`
	Type         ProviderType    `json:"type"`
	APIBase      *string         `json:"api_base,omitempty"`
	APIKeyEnvVar *string         `json:"api_key_env_var,omitempty"`
	Description  *string         `json:"description,omitempty"`
	Metadata     json.RawMessage `json:"metadata,omitempty"`
	Active       *bool           `json:"active,omitempty"`
}

// Validate checks every field and reports all problems at once.
func (in ProviderInput) Validate() error {
	f := fieldErrors{}
	if msg := checkName(in.Name); msg != "" {
		f.set("name", msg)
	}
	if !in.Type.Valid() {
		f.add("type", "must be one of %s", list(ProviderTypes))
	}
	checkAPIBase(f, in.APIBase)
	checkEnvVar(f, in.APIKeyEnvVar)
	checkText(f, "description", in.Description, 2000)
	checkObject(f, "metadata", in.Metadata)
	return f.err()
}

// ProviderPatch changes some fields of a provider; nil fields stay as they
// are. An empty string clears api_base, api_key_env_var or description.
type ProviderPatch struct {
	Name         *string         `json:"name,omitempty"`
	Type         *ProviderType   `json:"type,omitempty"`
	APIBase      *string         `json:"api_base,omitempty"`
	APIKeyEnvVar *string         `json:"api_key_env_var,omitempty"`
	Description  *string         `json:"description,omitempty"`
	Metadata     json.RawMessage `json:"metadata,omitempty"`
	Active       *bool           `json:"active,omitempty"`
}

// Validate checks the fields that are present.
func (p ProviderPatch) Validate() error {
	f := fieldErrors{}
	if p.Name != nil {
		if msg := checkName(*p.Name); msg != "" {
			f.set("name", msg)
		}
	}
	if p.Type != nil && !p.Type.Valid() {
		f.add("type", "must be one of %s", list(ProviderTypes))
	}
	checkAPIBase(f, p.APIBase)
	checkEnvVar(f, p.APIKeyEnvVar)
	checkText(f, "description", p.Description, 2000)
	checkObject(f, "metadata", p.Metadata)
	if len(f) == 0 && p.Name == nil && p.Type == nil && p.APIBase == nil && p.APIKeyEnvVar == nil &&
		p.Description == nil && p.Metadata == nil && p.Active == nil {
		f.add("body", "names no field to change")
	}
	return f.err()
}
