package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/pmoves/model-registry/registry"
)

// wireEvent is the union of the inbound payload forms. Unknown fields are
// ignored: these events come from other teams' software.
type wireEvent struct {
	Type            string          `json:"type"`
	NodeID          string          `json:"node_id"`
	ProviderType    string          `json:"provider_type"`
	ModelID         string          `json:"model_id"`
	ModelKey        string          `json:"model_key"`
	VRAMAllocatedMB json.RawMessage `json:"vram_allocated_mb"`
	VRAMMB          json.RawMessage `json:"vram_mb"`
	Status          string          `json:"status"`
	ErrorMessage    *string         `json:"error_message"`
	TS              json.RawMessage `json:"ts"`
	Timestamp       json.RawMessage `json:"timestamp"`
}

// rejection says why an event cannot be applied.
type rejection struct {
	reason string // a reason* constant, used as a metric label
	detail string
}

func (r *rejection) Error() string { return r.reason + ": " + r.detail }

func reject(reason, format string, args ...any) *rejection {
	return &rejection{reason: reason, detail: fmt.Sprintf(format, args...)}
}

// decodeObject decodes a JSON object payload. An empty payload is an empty
// object when emptyOK.
func decodeObject(data []byte, emptyOK bool) (wireEvent, *rejection) {
	var w wireEvent
	t := bytes.TrimSpace(data)
	if len(t) == 0 && emptyOK {
		return w, nil
	}
	if len(t) == 0 || t[0] != '{' {
		return w, reject(reasonMalformed, "payload is not a JSON object")
	}
	if err := json.Unmarshal(t, &w); err != nil {
		return w, reject(reasonMalformed, "%v", err)
	}
	return w, nil
}

// nodeOf picks the node: payload, then header, then the default.
func nodeOf(w wireEvent, h nats.Header, defaultNode string) string {
	if n := strings.TrimSpace(w.NodeID); n != "" {
		return n
	}
	if n := strings.TrimSpace(h.Get(HeaderNodeID)); n != "" {
		return n
	}
	return defaultNode
}

// eventTime reads "ts" (or "timestamp"); the zero time when absent or
// unreadable.
func (w wireEvent) eventTime() time.Time {
	if t, ok := parseTime(w.TS); ok {
		return t
	}
	t, _ := parseTime(w.Timestamp)
	return t
}

// parseModelEvent turns a loaded/unloaded payload into a registration.
func parseModelEvent(subject string, data []byte, h nats.Header, defaultNode string) (registry.DeploymentRegistration, time.Time, *rejection) {
	var r registry.DeploymentRegistration
	w, rej := decodeObject(data, false)
	if rej != nil {
		return r, time.Time{}, rej
	}
	if r.NodeID = nodeOf(w, h, defaultNode); r.NodeID == "" {
		return r, time.Time{}, reject(reasonNoNode, "no node_id, %s header or default node", HeaderNodeID)
	}
	provider, model := strings.ToLower(strings.TrimSpace(w.ProviderType)), strings.TrimSpace(w.ModelID)
	if key := strings.TrimSpace(w.ModelKey); key != "" && model == "" {
		prefix, rest, found := strings.Cut(key, "/")
		switch {
		case found && registry.DeploymentProvider(strings.ToLower(prefix)).Valid():
			if provider == "" {
				provider = strings.ToLower(prefix)
			}
			model = rest
		case provider != "":
			model = key // no runtime prefix, e.g. "hf.co/org/model" with provider_type
		default:
			return r, time.Time{}, reject(reasonProviderType, "model_key %q does not start with a runtime (%s)", key, runtimes())
		}
	}
	if model == "" {
		return r, time.Time{}, reject(reasonNoModel, "neither model_id nor model_key")
	}
	if r.ProviderType = registry.DeploymentProvider(provider); !r.ProviderType.Valid() {
		return r, time.Time{}, reject(reasonProviderType, "provider_type %q is not one of %s", provider, runtimes())
	}
	if registry.ValidUUID(model) {
		r.ModelID = strings.ToLower(model)
	} else {
		r.ProviderModelID = model
	}
	switch s := registry.DeploymentStatus(strings.ToLower(strings.TrimSpace(w.Status))); {
	case s == "" && subject == SubjectModelUnloaded:
		r.Status = registry.StatusUnloaded
	case s == "":
		r.Status = registry.StatusLoaded
	case s.Valid():
		r.Status = s
	default:
		return r, time.Time{}, reject(reasonStatus, "status %q is not a deployment status", w.Status)
	}
	vram, err := parseCount(w.VRAMAllocatedMB)
	if err == nil && vram == nil {
		vram, err = parseCount(w.VRAMMB)
	}
	if err != nil {
		return r, time.Time{}, reject(reasonInvalid, "vram: %v", err)
	}
	r.VRAMAllocatedMB = vram
	r.ErrorMessage = w.ErrorMessage
	if err := r.Validate(); err != nil {
		return r, time.Time{}, reject(reasonInvalid, "%v", err)
	}
	return r, w.eventTime(), nil
}

// parseStatusEvent reads a node status payload: only the node and the time
// matter. An empty payload is accepted (node from the header or default).
func parseStatusEvent(data []byte, h nats.Header, defaultNode string) (string, time.Time, *rejection) {
	w, rej := decodeObject(data, true)
	if rej != nil {
		return "", time.Time{}, rej
	}
	node := nodeOf(w, h, defaultNode)
	if node == "" {
		return "", time.Time{}, reject(reasonNoNode, "no node_id, %s header or default node", HeaderNodeID)
	}
	return node, w.eventTime(), nil
}

// decodeChange reads a change event heard on NATS: "ts" in unix seconds, or
// RFC 3339 text from older releases. An unreadable time leaves TS zero
// rather than losing the change.
func decodeChange(data []byte) (registry.ChangeEvent, bool) {
	var e registry.ChangeEvent
	if err := json.Unmarshal(data, &e); err != nil {
		var w struct {
			Type         string `json:"type"`
			Action       string `json:"action"`
			ResourceType string `json:"resource_type"`
			ResourceID   string `json:"resource_id"`
		}
		if json.Unmarshal(data, &w) != nil {
			return e, false
		}
		e = registry.ChangeEvent{Type: w.Type, Action: w.Action, ResourceType: w.ResourceType, ResourceID: w.ResourceID}
	}
	return e, e.Type == registry.ChangeEventType
}

func runtimes() string {
	s := make([]string, len(registry.DeploymentProviders))
	for i, p := range registry.DeploymentProviders {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

// parseCount reads a non-negative whole number given as a JSON number or
// numeric string; absent or null gives nil.
func parseCount(raw json.RawMessage) (*int, error) {
	t := strings.TrimSpace(string(raw))
	if t == "" || t == "null" {
		return nil, nil
	}
	if s, err := strconv.Unquote(t); err == nil {
		t = strings.TrimSpace(s)
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("%s is not a number", raw)
	}
	if f < 0 || f > math.MaxInt32 {
		return nil, fmt.Errorf("%s is out of range", raw)
	}
	n := int(math.Round(f))
	return &n, nil
}
