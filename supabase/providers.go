package supabase

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/pmoves/model-registry/registry"
)

// ListProviders lists providers by name, filtered by type and active.
func (c *Client) ListProviders(ctx context.Context, f registry.ProviderFilter) ([]registry.Provider, int, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	q := newQuery("*").order("name.asc,id.asc")
	if f.Type != "" {
		q.eq("type", string(f.Type))
	}
	if f.Active != nil {
		q.eq("active", strconv.FormatBool(*f.Active))
	}
	return listPage[registry.Provider](ctx, c, tableProviders, q, f.Page)
}

// GetProvider reads one provider, active or not.
func (c *Client) GetProvider(ctx context.Context, id string) (registry.Provider, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if err := checkID(id); err != nil {
		return registry.Provider{}, err
	}
	p, err := getOne[registry.Provider](ctx, c, tableProviders, id)
	if errors.Is(err, registry.ErrNotFound) {
		return p, orNotFound(err, "provider", id)
	}
	return p, err
}

// providerRow is every writable column of model_providers.
type providerRow struct {
	Name         string                `json:"name"`
	Type         registry.ProviderType `json:"type"`
	APIBase      *string               `json:"api_base"`
	APIKeyEnvVar *string               `json:"api_key_env_var"`
	Description  *string               `json:"description"`
	Metadata     json.RawMessage       `json:"metadata"`
	Active       bool                  `json:"active"`
}

// newProviderRow applies the defaults to absent fields: null texts (an
// empty string counts as absent), metadata {}, active true.
func newProviderRow(in registry.ProviderInput) providerRow {
	return providerRow{
		Name:         in.Name,
		Type:         in.Type,
		APIBase:      nullIfEmpty(in.APIBase),
		APIKeyEnvVar: nullIfEmpty(in.APIKeyEnvVar),
		Description:  nullIfEmpty(in.Description),
		Metadata:     objectOrEmpty(in.Metadata),
		Active:       in.Active == nil || *in.Active,
	}
}

func providerConflicts(name string) map[string]string {
	return map[string]string{"model_providers_name_key": fmt.Sprintf("a provider named %q exists", name)}
}

// CreateProvider inserts a provider.
func (c *Client) CreateProvider(ctx context.Context, in registry.ProviderInput) (registry.Provider, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if err := in.Validate(); err != nil {
		return registry.Provider{}, err
	}
	body, err := json.Marshal(newProviderRow(in))
	if err != nil {
		return registry.Provider{}, err
	}
	rows, err := execRows[registry.Provider](ctx, c,
		c.pg.From(tableProviders).Insert(json.RawMessage(body), false, "", "representation", ""))
	if err != nil {
		return registry.Provider{}, translate(err, providerConflicts(in.Name))
	}
	return one(c, rows)
}

// ReplaceProvider replaces every field of a provider; absent fields get
// their defaults.
func (c *Client) ReplaceProvider(ctx context.Context, id string, in registry.ProviderInput) (registry.Provider, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if err := checkID(id); err != nil {
		return registry.Provider{}, err
	}
	if err := in.Validate(); err != nil {
		return registry.Provider{}, err
	}
	return c.patchProvider(ctx, id, newProviderRow(in), in.Name)
}

// UpdateProvider changes the fields p names. An empty string clears
// api_base, api_key_env_var or description; metadata null means {}.
func (c *Client) UpdateProvider(ctx context.Context, id string, p registry.ProviderPatch) (registry.Provider, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if err := checkID(id); err != nil {
		return registry.Provider{}, err
	}
	if err := p.Validate(); err != nil {
		return registry.Provider{}, err
	}
	set := map[string]any{}
	name := ""
	if p.Name != nil {
		set["name"], name = *p.Name, *p.Name
	}
	if p.Type != nil {
		set["type"] = *p.Type
	}
	if p.APIBase != nil {
		set["api_base"] = nullIfEmpty(p.APIBase)
	}
	if p.APIKeyEnvVar != nil {
		set["api_key_env_var"] = nullIfEmpty(p.APIKeyEnvVar)
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
	return c.patchProvider(ctx, id, set, name)
}

func (c *Client) patchProvider(ctx context.Context, id string, set any, name string) (registry.Provider, error) {
	return patchByID[registry.Provider](ctx, c, tableProviders, "provider", id, set, providerConflicts(name))
}

// patchByID writes set to the row of table with id and returns the row; no
// such row is ErrNotFound naming the resource, and constraint violations are
// worded with conflicts.
func patchByID[T any](ctx context.Context, c *Client, table, resource, id string, set any, conflicts map[string]string) (T, error) {
	var zero T
	body, err := json.Marshal(set)
	if err != nil {
		return zero, err
	}
	rows, err := execRows[T](ctx, c, c.pg.From(table).Update(json.RawMessage(body), "representation", "").Eq("id", id))
	if err != nil {
		return zero, translate(err, conflicts)
	}
	if len(rows) == 0 {
		return zero, notFound(resource, id)
	}
	return one(c, rows)
}

// deleteByID deletes one row; no row is ErrNotFound.
func (c *Client) deleteByID(ctx context.Context, table, resource, id string) error {
	rows, err := execRows[struct {
		ID string `json:"id"`
	}](ctx, c, c.pg.From(table).Delete("representation", "").Eq("id", id))
	if err != nil {
		return translateDelete(err, resource, id)
	}
	if len(rows) == 0 {
		return notFound(resource, id)
	}
	return nil
}

// translateDelete explains a foreign-key violation of a delete: something
// was added that uses the row while it was being deleted.
func translateDelete(err error, resource, id string) error {
	if code, _ := constraint(err); code == "23503" {
		return &described{msg: fmt.Sprintf("%s %s is still in use (a reference was added meanwhile); try again", resource, id), err: err}
	}
	return err
}

// one returns the single row of a write's representation.
func one[T any](c *Client, rows []T) (T, error) {
	if len(rows) != 1 {
		var zero T
		return zero, c.malformed(200, fmt.Sprintf("write returned %d rows, want 1", len(rows)), nil)
	}
	return rows[0], nil
}

// nullIfEmpty maps "" to null.
func nullIfEmpty(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	return s
}

// objectOrEmpty maps an absent or null JSON value to {}.
func objectOrEmpty(raw json.RawMessage) json.RawMessage {
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
		return json.RawMessage(`{}`)
	}
	return raw
}
