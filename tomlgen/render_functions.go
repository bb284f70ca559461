package tomlgen

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pmoves/model-registry/registry"
)

// fnBuild is one rendered function.
type fnBuild struct {
	name     string
	services []string
	table    map[string]any
	mode     string // "stored": experimentation as imported; "derived": from priorities and weights
	variants map[string]*variantInfo
}

// variantInfo tells where a rendered variant comes from.
type variantInfo struct {
	mapping     *registry.Mapping // nil for pass-through variants
	fallbackFor string            // for a generated fallback variant, the variant it backs up
}

// mapVariant is a mapping that renders as a variant.
type mapVariant struct {
	m            registry.Mapping
	row          *modelRow
	meta         MappingMeta
	set          map[string]any
	fallback     string // name of the fallback model, if it is served
	fallbackName string // name of the generated fallback variant
}

func (b *built) buildFunctions(c Catalog) {
	b.functions = map[string]*fnBuild{}
	ms := append([]registry.Mapping(nil), c.Mappings...)
	sort.Slice(ms, func(i, j int) bool {
		a, z := ms[i], ms[j]
		if a.FunctionName != z.FunctionName {
			return a.FunctionName < z.FunctionName
		}
		if a.VariantName != z.VariantName {
			return a.VariantName < z.VariantName
		}
		if a.ServiceName != z.ServiceName {
			return a.ServiceName < z.ServiceName
		}
		return a.ID < z.ID
	})
	byFn := map[string][]*mapVariant{}
	hasMappings := map[string]bool{} // every function to render: has it mappings?
	seen := map[[2]string]string{}
	for _, m := range ms {
		hasMappings[m.FunctionName] = true
		if mv := b.mapVariant(m, seen); mv != nil {
			byFn[m.FunctionName] = append(byFn[m.FunctionName], mv)
		}
	}
	entries := map[string]*FunctionEntry{}
	for _, key := range sortedKeys(c.Passthrough) {
		name, ok := strings.CutPrefix(key, FunctionPrefix)
		if !ok {
			continue
		}
		var e FunctionEntry
		if err := json.Unmarshal(c.Passthrough[key], &e); err != nil {
			b.fs.errorf(path("functions", name), "ignored unreadable pass-through row %q: %v", key, err)
			continue
		}
		entries[name] = &e
		if _, ok := hasMappings[name]; !ok {
			hasMappings[name] = false
		}
	}
	for _, name := range sortedKeys(hasMappings) {
		if strings.HasPrefix(name, "tensorzero::") || name == "" {
			b.fs.errorf(path("functions", name), "left out: the function name is empty or starts with the reserved prefix tensorzero::")
			continue
		}
		if f := b.buildFunction(name, byFn[name], entries[name], hasMappings[name]); f != nil {
			fns, _ := b.root["functions"].(map[string]any)
			if fns == nil {
				fns = map[string]any{}
				b.root["functions"] = fns
			}
			fns[name] = f.table
			b.functions[name] = f
		}
	}
}

// mapVariant checks one mapping; nil means it is left out.
func (b *built) mapVariant(m registry.Mapping, seen map[[2]string]string) *mapVariant {
	p := path("functions", m.FunctionName, "variants", m.VariantName)
	if m.VariantName == "" || strings.HasPrefix(m.VariantName, "tensorzero::") {
		b.fs.errorf(p, "left out the mapping of service %s: the variant name is empty or reserved", m.ServiceName)
		return nil
	}
	row := b.models[m.ModelID]
	if row == nil || row.section != "models" {
		b.fs.warnf(p, "left out the mapping of service %s: its model %s %s", m.ServiceName, b.modelLabel(m.ModelID), b.whyNotChat(m.ModelID))
		return nil
	}
	key := [2]string{m.FunctionName, m.VariantName}
	if svc, dup := seen[key]; dup {
		b.fs.warnf(p, "left out the mapping of service %s: service %s maps the same function and variant", m.ServiceName, svc)
		return nil
	}
	mv := &mapVariant{m: m, row: row}
	err := decodeMeta(m.Params, &mv.meta)
	if err == nil {
		mv.set, err = parseFragment(mv.meta.TOML)
	}
	if err != nil {
		b.fs.errorf(p, "left out the mapping of service %s: unreadable params: %v", m.ServiceName, err)
		return nil
	}
	seen[key] = m.ServiceName
	if m.FallbackModelID != nil && *m.FallbackModelID != "" {
		if fr := b.models[*m.FallbackModelID]; fr != nil && fr.section == "models" {
			mv.fallback = fr.m.Name
		} else {
			b.fs.warnf(p, "no fallback variant: fallback model %s %s", b.modelLabel(*m.FallbackModelID), b.whyNotChat(*m.FallbackModelID))
		}
	}
	return mv
}

func (b *built) modelLabel(id string) string {
	if name, ok := b.names[id]; ok {
		return name
	}
	return id
}

// whyNotChat says why a model is not a chat model of the output.
func (b *built) whyNotChat(id string) string {
	if why, ok := b.leftOut[id]; ok {
		return "is left out (" + why + ")"
	}
	if _, ok := b.names[id]; !ok {
		return "is not in the catalogue"
	}
	return "is an embedding model"
}

