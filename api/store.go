package api

import (
	"context"

	"github.com/pmoves/model-registry/registry"
)

// Store is the catalogue as the API needs it. The supabase package
// implements it over PostgREST. Errors wrap the registry sentinels:
// ErrNotFound, ErrConflict (and *registry.InUseError), ErrInvalid (and
// *registry.ValidationError), ErrUnavailable.
type Store interface {
	// Ping checks that the backend answers.
	Ping(ctx context.Context) error

	ListProviders(ctx context.Context, f registry.ProviderFilter) ([]registry.Provider, int, error)
	GetProvider(ctx context.Context, id string) (registry.Provider, error)
	CreateProvider(ctx context.Context, in registry.ProviderInput) (registry.Provider, error)
	ReplaceProvider(ctx context.Context, id string, in registry.ProviderInput) (registry.Provider, error)
	UpdateProvider(ctx context.Context, id string, p registry.ProviderPatch) (registry.Provider, error)
	// DeleteProvider removes a provider. Without cascade it fails with
	// *registry.InUseError while models or mappings depend on it; with
	// cascade it removes the mappings, then the models, then the provider.
	DeleteProvider(ctx context.Context, id string, cascade bool) error

	ListModels(ctx context.Context, f registry.ModelFilter) ([]registry.Model, int, error)
	GetModel(ctx context.Context, id string) (registry.Model, error)
	CreateModel(ctx context.Context, in registry.ModelInput) (registry.Model, error)
	ReplaceModel(ctx context.Context, id string, in registry.ModelInput) (registry.Model, error)
	UpdateModel(ctx context.Context, id string, p registry.ModelPatch) (registry.Model, error)
	// DeleteModel removes a model. Without cascade it fails with
	// *registry.InUseError while mappings route to it; with cascade it
	// removes those mappings first.
	DeleteModel(ctx context.Context, id string, cascade bool) error

	ListMappings(ctx context.Context, f registry.MappingFilter) ([]registry.Mapping, int, error)
	ServiceModels(ctx context.Context, service, function string) ([]registry.ServiceModel, error)

	InsertFitness(ctx context.Context, e registry.FitnessEvent) (registry.FitnessRecord, error)
	ListFitness(ctx context.Context, f registry.FitnessFilter) ([]registry.FitnessRecord, int, error)
	UpsertCandidate(ctx context.Context, in registry.CandidateInput) (registry.Candidate, bool, error)
	ListCandidates(ctx context.Context, f registry.CandidateFilter) ([]registry.Candidate, int, error)
	// CreateMapping creates a mapping; one with the same key is a conflict.
	CreateMapping(ctx context.Context, in registry.MappingInput) (registry.Mapping, error)
	// PutMapping creates the mapping with in's key or replaces it; created
	// reports which.
	PutMapping(ctx context.Context, in registry.MappingInput) (m registry.Mapping, created bool, err error)
	DeleteMapping(ctx context.Context, key registry.MappingKey) (id string, err error)

	ListAliases(ctx context.Context, f registry.AliasFilter) ([]registry.Alias, int, error)
	CreateAlias(ctx context.Context, in registry.AliasInput) (registry.Alias, error)
	DeleteAlias(ctx context.Context, id string) error
	// ResolveAlias finds the model an alias names, in the given context
	// first and then among aliases without a context.
	ResolveAlias(ctx context.Context, alias string, context *string) (registry.Model, error)

	ListDeployments(ctx context.Context, f registry.DeploymentFilter) ([]registry.Deployment, int, error)
	// RegisterDeployment upserts the deployment of (model, node); created
	// reports whether a new row was made.
	RegisterDeployment(ctx context.Context, r registry.DeploymentRegistration) (d registry.Deployment, created bool, err error)
	SetDeploymentStatus(ctx context.Context, id string, s registry.StatusChange) (registry.Deployment, error)

	// ActiveCatalog reads what the gateway configuration is rendered from.
	ActiveCatalog(ctx context.Context) (registry.Catalog, error)
	// ActiveCatalogIfChanged reads the same, for a caller that keeps what
	// it made of an earlier read: version identifies what was read, and
	// when it equals since the catalogue is left out and changed is false.
	ActiveCatalogIfChanged(ctx context.Context, since string) (cat registry.Catalog, version string, changed bool, err error)
}

// Publisher announces catalogue changes. Publish must not block on the
// network for long and its failure never fails the request that caused it.
type Publisher interface {
	Publish(ctx context.Context, e registry.ChangeEvent)
}
