package tomlgen

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/pmoves/model-registry/registry"
)

// Catalog is what Render needs from the database: the active providers, the
// active models (each with its ProviderID), the service mappings, and the
// rows of the pass-through table. Inactive rows are ignored if present.
type Catalog struct {
	Providers   []registry.Provider
	Models      []registry.Model
	Mappings    []registry.Mapping
	Passthrough Passthrough
}

// Passthrough holds the rows of the key/value table for the configuration that
// belongs to no registry row (tensorzero_passthrough: key text primary key,
// value jsonb). Keys are "section:<name>" (a top-level section such as
// gateway, metrics or tools; value SectionEntry) and "function:<name>" (a
// function's settings; value FunctionEntry).
type Passthrough map[string]json.RawMessage

// Key prefixes of Passthrough.
const (
	SectionPrefix  = "section:"
	FunctionPrefix = "function:"
)

// MetadataKey is the key of the object, inside a provider's or model's
// metadata and a mapping's params, that holds the TensorZero pass-through.
// Other keys there belong to the operator and are left alone.
const MetadataKey = "tensorzero"

// ProviderMeta is metadata.tensorzero of a provider.
type ProviderMeta struct {
	// Type is the gateway provider type of a custom provider (azure,
	// aws_bedrock, groq, ...). Ignored for the other registry types.
	Type string `json:"type,omitempty"`
	// Credential says what to render when api_key_env_var is null: "none"
	// (api_key_location = "none"; the default for ollama, openai_compatible,
	// anthropic and vllm) or "default" (no credential key, so the gateway
	// uses its default for the type; the default for custom providers).
	Credential string `json:"credential,omitempty"`
	// TOML is a TOML document whose keys are added to every provider block
	// of this provider (for example region, location, project_id).
	TOML string `json:"toml,omitempty"`
}

// ModelMeta is metadata.tensorzero of a model.
type ModelMeta struct {
	// Routing is the model's position in its model's routing list; rows
	// without one come after, by provider name.
	Routing *int `json:"routing,omitempty"`
	// TOML is a TOML document whose keys are set in the model's provider
	// block, replacing derived ones (extra_body, cost, a per-model api_base
	// or api_key_location such as dynamic::x, a model_name that differs from
	// model_id, ...).
	TOML string `json:"toml,omitempty"`
	// Omit lists derived keys to leave out of the provider block.
	Omit []string `json:"omit,omitempty"`
	// ModelTOML is a TOML document of keys of the model table itself
	// (timeouts, skip_relay, namespace, timeout_ms); the rows of one model
	// carry the same document, and the first in routing order wins.
	ModelTOML string `json:"model_toml,omitempty"`
}

// MappingMeta is params.tensorzero of a mapping.
type MappingMeta struct {
	// TOML is a TOML document of variant keys (temperature, templates,
	// json_mode, retries, ...) set on the chat_completion variant.
	TOML string `json:"toml,omitempty"`
	// Omit lists derived keys to leave out of the variant.
	Omit []string `json:"omit,omitempty"`
}

// SectionEntry is the value of a "section:<name>" pass-through row: a TOML
// document holding the one top-level key <name>.
type SectionEntry struct {
	TOML string `json:"toml"`
}

// FunctionEntry is the value of a "function:<name>" pass-through row.
type FunctionEntry struct {
	// TOML is a TOML document of the function table without its
	// experimentation and without variants that are mappings: type,
	// schemas, tools, description, ... and, under variants, the variants the
	// registry does not model (shorthand models, best-of-n, DICL, ...).
	TOML string `json:"toml,omitempty"`
	// Roles gives the variants under TOML a priority and weight, as the
	// mapping columns do for the others.
	Roles map[string]Role `json:"roles,omitempty"`
	// Experimentation is a TOML document with the function's experimentation
	// as imported: an "experimentation" table and/or a "weights" table of the
	// legacy per-variant weights. It is rendered verbatim while Fingerprint
	// matches the current variants, priorities and weights.
	Experimentation string `json:"experimentation,omitempty"`
	// Fingerprint is a digest of the variants, priorities, weights and
	// fallback models when Experimentation was stored.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// Role is a variant's place in its function's experimentation: the lowest
// priority value gives the candidates, split by weight; the other priorities
// give the ordered fallbacks; weight 0 leaves the variant out.
type Role struct {
	Priority int     `json:"priority"`
	Weight   float64 `json:"weight"`
}

// decodeMeta reads metadata[MetadataKey] into v. Absent or null metadata and
// an absent key leave v as it is.
func decodeMeta(raw json.RawMessage, v any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return fmt.Errorf("metadata is not a JSON object: %w", err)
	}
	sub, ok := obj[MetadataKey]
	if !ok || string(bytes.TrimSpace(sub)) == "null" {
		return nil
	}
	if err := json.Unmarshal(sub, v); err != nil {
		return fmt.Errorf("metadata.%s: %w", MetadataKey, err)
	}
	return nil
}

// encodeMeta returns {"tensorzero": v}, or nil when v encodes as {}.
func encodeMeta(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "{}" {
		return nil
	}
	out, _ := json.Marshal(map[string]json.RawMessage{MetadataKey: b})
	return out
}

// WithMeta returns metadata with its "tensorzero" key replaced by the one
// from imported, keeping the operator's other keys; a caller that updates an
// existing row with an imported one uses it to keep those keys.
func WithMeta(existing, imported json.RawMessage) (json.RawMessage, error) {
	obj := map[string]json.RawMessage{}
	if t := bytes.TrimSpace(existing); len(t) > 0 && string(t) != "null" {
		if err := json.Unmarshal(t, &obj); err != nil {
			return nil, fmt.Errorf("existing metadata is not a JSON object: %w", err)
		}
	}
	delete(obj, MetadataKey)
	var imp map[string]json.RawMessage
	if t := bytes.TrimSpace(imported); len(t) > 0 && string(t) != "null" {
		if err := json.Unmarshal(t, &imp); err != nil {
			return nil, fmt.Errorf("imported metadata is not a JSON object: %w", err)
		}
	}
	if v, ok := imp[MetadataKey]; ok {
		obj[MetadataKey] = v
	}
	if len(obj) == 0 {
		return nil, nil
	}
	return json.Marshal(obj)
}
