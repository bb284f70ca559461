package registry

import "time"

// Change actions of a ChangeEvent.
const (
	ActionCreated = "created"
	ActionUpdated = "updated"
	ActionDeleted = "deleted"
)

// Resource types of a ChangeEvent.
const (
	ResourceProvider   = "provider"
	ResourceModel      = "model"
	ResourceAlias      = "alias"
	ResourceMapping    = "mapping"
	ResourceDeployment = "deployment"
)

// ChangeEventType is the type (and subject) of a catalogue change event.
const ChangeEventType = "model.registry.updated.v1"

// ChangeEvent tells the platform that the catalogue changed.
type ChangeEvent struct {
	Type         string    `json:"type"`
	Action       string    `json:"action"`
	ResourceType string    `json:"resource_type"`
	ResourceID   string    `json:"resource_id"`
	TS           time.Time `json:"ts"`
}

// NewChangeEvent builds a ChangeEvent stamped with the current time.
func NewChangeEvent(action, resourceType, resourceID string) ChangeEvent {
	return ChangeEvent{Type: ChangeEventType, Action: action, ResourceType: resourceType,
		ResourceID: resourceID, TS: time.Now().UTC()}
}
