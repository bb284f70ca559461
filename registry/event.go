package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

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
	ResourceCandidate  = "model_candidate"
)

// ChangeEventType is the type (and subject) of a catalogue change event.
const ChangeEventType = "model.registry.updated.v1"

// ChangeEvent tells the platform that the catalogue changed. On the wire TS
// is written twice: "ts" in integer unix seconds, as the platform documents,
// and "time" in RFC 3339 with nanoseconds (UTC).
type ChangeEvent struct {
	Type         string    `json:"type"`
	Action       string    `json:"action"`
	ResourceType string    `json:"resource_type"`
	ResourceID   string    `json:"resource_id"`
	TS           time.Time `json:"ts"`
}

// changeEventJSON is the wire form of a ChangeEvent.
type changeEventJSON struct {
	Type         string `json:"type"`
	Action       string `json:"action"`
	ResourceType string `json:"resource_type"`
	ResourceID   string `json:"resource_id"`
	TS           int64  `json:"ts"`
	Time         string `json:"time"`
}

// NewChangeEvent builds a ChangeEvent stamped with the current time.
func NewChangeEvent(action, resourceType, resourceID string) ChangeEvent {
	return ChangeEvent{Type: ChangeEventType, Action: action, ResourceType: resourceType,
		ResourceID: resourceID, TS: time.Now().UTC()}
}

// MarshalJSON writes "ts" as integer unix seconds and "time" as RFC 3339.
func (e ChangeEvent) MarshalJSON() ([]byte, error) {
	return json.Marshal(changeEventJSON{Type: e.Type, Action: e.Action, ResourceType: e.ResourceType,
		ResourceID: e.ResourceID, TS: e.TS.Unix(), Time: e.TS.UTC().Format(time.RFC3339Nano)})
}

// UnmarshalJSON reads the time from "time" when it is RFC 3339, else from
// "ts": unix seconds (a number, possibly fractional), or RFC 3339 text as
// older releases wrote it. A missing or null "ts" leaves TS zero.
func (e *ChangeEvent) UnmarshalJSON(data []byte) error {
	var w struct {
		Type         string          `json:"type"`
		Action       string          `json:"action"`
		ResourceType string          `json:"resource_type"`
		ResourceID   string          `json:"resource_id"`
		TS           json.RawMessage `json:"ts"`
		Time         json.RawMessage `json:"time"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*e = ChangeEvent{Type: w.Type, Action: w.Action, ResourceType: w.ResourceType, ResourceID: w.ResourceID}
	var s string
	if json.Unmarshal(w.Time, &s) == nil {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			e.TS = t.UTC()
			return nil
		}
	}
	t, err := parseEventTS(w.TS)
	if err != nil {
		return fmt.Errorf("change event ts: %w", err)
	}
	e.TS = t
	return nil
}

// parseEventTS reads "ts": unix seconds, or RFC 3339 text.
func parseEventTS(raw json.RawMessage) (time.Time, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, err
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", s)
		}
		return t.UTC(), nil
	}
	if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e15 {
		return time.Time{}, fmt.Errorf("%s is not unix seconds", raw)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), nil
}
