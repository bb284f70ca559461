package supabase

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pmoves/model-registry/registry"
)

// The registry's writes that touch several rows are SQL functions of
// sql/0006_registry_functions.sql, each one transaction, called through
// PostgREST's /rpc/. postgrest-go v0.0.12's Rpc builds its request without a
// context, so the calls go through the client's own request helper, which
// carries the caller's deadline and PostgREST's typed errors.

// rpc calls the registry function fn with args (its named arguments) and
// decodes its JSON answer into out.
func (c *Client) rpc(ctx context.Context, fn string, args any, out any) error {
	body, err := json.Marshal(args)
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, http.MethodPost, "rpc/"+fn, "", "", body)
	if err != nil {
		return translate(err, nil)
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		return c.malformed(resp.status, fmt.Sprintf("the answer of %s is not what it returns", fn), err)
	}
	return nil
}

// deleteAnswer is what registry_delete_model and registry_delete_provider
// answer.
type deleteAnswer struct {
	Found    bool                  `json:"found"`
	Deleted  bool                  `json:"deleted"`
	Models   []string              `json:"models"`
	Mappings []registry.MappingKey `json:"mappings"`
}

// DeleteModel removes a model in one transaction. Without cascade it fails
// with *registry.InUseError while mappings route to it; with cascade it
// deletes them too. Its aliases and deployments go with it, and mappings
// that fall back to it lose the fallback. The model's row is locked first,
// so a mapping created meanwhile either makes the delete refuse or fails.
func (c *Client) DeleteModel(ctx context.Context, id string, cascade bool) error {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if err := checkID(id); err != nil {
		return err
	}
	var a deleteAnswer
	if err := c.rpc(ctx, "registry_delete_model", map[string]any{"p_id": id, "p_cascade": cascade}, &a); err != nil {
		return err
	}
	switch {
	case !a.Found:
		return notFound("model", id)
	case !a.Deleted:
		return &registry.InUseError{Resource: registry.ResourceModel, ID: id, Mappings: a.Mappings}
	}
	return nil
}

// DeleteProvider removes a provider in one transaction. Without cascade it
// fails with *registry.InUseError while the provider has models, naming the
// mappings that route to them (or, without mappings, the models). With
// cascade it deletes those mappings, the models (their aliases and
// deployments with them) and the provider.
func (c *Client) DeleteProvider(ctx context.Context, id string, cascade bool) error {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if err := checkID(id); err != nil {
		return err
	}
	var a deleteAnswer
	if err := c.rpc(ctx, "registry_delete_provider", map[string]any{"p_id": id, "p_cascade": cascade}, &a); err != nil {
		return err
	}
	switch {
	case !a.Found:
		return notFound("provider", id)
	case !a.Deleted:
		return &registry.InUseError{Resource: registry.ResourceProvider, ID: id, Mappings: a.Mappings, Models: a.Models}
	}
	return nil
}

// CatalogVersion is a digest of what the gateway configuration is rendered
// from (registry_catalog_version): equal versions mean an unchanged
// catalogue. One call, about a millisecond of the database's time.
func (c *Client) CatalogVersion(ctx context.Context) (string, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	var v string
	if err := c.rpc(ctx, "registry_catalog_version", struct{}{}, &v); err != nil {
		return "", err
	}
	return v, nil
}

// deploymentEvent is one element of registry_record_deployments' batch.
type deploymentEvent struct {
	ModelID         string                      `json:"model_id,omitempty"`
	ProviderType    registry.ProviderType       `json:"provider_type,omitempty"`
	ProviderModelID string                      `json:"provider_model_id,omitempty"`
	NodeID          string                      `json:"node_id"`
	Runtime         registry.DeploymentProvider `json:"runtime"`
	Status          registry.DeploymentStatus   `json:"status"`
	VRAMAllocatedMB *int                        `json:"vram_allocated_mb,omitempty"`
	ErrorMessage    *string                     `json:"error_message,omitempty"`
	ObservedAt      time.Time                   `json:"observed_at"`
	Force           bool                        `json:"force,omitempty"` // apply whatever the stored state's time
}

// deploymentResult is registry_record_deployments' answer for one event.
type deploymentResult struct {
	Deployment *deploymentState `json:"deployment"`
	Applied    bool             `json:"applied"`
	Created    bool             `json:"created"`
	Error      string           `json:"error"`
	Message    string           `json:"message"`
}

// err is the event's failure as a registry error, or nil.
func (r deploymentResult) err() error {
	switch r.Error {
	case "":
		if r.Deployment == nil {
			return fmt.Errorf("registry_record_deployments answered neither a deployment nor an error: %w", registry.ErrUnavailable)
		}
		return nil
	case "not_found":
		return &described{msg: r.Message, err: registry.ErrNotFound}
	case "conflict":
		return &described{msg: r.Message, err: registry.ErrConflict}
	default:
		return &described{msg: r.Message, err: registry.ErrInvalid}
	}
}

