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
// the mappings whose model is active (v_mappings), and every
// pass-through row. Each list is read whole, past any row cap.
func (c *Client) ActiveCatalog(ctx context.Context) (registry.Catalog, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	raw, err := c.readActive(ctx)
	if err != nil {
		return registry.Catalog{}, err
	}
	return raw.decode(c)
}

// ActiveCatalogIfChanged is ActiveCatalog for a caller that keeps what it
// made of the last read. version is the database's catalogue version
// (CatalogVersion), asked first: when it equals since, the catalogue is the
// one since stands for and is not read at all (changed is false), so an
// unchanged catalogue costs one function call. The version is taken before
// the catalogue is read, so a change in between makes the next call read
// again rather than be missed. A different version may still give the same
// catalogue (a row was saved without a change).
func (c *Client) ActiveCatalogIfChanged(ctx context.Context, since string) (cat registry.Catalog, version string, changed bool, err error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if version, err = c.CatalogVersion(ctx); err != nil {
		return cat, "", false, err
	}
	if version == since {
		return cat, version, false, nil
	}
	raw, err := c.readActive(ctx)
	if err != nil {
		return cat, "", false, err
	}
	cat, err = raw.decode(c)
	if err != nil {
		return registry.Catalog{}, "", false, err
	}
	return cat, version, true, nil
}

// activeRead is ActiveCatalog's four lists as PostgREST answered them, one
// body per page.
type activeRead struct {
	providers, models, mappings, passthrough [][]byte
}

func (c *Client) readActive(ctx context.Context) (activeRead, error) {
	var a activeRead
	for _, l := range []struct {
		rel  string
		q    *query
		into *[][]byte
	}{
		{tableProviders, newQuery("*").eq("active", "true").order("id.asc"), &a.providers},
		{viewActiveModels, newQuery("*").order("id.asc"), &a.models},
		{viewMappings, newQuery("*").order("id.asc"), &a.mappings},
		{tablePassthrough, newQuery("key,value").order("key.asc"), &a.passthrough},
	} {
		_, err := pages(ctx, c, l.rel, l.q, -1, 0, func(r *response) (int, error) {
			*l.into = append(*l.into, r.body)
			return rangeRows(r.header.Get("Content-Range")), nil
		})
		if err != nil {
			return a, err
		}
	}
	return a, nil
}

func (a activeRead) decode(c *Client) (registry.Catalog, error) {
	var cat registry.Catalog
	var err error
	if cat.Providers, err = decodePages[registry.Provider](c, a.providers); err != nil {
		return cat, err
	}
	if cat.Models, err = decodePages[registry.Model](c, a.models); err != nil {
		return cat, err
	}
	if cat.Mappings, err = decodePages[registry.Mapping](c, a.mappings); err != nil {
		return cat, err
	}
	rows, err := decodePages[passthroughRow](c, a.passthrough)
	if err != nil {
		return cat, err
	}
	cat.Passthrough = passthroughMap(rows)
	return cat, nil
}

// decodePages decodes the pages of one list into one slice.
func decodePages[T any](c *Client, pages [][]byte) ([]T, error) {
	items := make([]T, 0)
	for _, body := range pages {
		rows, err := decodeRows[T](c, http.StatusOK, body)
		if err != nil {
			return nil, err
		}
		items = append(items, rows...)
	}
	return items, nil
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
	return passthroughMap(rows), nil
}

func passthroughMap(rows []passthroughRow) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(rows))
	for _, r := range rows {
		out[r.Key] = r.Value
	}
	return out
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
