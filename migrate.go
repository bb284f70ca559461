package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"

	"github.com/pmoves/model-registry/registry"
	"github.com/pmoves/model-registry/supabase"
	"github.com/pmoves/model-registry/tomlgen"
)

// runMigrateTensorZero imports a tensorzero.toml into the registry through
// PostgREST. Rows are matched by natural key (provider name; provider and
// model_id; service, function and variant; pass-through key), so a second
// run changes nothing. --dry-run writes nothing and needs no credentials.
func runMigrateTensorZero(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := newFlagSet("migrate-tensorzero", "Import an existing tensorzero.toml into the registry (idempotent).", stdout)
	path := fs.String("config-path", "", "the tensorzero.toml to import (required)")
	dry := fs.Bool("dry-run", false, "print the plan and write nothing; compares with the registry only when SUPABASE_SERVICE_KEY is set")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" {
		return errors.New("migrate-tensorzero: --config-path is required")
	}
	doc, err := os.ReadFile(*path)
	if err != nil {
		return fmt.Errorf("migrate-tensorzero: %w", err)
	}
	plan, err := tomlgen.Import(doc)
	if err != nil {
		return fmt.Errorf("migrate-tensorzero: %s: %w", *path, err)
	}
	for _, f := range plan.Findings {
		fmt.Fprintf(stdout, "%s: %s: %s\n", f.Severity, f.Path, f.Message)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	im := &importer{out: stdout, dry: *dry}
	if cfg.ServiceKey == "" {
		if !*dry {
			return cfg.requireServiceKey()
		}
		fmt.Fprintln(stdout, "dry run without SUPABASE_SERVICE_KEY: the plan against an empty registry")
		im.existing = registry.Catalog{}
	} else {
		store, err := supabase.New(supabase.Config{URL: cfg.restURL(), ServiceKey: cfg.ServiceKey, Schema: cfg.Schema,
			Timeout: 4 * cfg.UpstreamTimeout})
		if err != nil {
			return err
		}
		defer store.Close()
		im.store = store
		if im.existing, err = store.FullCatalog(ctx); err != nil {
			return fmt.Errorf("migrate-tensorzero: read the registry: %w", err)
		}
	}
	if err := im.apply(ctx, plan); err != nil {
		return fmt.Errorf("migrate-tensorzero: %w", err)
	}
	im.summary()
	return nil
}

// importer applies a plan, row by row, against what the registry holds.
type importer struct {
	store    *supabase.Client // nil on a dry run without credentials
	existing registry.Catalog
	out      io.Writer
	dry      bool
	counts   map[string]int // "created", "updated", "unchanged"
}

func (im *importer) note(action, kind, key string) {
	if im.counts == nil {
		im.counts = map[string]int{}
	}
	im.counts[action]++
	if action != "unchanged" {
		verb := action
		if im.dry {
			verb = "would be " + action
		}
		fmt.Fprintf(im.out, "%-9s %s %s\n", verb+":", kind, key)
	}
}

func (im *importer) summary() {
	c := im.counts
	if c["created"]+c["updated"] == 0 {
		fmt.Fprintf(im.out, "no changes: %d rows already match\n", c["unchanged"])
		return
	}
	prefix := ""
	if im.dry {
		prefix = "dry run: would have "
	}
	fmt.Fprintf(im.out, "%screated %d, updated %d, unchanged %d\n", prefix, c["created"], c["updated"], c["unchanged"])
}