// RecordDeployments records what GPU nodes announced, in one call of
// registry_record_deployments: event i registers regs[i] as observed at
// observed[i]. The model is regs[i].ModelID (a UUID) or the provider type
// of regs[i].ProviderType and regs[i].ProviderModelID. It implements
// events.Store.
//
// For each event it returns the deployment as it is now (the table row,
// without the view's model fields), whether the event was applied, and an
// error: registry.ErrNotFound for an unknown model, registry.ErrConflict when
// several models match, or a failure of the store (then every event has
// it). A deployment whose state was observed later than the event is left
// alone (not applied), so reordered or redelivered events cannot flip a
// state back; last_seen_at only moves forward. The events of one pair take
// effect in slice order, each in a savepoint of its own.
func (c *Client) RecordDeployments(ctx context.Context, regs []registry.DeploymentRegistration, observed []time.Time) ([]registry.Deployment, []bool, []error) {
	ds, applied, _, errs := c.recordDeployments(ctx, regs, observed, false)
	return ds, applied, errs
}

// RegisterDeployment records that a node has (or is loading, or dropped) a
// model, as registry_record_deployments does for an event observed now,
// applied whatever the stored state's time. created reports whether the
// (model, node) pair was new. Status defaults to loaded; error_message is
// replaced (cleared when r has none); vram_allocated_mb only when r has
// one. An unknown model is ErrNotFound; a provider's model id that names
// models of several providers (none of them the only active one) is a
// conflict naming them.
func (c *Client) RegisterDeployment(ctx context.Context, r registry.DeploymentRegistration) (registry.Deployment, bool, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	ds, _, created, errs := c.recordDeployments(ctx, []registry.DeploymentRegistration{r}, []time.Time{time.Now()}, true)
	if errs[0] != nil {
		return registry.Deployment{}, false, errs[0]
	}
	return c.deploymentView(ctx, ds[0]), created[0], nil
}

func (c *Client) recordDeployments(ctx context.Context, regs []registry.DeploymentRegistration, observed []time.Time, force bool) ([]registry.Deployment, []bool, []bool, []error) {
	n := len(regs)
	ds, applied, created, errs := make([]registry.Deployment, n), make([]bool, n), make([]bool, n), make([]error, n)
	var batch []deploymentEvent
	var index []int // batch element j is event index[j]
	for i, r := range regs {
		if i >= len(observed) {
			errs[i] = fmt.Errorf("supabase: no observation time for event %d", i)
			continue
		}
		if err := r.Validate(); err != nil {
			errs[i] = err
			continue
		}
		r = r.Normalized()
		ev := deploymentEvent{ModelID: r.ModelID, NodeID: r.NodeID, Runtime: r.ProviderType, Status: statusOf(r),
			VRAMAllocatedMB: r.VRAMAllocatedMB, ErrorMessage: r.ErrorMessage, ObservedAt: observed[i].UTC(), Force: force}
		if ev.ModelID == "" {
			ev.ProviderType, ev.ProviderModelID = deploymentProviders[r.ProviderType], r.ProviderModelID
		}
		batch = append(batch, ev)
		index = append(index, i)
	}
	if len(batch) == 0 {
		return ds, applied, created, errs
	}
	// In node order, each node's events kept in theirs (so each pair's, however
	// its model is named): replicas applying batches over the same nodes lock
	// them in one order, which makes a deadlock rare (one fails the call, and
	// the events are redelivered).
	order := make([]int, len(batch))
	for j := range order {
		order[j] = j
	}
	slices.SortStableFunc(order, func(a, b int) int {
		x, y := batch[a], batch[b]
		return strings.Compare(x.NodeID, y.NodeID)
	})
	sorted, sortedIndex := make([]deploymentEvent, len(batch)), make([]int, len(batch))
	for j, k := range order {
		sorted[j], sortedIndex[j] = batch[k], index[k]
	}
	batch, index = sorted, sortedIndex
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	var results []deploymentResult
	err := c.rpc(ctx, "registry_record_deployments", map[string]any{"p_events": batch}, &results)
	if err == nil && len(results) != len(batch) {
		err = c.malformed(http.StatusOK, fmt.Sprintf("registry_record_deployments answered %d results for %d events",
			len(results), len(batch)), nil)
	}
	for j, i := range index {
		if err != nil {
			errs[i] = err
			continue
		}
		r := results[j]
		if errs[i] = r.err(); errs[i] == nil {
			ds[i], applied[i], created[i] = r.Deployment.Deployment, r.Applied, r.Created
		}
	}
	return ds, applied, created, errs
}