func (b *built) buildFunction(name string, mvs []*mapVariant, entry *FunctionEntry, hadMappings bool) *fnBuild {
	p := path("functions", name)
	f := &fnBuild{name: name, variants: map[string]*variantInfo{}}
	settings := map[string]any{}
	if entry != nil {
		var err error
		if settings, err = parseFragment(entry.TOML); err != nil {
			b.fs.errorf(p, "unreadable pass-through TOML, rendered from mappings only: %v", err)
			settings, entry = map[string]any{}, nil
		}
	}
	if entry == nil {
		settings["type"] = "chat"
	}
	fnType, _ := settings["type"].(string)
	variants := map[string]any{}
	rawVariants, hadVariants := settings["variants"]
	delete(settings, "variants")
	if hadVariants {
		vt, ok := table(rawVariants)
		if !ok {
			b.fs.errorf(path("functions", name, "variants"), "pass-through variants is a %s, not a table; left out", tomlType(rawVariants))
		}
		for k, v := range vt {
			if t, ok := table(v); ok {
				delete(t, "weight")
			}
			variants[k] = v
			f.variants[k] = &variantInfo{}
		}
	}
	var fp []fpEntry
	for _, k := range sortedKeys(variants) {
		e := fpEntry{name: k}
		if r, ok := entry.roles()[k]; ok {
			e.role = &r
		}
		fp = append(fp, e)
	}
	services := map[string]bool{}
	for _, mv := range mvs {
		v := mv.m.VariantName
		if _, clash := variants[v]; clash {
			b.fs.warnf(path("functions", name, "variants", v), "the mapping of service %s replaces the pass-through variant of the same name", mv.m.ServiceName)
			fp = removeEntry(fp, v)
		}
		t := deriveVariant(mv.row.m.Name, fnType)
		applyOverrides(t, mv.set, mv.meta.Omit)
		delete(t, "weight")
		variants[v] = t
		m := mv.m
		f.variants[v] = &variantInfo{mapping: &m}
		services[m.ServiceName] = true
		fp = append(fp, fpEntry{name: v, mapping: true, role: &Role{Priority: m.Priority, Weight: m.Weight}, fallback: mv.fallback})
	}
	for _, mv := range mvs {
		if mv.fallback == "" {
			continue
		}
		n := mv.m.VariantName + "__fallback"
		for i := 2; variants[n] != nil; i++ {
			n = fmt.Sprintf("%s__fallback%d", mv.m.VariantName, i)
		}
		t := deepCopy(variants[mv.m.VariantName]).(map[string]any)
		t["model"] = mv.fallback
		variants[n] = t
		mv.fallbackName = n
		f.variants[n] = &variantInfo{fallbackFor: mv.m.VariantName}
	}
	f.services = sortedKeys(services)
	if hadMappings && len(variants) == 0 {
		b.fs.warnf(p, "left out: none of its variants can be rendered")
		return nil
	}
	b.experimentation(f, settings, variants, mvs, entry, fingerprint(fp))
	if len(variants) > 0 || hadVariants {
		settings["variants"] = variants
	}
	f.table = settings
	return f
}

func removeEntry(es []fpEntry, name string) []fpEntry {
	out := es[:0]
	for _, e := range es {
		if e.name != name {
			out = append(out, e)
		}
	}
	return out
}

func (e *FunctionEntry) roles() map[string]Role {
	if e == nil {
		return nil
	}
	return e.Roles
}

// experimentation renders the stored experimentation while the fingerprint
// matches, and otherwise derives it from priorities and weights.
func (b *built) experimentation(f *fnBuild, settings, variants map[string]any, mvs []*mapVariant, entry *FunctionEntry, fp string) {
	delete(settings, "experimentation")
	stored := map[string]any{}
	if entry != nil {
		var err error
		if stored, err = parseFragment(entry.Experimentation); err != nil {
			b.fs.errorf(path("functions", f.name, "experimentation"), "unreadable stored experimentation, derived instead: %v", err)
			stored = map[string]any{}
		}
	}
	storedExp, _ := table(stored["experimentation"])
	if entry != nil && entry.Fingerprint != "" && entry.Fingerprint == fp {
		f.mode = "stored"
		if e, ok := stored["experimentation"]; ok {
			settings["experimentation"] = e
		}
		weights, _ := table(stored["weights"])
		for _, v := range sortedKeys(weights) {
			if t, ok := table(variants[v]); ok {
				t["weight"] = weights[v]
			}
		}
		return
	}
	f.mode = "derived"
	var parts []participant
	for _, mv := range mvs {
		if _, ok := variants[mv.m.VariantName]; !ok {
			continue
		}
		pt := participant{name: mv.m.VariantName, role: Role{Priority: mv.m.Priority, Weight: mv.m.Weight}}
		if mv.fallbackName != "" {
			pt.fallbacks = []string{mv.fallbackName}
		}
		parts = append(parts, pt)
	}
	for name, r := range entry.roles() {
		if info := f.variants[name]; info != nil && info.mapping == nil && info.fallbackFor == "" {
			parts = append(parts, participant{name: name, role: r})
		}
	}
	candidates, fallbacks := deriveExperimentation(parts)
	if len(candidates) > 0 {
		settings["experimentation"] = experimentationTable(candidates, fallbacks, storedExp)
	}
}
