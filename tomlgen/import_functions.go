package tomlgen

import (
	"fmt"
	"math"

	"github.com/pmoves/model-registry/registry"
)

// functions makes a mapping of every chat_completion variant whose model is
// a [models] entry (service name = function name), and a function:<name>
// pass-through row with the rest of the function.
func (im *importer) functions() error {
	raw, ok := im.root["functions"]
	if !ok {
		return nil
	}
	fns, ok := table(raw)
	if !ok {
		return fmt.Errorf("functions: is a %s, not a table", tomlType(raw))
	}
	for _, name := range sortedKeys(fns) {
		if err := im.function(name, fns[name]); err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) function(name string, raw any) error {
	p := path("functions", name)
	ft, ok := table(raw)
	if !ok {
		return fmt.Errorf("%s: is a %s, not a table", p, tomlType(raw))
	}
	fnType, _ := ft["type"].(string)
	rest := copyTable(ft)
	delete(rest, "variants")
	delete(rest, "experimentation")
	variants := map[string]any{}
	if rv, had := ft["variants"]; had {
		if variants, ok = table(rv); !ok {
			return fmt.Errorf("%s.variants: is a %s, not a table", p, tomlType(rv))
		}
	}
	weights := map[string]any{}
	pass := map[string]any{}
	mapped := map[string]map[string]any{}
	for _, v := range sortedKeys(variants) {
		vt, ok := table(variants[v])
		if !ok {
			pass[v] = variants[v]
			continue
		}
		vt = copyTable(vt)
		if w, ok := vt["weight"]; ok {
			weights[v] = w
			delete(vt, "weight")
		}
		if im.mappable(name, v, vt) {
			mapped[v] = vt
		} else {
			pass[v] = vt
		}
	}
	roles := importRoles(ft, sortedKeys(variants), weights)
	var fp []fpEntry
	for _, v := range sortedKeys(mapped) {
		vt := mapped[v]
		model := vt["model"].(string)
		set, omit := diffTable(deriveVariant(model, fnType), vt)
		frag, err := fragment(set)
		if err != nil {
			return fmt.Errorf("%s: %w", path("functions", name, "variants", v), err)
		}
		r := roles[v]
		im.plan.Mappings = append(im.plan.Mappings, PlannedMapping{Model: im.firstRow[model], Input: registry.MappingInput{
			ServiceName: name, FunctionName: name, VariantName: v, Priority: &r.Priority, Weight: &r.Weight,
			Params: encodeMeta(MappingMeta{TOML: frag, Omit: omit})}})
		fp = append(fp, fpEntry{name: v, mapping: true, role: &r})
	}
	entry := FunctionEntry{Roles: map[string]Role{}}
	for _, v := range sortedKeys(pass) {
		r := roles[v]
		entry.Roles[v] = r
		fp = append(fp, fpEntry{name: v, role: &r})
	}
	if _, had := ft["variants"]; had {
		rest["variants"] = pass
	}
	var err error
	if entry.TOML, err = fragment(rest); err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	snap := map[string]any{}
	if e, ok := ft["experimentation"]; ok {
		snap["experimentation"] = e
	}
	if len(weights) > 0 {
		snap["weights"] = weights
	}
	if entry.Experimentation, err = fragment(snap); err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	entry.Fingerprint = fingerprint(fp)
	return im.put(FunctionPrefix+name, entry)
}

// mappable reports whether a variant becomes a mapping: a chat_completion
// whose model is a [models] entry, with names the registry accepts.
func (im *importer) mappable(fn, variant string, vt map[string]any) bool {
	if vt["type"] != "chat_completion" {
		return false
	}
	model, ok := vt["model"].(string)
	if !ok {
		return false
	}
	if _, ok := im.firstRow[model]; !ok {
		return false
	}
	return registry.MappingKey{Service: fn, Function: fn, Variant: variant}.Validate() == nil
}

// importRoles gives every variant the priority and weight that derive the
// file's experimentation: candidates priority 0 with their weight, fallbacks
// priorities 1, 2, ... in order, and variants that take no part weight 0.
// Legacy per-variant weights: weight > 0 makes a candidate, weight 0 takes no
// part, no weight makes a fallback (priority 1). Without either, every
// variant is a candidate of weight 1 (the gateway's uniform default).
func importRoles(ft map[string]any, names []string, weights map[string]any) map[string]Role {
	roles := map[string]Role{}
	exp, hasExp := table(ft["experimentation"])
	switch {
	case hasExp:
		for _, n := range names {
			roles[n] = Role{}
		}
		fallbacks, _ := stringList(exp["fallback_variants"])
		listed := map[string]bool{}
		for i, n := range fallbacks {
			if _, ok := roles[n]; ok && !listed[n] {
				roles[n] = Role{Priority: i + 1, Weight: 1}
				listed[n] = true
			}
		}
		switch cv := exp["candidate_variants"].(type) {
		case []any:
			for _, e := range cv {
				if n, ok := e.(string); ok {
					if _, ok := roles[n]; ok {
						roles[n] = Role{Weight: 1}
					}
				}
			}
		case map[string]any:
			for n, w := range cv {
				if _, ok := roles[n]; ok {
					roles[n] = Role{Weight: weightOf(w)}
				}
			}
		case nil:
			for _, n := range names {
				if !listed[n] {
					roles[n] = Role{Weight: 1}
				}
			}
		}
	case len(weights) > 0:
		for _, n := range names {
			roles[n] = Role{Priority: 1, Weight: 1}
			if w, ok := weights[n]; ok {
				roles[n] = Role{Weight: weightOf(w)}
			}
		}
	default:
		for _, n := range names {
			roles[n] = Role{Weight: 1}
		}
	}
	scaleWeights(roles)
	return roles
}

func weightOf(v any) float64 {
	w, ok := number(v)
	switch {
	case !ok:
		return 1
	case math.IsNaN(w) || w < 0:
		return 0
	case math.IsInf(w, 1):
		return registry.MaxWeight
	}
	return w
}

// scaleWeights keeps weights within the registry's 0..1000, in proportion.
func scaleWeights(roles map[string]Role) {
	max := 0.0
	for _, r := range roles {
		max = math.Max(max, r.Weight)
	}
	if max <= registry.MaxWeight {
		return
	}
	for n, r := range roles {
		r.Weight = math.Min(registry.MaxWeight, r.Weight*registry.MaxWeight/max)
		roles[n] = r
	}
}
