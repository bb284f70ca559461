package supabase

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/pmoves/model-registry/registry"
)

// ListModels lists models by name. With f.Active nil or true it lists the
// active models of active providers (v_active_models); with Active false the
// inactive models, whatever their provider (v_models). Provider matches the
// provider's name or type; Q is a case-insensitive substring of name,
// model_id or description.
func (c *Client) ListModels(ctx context.Context, f registry.ModelFilter) ([]registry.Model, int, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	rel, q := modelsQuery(f)
	return listPage[registry.Model](ctx, c, rel, q, f.Page)
}

// modelsQuery is the relation and query of ListModels.
func modelsQuery(f registry.ModelFilter) (string, *query) {
	rel := viewActiveModels
	q := newQuery("*").order("name.asc,provider_name.asc,id.asc")
	if f.Active != nil && !*f.Active {
		rel = viewModels
		q.eq("active", "false")
	}
	if f.ModelType != "" {
		q.eq("model_type", string(f.ModelType))
	}
	if f.Provider != "" {
		q.or(condEq("provider_name", f.Provider), condEq("provider_type", f.Provider))
	}
	if f.Q != "" {
		q.or(condILike("name", f.Q), condILike("model_id", f.Q), condILike("description", f.Q))
	}
	return rel, q
}

// ListModelsJSON is ListModels answered with PostgREST's JSON array as it
// came, not decoded: the API's busiest read skips decoding and encoding a
// page of models. The rows are the view's, the same fields as
// registry.Model (timestamps keep PostgreSQL's +00:00 form). When PostgREST
// caps the page below the limit it falls back to ListModels, which pages.
func (c *Client) ListModelsJSON(ctx context.Context, f registry.ModelFilter) (json.RawMessage, int, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	p, err := f.Page.Normalize()
	if err != nil {
		return nil, 0, err
	}
	rel, q := modelsQuery(f)
	if p.All {
		return allJSON(ctx, c, rel, q, p.Offset)
	}
	q.page(p.Limit, p.Offset)
	resp, err := c.do(ctx, http.MethodGet, rel, q.encode(), "count=exact", nil)
	if err != nil {
		if resp != nil && resp.status == http.StatusRequestedRangeNotSatisfiable {
			if total, ok := contentRange(resp.header.Get("Content-Range")); ok && total >= 0 {
				return json.RawMessage("[]"), total, nil
			}
		}
		return nil, 0, fmt.Errorf("list %s: %w", rel, err)
	}
	cr := resp.header.Get("Content-Range")
	total, ok := contentRange(cr)
	if !ok || total < 0 {
		return nil, 0, c.malformed(resp.status, "missing or bad Content-Range with count=exact", nil)
	}
	body, ok := jsonArray(resp.body)
	if !ok {
		return nil, 0, c.malformed(resp.status, "the answer is not a JSON array", nil)
	}
	if rows := rangeRows(cr); rows < p.Limit && p.Offset+rows < total {
		items, total, err := c.ListModels(ctx, f) // capped: page through it
		if err != nil {
			return nil, 0, err
		}
		raw, err := json.Marshal(items)
		return raw, total, err
	}
	return body, total, nil
}

// allJSON reads every row of rel matching q from offset on, page by page
// past PostgREST's row cap, and joins PostgREST's JSON arrays into one
// without decoding them.
func allJSON(ctx context.Context, c *Client, rel string, q *query, offset int) (json.RawMessage, int, error) {
	out := []byte{'['}
	total, err := pages(ctx, c, rel, q, -1, offset, func(r *response) (int, error) {
		body, ok := jsonArray(r.body)
		if !ok {
			return 0, c.malformed(r.status, "the answer is not a JSON array", nil)
		}
		rows := rangeRows(r.header.Get("Content-Range"))
		if inner := bytes.TrimSpace(body[1 : len(body)-1]); rows > 0 && len(inner) > 0 {
			if len(out) > 1 {
				out = append(out, ',')
			}
			out = append(out, inner...)
		}
		return rows, nil
	})
	if err != nil {
		return nil, 0, err
	}
	return append(out, ']'), total, nil
}

// jsonArray trims a body PostgREST built and checks it has an array's
// brackets; a full validation would cost a quarter of the request, and a cut
// or foreign body lacks them.
func jsonArray(body []byte) ([]byte, bool) {
	body = bytes.TrimSpace(body)
	return body, len(body) >= 2 && body[0] == '[' && body[len(body)-1] == ']'
}

// rangeRows counts the rows of a Content-Range "first-last/total".
func rangeRows(cr string) int {
	span, _, _ := strings.Cut(cr, "/")
	first, last, ok := strings.Cut(span, "-")
	if !ok {
		return 0
	}
	a, err1 := strconv.Atoi(first)
	b, err2 := strconv.Atoi(last)
	if err1 != nil || err2 != nil || b < a {
		return 0
	}
	return b - a + 1
}

