package tomlgen

import "sort"

// Function is a rendered function as JSON (GET /api/tensorzero/functions).
type Function struct {
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Services []string `json:"services"`
	// Experimentation is the experimentation type as rendered ("static",
	// "adaptive", or a legacy type), "weights" for legacy variant weights,
	// or "none" when the gateway samples all variants uniformly.
	Experimentation string `json:"experimentation"`
	// Source is "stored" when the experimentation is rendered as imported,
	// "derived" when it comes from mapping priorities and weights.
	Source     string      `json:"source"`
	Candidates []Candidate `json:"candidates"`
	Fallbacks  []string    `json:"fallbacks"`
	Variants   []Variant   `json:"variants"`
}

// Candidate is a variant the gateway samples first; Weight is nil for
// adaptive experimentation.
type Candidate struct {
	Variant string   `json:"variant"`
	Weight  *float64 `json:"weight"`
}

// Variant is one variant of a rendered function.
type Variant struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Model string `json:"model,omitempty"`
	// The mapping the variant comes from, if any.
	MappingID string   `json:"mapping_id,omitempty"`
	Service   string   `json:"service_name,omitempty"`
	Priority  *int     `json:"priority,omitempty"`
	Weight    *float64 `json:"weight,omitempty"`
	// FallbackFor names the variant whose fallback_model_id this variant
	// was generated from.
	FallbackFor string `json:"fallback_for,omitempty"`
}

// Functions lists the functions Render would write for c, sorted by name.
func Functions(c Catalog) []Function {
	b := build(c)
	out := []Function{}
	for _, name := range sortedKeys(b.functions) {
		fb := b.functions[name]
		f := Function{Name: name, Services: fb.services, Source: fb.mode, Candidates: []Candidate{}, Fallbacks: []string{}, Variants: []Variant{}}
		if f.Services == nil {
			f.Services = []string{}
		}
		f.Type, _ = fb.table["type"].(string)
		variants, _ := table(fb.table["variants"])
		for _, vn := range sortedKeys(variants) {
			vt, _ := table(variants[vn])
			v := Variant{Name: vn}
			v.Type, _ = vt["type"].(string)
			v.Model, _ = vt["model"].(string)
			if info := fb.variants[vn]; info != nil {
				v.FallbackFor = info.fallbackFor
				if m := info.mapping; m != nil {
					v.MappingID, v.Service = m.ID, m.ServiceName
					p, w := m.Priority, m.Weight
					v.Priority, v.Weight = &p, &w
				}
			}
			f.Variants = append(f.Variants, v)
		}
		f.Experimentation, f.Candidates, f.Fallbacks = sampling(fb.table, variants)
		out = append(out, f)
	}
	return out
}

// sampling reads how the gateway picks among a function's variants.
func sampling(fn, variants map[string]any) (string, []Candidate, []string) {
	cands, fbs := []Candidate{}, []string{}
	one := func() *float64 { w := 1.0; return &w }
	if exp, ok := table(fn["experimentation"]); ok {
		typ, _ := exp["type"].(string)
		fbs, _ = stringList(exp["fallback_variants"])
		if fbs == nil {
			fbs = []string{}
		}
		switch cv := exp["candidate_variants"].(type) {
		case []any:
			for _, e := range cv {
				if n, ok := e.(string); ok {
					c := Candidate{Variant: n}
					if typ != "adaptive" && typ != "track_and_stop" {
						c.Weight = one()
					}
					cands = append(cands, c)
				}
			}
		case map[string]any:
			for _, n := range sortedKeys(cv) {
				if w, ok := number(cv[n]); ok {
					cands = append(cands, Candidate{Variant: n, Weight: &w})
				}
			}
		}
		return typ, cands, fbs
	}
	weighted := false
	for _, vn := range sortedKeys(variants) {
		vt, _ := table(variants[vn])
		if w, ok := number(vt["weight"]); ok {
			weighted = true
			if w > 0 {
				cands = append(cands, Candidate{Variant: vn, Weight: &w})
			}
		} else if _, has := vt["weight"]; !has {
			fbs = append(fbs, vn)
		}
	}
	if weighted {
		return "weights", cands, fbs
	}
	names := sortedKeys(variants)
	sort.Strings(names)
	for _, vn := range names {
		cands = append(cands, Candidate{Variant: vn, Weight: one()})
	}
	return "none", cands, []string{}
}
