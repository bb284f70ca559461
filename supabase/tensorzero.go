package supabase

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/pmoves/model-registry/registry"
)

const tablePassthrough = "tensorzero_passthrough"

type passthroughRow struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

// ActiveCatalog reads what the gateway configuration is rendered from:
// active providers, active models of active providers (v_active_models),
// the mappings whose model is active (v_service_models), and every
// pass-through row. Each list is read whole, past any row cap.
func (c *Client) ActiveCatalog(ctx context.Context) (registry.Catalog, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	var cat registry.Catalog
	var err error
	if cat.Providers, err = listAll[registry.Provider](ctx, c, tableProviders,
		newQuery("*").eq("active", "true").order("id.asc")); err != nil {
		return cat, err
	}
	if cat.Models, err = listAll[registry.Model](ctx, c, viewActiveModels, newQuery("*").order("id.asc")); err != nil {
		return cat, err
	}
	if cat.Mappings, err = listAll[registry.Mapping](ctx, c, viewServiceModels, newQuery("*").order("id.asc")); err != nil {
		return cat, err
	}
	cat.Passthrough, err = c.passthrough(ctx)
	return cat, err
}

// FullCatalog reads every provider, model and mapping, active or not, and
// the pass-through: what an import compares its plan with.
func (c *Client) FullCatalog(ctx context.Context) (registry.Catalog, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	var cat registry.Catalog
	var err error
	if cat.Providers, err = listAll[registry.Provider](ctx, c, tableProviders, newQuery("*").order("id.asc")); err != nil {
		return cat, err
	}
	if cat.Models, err = listAll[registry.Model](ctx, c, viewModels, newQuery("*").order("id.asc")); err != nil {
		return cat, err
	}
	if cat.Mappings, err = listAll[registry.Mapping](ctx, c, tableMappings, newQuery("*").order("id.asc")); err != nil {
		return cat, err
	}
	cat.Passthrough, err = c.passthrough(ctx)
	return cat, err
}

func (c *Client) passthrough(ctx context.Context) (map[string]json.RawMessage, error) {
	rows, err := listAll[passthroughRow](ctx, c, tablePassthrough, newQuery("key,value").order("key.asc"))
	if err != nil {
		return nil, err
	}
	out := make(map[string]json.RawMessage, len(rows))
	for _, r := range rows {
		out[r.Key] = r.Value
	}
	return out, nil
}

// PutPassthrough creates or replaces one pass-through entry.
func (c *Client) PutPassthrough(ctx context.Context, key string, value json.RawMessage) error {
	if !strings.HasPrefix(key, "section:") && !strings.HasPrefix(key, "function:") {
		return registry.Invalid("key", "must start with section: or function:")
	}
	body, err := json.Marshal(passthroughRow{Key: key, Value: value})
	if err != nil {
		return err
	}
	q := newQuery("").set("on_conflict", "key").encode()
	if _, err := c.do(ctx, http.MethodPost, tablePassthrough, q, "resolution=merge-duplicates,return=minimal", body); err != nil {
		return fmt.Errorf("store pass-through %s: %w", key, translate(err, nil))
	}
	return nil
}

// DeletePassthrough removes one pass-through entry; a missing one is fine.
func (c *Client) DeletePassthrough(ctx context.Context, key string) error {
	q := newQuery("").eq("key", key).encode()
	_, err := c.do(ctx, http.MethodDelete, tablePassthrough, q, "return=minimal", nil)
	if err != nil && !errors.Is(err, registry.ErrNotFound) {
		return translate(err, nil)
	}
	return nil
}
