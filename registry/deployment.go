package registry

import "time"

// Deployment records a model on a GPU node: whether it is loading, loaded,
// unloaded or failed, and how much VRAM it holds. There is at most one
// deployment per (model, node). The model fields are filled when read from
// the registry's view v_deployments.
type Deployment struct {
	ID              string             `json:"id"`
	ModelID         string             `json:"model_id"`
	NodeID          string             `json:"node_id"`
	ProviderType    DeploymentProvider `json:"provider_type"`
	Status          DeploymentStatus   `json:"status"`
	VRAMAllocatedMB *int               `json:"vram_allocated_mb"`
	LoadedAt        *time.Time         `json:"loaded_at"`
	LastUsedAt      *time.Time         `json:"last_used_at"`
	LastSeenAt      *time.Time         `json:"last_seen_at"`
	ErrorMessage    *string            `json:"error_message"`
	CreatedAt       time.Time          `json:"created_at"`
	UpdatedAt       time.Time          `json:"updated_at"`

	ModelName       string       `json:"model_name,omitempty"`
	ProviderModelID string       `json:"provider_model_id,omitempty"`
	ModelType       ModelType    `json:"model_type,omitempty"`
	ProviderName    string       `json:"provider_name,omitempty"`
	ModelProvider   ProviderType `json:"model_provider_type,omitempty"`
}

// DeploymentRegistration announces a model on a node. The model is named
// either by its registry UUID (ModelID) or by the provider type and the
// provider's own model id, e.g. "qwen3:8b": in ProviderModelID, or in
// ModelID as the platform's callers send it (see Normalized).
type DeploymentRegistration struct {
	ModelID         string             `json:"model_id,omitempty"`
	ProviderModelID string             `json:"provider_model_id,omitempty"`
	NodeID          string             `json:"node_id"`
	ProviderType    DeploymentProvider `json:"provider_type"`
	Status          DeploymentStatus   `json:"status,omitempty"`
	VRAMAllocatedMB *int               `json:"vram_allocated_mb,omitempty"`
	ErrorMessage    *string            `json:"error_message,omitempty"`
}

// Normalized moves a ModelID that is not a UUID to ProviderModelID: it is
// the provider's own model id, which the platform's orchestrator and
// embedding services send as model_id.
func (r DeploymentRegistration) Normalized() DeploymentRegistration {
	if r.ModelID != "" && r.ProviderModelID == "" && !ValidUUID(r.ModelID) {
		r.ProviderModelID, r.ModelID = r.ModelID, ""
	}
	return r
}

// Validate checks every field. Status defaults to loaded when empty.
func (r DeploymentRegistration) Validate() error {
	f := fieldErrors{}
	textField := "provider_model_id"
	if r.ProviderModelID == "" {
		textField = "model_id"
	}
	r = r.Normalized()
	switch {
	case r.ModelID == "" && r.ProviderModelID == "":
		f.add("model_id", "is required: the model's UUID, or the provider's own model id with provider_type")
	case r.ModelID != "" && r.ProviderModelID != "":
		f.add("model_id", "give either model_id or provider_model_id, not both")
	case r.ProviderModelID != "":
		if msg := checkName(r.ProviderModelID); msg != "" {
			f.set(textField, msg)
		}
	}
	if msg := checkName(r.NodeID); msg != "" {
		f.set("node_id", msg)
	}
	if !r.ProviderType.Valid() {
		f.add("provider_type", "must be one of %s", list(DeploymentProviders))
	}
	if r.Status != "" && !r.Status.Valid() {
		f.add("status", "must be one of %s", list(DeploymentStatuses))
	}
	checkNonNegative(f, "vram_allocated_mb", r.VRAMAllocatedMB)
	checkText(f, "error_message", r.ErrorMessage, 4000)
	return f.err()
}

// StatusChange moves a deployment to a new status.
type StatusChange struct {
	Status          DeploymentStatus `json:"status"`
	ErrorMessage    *string          `json:"error_message,omitempty"`
	VRAMAllocatedMB *int             `json:"vram_allocated_mb,omitempty"`
}

// Validate checks every field.
func (s StatusChange) Validate() error {
	f := fieldErrors{}
	if !s.Status.Valid() {
		f.add("status", "must be one of %s", list(DeploymentStatuses))
	}
	checkNonNegative(f, "vram_allocated_mb", s.VRAMAllocatedMB)
	checkText(f, "error_message", s.ErrorMessage, 4000)
	return f.err()
}
