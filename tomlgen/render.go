package tomlgen

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/pmoves/model-registry/registry"
)

// header starts every rendered document.
const header = "# Rendered by model-registry from its database; edit the registry, not this file.\n\n"

// Render writes the tensorzero.toml of c to w. The bytes depend only on the
// data, not on the order of c's slices. The findings name what was left out
// (models the gateway cannot serve, mappings to them, names it would refuse)
// and stored pass-through it could not read; they are warnings for what is
// left out by design and errors for broken data. The error is w's.
func Render(w io.Writer, c Catalog) ([]Finding, error) {
	b := build(c)
	doc, err := encodeDoc(b.root)
	if err != nil {
		// The tree holds only decoded TOML values and strings, so this
		// means a bug, not bad data.
		return b.fs.sorted(), fmt.Errorf("encode tensorzero.toml: %w", err)
	}
	if _, err := io.WriteString(w, header); err != nil {
		return b.fs.sorted(), err
	}
	if _, err := w.Write(doc); err != nil {
		return b.fs.sorted(), err
	}
	return b.fs.sorted(), nil
}

// built is a rendered configuration before encoding.
type built struct {
	root      map[string]any
	fs        findings
	providers map[string]*provRow  // by id
	models    map[string]*modelRow // rendered rows by id
	functions map[string]*fnBuild
	names     map[string]string // every model's name by id
	leftOut   map[string]string // why a model was left out, by id
}

type provRow struct {
	p      registry.Provider
	meta   ProviderMeta
	extras map[string]any
	err    string // why models of this provider are left out
	broken bool   // err is about broken data rather than a provider the gateway cannot use
}

type modelRow struct {
	m       registry.Model
	meta    ModelMeta
	prov    *provRow
	section string // "models" or "embedding_models"
	block   map[string]any
	model   map[string]any // model-level keys
}

func build(c Catalog) *built {
	b := &built{root: map[string]any{}, providers: make(map[string]*provRow, len(c.Providers)),
		models: make(map[string]*modelRow, len(c.Models)), names: make(map[string]string, len(c.Models)),
		leftOut: map[string]string{}}
	b.buildProviders(c.Providers)
	b.buildModels(c.Models)
	b.buildFunctions(c)
	b.mergeSections(c.Passthrough)
	return b
}

func (b *built) buildProviders(ps []registry.Provider) {
	for _, p := range ps {
		if !p.Active {
			continue
		}
		pr := &provRow{p: p}
		pr.broken = true
		if err := decodeMeta(p.Metadata, &pr.meta); err != nil {
			pr.err = "its provider " + p.Name + " has unreadable " + err.Error()
		} else if x, err := parseFragment(pr.meta.TOML); err != nil {
			pr.err = fmt.Sprintf("its provider %s has an unreadable metadata.%s.toml: %v", p.Name, MetadataKey, err)
		} else if strings.HasPrefix(p.Name, "tensorzero::") {
			pr.err = fmt.Sprintf("its provider name %q starts with the reserved prefix tensorzero::", p.Name)
		} else {
			pr.extras, pr.broken = x, false
		}
		if pr.err == "" && gatewayType(p.Type, pr.meta, false) == "" {
			pr.err = fmt.Sprintf("its provider %s is %s and stores no gateway type in metadata.%s.type", p.Name, p.Type, MetadataKey)
		}
		b.providers[p.ID] = pr
	}
}

// sectionOf returns the section a model type renders in, or "".
func sectionOf(t registry.ModelType) string {
	switch t {
	case registry.ModelChat, registry.ModelVL:
		return "models"
	case registry.ModelEmbedding:
		return "embedding_models"
	}
	return ""
}

func (b *built) buildModels(ms []registry.Model) {
	groups := make(map[[2]string][]*modelRow, len(ms))
	for _, m := range ms {
		b.names[m.ID] = m.Name
		if !m.Active {
			b.leftOut[m.ID] = "inactive"
			continue
		}
		if row := b.modelRow(m); row != nil {
			key := [2]string{row.section, m.Name}
			groups[key] = append(groups[key], row)
		}
	}
	for key, rows := range groups {
		b.addModel(key[0], key[1], rows)
	}
}

// modelRow checks a model and derives its provider block; nil means it is
// left out, with a finding.
func (b *built) modelRow(m registry.Model) *modelRow {
	section := sectionOf(m.ModelType)
	leave := func(broken bool, format string, args ...any) *modelRow {
		msg := fmt.Sprintf(format, args...)
		b.leftOut[m.ID] = msg
		p := path("models", m.Name)
		if section != "" {
			p = path(section, m.Name)
		}
		if broken {
			b.fs.errorf(p, "left out: %s", msg)
		} else {
			b.fs.warnf(p, "left out: %s", msg)
		}
		return nil
	}
	pr := b.providers[m.ProviderID]
	switch {
	case section == "":
		return leave(false, "model type %s cannot be served by the gateway", m.ModelType)
	case pr == nil:
		return leave(false, "its provider %s is not an active provider of the catalogue", m.ProviderID)
	case pr.err != "":
		return leave(pr.broken, "the row on provider %s: %s", pr.p.Name, pr.err)
	}
	row, msg := newModelRow(m, pr, section)
	if msg != "" {
		return leave(true, "the row on provider %s: %s", pr.p.Name, msg)
	}
	if section == "embedding_models" {
		if t, _ := row.block["type"].(string); !providerSpecs[t].embedding {
			return leave(false, "the row on provider %s: provider type %s cannot serve embedding models", pr.p.Name, t)
		}
	}
	return row
}

