package tomlgen

import (
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pmoves/model-registry/registry"
)

// impProvider is a registry provider made from every block with its key.
type impProvider struct {
	in     registry.ProviderInput
	meta   ProviderMeta
	extras map[string]any
}

func (p *impProvider) provider() registry.Provider {
	return registry.Provider{Name: p.in.Name, Type: p.in.Type, APIBase: p.in.APIBase, APIKeyEnvVar: p.in.APIKeyEnvVar}
}

// providerExtraKeys are the keys a provider carries for all its models when
// every block of the provider has the same value: they describe the account or
// region, not the model.
var providerExtraKeys = []string{"region", "location", "project_id"}

func (im *importer) collectBlocks() error {
	for _, section := range []string{"models", "embedding_models"} {
		raw, ok := im.root[section]
		if !ok {
			continue
		}
		sec, ok := table(raw)
		if !ok {
			return fmt.Errorf("%s: is a %s, not a table", section, tomlType(raw))
		}
		for _, name := range sortedKeys(sec) {
			if err := im.collectModel(section, name, sec[name]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (im *importer) collectModel(section, name string, raw any) error {
	p := path(section, name)
	mt, ok := table(raw)
	if !ok {
		return fmt.Errorf("%s: is a %s, not a table", p, tomlType(raw))
	}
	if msg := nameProblem(name, true); msg != "" {
		return fmt.Errorf("%s: the registry cannot hold this model name: it %s", p, msg)
	}
	provs, ok := table(mt["providers"])
	if !ok || len(provs) == 0 {
		return fmt.Errorf("%s: has no providers table with at least one provider", p)
	}
	if _, ok := mt["routing"]; !ok {
		return fmt.Errorf("%s: has no routing", p)
	}
	routing, _ := stringList(mt["routing"])
	for _, key := range sortedKeys(provs) {
		bp := path(section, name, "providers", key)
		block, ok := table(provs[key])
		if !ok {
			return fmt.Errorf("%s: is a %s, not a table", bp, tomlType(provs[key]))
		}
		typ, ok := block["type"].(string)
		if !ok {
			return fmt.Errorf("%s: has no string type", bp)
		}
		if msg := nameProblem(key, false); msg != "" {
			return fmt.Errorf("%s: the registry cannot hold this provider name: it %s", bp, msg)
		}
		b := &impBlock{section: section, model: name, key: key, block: block, typ: typ, table: mt}
		for i, r := range routing {
			if r == key {
				b.routing = &i
				break
			}
		}
		im.blocks = append(im.blocks, b)
	}
	return nil
}

// decideProviders makes one registry provider per provider key. Its gateway
// type, api_base and credential are the ones most blocks with that key use,
// so that as few models as possible need overrides.
func (im *importer) decideProviders() {
	byKey := map[string][]*impBlock{}
	for _, b := range im.blocks {
		byKey[b.key] = append(byKey[b.key], b)
	}
	for _, key := range sortedKeys(byKey) {
		bs := byKey[key]
		types := map[string]int{}
		for _, b := range bs {
			types[b.typ]++
		}
		typ := mostCommon(types, nil)
		if len(types) > 1 {
			im.fs.warnf(key, "provider %s is used with several gateway types (%s); it gets %s and the other models keep their type as pass-through",
				key, strings.Join(sortedKeys(types), ", "), typ)
		}
		var ofType []*impBlock
		for _, b := range bs {
			if b.typ == typ {
				ofType = append(ofType, b)
			}
		}
		p := &impProvider{in: registry.ProviderInput{Name: key}, extras: map[string]any{}}
		spec, _ := specFor(typ)
		base := chooseBase(ofType, spec.urlKey)
		if base != "" {
			p.in.APIBase = &base
		}
		switch {
		case typ == "openai" && isOllama(base):
			p.in.Type = registry.ProviderOllama
		case typ == "openai":
			p.in.Type = registry.ProviderOpenAICompatible
		case typ == "anthropic":
			p.in.Type = registry.ProviderAnthropic
		case typ == "vllm":
			p.in.Type = registry.ProviderVLLM
		default:
			p.in.Type = registry.ProviderCustom
			p.meta.Type = typ
		}
		chooseCredential(p, ofType, spec.credKey)
		if len(types) == 1 {
			for _, k := range providerExtraKeys {
				if v, ok := commonValue(bs, k); ok && spec.accepts(k, false) {
					p.extras[k] = v
				}
			}
		}
		// The extras are plain strings in every real file; one that cannot
		// be encoded stays with the models instead.
		if frag, err := fragment(p.extras); err == nil {
			p.meta.TOML = frag
		} else {
			p.extras = map[string]any{}
		}
		p.in.Metadata = encodeMeta(p.meta)
		im.providers[key] = p
		im.plan.Providers = append(im.plan.Providers, p.in)
	}
}

// mostCommon returns the key with the highest count; ties go to the first in
// order, or by name when order is nil.
func mostCommon(counts map[string]int, order func(a, b string) bool) string {
	keys := sortedKeys(counts)
	if order != nil {
		sort.SliceStable(keys, func(i, j int) bool { return order(keys[i], keys[j]) })
	}
	best := ""
	for i, k := range keys {
		if i == 0 || counts[k] > counts[best] {
			best = k
		}
	}
	return best
}

// chooseBase returns the URL most blocks carry under urlKey, if it is one the
// registry accepts as api_base; "" when most blocks have none.
func chooseBase(bs []*impBlock, urlKey string) string {
	if urlKey == "" {
		return ""
	}
	counts := map[string]int{}
	for _, b := range bs {
		s, _ := b.block[urlKey].(string)
		if s != "" && !validBase(s) {
			s = ""
		}
		counts[s]++
	}
	// On a tie a URL beats none, so the provider row keeps where it is.
	return mostCommon(counts, func(a, b string) bool { return a != "" && b == "" })
}

func validBase(s string) bool {
	err := registry.ProviderInput{Name: "p", Type: registry.ProviderCustom, APIBase: &s}.Validate()
	return err == nil
}

func isOllama(base string) bool {
	u, err := url.Parse(base)
	return err == nil && u.Port() == "11434"
}

// chooseCredential sets api_key_env_var and the credential mode from what
// most blocks use: env::VAR, "none" or no key at all.
func chooseCredential(p *impProvider, bs []*impBlock, credKey string) {
	if credKey == "" {
		return
	}
	counts := map[string]int{}
	for _, b := range bs {
		switch v, ok := b.block[credKey]; {
		case !ok:
			counts["absent"]++
		case v == "none":
			counts["none"]++
		default:
			s, _ := v.(string)
			if name, ok := strings.CutPrefix(s, "env::"); ok && validEnv(name) {
				counts["env::"+name]++
			}
		}
	}
	if len(counts) == 0 {
		return
	}
	rank := func(k string) int {
		switch {
		case strings.HasPrefix(k, "env::"):
			return 0
		case k == "none":
			return 1
		}
		return 2
	}
	best := mostCommon(counts, func(a, b string) bool { return rank(a) < rank(b) })
	custom := p.in.Type == registry.ProviderCustom
	switch {
	case strings.HasPrefix(best, "env::"):
		v := strings.TrimPrefix(best, "env::")
		p.in.APIKeyEnvVar = &v
	case best == "none" && custom:
		p.meta.Credential = "none"
	case best == "absent" && !custom:
		p.meta.Credential = "default"
	}
}

func validEnv(s string) bool {
	err := registry.ProviderInput{Name: "p", Type: registry.ProviderCustom, APIKeyEnvVar: &s}.Validate()
	return err == nil
}

// commonValue returns the value of key k if every block has it and all are
// equal.
func commonValue(bs []*impBlock, k string) (any, bool) {
	var first any
	for i, b := range bs {
		v, ok := b.block[k]
		if !ok || (i > 0 && !equalValue(first, v)) {
			return nil, false
		}
		first = v
	}
	return first, first != nil
}

// modelRows makes one model row per block: model_id from the block's model
// key, made unique per provider, and the block's difference from what the
// registry fields derive as pass-through.
func (im *importer) modelRows() error {
	sort.Slice(im.blocks, func(i, j int) bool {
		a, b := im.blocks[i], im.blocks[j]
		if a.model != b.model {
			return a.model < b.model
		}
		if a.section != b.section {
			return a.section > b.section // models before embedding_models
		}
		return a.key < b.key
	})
	// A model named like its provider model id keeps that id; the others
	// take theirs in name order.
	taken := map[string]map[string]bool{}
	ids := map[*impBlock]string{}
	for _, b := range im.blocks {
		if taken[b.key] == nil {
			taken[b.key] = map[string]bool{}
		}
		if c := candidateID(b); c == b.model && !taken[b.key][c] {
			taken[b.key][c] = true
			ids[b] = c
		}
	}
	for _, b := range im.blocks {
		if _, done := ids[b]; !done {
			ids[b] = uniqueID(taken[b.key], candidateID(b), b.model)
		}
	}
	im.firstRow = map[string]ModelKey{}
	first := map[string]*impBlock{}
	for _, b := range im.blocks {
		p := im.providers[b.key]
		spec, _ := specFor(b.typ)
		candidate, modelID := candidateID(b), ids[b]
		if modelID != candidate && candidate != "" {
			im.fs.warnf(path(b.section, b.model, "providers", b.key), "model_id %q is taken on provider %s or is not a valid name; the row gets %q and keeps %s as pass-through", candidate, b.key, modelID, spec.idKey)
		}
		gw := gatewayType(p.in.Type, p.meta, b.section == "embedding_models")
		derived := deriveBlock(p.provider(), p.meta, p.extras, modelID, gw, b.typ, b.section == "embedding_models")
		set, omit := diffTable(derived, b.block)
		meta := ModelMeta{Routing: b.routing, Omit: omit}
		var err error
		if meta.TOML, err = fragment(set); err != nil {
			return fmt.Errorf("%s: %w", path(b.section, b.model, "providers", b.key), err)
		}
		if meta.ModelTOML, err = im.modelLevel(b); err != nil {
			return fmt.Errorf("%s: %w", path(b.section, b.model), err)
		}
		typ := registry.ModelChat
		if b.section == "embedding_models" {
			typ = registry.ModelEmbedding
		}
		im.plan.Models = append(im.plan.Models, PlannedModel{Provider: b.key, Input: registry.ModelInput{
			Name: b.model, ModelID: modelID, ModelType: typ, Metadata: encodeMeta(meta)}})
		if b.section == "models" {
			if f := first[b.model]; f == nil || routedBefore(b, f) {
				first[b.model] = b
				im.firstRow[b.model] = ModelKey{Provider: b.key, ModelID: modelID}
			}
		}
	}
	return nil
}

// candidateID is the provider's id of the model in a block: the value of
// the type's id key (endpoint_id for an endpoint-based gcp_vertex_gemini).
func candidateID(b *impBlock) string {
	spec, _ := specFor(b.typ)
	id, _ := b.block[spec.idKey].(string)
	if e, ok := b.block["endpoint_id"].(string); ok && id == "" && b.typ == "gcp_vertex_gemini" {
		id = e
	}
	return id
}

func routedBefore(a, b *impBlock) bool {
	switch {
	case a.routing != nil && b.routing == nil:
		return true
	case a.routing == nil && b.routing != nil:
		return false
	case a.routing != nil && *a.routing != *b.routing:
		return *a.routing < *b.routing
	}
	return a.key < b.key
}

// modelLevel returns the model table's own keys as a TOML document, with the
// routing list only when it is not the one the rows derive.
func (im *importer) modelLevel(b *impBlock) (string, error) {
	rest := copyTable(b.table)
	delete(rest, "providers")
	var mine []*impBlock
	for _, o := range im.blocks {
		if o.section == b.section && o.model == b.model {
			mine = append(mine, o)
		}
	}
	sort.Slice(mine, func(i, j int) bool { return routedBefore(mine[i], mine[j]) })
	derived := make([]any, len(mine))
	for i, o := range mine {
		derived[i] = o.key
	}
	if equalValue(derived, rest["routing"]) {
		delete(rest, "routing")
	}
	return fragment(rest)
}

// uniqueID returns a model_id for a row: the block's own id when it is free
// on the provider, else "<id>#<model name>", else "<model name>#<n>".
func uniqueID(taken map[string]bool, candidate, model string) string {
	try := []string{model}
	if validName(candidate) {
		try = []string{candidate, candidate + "#" + model}
	}
	for _, c := range try {
		if validName(c) && !taken[c] {
			taken[c] = true
			return c
		}
	}
	base := model
	if utf8.RuneCountInString(base) > 180 {
		base = strings.TrimSpace(string([]rune(base)[:180]))
	}
	for i := 2; i < math.MaxInt32; i++ {
		c := base + "#" + strconv.Itoa(i)
		if !taken[c] {
			taken[c] = true
			return c
		}
	}
	panic("unreachable")
}

func validName(s string) bool { return s != "" && nameProblem(s, false) == "" }
