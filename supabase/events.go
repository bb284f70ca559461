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

// deploymentState is a deployment row as the events adapter reads it.
type deploymentState struct {
	registry.Deployment
	StateObservedAt *time.Time `json:"state_observed_at"`
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// statusOf is the status r announces; none means loaded.
func statusOf(r registry.DeploymentRegistration) registry.DeploymentStatus {
	if r.Status == "" {
		return registry.StatusLoaded
	}
	return r.Status
}

// deploymentRow is the body of a deployment insert. All its keys are always
// sent, absent values as null (the columns' default), because every row of
// a bulk insert must have the same keys.
type deploymentRow struct {
	ModelID         string                      `json:"model_id"`
	NodeID          string                      `json:"node_id"`
	ProviderType    registry.DeploymentProvider `json:"provider_type"`
	Status          registry.DeploymentStatus   `json:"status"`
	VRAMAllocatedMB *int                        `json:"vram_allocated_mb"`
	ErrorMessage    *string                     `json:"error_message"`
	LoadedAt        *time.Time                  `json:"loaded_at"`
	LastSeenAt      time.Time                   `json:"last_seen_at"`
	StateObservedAt time.Time                   `json:"state_observed_at"`
}

func newDeploymentRow(r registry.DeploymentRegistration, modelID string, observed time.Time) deploymentRow {
	row := deploymentRow{ModelID: modelID, NodeID: r.NodeID, ProviderType: r.ProviderType, Status: statusOf(r),
		VRAMAllocatedMB: r.VRAMAllocatedMB, ErrorMessage: r.ErrorMessage, LastSeenAt: observed, StateObservedAt: observed}
	if row.Status == registry.StatusLoaded {
		row.LoadedAt = &observed
	}
	return row
}

// insertDeployments inserts the rows whose (model, node) has no deployment
// yet, in one request, and returns the rows it inserted; the others are left
// alone.
func (c *Client) insertDeployments(ctx context.Context, rows []deploymentRow) ([]deploymentState, error) {
	body, err := json.Marshal(rows)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, http.MethodPost, tableDeployments,
		newQuery("").set("on_conflict", "model_id,node_id").encode(),
		"resolution=ignore-duplicates,return=representation", body)
	if err != nil {
		return nil, err
	}
	return decodeRows[deploymentState](c, resp.status, resp.body)
}

// insertError words a failed deployment insert of model: a missing model
// (foreign key) is ErrNotFound.
func insertError(err error, modelID string) error {
	if code, _ := constraint(err); code == "23503" {
		return fmt.Errorf("model %s: %w", modelID, registry.ErrNotFound)
	}
	return translate(err, nil)
}

// recordOne applies one event to the deployment of (modelID, r.NodeID) on
// its own: an insert, and when the pair exists a read and a guarded update.
func (c *Client) recordOne(ctx context.Context, r registry.DeploymentRegistration, modelID string, observed time.Time) (deploymentState, bool, error) {
	rows, err := c.insertDeployments(ctx, []deploymentRow{newDeploymentRow(r, modelID, observed)})
	if err != nil {
		return deploymentState{}, false, insertError(err, modelID)
	}
	if len(rows) == 1 {
		return rows[0], true, nil
	}
	cur, err := c.deploymentState(ctx, modelID, r.NodeID)
	if err != nil {
		return deploymentState{}, false, err
	}
	return c.applyGuarded(ctx, cur, r, observed)
}

// applyGuarded updates the existing deployment cur with what r announces at
// observed, unless its state was observed later (applied false). The guard
// is part of the update's filter, so two replicas applying events for one
// pair cannot interleave into an older state even when cur is out of date.
// last_seen_at only moves forward, and loaded_at stays while the model
// stays loaded. It returns the row as it is now.
func (c *Client) applyGuarded(ctx context.Context, cur deploymentState, r registry.DeploymentRegistration, observed time.Time) (deploymentState, bool, error) {
	if cur.StateObservedAt != nil && cur.StateObservedAt.After(observed) {
		return cur, false, nil
	}
	status := statusOf(r)
	set := map[string]any{"provider_type": r.ProviderType, "status": status, "error_message": r.ErrorMessage,
		"state_observed_at": observed}
	if cur.LastSeenAt == nil || !cur.LastSeenAt.After(observed) {
		set["last_seen_at"] = observed
	}
	if r.VRAMAllocatedMB != nil {
		set["vram_allocated_mb"] = *r.VRAMAllocatedMB
	}
	if status == registry.StatusLoaded {
		set["loaded_at"] = observed
		if cur.Status == registry.StatusLoaded && cur.LoadedAt != nil {
			set["loaded_at"] = *cur.LoadedAt
		}
	}
	body, err := json.Marshal(set)
	if err != nil {
		return deploymentState{}, false, err
	}
	q := newQuery("").eq("id", cur.ID).or(condIs("state_observed_at", "null"),
		"state_observed_at.lte."+quote(stamp(observed)))
	resp, err := c.do(ctx, http.MethodPatch, tableDeployments, q.encode(), "return=representation", body)
	if err != nil {
		return deploymentState{}, false, translate(err, nil)
	}
	rows, err := decodeRows[deploymentState](c, resp.status, resp.body)
	if err != nil {
		return deploymentState{}, false, err
	}
	if len(rows) == 0 { // a newer state landed in between
		latest, err := c.deploymentState(ctx, cur.ModelID, cur.NodeID)
		return latest, false, err
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