// newModelRow derives a model's provider block and checks it; msg says why
// the row is left out.
func newModelRow(m registry.Model, pr *provRow, section string) (*modelRow, string) {
	if pfx := reservedPrefix(m.Name); pfx != "" {
		return nil, fmt.Sprintf("the name starts with the reserved prefix %s", pfx)
	}
	row := &modelRow{m: m, prov: pr, section: section}
	if err := decodeMeta(m.Metadata, &row.meta); err != nil {
		return nil, "unreadable " + err.Error()
	}
	set, err := parseFragment(row.meta.TOML)
	if err != nil {
		return nil, fmt.Sprintf("unreadable metadata.%s.toml: %v", MetadataKey, err)
	}
	if row.model, err = parseFragment(row.meta.ModelTOML); err != nil {
		return nil, fmt.Sprintf("unreadable metadata.%s.model_toml: %v", MetadataKey, err)
	}
	gw := gatewayType(pr.p.Type, pr.meta, section == "embedding_models")
	eff := gw
	if t, ok := set["type"].(string); ok {
		eff = t
	}
	spec, known := specFor(eff)
	if !known {
		return nil, fmt.Sprintf("unknown gateway provider type %q", eff)
	}
	row.block = deriveBlock(pr.p, pr.meta, pr.extras, m.ModelID, gw, eff, section == "embedding_models")
	applyOverrides(row.block, set, row.meta.Omit)
	required := spec.required
	if section == "embedding_models" {
		required = spec.embedRequired
	}
	var missing []string
	for _, k := range required {
		if _, ok := row.block[k]; !ok {
			missing = append(missing, k)
		}
	}
	if eff == "gcp_vertex_gemini" {
		_, a := row.block["model_id"]
		_, b := row.block["endpoint_id"]
		if a == b {
			missing = append(missing, "exactly one of model_id and endpoint_id")
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Sprintf("a %s provider block needs %s", eff, strings.Join(missing, ", "))
	}
	return row, ""
}

// compareRouting orders the rows of one model: stored routing position
// first, then provider name, then model_id.
func compareRouting(a, b *modelRow) int {
	ra, rb := a.meta.Routing, b.meta.Routing
	switch {
	case ra != nil && rb == nil:
		return -1
	case ra == nil && rb != nil:
		return 1
	case ra != nil && *ra != *rb:
		return cmp.Compare(*ra, *rb)
	}
	return cmp.Or(strings.Compare(a.prov.p.Name, b.prov.p.Name), strings.Compare(a.m.ModelID, b.m.ModelID))
}

func (b *built) addModel(section, name string, rows []*modelRow) {
	slices.SortFunc(rows, compareRouting)
	providers := map[string]any{}
	var routing []any
	model := map[string]any{}
	for _, r := range rows {
		pname := r.prov.p.Name
		if _, dup := providers[pname]; dup {
			// Mappings to this row still name the model, which is rendered.
			b.fs.warnf(path(section, name), "left out the row with model_id %q: the model already has a row on provider %s", r.m.ModelID, pname)
			b.models[r.m.ID] = r
			continue
		}
		providers[pname] = r.block
		routing = append(routing, pname)
		for k, v := range r.model {
			if _, set := model[k]; !set && k != "providers" {
				model[k] = deepCopy(v)
			}
		}
		b.models[r.m.ID] = r
	}
	if _, ok := model["routing"]; !ok {
		model["routing"] = routing
	}
	model["providers"] = providers
	sec, _ := b.root[section].(map[string]any)
	if sec == nil {
		sec = map[string]any{}
		b.root[section] = sec
	}
	sec[name] = model
}

// mergeSections adds the stored top-level sections.
func (b *built) mergeSections(pt Passthrough) {
	for _, key := range sortedKeys(pt) {
		name, isSection := strings.CutPrefix(key, SectionPrefix)
		if !isSection {
			if !strings.HasPrefix(key, FunctionPrefix) {
				b.fs.warnf(key, "ignored pass-through row with unknown key %q", key)
			}
			continue
		}
		var e SectionEntry
		var doc map[string]any
		err := json.Unmarshal(pt[key], &e)
		if err == nil {
			doc, err = parseFragment(e.TOML)
		}
		if err != nil {
			b.fs.errorf(path(name), "left out: unreadable pass-through row %q: %v", key, err)
			continue
		}
		for _, k := range sortedKeys(doc) {
			empty := false
			if t, ok := table(doc[k]); ok && len(t) == 0 {
				empty = true
			}
			switch {
			case (k == "models" || k == "embedding_models" || k == "functions") && empty:
				if b.root[k] == nil {
					b.root[k] = map[string]any{}
				}
			case k == "models" || k == "embedding_models" || k == "functions":
				b.fs.warnf(path(k), "ignored pass-through row %q: %s comes from registry rows", key, k)
			case b.root[k] != nil:
				b.fs.warnf(path(k), "ignored pass-through row %q: %s is already set", key, k)
			default:
				b.root[k] = doc[k]
			}
		}
	}
}
