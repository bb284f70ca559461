package events

import (
	"context"
	"time"

	"github.com/pmoves/model-registry/registry"
)

// Store records what GPU nodes announce. The supabase package implements it.
// Errors are classified with errors.Is: registry.ErrNotFound,
// registry.ErrConflict and registry.ErrInvalid are final (the event is
// terminated); anything else, registry.ErrUnavailable above all, is taken as
// transient and the event is redelivered later.
type Store interface {
	// RecordDeployments upserts deployments, a batch of events at once: event
	// i describes the deployment of (model, node) in regs[i] as observed at
	// observed[i]. The model is ModelID (a UUID) or ProviderType +
	// ProviderModelID. For each event it returns the deployment, whether the
	// event was applied, and an error. A stored deployment whose state was
	// observed later than the event is left alone: applied is false. Events
	// of one (model, node) take effect in slice order. Unknown model: an
	// error matching registry.ErrNotFound; several matching models:
	// registry.ErrConflict.
	RecordDeployments(ctx context.Context, regs []registry.DeploymentRegistration, observed []time.Time) (ds []registry.Deployment, applied []bool, errs []error)
	// DiscoverModel registers a model the registry did not know as an
	// inactive model of a provider for that runtime (provider type), and
	// returns it; calling it again for the same model returns the same row.
	DiscoverModel(ctx context.Context, runtime registry.DeploymentProvider, providerModelID, nodeID string) (registry.Model, error)
	// TouchNode sets last_seen_at of every deployment of the node.
	TouchNode(ctx context.Context, nodeID string, seen time.Time) error
}
