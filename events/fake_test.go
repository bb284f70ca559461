package events_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/pmoves/model-registry/registry"
)

// fakeStore is a map-backed events.Store that follows the contract of the
// real one, counts what it is asked, and can play PostgREST being down.
type fakeStore struct {
	mu         sync.Mutex
	down       bool
	n          int
	models     []fakeModel
	deps       map[depKey]registry.Deployment
	applied    map[depKey]int // accepted writes per (model, node)
	failures   int            // calls refused while down
	discovered int
	batches    []int // events per RecordDeployments call
}

type fakeModel struct {
	registry.Model
	runtime registry.DeploymentProvider
}

type depKey struct{ model, node string }

func newFakeStore() *fakeStore {
	return &fakeStore{deps: map[depKey]registry.Deployment{}, applied: map[depKey]int{}}
}

func (f *fakeStore) uuidLocked() string {
	f.n++
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", f.n, f.n)
}

// addModel registers a model served by runtime under its provider model id.
func (f *fakeStore) addModel(runtime registry.DeploymentProvider, providerModelID string) registry.Model {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := registry.Model{ID: f.uuidLocked(), Name: providerModelID, ModelID: providerModelID,
		ModelType: registry.ModelChat, Active: true}
	f.models = append(f.models, fakeModel{m, runtime})
	return m
}

func (f *fakeStore) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

// get returns the deployment of (model, node) and how many writes it took.
func (f *fakeStore) get(modelID, node string) (registry.Deployment, int, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.deps[depKey{modelID, node}]
	return d, f.applied[depKey{modelID, node}], ok
}

func (f *fakeStore) stats() (deployments, failures, discovered int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.deps), f.failures, f.discovered
}

// batchSizes returns the number of events of each RecordDeployments call.
func (f *fakeStore) batchSizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.batches...)
}

func (f *fakeStore) writes() map[depKey]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[depKey]int, len(f.applied))
	for k, v := range f.applied {
		out[k] = v
	}
	return out
}

// model finds a model by provider model id (any runtime).
func (f *fakeStore) model(providerModelID string) (registry.Model, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.models {
		if m.ModelID == providerModelID {
			return m.Model, true
		}
	}
	return registry.Model{}, false
}

func (f *fakeStore) unavailableLocked() error {
	if f.down {
		f.failures++
		return fmt.Errorf("postgrest: connection refused: %w", registry.ErrUnavailable)
	}
	return nil
}

// RecordDeployments records the events one after the other, in order, and
// notes the size of the batch.
func (f *fakeStore) RecordDeployments(_ context.Context, regs []registry.DeploymentRegistration, observed []time.Time) ([]registry.Deployment, []bool, []error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches = append(f.batches, len(regs))
	ds, applied, errs := make([]registry.Deployment, len(regs)), make([]bool, len(regs)), make([]error, len(regs))
	for i, r := range regs {
		ds[i], applied[i], errs[i] = f.recordLocked(r, observed[i])
	}
	return ds, applied, errs
}

func (f *fakeStore) recordLocked(r registry.DeploymentRegistration, observed time.Time) (registry.Deployment, bool, error) {
	if err := f.unavailableLocked(); err != nil {
		return registry.Deployment{}, false, err
	}
	var found []fakeModel
	for _, m := range f.models {
		if (r.ModelID != "" && m.ID == r.ModelID) ||
			(r.ModelID == "" && m.runtime == r.ProviderType && m.ModelID == r.ProviderModelID) {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 0:
		return registry.Deployment{}, false, fmt.Errorf("model %q: %w", r.ModelID+r.ProviderModelID, registry.ErrNotFound)
	case 1:
	default:
		return registry.Deployment{}, false, fmt.Errorf("%d models match %q: %w", len(found), r.ProviderModelID, registry.ErrConflict)
	}
	key := depKey{found[0].ID, r.NodeID}
	d, exists := f.deps[key]
	if exists && d.LastSeenAt != nil && d.LastSeenAt.After(observed) {
		return d, false, nil
	}
	now := time.Now().UTC()
	if !exists {
		d = registry.Deployment{ID: f.uuidLocked(), ModelID: key.model, NodeID: key.node, CreatedAt: now}
	}
	status := r.Status
	if status == "" {
		status = registry.StatusLoaded
	}
	if status == registry.StatusLoaded && (d.LoadedAt == nil || d.Status != registry.StatusLoaded) {
		d.LoadedAt = &observed
	}
	d.Status, d.ProviderType, d.ErrorMessage = status, r.ProviderType, r.ErrorMessage
	if r.VRAMAllocatedMB != nil {
		d.VRAMAllocatedMB = r.VRAMAllocatedMB
	}
	d.LastSeenAt = &observed
	d.UpdatedAt = now
	if !exists {
		d.UpdatedAt = d.CreatedAt
	}
	f.deps[key] = d
	f.applied[key]++
	return d, true, nil
}

func (f *fakeStore) DiscoverModel(_ context.Context, runtime registry.DeploymentProvider, providerModelID, nodeID string) (registry.Model, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.unavailableLocked(); err != nil {
		return registry.Model{}, err
	}
	for _, m := range f.models {
		if m.runtime == runtime && m.ModelID == providerModelID {
			return m.Model, nil
		}
	}
	desc := "discovered on node " + nodeID
	m := registry.Model{ID: f.uuidLocked(), Name: providerModelID, ModelID: providerModelID,
		ModelType: registry.ModelChat, Description: &desc, Active: false}
	f.models = append(f.models, fakeModel{m, runtime})
	f.discovered++
	return m, nil
}

func (f *fakeStore) TouchNode(_ context.Context, nodeID string, seen time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.unavailableLocked(); err != nil {
		return err
	}
	for k, d := range f.deps {
		if k.node == nodeID && (d.LastSeenAt == nil || seen.After(*d.LastSeenAt)) {
			d.LastSeenAt = &seen
			f.deps[k] = d
		}
	}
	return nil
}