func (im *importer) apply(ctx context.Context, plan *tomlgen.Plan) error {
	providerIDs := map[string]string{}
	byName := map[string]registry.Provider{}
	for _, p := range im.existing.Providers {
		byName[p.Name] = p
		providerIDs[p.Name] = p.ID
	}
	for _, in := range plan.Providers {
		id, err := im.provider(ctx, in, byName)
		if err != nil {
			return err
		}
		providerIDs[in.Name] = id
	}

	modelIDs := map[tomlgen.ModelKey]string{}
	byKey := map[tomlgen.ModelKey]registry.Model{}
	for _, m := range im.existing.Models {
		k := tomlgen.ModelKey{Provider: m.ProviderName, ModelID: m.ModelID}
		byKey[k], modelIDs[k] = m, m.ID
	}
	for _, pm := range plan.Models {
		id, err := im.model(ctx, pm, providerIDs, byKey)
		if err != nil {
			return err
		}
		modelIDs[pm.Key()] = id
	}

	mappings := map[registry.MappingKey]registry.Mapping{}
	for _, m := range im.existing.Mappings {
		mappings[registry.MappingKey{Service: m.ServiceName, Function: m.FunctionName, Variant: m.VariantName}] = m
	}
	for _, pm := range plan.Mappings {
		if err := im.mapping(ctx, pm, modelIDs, mappings); err != nil {
			return err
		}
	}

	keys := make([]string, 0, len(plan.Passthrough))
	for k := range plan.Passthrough {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		old, ok := im.existing.Passthrough[k]
		switch {
		case ok && sameJSON(old, plan.Passthrough[k]):
			im.note("unchanged", "pass-through", k)
			continue
		case ok:
			im.note("updated", "pass-through", k)
		default:
			im.note("created", "pass-through", k)
		}
		if im.writes() {
			if err := im.store.PutPassthrough(ctx, k, plan.Passthrough[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (im *importer) writes() bool { return !im.dry && im.store != nil }

// placeholder stands in for the id of a row a dry run did not create.
func placeholder(kind, key string) string { return "(new " + kind + " " + key + ")" }

func (im *importer) provider(ctx context.Context, in registry.ProviderInput, byName map[string]registry.Provider) (string, error) {
	old, ok := byName[in.Name]
	if !ok {
		im.note("created", "provider", in.Name)
		if !im.writes() {
			return placeholder("provider", in.Name), nil
		}
		p, err := im.store.CreateProvider(ctx, in)
		return p.ID, err
	}
	meta, err := tomlgen.WithMeta(old.Metadata, in.Metadata)
	if err != nil {
		return "", fmt.Errorf("provider %s: %w", in.Name, err)
	}
	var patch registry.ProviderPatch
	changed := false
	if in.Type != old.Type {
		patch.Type, changed = &in.Type, true
	}
	if !sameString(in.APIBase, old.APIBase) {
		patch.APIBase, changed = orEmpty(in.APIBase), true
	}
	if !sameString(in.APIKeyEnvVar, old.APIKeyEnvVar) {
		patch.APIKeyEnvVar, changed = orEmpty(in.APIKeyEnvVar), true
	}
	if in.Description != nil && !sameString(in.Description, old.Description) {
		patch.Description, changed = in.Description, true
	}
	if !sameJSON(meta, old.Metadata) {
		patch.Metadata, changed = orEmptyObject(meta), true
	}
	if !changed {
		im.note("unchanged", "provider", in.Name)
		return old.ID, nil
	}
	im.note("updated", "provider", in.Name)
	if im.writes() {
		if _, err := im.store.UpdateProvider(ctx, old.ID, patch); err != nil {
			return "", err
		}
	}
	return old.ID, nil
}

func (im *importer) model(ctx context.Context, pm tomlgen.PlannedModel, providerIDs map[string]string,
	byKey map[tomlgen.ModelKey]registry.Model) (string, error) {
	key := pm.Provider + "/" + pm.Input.ModelID
	in, err := pm.Resolve(providerIDs)
	if err != nil {
		return "", err
	}
	old, ok := byKey[pm.Key()]
	if !ok {
		im.note("created", "model", key)
		if !im.writes() {
			return placeholder("model", key), nil
		}
		m, err := im.store.CreateModel(ctx, in)
		return m.ID, err
	}
	meta, err := tomlgen.WithMeta(old.Metadata, in.Metadata)
	if err != nil {
		return "", fmt.Errorf("model %s: %w", key, err)
	}
	var patch registry.ModelPatch
	changed := false
	if in.Name != old.Name {
		patch.Name, changed = &in.Name, true
	}
	if in.ModelType != old.ModelType {
		patch.ModelType, changed = &in.ModelType, true
	}
	if in.Capabilities != nil && !reflect.DeepEqual(in.Capabilities, old.Capabilities) {
		patch.Capabilities, changed = &in.Capabilities, true
	}
	if in.ContextLength != nil && (old.ContextLength == nil || *in.ContextLength != *old.ContextLength) {
		patch.ContextLength, changed = in.ContextLength, true
	}
	if in.Description != nil && !sameString(in.Description, old.Description) {
		patch.Description, changed = in.Description, true
	}
	if !sameJSON(meta, old.Metadata) {
		patch.Metadata, changed = orEmptyObject(meta), true
	}
	if !changed {
		im.note("unchanged", "model", key)
		return old.ID, nil
	}
	im.note("updated", "model", key)
	if im.writes() {
		if _, err := im.store.UpdateModel(ctx, old.ID, patch); err != nil {
			return "", err
		}
	}
	return old.ID, nil
}

func (im *importer) mapping(ctx context.Context, pm tomlgen.PlannedMapping, modelIDs map[tomlgen.ModelKey]string,
	existing map[registry.MappingKey]registry.Mapping) error {
	in, err := pm.Resolve(modelIDs)
	if err != nil {
		return err
	}
	k := in.Key()
	key := k.Service + "/" + k.Function + "/" + k.Variant
	old, ok := existing[k]
	if ok && sameMapping(in, old) {
		im.note("unchanged", "mapping", key)
		return nil
	}
	if ok {
		im.note("updated", "mapping", key)
	} else {
		im.note("created", "mapping", key)
	}
	if im.writes() {
		_, _, err := im.store.PutMapping(ctx, in)
		return err
	}
	return nil
}

func sameMapping(in registry.MappingInput, old registry.Mapping) bool {
	priority, weight := 1, 1.0
	if in.Priority != nil {
		priority = *in.Priority
	}
	if in.Weight != nil {
		weight = *in.Weight
	}
	return in.ModelID == old.ModelID && priority == old.Priority && weight == old.Weight &&
		sameString(in.FallbackModelID, old.FallbackModelID) && sameJSON(in.Params, old.Params)
}

// sameJSON compares two JSON values by meaning (jsonb reorders keys and
// respaces); absent, null and {} are the same.
func sameJSON(a, b json.RawMessage) bool {
	return reflect.DeepEqual(decodeJSON(a), decodeJSON(b))
}

func decodeJSON(raw json.RawMessage) any {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return map[string]any{}
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return string(t)
	}
	return v
}

func sameString(a, b *string) bool {
	av, bv := "", ""
	if a != nil {
		av = *a
	}
	if b != nil {
		bv = *b
	}
	return av == bv
}

// orEmpty turns "absent" into the empty string, which clears the column.
func orEmpty(s *string) *string {
	if s == nil {
		empty := ""
		return &empty
	}
	return s
}

func orEmptyObject(raw json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(raw)) == 0 {
		return json.RawMessage(`{}`)
	}
	return raw
}