// GetModel reads one model from v_models, active or not, with its provider
// fields and aliases.
func (c *Client) GetModel(ctx context.Context, id string) (registry.Model, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if err := checkID(id); err != nil {
		return registry.Model{}, err
	}
	m, err := getOne[registry.Model](ctx, c, viewModels, id)
	if errors.Is(err, registry.ErrNotFound) {
		return m, orNotFound(err, "model", id)
	}
	return m, err
}

// modelRow is every writable column of models.
type modelRow struct {
	ProviderID    string             `json:"provider_id"`
	Name          string             `json:"name"`
	ModelID       string             `json:"model_id"`
	ModelType     registry.ModelType `json:"model_type"`
	Capabilities  []string           `json:"capabilities"`
	VRAMMB        *int               `json:"vram_mb"`
	ContextLength *int               `json:"context_length"`
	Description   *string            `json:"description"`
	Metadata      json.RawMessage    `json:"metadata"`
	Active        bool               `json:"active"`
}

// newModelRow applies the defaults to absent fields: capabilities [],
// metadata {}, description null (also for ""), active true.
func newModelRow(in registry.ModelInput) modelRow {
	caps := in.Capabilities
	if caps == nil {
		caps = []string{}
	}
	return modelRow{
		ProviderID:    in.ProviderID,
		Name:          in.Name,
		ModelID:       in.ModelID,
		ModelType:     in.ModelType,
		Capabilities:  caps,
		VRAMMB:        in.VRAMMB,
		ContextLength: in.ContextLength,
		Description:   nullIfEmpty(in.Description),
		Metadata:      objectOrEmpty(in.Metadata),
		Active:        in.Active == nil || *in.Active,
	}
}

func modelConflicts(modelID string) map[string]string {
	return map[string]string{"models_provider_id_model_id_key": fmt.Sprintf("the provider already has a model with model_id %q", modelID)}
}

// CreateModel inserts a model and returns it as v_models shows it. An
// unknown provider is a *registry.ValidationError on provider_id.
func (c *Client) CreateModel(ctx context.Context, in registry.ModelInput) (registry.Model, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if err := in.Validate(); err != nil {
		return registry.Model{}, err
	}
	body, err := json.Marshal(newModelRow(in))
	if err != nil {
		return registry.Model{}, err
	}
	rows, err := execRows[registry.Model](ctx, c,
		c.pg.From(tableModels).Insert(json.RawMessage(body), false, "", "representation", ""))
	if err != nil {
		return registry.Model{}, translate(err, modelConflicts(in.ModelID))
	}
	m, err := one(c, rows)
	if err != nil {
		return m, err
	}
	return c.modelView(ctx, m), nil
}

// ReplaceModel replaces every field of a model; absent fields get their
// defaults.
func (c *Client) ReplaceModel(ctx context.Context, id string, in registry.ModelInput) (registry.Model, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if err := checkID(id); err != nil {
		return registry.Model{}, err
	}
	if err := in.Validate(); err != nil {
		return registry.Model{}, err
	}
	return c.patchModel(ctx, id, newModelRow(in), in.ModelID)
}

// UpdateModel changes the fields p names. An empty description clears it;
// metadata null means {}.
func (c *Client) UpdateModel(ctx context.Context, id string, p registry.ModelPatch) (registry.Model, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if err := checkID(id); err != nil {
		return registry.Model{}, err
	}
	if err := p.Validate(); err != nil {
		return registry.Model{}, err
	}
	set := map[string]any{}
	modelID := ""
	if p.ProviderID != nil {
		set["provider_id"] = *p.ProviderID
	}
	if p.Name != nil {
		set["name"] = *p.Name
	}
	if p.ModelID != nil {
		set["model_id"], modelID = *p.ModelID, *p.ModelID
	}
	if p.ModelType != nil {
		set["model_type"] = *p.ModelType
	}
	if p.Capabilities != nil {
		caps := *p.Capabilities
		if caps == nil {
			caps = []string{}
		}
		set["capabilities"] = caps
	}
	if p.VRAMMB != nil {
		set["vram_mb"] = *p.VRAMMB
	}
	if p.ContextLength != nil {
		set["context_length"] = *p.ContextLength
	}
	if p.Description != nil {
		set["description"] = nullIfEmpty(p.Description)
	}
	if p.Metadata != nil {
		set["metadata"] = objectOrEmpty(p.Metadata)
	}
	if p.Active != nil {
		set["active"] = *p.Active
	}
	return c.patchModel(ctx, id, set, modelID)
}

func (c *Client) patchModel(ctx context.Context, id string, set any, modelID string) (registry.Model, error) {
	m, err := patchByID[registry.Model](ctx, c, tableModels, "model", id, set, modelConflicts(modelID))
	if err != nil {
		return m, err
	}
	return c.modelView(ctx, m), nil
}

// modelView re-reads a written model from v_models for its provider fields
// and aliases. The write has succeeded; if the re-read fails the table row
// is returned as it is rather than reporting a failed write.
func (c *Client) modelView(ctx context.Context, m registry.Model) registry.Model {
	if v, err := getOne[registry.Model](ctx, c, viewModels, m.ID); err == nil {
		return v
	}
	return m
}
