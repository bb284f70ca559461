package supabase

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pmoves/model-registry/registry"
	"github.com/supabase-community/postgrest-go"
)

// ListAliases lists aliases by alias and context (no context first),
// filtered by model_id and context. A Context pointing at "" selects the
// aliases without a context; nil selects all.
func (c *Client) ListAliases(ctx context.Context, f registry.AliasFilter) ([]registry.Alias, int, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	q := newQuery("*").order("alias.asc,context.asc.nullsfirst,id.asc")
	if err := checkFilterID("model_id", f.ModelID); err != nil {
		return nil, 0, err
	}
	if f.ModelID != "" {
		q.eq("model_id", f.ModelID)
	}
	if f.Context != nil {
		if *f.Context == "" {
			q.is("context", "null")
		} else {
			q.eq("context", *f.Context)
		}
	}
	return listPage[registry.Alias](ctx, c, tableAliases, q, f.Page)
}

// CreateAlias inserts an alias. An alias taken in its context is a
// conflict; an unknown model is a *registry.ValidationError on model_id.
func (c *Client) CreateAlias(ctx context.Context, in registry.AliasInput) (registry.Alias, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if err := in.Validate(); err != nil {
		return registry.Alias{}, err
	}
	in.Context = nullIfEmpty(in.Context)
	body, err := json.Marshal(struct {
		ModelID string  `json:"model_id"`
		Alias   string  `json:"alias"`
		Context *string `json:"context"`
	}{in.ModelID, in.Alias, in.Context})
	if err != nil {
		return registry.Alias{}, err
	}
	rows, err := execRows[registry.Alias](ctx, c,
		c.pg.From(tableAliases).Insert(json.RawMessage(body), false, "", "representation", ""))
	if err != nil {
		msg := fmt.Sprintf("the alias %q exists without a context", in.Alias)
		if in.Context != nil {
			msg = fmt.Sprintf("the alias %q exists in context %q", in.Alias, *in.Context)
		}
		return registry.Alias{}, translate(err, map[string]string{"model_aliases_alias_context_key": msg})
	}
	return one(c, rows)
}

// DeleteAlias deletes an alias.
func (c *Client) DeleteAlias(ctx context.Context, id string) error {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if err := checkID(id); err != nil {
		return err
	}
	return c.deleteByID(ctx, tableAliases, "alias", id)
}

// ResolveAlias returns the model an alias names: the alias in context scope
// if there is one, else the alias without a context. With a nil (or empty)
// scope only aliases without a context match. The model comes from
// v_models, so an alias of an inactive model (or of a model of an inactive
// provider) still resolves; the caller sees Active and ProviderActive.
func (c *Client) ResolveAlias(ctx context.Context, alias string, scope *string) (registry.Model, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	fb := c.pg.From(tableAliases).Select("model_id,context", "", false).Eq("alias", alias)
	if scope != nil && *scope != "" {
		fb = fb.Or(condEq("context", *scope)+","+condIs("context", "null"), "")
	} else {
		fb = fb.Is("context", "null")
	}
	fb = fb.Order("context", &postgrest.OrderOpts{Ascending: true}).Limit(1, "")
	rows, err := execRows[struct {
		ModelID string `json:"model_id"`
	}](ctx, c, fb)
	if err != nil {
		return registry.Model{}, err
	}
	if len(rows) == 0 {
		return registry.Model{}, fmt.Errorf("alias %q: %w", alias, registry.ErrNotFound)
	}
	return c.GetModel(ctx, rows[0].ModelID)
}
