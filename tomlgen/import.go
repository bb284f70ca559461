package tomlgen

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/pmoves/model-registry/registry"
)

// fakeUUID stands in for ids while Import validates its rows.
const fakeUUID = "00000000-0000-4000-8000-000000000000"

// Import reads a tensorzero.toml (TOML 1.0 or 1.1) into a Plan: providers,
// models and embedding models, mappings, and the pass-through that keeps
// everything else, such that rendering the plan gives back the file as parsed
// TOML (comments and formatting are lost). doc.go describes the mapping. The
// error says why a document is not TOML or does not have the shape of a
// TensorZero configuration (a model without providers or routing, a
// provider without a type, a name the registry cannot hold).
func Import(doc []byte) (*Plan, error) {
	root, err := parseDoc(doc)
	if err != nil {
		return nil, fmt.Errorf("not TOML: %w", err)
	}
	im := &importer{root: root, plan: &Plan{Passthrough: Passthrough{}}, providers: map[string]*impProvider{}}
	if err := im.collectBlocks(); err != nil {
		return nil, err
	}
	im.decideProviders()
	if err := im.modelRows(); err != nil {
		return nil, err
	}
	if err := im.functions(); err != nil {
		return nil, err
	}
	if err := im.sections(); err != nil {
		return nil, err
	}
	if err := im.validate(); err != nil {
		return nil, err
	}
	im.sort()
	im.plan.Findings = im.fs.sorted()
	return im.plan, nil
}

type importer struct {
	root      map[string]any
	plan      *Plan
	fs        findings
	blocks    []*impBlock
	providers map[string]*impProvider
	// firstRow is, for each chat model name, the row a variant's mapping
	// points at: the first in routing order.
	firstRow map[string]ModelKey
}

// impBlock is one provider block of one model: one registry model row.
type impBlock struct {
	section string // "models" or "embedding_models"
	model   string
	key     string // provider key = registry provider name
	block   map[string]any
	typ     string
	routing *int
	table   map[string]any // the model table
}

func (im *importer) sections() error {
	for _, k := range sortedKeys(im.root) {
		if t, ok := table(im.root[k]); ok && len(t) > 0 && (k == "models" || k == "embedding_models" || k == "functions") {
			continue // rows; an empty table is kept as a section
		}
		frag, err := fragment(map[string]any{k: im.root[k]})
		if err != nil {
			return fmt.Errorf("%s: %w", path(k), err)
		}
		if err := im.put(SectionPrefix+k, SectionEntry{TOML: frag}); err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) put(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("pass-through %q: %w", key, err)
	}
	im.plan.Passthrough[key] = b
	return nil
}

// validate checks every row with the registry's own rules.
func (im *importer) validate() error {
	for _, p := range im.plan.Providers {
		if err := p.Validate(); err != nil {
			return fmt.Errorf("provider %q: %w", p.Name, err)
		}
	}
	for _, m := range im.plan.Models {
		in := m.Input
		in.ProviderID = fakeUUID
		if err := in.Validate(); err != nil {
			return fmt.Errorf("model %q on provider %q: %w", in.Name, m.Provider, err)
		}
	}
	for _, m := range im.plan.Mappings {
		in := m.Input
		in.ModelID = fakeUUID
		if err := in.Validate(); err != nil {
			return fmt.Errorf("mapping %s/%s: %w", in.FunctionName, in.VariantName, err)
		}
	}
	return nil
}

func (im *importer) sort() {
	p := im.plan
	sort.Slice(p.Providers, func(i, j int) bool { return p.Providers[i].Name < p.Providers[j].Name })
	sort.Slice(p.Models, func(i, j int) bool {
		a, b := p.Models[i].Key(), p.Models[j].Key()
		if a.Provider != b.Provider {
			return a.Provider < b.Provider
		}
		return a.ModelID < b.ModelID
	})
	sort.Slice(p.Mappings, func(i, j int) bool {
		a, b := p.Mappings[i].Input.Key(), p.Mappings[j].Input.Key()
		if a.Service != b.Service {
			return a.Service < b.Service
		}
		if a.Function != b.Function {
			return a.Function < b.Function
		}
		return a.Variant < b.Variant
	})
}

// nameProblem returns what the registry finds wrong with a name, or "".
// gateway adds the check for the reserved tensorzero:: prefix.
func nameProblem(s string, gateway bool) string {
	if gateway {
		err := registry.MappingKey{Service: "s", Function: s, Variant: "v"}.Validate()
		if ve, ok := err.(*registry.ValidationError); ok {
			return ve.Fields["function_name"]
		}
		return ""
	}
	err := registry.MappingKey{Service: s, Function: "f", Variant: "v"}.Validate()
	if ve, ok := err.(*registry.ValidationError); ok {
		return ve.Fields["service_name"]
	}
	return ""
}
