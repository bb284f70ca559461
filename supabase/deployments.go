package supabase

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/pmoves/model-registry/registry"
)

// ListDeployments lists deployments by node and model. Without statuses it
// lists the loading and loaded ones; with statuses, those. NodeID matches
// exactly.
func (c *Client) ListDeployments(ctx context.Context, f registry.DeploymentFilter) ([]registry.Deployment, int, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	q := newQuery("*").order("node_id.asc,model_name.asc,model_id.asc")
	if len(f.Statuses) == 0 {
		q.in("status", activeDeploymentStatuses)
	} else {
		vals := make([]string, len(f.Statuses))
		for i, s := range f.Statuses {
			if !s.Valid() {
				return nil, 0, registry.Invalid("status", "must be one of %s", join(registry.DeploymentStatuses))
			}
			vals[i] = string(s)
		}
		q.in("status", vals)
	}
	if f.NodeID != "" {
		q.eq("node_id", f.NodeID)
	}
	if err := checkFilterID("model_id", f.ModelID); err != nil {
		return nil, 0, err
	}
	if f.ModelID != "" {
		q.eq("model_id", f.ModelID)
	}
	return listPage[registry.Deployment](ctx, c, viewDeployments, q, f.Page)
}

// deploymentProviders maps the runtime of a deployment to the provider type
// of the models it serves.
var deploymentProviders = map[registry.DeploymentProvider]registry.ProviderType{
	registry.DeployOllama: registry.ProviderOllama,
	registry.DeployVLLM:   registry.ProviderVLLM,
	registry.DeployTTS:    registry.ProviderCustom,
	registry.DeployCustom: registry.ProviderCustom,
}

// SetDeploymentStatus moves a deployment to s.Status, replacing its error
// message (cleared when s has none), its VRAM when s has one, last_seen_at
// (now) and loaded_at as RegisterDeployment does.
func (c *Client) SetDeploymentStatus(ctx context.Context, id string, s registry.StatusChange) (registry.Deployment, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if err := checkID(id); err != nil {
		return registry.Deployment{}, err
	}
	if err := s.Validate(); err != nil {
		return registry.Deployment{}, err
	}
	prev, err := getOne[registry.Deployment](ctx, c, tableDeployments, id)
	if errors.Is(err, registry.ErrNotFound) {
		return prev, orNotFound(err, "deployment", id)
	}
	if err != nil {
		return prev, err
	}
	now := time.Now().UTC()
	set := map[string]any{
		"status":            s.Status,
		"error_message":     s.ErrorMessage,
		"last_seen_at":      now,
		"state_observed_at": now,
	}
	if s.VRAMAllocatedMB != nil {
		set["vram_allocated_mb"] = *s.VRAMAllocatedMB
	}
	if s.Status == registry.StatusLoaded && (prev.Status != registry.StatusLoaded || prev.LoadedAt == nil) {
		set["loaded_at"] = now
	}
	body, err := json.Marshal(set)
	if err != nil {
		return registry.Deployment{}, err
	}
	rows, err := execRows[registry.Deployment](ctx, c,
		c.pg.From(tableDeployments).Update(json.RawMessage(body), "representation", "").Eq("id", id))
	if err != nil {
		return registry.Deployment{}, translate(err, nil)
	}
	if len(rows) == 0 {
		return registry.Deployment{}, notFound("deployment", id)
	}
	d, err := one(c, rows)
	if err != nil {
		return d, err
	}
	return c.deploymentView(ctx, d), nil
}

// deploymentView re-reads a written deployment from v_deployments for its
// model and provider fields, or returns the table row if that fails.
func (c *Client) deploymentView(ctx context.Context, d registry.Deployment) registry.Deployment {
	if v, err := getOne[registry.Deployment](ctx, c, viewDeployments, d.ID); err == nil {
		return v
	}
	return d
}
