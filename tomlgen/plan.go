package tomlgen

import (
	"fmt"

	"github.com/pmoves/model-registry/registry"
)

// Plan is what Import makes of a tensorzero.toml: registry rows, each with a
// natural key, and pass-through rows. Every list is sorted by its key, so the
// same file gives the same plan; a caller makes the import idempotent by
// comparing the plan with the database key by key.
type Plan struct {
	// Providers are keyed by Name.
	Providers []registry.ProviderInput `json:"providers"`
	// Models are keyed by (provider name, model_id).
	Models []PlannedModel `json:"models"`
	// Mappings are keyed by (service, function, variant).
	Mappings []PlannedMapping `json:"mappings"`
	// Passthrough holds the rows of the tensorzero_passthrough table.
	Passthrough Passthrough `json:"passthrough"`
	// Findings are notes on the import, such as a model_id made unique.
	Findings []Finding `json:"findings,omitempty"`
}

// ModelKey is the natural key of a model row: its provider's name and its
// model_id (unique together in the database).
type ModelKey struct {
	Provider string `json:"provider_name"`
	ModelID  string `json:"model_id"`
}

// PlannedModel is a model row. Input.ProviderID is empty until Resolve.
type PlannedModel struct {
	Provider string              `json:"provider_name"`
	Input    registry.ModelInput `json:"model"`
}

// Key returns the model's natural key.
func (m PlannedModel) Key() ModelKey { return ModelKey{Provider: m.Provider, ModelID: m.Input.ModelID} }

// Resolve returns the model's input with ProviderID set from the ids of the
// providers by name.
func (m PlannedModel) Resolve(providerIDs map[string]string) (registry.ModelInput, error) {
	id, ok := providerIDs[m.Provider]
	if !ok {
		return registry.ModelInput{}, fmt.Errorf("model %s: provider %q has no id: %w", m.Input.Name, m.Provider, registry.ErrNotFound)
	}
	in := m.Input
	in.ProviderID = id
	return in, nil
}

// PlannedMapping is a mapping row. Input.ModelID is empty until Resolve.
type PlannedMapping struct {
	Model ModelKey              `json:"model"`
	Input registry.MappingInput `json:"mapping"`
}

// Resolve returns the mapping's input with ModelID set from the ids of the
// models by key.
func (m PlannedMapping) Resolve(modelIDs map[ModelKey]string) (registry.MappingInput, error) {
	id, ok := modelIDs[m.Model]
	if !ok {
		return registry.MappingInput{}, fmt.Errorf("mapping %s/%s/%s: model %s on %s has no id: %w",
			m.Input.ServiceName, m.Input.FunctionName, m.Input.VariantName, m.Model.ModelID, m.Model.Provider, registry.ErrNotFound)
	}
	in := m.Input
	in.ModelID = id
	return in, nil
}

// IDs are the database ids of a plan's rows after they were written.
type IDs struct {
	Providers map[string]string // by provider name
	Models    map[ModelKey]string
	Mappings  map[registry.MappingKey]string // optional
}

// Catalog turns the plan and the ids of its rows into the Catalog that Render
// reads, as the database would return it (all rows active, priority and
// weight defaulting to 1 as the columns do).
func (p *Plan) Catalog(ids IDs) (Catalog, error) {
	c := Catalog{Passthrough: Passthrough{}}
	for _, in := range p.Providers {
		id, ok := ids.Providers[in.Name]
		if !ok {
			return Catalog{}, fmt.Errorf("provider %q has no id: %w", in.Name, registry.ErrNotFound)
		}
		c.Providers = append(c.Providers, registry.Provider{ID: id, Name: in.Name, Type: in.Type, APIBase: in.APIBase,
			APIKeyEnvVar: in.APIKeyEnvVar, Description: in.Description, Metadata: in.Metadata, Active: active(in.Active)})
	}
	for _, pm := range p.Models {
		in, err := pm.Resolve(ids.Providers)
		if err != nil {
			return Catalog{}, err
		}
		id, ok := ids.Models[pm.Key()]
		if !ok {
			return Catalog{}, fmt.Errorf("model %s on %s has no id: %w", pm.Input.ModelID, pm.Provider, registry.ErrNotFound)
		}
		c.Models = append(c.Models, registry.Model{ID: id, ProviderID: in.ProviderID, Name: in.Name, ModelID: in.ModelID,
			ModelType: in.ModelType, Capabilities: in.Capabilities, VRAMMB: in.VRAMMB, ContextLength: in.ContextLength,
			Description: in.Description, Metadata: in.Metadata, Active: active(in.Active), ProviderName: pm.Provider})
	}
	for _, pm := range p.Mappings {
		in, err := pm.Resolve(ids.Models)
		if err != nil {
			return Catalog{}, err
		}
		m := registry.Mapping{ID: ids.Mappings[in.Key()], ServiceName: in.ServiceName, FunctionName: in.FunctionName,
			VariantName: in.VariantName, ModelID: in.ModelID, Priority: 1, Weight: 1, FallbackModelID: in.FallbackModelID, Params: in.Params}
		if in.Priority != nil {
			m.Priority = *in.Priority
		}
		if in.Weight != nil {
			m.Weight = *in.Weight
		}
		c.Mappings = append(c.Mappings, m)
	}
	for k, v := range p.Passthrough {
		c.Passthrough[k] = v
	}
	return c, nil
}

func active(b *bool) bool { return b == nil || *b }
