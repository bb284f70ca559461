package registry

import "time"

// Alias is a friendly name for a model, optionally scoped to a context (a UI,
// a service). An alias is unique within its context; aliases without a
// context share one namespace.
type Alias struct {
	ID        string    `json:"id"`
	ModelID   string    `json:"model_id"`
	Alias     string    `json:"alias"`
	Context   *string   `json:"context"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// AliasInput creates an alias.
type AliasInput struct {
	ModelID string  `json:"model_id"`
	Alias   string  `json:"alias"`
	Context *string `json:"context,omitempty"`
}

// Validate checks every field.
func (in AliasInput) Validate() error {
	f := fieldErrors{}
	checkUUID(f, "model_id", in.ModelID)
	if msg := checkName(in.Alias); msg != "" {
		f.set("alias", msg)
	}
	if in.Context != nil {
		if msg := checkName(*in.Context); msg != "" {
			f.set("context", msg)
		}
	}
	return f.err()
}
