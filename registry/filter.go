package registry

import (
	"fmt"
	"strings"
)

// Page bounds a list. Limit 0 means the default page size; All lists every
// matching row from Offset on, whatever Limit says.
type Page struct {
	Limit  int
	Offset int
	All    bool
}

// Paging limits.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Normalize applies the defaults and reports a bad limit or offset.
func (p Page) Normalize() (Page, error) {
	if p.All {
		if p.Offset < 0 {
			return p, Invalid("offset", "must not be negative")
		}
		return p, nil
	}
	if p.Limit < 0 || p.Limit > MaxLimit {
		return p, Invalid("limit", "must be between 1 and %d", MaxLimit)
	}
	if p.Offset < 0 {
		return p, Invalid("offset", "must not be negative")
	}
	if p.Limit == 0 {
		p.Limit = DefaultLimit
	}
	return p, nil
}

// ModelFilter selects models. Empty fields match everything; Active nil
// means active models of active providers only.
type ModelFilter struct {
	ModelType ModelType
	Provider  string // provider name or provider type
	Active    *bool
	Q         string // case-insensitive substring of name, model_id or description
	Page
}

// ProviderFilter selects providers.
type ProviderFilter struct {
	Type   ProviderType
	Active *bool
	Page
}

// MappingFilter selects mappings.
type MappingFilter struct {
	Service  string
	Function string
	ModelID  string
	Page
}

// AliasFilter selects aliases.
type AliasFilter struct {
	ModelID string
	Context *string
	Page
}

// DeploymentFilter selects deployments. Empty Statuses means loading and
// loaded.
type DeploymentFilter struct {
	NodeID   string
	ModelID  string
	Statuses []DeploymentStatus
	Page
}

// InUseError refuses to delete a model or provider that service mappings
// still route to. It matches ErrConflict under errors.Is.
type InUseError struct {
	Resource string       // "model" or "provider"
	ID       string       // the resource's id
	Mappings []MappingKey // the mappings in the way
	Models   []string     // for a provider: the names of its models
}

func (e *InUseError) Error() string {
	var parts []string
	for _, m := range e.Mappings {
		parts = append(parts, m.Service+"/"+m.Function+"/"+m.Variant)
	}
	if len(parts) > 0 {
		return fmt.Sprintf("%s %s is used by service mappings %s; delete them first or pass ?cascade=true",
			e.Resource, e.ID, strings.Join(parts, ", "))
	}
	return fmt.Sprintf("%s %s still has models %s; delete them first or pass ?cascade=true",
		e.Resource, e.ID, strings.Join(e.Models, ", "))
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *InUseError) Is(target error) bool { return target == ErrConflict }
