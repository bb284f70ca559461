package supabase

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/pmoves/model-registry/registry"
)

// mappingKey is the upsert key of service_model_mappings.
const mappingKey = "service_name,function_name,variant_name"

// mappingOrder is routing order, made total by the unique key.
const mappingOrder = "service_name.asc,function_name.asc,priority.asc,variant_name.asc"

// ListMappings lists mappings from v_mappings in routing order
// (service, function, priority, variant), filtered by service, function and
// model_id. The view holds only mappings whose model and provider are
// active: a mapping to an inactive model is not routed and not listed, but
// it still exists, still blocks deleting its model, and PutMapping and
// DeleteMapping still reach it.
func (c *Client) ListMappings(ctx context.Context, f registry.MappingFilter) ([]registry.Mapping, int, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	q := newQuery("*").order(mappingOrder)
	if f.Service != "" {
		q.eq("service_name", f.Service)
	}
	if f.Function != "" {
		q.eq("function_name", f.Function)
	}
	if err := checkFilterID("model_id", f.ModelID); err != nil {
		return nil, 0, err
	}
	if f.ModelID != "" {
		q.eq("model_id", f.ModelID)
	}
	return listPage[registry.Mapping](ctx, c, viewMappings, q, f.Page)
}

// mappingRow is every writable column of service_model_mappings.
type mappingRow struct {
	ServiceName     string          `json:"service_name"`
	FunctionName    string          `json:"function_name"`
	VariantName     string          `json:"variant_name"`
	ModelID         string          `json:"model_id"`
	Priority        int             `json:"priority"`
	Weight          float64         `json:"weight"`
	FallbackModelID *string         `json:"fallback_model_id"`
	Params          json.RawMessage `json:"params"`
}

// newMappingRow applies the defaults to absent fields: priority 1, weight 1,
// no fallback, params {}.
func newMappingRow(in registry.MappingInput) mappingRow {
	row := mappingRow{
		ServiceName:     in.ServiceName,
		FunctionName:    in.FunctionName,
		VariantName:     in.VariantName,
		ModelID:         in.ModelID,
		Priority:        1,
		Weight:          1,
		FallbackModelID: nullIfEmpty(in.FallbackModelID),
		Params:          objectOrEmpty(in.Params),
	}
	if in.Priority != nil {
		row.Priority = *in.Priority
	}
	if in.Weight != nil {
		row.Weight = *in.Weight
	}
	return row
}

// CreateMapping inserts a mapping; a mapping with the same key is a
// conflict. An unknown model_id or fallback_model_id is a
// *registry.ValidationError on that field.
func (c *Client) CreateMapping(ctx context.Context, in registry.MappingInput) (registry.Mapping, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if err := in.Validate(); err != nil {
		return registry.Mapping{}, err
	}
	body, err := json.Marshal(newMappingRow(in))
	if err != nil {
		return registry.Mapping{}, err
	}
	rows, err := execRows[registry.Mapping](ctx, c,
		c.pg.From(tableMappings).Insert(json.RawMessage(body), false, "", "representation", ""))
	if err != nil {
		return registry.Mapping{}, translate(err, map[string]string{"service_model_mappings_key": fmt.Sprintf(
			"a mapping %s/%s/%s exists; PUT replaces it", in.ServiceName, in.FunctionName, in.VariantName)})
	}
	m, err := one(c, rows)
	if err != nil {
		return m, err
	}
	return c.mappingView(ctx, m), nil
}

// PutMapping creates the mapping with in's key or replaces all of its
// fields; absent fields get their defaults (priority 1, weight 1, no
// fallback, params {}). It is one upsert on the key, so concurrent puts of
// one key leave one row; PostgREST's 201 or 200 tells created from
// replaced. An unknown model_id or fallback_model_id is a
// *registry.ValidationError on that field.
func (c *Client) PutMapping(ctx context.Context, in registry.MappingInput) (registry.Mapping, bool, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if err := in.Validate(); err != nil {
		return registry.Mapping{}, false, err
	}
	body, err := json.Marshal(newMappingRow(in))
	if err != nil {
		return registry.Mapping{}, false, err
	}
	q := newQuery("").set("on_conflict", mappingKey).encode()
	resp, err := c.do(ctx, http.MethodPost, tableMappings, q,
		"resolution=merge-duplicates,return=representation", body)
	if err != nil {
		return registry.Mapping{}, false, translate(err, nil)
	}
	rows, err := decodeRows[registry.Mapping](c, resp.status, resp.body)
	if err != nil {
		return registry.Mapping{}, false, err
	}
	m, err := one(c, rows)
	if err != nil {
		return m, false, err
	}
	return c.mappingView(ctx, m), resp.status == http.StatusCreated, nil
}

// mappingView re-reads a written mapping from v_mappings for its
// model, provider and fallback details. A mapping whose model or provider is
// inactive is not in the view and is returned without them (as is the table
// row if the re-read fails: the write has succeeded).
func (c *Client) mappingView(ctx context.Context, m registry.Mapping) registry.Mapping {
	if v, err := getOne[registry.Mapping](ctx, c, viewMappings, m.ID); err == nil {
		return v
	}
	return m
}

// DeleteMapping deletes the mapping with key and returns its id.
func (c *Client) DeleteMapping(ctx context.Context, key registry.MappingKey) (string, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if err := key.Validate(); err != nil {
		return "", err
	}
	rows, err := execRows[struct {
		ID string `json:"id"`
	}](ctx, c, c.pg.From(tableMappings).Delete("representation", "").
		Eq("service_name", key.Service).Eq("function_name", key.Function).Eq("variant_name", key.Variant))
	if err != nil {
		return "", err
	}
	if len(rows) == 0 {
		return "", fmt.Errorf("mapping %s/%s/%s: %w", key.Service, key.Function, key.Variant, registry.ErrNotFound)
	}
	return rows[0].ID, nil
}

// ServiceModels lists the routes of a service as the platform's
// v_service_models shows them (only active models of active providers),
// optionally of one function, best first within each function.
func (c *Client) ServiceModels(ctx context.Context, service, function string) ([]registry.ServiceModel, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	q := newQuery("*").eq("service_name", service).
		order("function_name.asc,priority.asc,weight.desc,variant_name.asc,id.asc")
	if function != "" {
		q.eq("function_name", function)
	}
	return listAll[registry.ServiceModel](ctx, c, viewServiceModels, q)
}
