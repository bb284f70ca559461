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
