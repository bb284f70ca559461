package registry

import (
	"encoding/json"
	"slices"
	"time"
)

// Model is a model offered by a provider, in the shape of the platform's
// v_active_models: ID is the registry's UUID, ModelID the provider's own id
// (e.g. "qwen3:8b"). The provider and alias fields are filled when the model
// is read from a view that joins them.
type Model struct {
	ID            string          `json:"id"`
	Name          string          `json:"name"`
	ModelID       string          `json:"model_id"`
	ModelType     ModelType       `json:"model_type"`
	Capabilities  Capabilities    `json:"capabilities"`
	VRAMMB        *int            `json:"vram_mb"`
	ContextLength *int            `json:"context_length"`
	Description   *string         `json:"description"`
	ProviderID    string          `json:"provider_id"`
	ProviderName  string          `json:"provider_name,omitempty"`
	ProviderType  ProviderType    `json:"provider_type,omitempty"`
	APIBase       *string         `json:"api_base"`
	APIKeyEnvVar  *string         `json:"api_key_env_var"`
	Aliases       AliasRefs       `json:"aliases"`
	Metadata      json.RawMessage `json:"metadata"`
	Active        bool            `json:"active"`
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`

	ProviderActive *bool `json:"provider_active,omitempty"`
}

// Capabilities are a model's capabilities as stored. The registry writes a
// list of names; the platform's column takes any JSON, so a stored model is
// read leniently: a list keeps its strings, an object of flags gives the
// names set to true (sorted), a string gives itself, anything else none.
type Capabilities []string

// UnmarshalJSON reads capabilities as described on Capabilities.
func (c *Capabilities) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	var out Capabilities
	switch x := v.(type) {
	case nil:
		*c = nil
		return nil
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	case map[string]any:
		for k, on := range x {
			if on == true {
				out = append(out, k)
			}
		}
		slices.Sort(out)
	case string:
		out = Capabilities{x}
	}
	if out == nil {
		out = Capabilities{}
	}
	*c = out
	return nil
}

// AliasRef is one alias of a model as a model lists it.
type AliasRef struct {
	Alias   string  `json:"alias"`
	Context *string `json:"context"`
}

// AliasRefs are a model's aliases; none is an empty list, never null.
type AliasRefs []AliasRef

// MarshalJSON writes [] for no aliases.
func (a AliasRefs) MarshalJSON() ([]byte, error) {
	if a == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]AliasRef(a))
}

// ModelInput creates a model, or replaces one (PUT).
type ModelInput struct {
	ProviderID    string          `json:"provider_id"`
	Name          string          `json:"name"`
	ModelID       string          `json:"model_id"`
	ModelType     ModelType       `json:"model_type"`
	Capabilities  []string        `json:"capabilities,omitempty"`
	VRAMMB        *int            `json:"vram_mb,omitempty"`
	ContextLength *int            `json:"context_length,omitempty"`
	Description   *string         `json:"description,omitempty"`
	Metadata      json.RawMessage `json:"metadata,omitempty"`
	Active        *bool           `json:"active,omitempty"`
}

// Validate checks every field and reports all problems at once.
func (in ModelInput) Validate() error {
	f := fieldErrors{}
	checkUUID(f, "provider_id", in.ProviderID)
	if msg := checkGatewayName(in.Name); msg != "" {
		f.set("name", msg)
	}
	if msg := checkName(in.ModelID); msg != "" {
		f.set("model_id", msg)
	}
	if !in.ModelType.Valid() {
		f.add("model_type", "must be one of %s", list(ModelTypes))
	}
	checkCapabilities(f, in.Capabilities)
	checkNonNegative(f, "vram_mb", in.VRAMMB)
	checkNonNegative(f, "context_length", in.ContextLength)
	checkText(f, "description", in.Description, 2000)
	checkObject(f, "metadata", in.Metadata)
	return f.err()
}

// ModelPatch changes some fields of a model; nil fields stay as they are.
type ModelPatch struct {
	ProviderID    *string         `json:"provider_id,omitempty"`
	Name          *string         `json:"name,omitempty"`
	ModelID       *string         `json:"model_id,omitempty"`
	ModelType     *ModelType      `json:"model_type,omitempty"`
	Capabilities  *[]string       `json:"capabilities,omitempty"`
	VRAMMB        *int            `json:"vram_mb,omitempty"`
	ContextLength *int            `json:"context_length,omitempty"`
	Description   *string         `json:"description,omitempty"`
	Metadata      json.RawMessage `json:"metadata,omitempty"`
	Active        *bool           `json:"active,omitempty"`
}

// Validate checks the fields that are present.
func (p ModelPatch) Validate() error {
	f := fieldErrors{}
	if p.ProviderID != nil {
		checkUUID(f, "provider_id", *p.ProviderID)
	}
	if p.Name != nil {
		if msg := checkGatewayName(*p.Name); msg != "" {
			f.set("name", msg)
		}
	}
	if p.ModelID != nil {
		if msg := checkName(*p.ModelID); msg != "" {
			f.set("model_id", msg)
		}
	}
	if p.ModelType != nil && !p.ModelType.Valid() {
		f.add("model_type", "must be one of %s", list(ModelTypes))
	}
	if p.Capabilities != nil {
		checkCapabilities(f, *p.Capabilities)
	}
	checkNonNegative(f, "vram_mb", p.VRAMMB)
	checkNonNegative(f, "context_length", p.ContextLength)
	checkText(f, "description", p.Description, 2000)
	checkObject(f, "metadata", p.Metadata)
	if len(f) == 0 && p.ProviderID == nil && p.Name == nil && p.ModelID == nil && p.ModelType == nil &&
		p.Capabilities == nil && p.VRAMMB == nil && p.ContextLength == nil && p.Description == nil &&
		p.Metadata == nil && p.Active == nil {
		f.add("body", "names no field to change")
	}
	return f.err()
}

func checkCapabilities(f fieldErrors, caps []string) {
	if len(caps) > 64 {
		f.add("capabilities", "must list at most 64 entries")
		return
	}
	for _, c := range caps {
		if msg := checkName(c); msg != "" {
			f.add("capabilities", "each entry %s", msg)
			return
		}
	}
}
