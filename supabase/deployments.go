package supabase

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
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

// RegisterDeployment records that a node has (or is loading, or dropped) a
// model. The model is r.ModelID, or the model whose provider's type matches
// r.ProviderType (ollama→ollama, vllm→vllm, tts and custom→custom) and whose
// model_id is r.ProviderModelID; several such models resolve to the one that
// is active (model and provider), else the call is a conflict naming them.
// An unknown model is ErrNotFound.
//
// The write is one upsert on (model_id, node_id), so concurrent
// registrations of a pair leave exactly one row; created reports whether it
// was new. Status defaults to loaded. last_seen_at becomes now. loaded_at
// becomes now when the deployment turns loaded, and keeps its time while it
// stays loaded; other statuses keep the last load time. error_message is
// replaced (cleared when r has none); vram_allocated_mb only when r has one.
// Times are the registry's clock.
func (c *Client) RegisterDeployment(ctx context.Context, r registry.DeploymentRegistration) (registry.Deployment, bool, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if err := r.Validate(); err != nil {
		return registry.Deployment{}, false, err
	}
	r = r.Normalized()
	if r.Status == "" {
		r.Status = registry.StatusLoaded
	}
	modelID := r.ModelID
	if modelID == "" {
		var err error
		if modelID, err = c.resolveProviderModel(ctx, deploymentProviders[r.ProviderType], r.ProviderModelID); err != nil {
			return registry.Deployment{}, false, err
		}
	}
	prev, err := execRows[registry.Deployment](ctx, c, c.pg.From(tableDeployments).
		Select("status,loaded_at", "", false).Eq("model_id", modelID).Eq("node_id", r.NodeID).Limit(1, ""))
	if err != nil {
		return registry.Deployment{}, false, err
	}
	now := time.Now().UTC()
	set := map[string]any{
		"model_id":          modelID,
		"node_id":           r.NodeID,
		"provider_type":     r.ProviderType,
		"status":            r.Status,
		"error_message":     r.ErrorMessage,
		"last_seen_at":      now,
		"state_observed_at": now,
	}
	if r.VRAMAllocatedMB != nil {
		set["vram_allocated_mb"] = *r.VRAMAllocatedMB
	}
	if r.Status == registry.StatusLoaded {
		set["loaded_at"] = now
		if len(prev) == 1 && prev[0].Status == registry.StatusLoaded && prev[0].LoadedAt != nil {
			set["loaded_at"] = *prev[0].LoadedAt
		}
	}
	body, err := json.Marshal(set)
	if err != nil {
		return registry.Deployment{}, false, err
	}
	resp, err := c.do(ctx, http.MethodPost, tableDeployments,
		newQuery("").set("on_conflict", "model_id,node_id").encode(),
		"resolution=merge-duplicates,return=representation", body)
	if err != nil {
		if code, _ := constraint(err); code == "23503" {
			return registry.Deployment{}, false, &described{
				msg: fmt.Sprintf("model %s: %s", modelID, registry.ErrNotFound),
				err: withKind(err, registry.ErrNotFound),
			}
		}
		return registry.Deployment{}, false, translate(err, nil)
	}
	rows, err := decodeRows[registry.Deployment](c, resp.status, resp.body)
	if err != nil {
		return registry.Deployment{}, false, err
	}
	d, err := one(c, rows)
	if err != nil {
		return d, false, err
	}
	return c.deploymentView(ctx, d), resp.status == http.StatusCreated, nil
}

// resolveProviderModel finds the model a node names by the type of its
// provider (deploymentProviders maps a runtime to it) and the provider's
// model id.
func (c *Client) resolveProviderModel(ctx context.Context, pt registry.ProviderType, providerModelID string) (string, error) {
	rows, err := execRows[modelCandidate](ctx, c, c.pg.From(viewModels).
		Select(candidateColumns, "", false).
		Eq("model_id", providerModelID).Eq("provider_type", string(pt)).
		Order("provider_name", &postgrestAsc).Limit(50, ""))
	if err != nil {
		return "", err
	}
	return pickModel(pt, providerModelID, rows)
}

// modelCandidate is a model that a provider type and a provider's model id
// may name.
type modelCandidate struct {
	ID             string                `json:"id"`
	ModelID        string                `json:"model_id"`
	ProviderType   registry.ProviderType `json:"provider_type"`
	Active         bool                  `json:"active"`
	ProviderActive bool                  `json:"provider_active"`
	ProviderName   string                `json:"provider_name"`
}

const candidateColumns = "id,model_id,provider_type,active,provider_active,provider_name"

// pickModel chooses among the models of pt's providers whose model id is
// providerModelID, ordered by provider name: the only one, else the only
// active one of an active provider; none is ErrNotFound, several ErrConflict.
func pickModel(pt registry.ProviderType, providerModelID string, rows []modelCandidate) (string, error) {
	switch len(rows) {
	case 0:
		return "", &described{msg: fmt.Sprintf("no model with model_id %q from a provider of type %s", providerModelID, pt),
			err: registry.ErrNotFound}
	case 1:
		return rows[0].ID, nil
	}
	var active []modelCandidate
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = r.ProviderName
		if r.Active && r.ProviderActive {
			active = append(active, r)
		}
	}
	if len(active) == 1 {
		return active[0].ID, nil
	}
	return "", &described{msg: fmt.Sprintf("model_id %q is offered by several %s providers (%s); register it by model UUID",
		providerModelID, pt, strings.Join(names, ", ")), err: registry.ErrConflict}
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
