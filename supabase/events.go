package supabase

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/pmoves/model-registry/registry"
)

// Deployment rows as the events adapter reads them.
type deploymentState struct {
	registry.Deployment
	StateObservedAt *time.Time `json:"state_observed_at"`
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// RecordDeployment applies what a GPU node announced at observed to the
// deployment of (model, node); it implements events.Store. It returns the
// table row (without the view's model fields): the bridge needs only its id,
// and events are the registry's hottest write path. A deployment
// whose state was observed later than that is left alone (applied false),
// so reordered or redelivered events cannot flip a state back. The guard is
// part of the write's filter, so two replicas applying events for one pair
// cannot interleave into an older state. last_seen_at only moves forward.
func (c *Client) RecordDeployment(ctx context.Context, r registry.DeploymentRegistration, observed time.Time) (registry.Deployment, bool, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if err := r.Validate(); err != nil {
		return registry.Deployment{}, false, err
	}
	if r.Status == "" {
		r.Status = registry.StatusLoaded
	}
	observed = observed.UTC()
	modelID := r.ModelID
	if modelID == "" {
		var err error
		if modelID, err = c.resolveProviderModel(ctx, r.ProviderType, r.ProviderModelID); err != nil {
			return registry.Deployment{}, false, err
		}
	}
	set := map[string]any{
		"model_id": modelID, "node_id": r.NodeID, "provider_type": r.ProviderType, "status": r.Status,
		"error_message": r.ErrorMessage, "last_seen_at": observed, "state_observed_at": observed,
	}
	if r.VRAMAllocatedMB != nil {
		set["vram_allocated_mb"] = *r.VRAMAllocatedMB
	}
	if r.Status == registry.StatusLoaded {
		set["loaded_at"] = observed
	}
	// A new pair: one insert that does nothing if the row exists.
	body, err := json.Marshal(set)
	if err != nil {
		return registry.Deployment{}, false, err
	}
	resp, err := c.do(ctx, http.MethodPost, tableDeployments,
		newQuery("").set("on_conflict", "model_id,node_id").encode(),
		"resolution=ignore-duplicates,return=representation", body)
	if err != nil {
		if code, _ := constraint(err); code == "23503" {
			return registry.Deployment{}, false, fmt.Errorf("model %s: %w", modelID, registry.ErrNotFound)
		}
		return registry.Deployment{}, false, translate(err, nil)
	}
	if rows, err := decodeRows[registry.Deployment](c, resp.status, resp.body); err == nil && len(rows) == 1 {
		return rows[0], true, nil
	}

	// The pair exists: update it unless its state is newer than this event.
	cur, err := c.deploymentState(ctx, modelID, r.NodeID)
	if err != nil {
		return registry.Deployment{}, false, err
	}
	if cur.StateObservedAt != nil && cur.StateObservedAt.After(observed) {
		return cur.Deployment, false, nil
	}
	delete(set, "model_id")
	delete(set, "node_id")
	if cur.LastSeenAt != nil && cur.LastSeenAt.After(observed) {
		delete(set, "last_seen_at")
	}
	if r.Status == registry.StatusLoaded && cur.Status == registry.StatusLoaded && cur.LoadedAt != nil {
		set["loaded_at"] = *cur.LoadedAt
	}
	if body, err = json.Marshal(set); err != nil {
		return registry.Deployment{}, false, err
	}
	q := newQuery("").eq("id", cur.ID).or(condIs("state_observed_at", "null"),
		"state_observed_at.lte."+quote(stamp(observed)))
	resp, err = c.do(ctx, http.MethodPatch, tableDeployments, q.encode(), "return=representation", body)
	if err != nil {
		return registry.Deployment{}, false, translate(err, nil)
	}
	rows, err := decodeRows[registry.Deployment](c, resp.status, resp.body)
	if err != nil {
		return registry.Deployment{}, false, err
	}
	if len(rows) == 0 { // a newer state landed in between
		latest, err := c.deploymentState(ctx, modelID, r.NodeID)
		return latest.Deployment, false, err
	}
	return rows[0], true, nil
}

func (c *Client) deploymentState(ctx context.Context, modelID, nodeID string) (deploymentState, error) {
	rows, err := execRows[deploymentState](ctx, c, c.pg.From(tableDeployments).Select("*", "", false).
		Eq("model_id", modelID).Eq("node_id", nodeID).Limit(1, ""))
	if err != nil {
		return deploymentState{}, err
	}
	if len(rows) == 0 {
		return deploymentState{}, fmt.Errorf("deployment of model %s on %s: %w", modelID, nodeID, registry.ErrNotFound)
	}
	return rows[0], nil
}

// discoveredProvider names the provider that holds models announced by GPU
// nodes that the registry did not know, one per runtime.
func discoveredProvider(runtime registry.DeploymentProvider) (string, registry.ProviderType) {
	return "discovered_" + string(runtime), deploymentProviders[runtime]
}

// DiscoverModel registers a model a GPU node announced that the registry did
// not know: an inactive model, named by the provider's id of it, under the
// inactive provider "discovered_<runtime>". Operators review it and move or
// activate it. It is idempotent, also when replicas race: both inserts
// ignore an existing row, and the row is read back.
func (c *Client) DiscoverModel(ctx context.Context, runtime registry.DeploymentProvider, providerModelID, nodeID string) (registry.Model, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if !runtime.Valid() {
		return registry.Model{}, registry.Invalid("provider_type", "must be one of ollama, vllm, tts, custom")
	}
	name, ptype := discoveredProvider(runtime)
	active := false
	desc := "Models announced by GPU nodes that the registry did not know; review and move them."
	pbody, _ := json.Marshal(map[string]any{"name": name, "type": ptype, "active": active, "description": desc})
	if _, err := c.do(ctx, http.MethodPost, tableProviders, newQuery("").set("on_conflict", "name").encode(),
		"resolution=ignore-duplicates,return=minimal", pbody); err != nil {
		return registry.Model{}, translate(err, nil)
	}
	provs, err := execRows[registry.Provider](ctx, c, c.pg.From(tableProviders).Select("id", "", false).Eq("name", name).Limit(1, ""))
	if err != nil {
		return registry.Model{}, err
	}
	if len(provs) == 0 {
		return registry.Model{}, fmt.Errorf("provider %s vanished: %w", name, registry.ErrUnavailable)
	}
	modelType := registry.ModelChat
	if runtime == registry.DeployTTS {
		modelType = registry.ModelTTS
	}
	meta, _ := json.Marshal(map[string]any{"discovered": true, "discovered_on": nodeID, "runtime": runtime})
	mbody, _ := json.Marshal(map[string]any{"provider_id": provs[0].ID, "name": providerModelID,
		"model_id": providerModelID, "model_type": modelType, "active": false, "metadata": json.RawMessage(meta)})
	if _, err := c.do(ctx, http.MethodPost, tableModels, newQuery("").set("on_conflict", "provider_id,model_id").encode(),
		"resolution=ignore-duplicates,return=minimal", mbody); err != nil {
		return registry.Model{}, translate(err, nil)
	}
	models, err := execRows[registry.Model](ctx, c, c.pg.From(viewModels).Select("*", "", false).
		Eq("provider_id", provs[0].ID).Eq("model_id", providerModelID).Limit(1, ""))
	if err != nil {
		return registry.Model{}, err
	}
	if len(models) == 0 {
		return registry.Model{}, errors.New("discovered model not found after insert")
	}
	return models[0], nil
}

// TouchNode moves last_seen_at of the node's deployments forward to seen.
func (c *Client) TouchNode(ctx context.Context, nodeID string, seen time.Time) error {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	body, _ := json.Marshal(map[string]any{"last_seen_at": seen.UTC()})
	q := newQuery("").eq("node_id", nodeID).or(condIs("last_seen_at", "null"), "last_seen_at.lt."+quote(stamp(seen)))
	if _, err := c.do(ctx, http.MethodPatch, tableDeployments, q.encode(), "return=minimal", body); err != nil {
		return translate(err, nil)
	}
	return nil
}
