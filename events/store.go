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
	// RecordDeployment upserts the deployment of (model, node) described by r
	// as observed at the given time. The model is r.ModelID (a UUID) or
	// r.ProviderType + r.ProviderModelID. A stored deployment whose
	// last_seen_at is later than observed is left alone: applied is false.
	// Unknown model: an error matching registry.ErrNotFound. Several
	// matching models: registry.ErrConflict.
	RecordDeployment(ctx context.Context, r registry.DeploymentRegistration, observed time.Time) (d registry.Deployment, applied bool, err error)
	// DiscoverModel registers a model the registry did not know as an
	// inactive model of a provider for that runtime (provider type), and
	// returns it; calling it again for the same model returns the same row.
	DiscoverModel(ctx context.Context, runtime registry.DeploymentProvider, providerModelID, nodeID string) (registry.Model, error)
	// TouchNode sets last_seen_at of every deployment of the node.
	TouchNode(ctx context.Context, nodeID string, seen time.Time) error
}
