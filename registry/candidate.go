package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"
)

// CandidateStatus is the review state of a model candidate.
type CandidateStatus string

// The states of model_candidates.validation_status.
const (
	CandidateProposed  CandidateStatus = "candidate"
	CandidateValidated CandidateStatus = "validated"
	CandidateRejected  CandidateStatus = "rejected"
	CandidateActivated CandidateStatus = "activated"
)

// CandidateStatuses lists every allowed CandidateStatus.
var CandidateStatuses = []CandidateStatus{CandidateProposed, CandidateValidated, CandidateRejected, CandidateActivated}

// Valid reports whether s is one of CandidateStatuses.
func (s CandidateStatus) Valid() bool { return oneOf(s, CandidateStatuses) }

// Decided reports whether a reviewer has settled the candidate: validated,
// activated or rejected.
func (s CandidateStatus) Decided() bool {
	return s == CandidateValidated || s == CandidateActivated || s == CandidateRejected
}

// MergeCandidateStatus is the status a row gets when a request asks for
// requested and the row holds current ("" for a new row). A registration
// never demotes: "candidate" leaves a decided status (validated, activated,
// rejected) as it is, so re-announcing a model cannot undo a review. Every
// other request is an explicit decision and wins, including a move between
// decided states; who may make one is the API's concern.
func MergeCandidateStatus(current, requested CandidateStatus) CandidateStatus {
	if requested == CandidateProposed && current.Decided() {
		return current
	}
	return requested
}

// Column defaults of model_candidates.
const (
	DefaultCandidateLane   = "agent_mesh"
	DefaultCandidateSource = "huggingface"
)

// Candidate is a row of model_candidates. (hf_id, intended_lane) is unique.
type Candidate struct {
	ID                  string          `json:"id"`
	ModelID             string          `json:"model_id"`
	HFID                string          `json:"hf_id"`
	Task                *string         `json:"task"`
	License             *string         `json:"license"`
	Params              *int64          `json:"params"`
	ContextLength       *int            `json:"context_length"`
	VRAMMBEstimate      *int            `json:"vram_mb_estimate"`
	Capabilities        []string        `json:"capabilities"`
	BackendFit          []string        `json:"backend_fit"`
	QuantizationSupport []string        `json:"quantization_support"`
	IntendedLane        string          `json:"intended_lane"`
	ValidationStatus    CandidateStatus `json:"validation_status"`
	Source              string          `json:"source"`
	AgentID             string          `json:"agent_id"`
	SignedTrailRef      *string         `json:"signed_trail_ref"`
	Metadata            json.RawMessage `json:"metadata"`
	CreatedAt           time.Time       `json:"created_at"`
	UpdatedAt           time.Time       `json:"updated_at"`
}

// CandidateInput is the body of POST /api/model-candidates, an upsert on
// (hf_id, intended_lane) that changes only the columns the caller sent.
// Pointers and raw lists tell an absent key from a value; Keys tells a key
// sent as null from an absent one.
//
// Three keys are not columns. "id" is accepted and ignored, as the platform
// did. "pipeline_tag" (sent by the platform's bridge) is accepted and
// ignored. "lane" (the bridge sends it equal to intended_lane) is an alias of
// intended_lane: it fills intended_lane when that is absent, and sending both
// with different values is invalid.
//
// Validate requires agent_id; an API that gives callers an identity applies
// it with WithDefaultAgent before Validate.
type CandidateInput struct {
	ID                  json.RawMessage  `json:"id,omitempty"`
	ModelID             string           `json:"model_id"`
	HFID                string           `json:"hf_id"`
	Task                *string          `json:"task,omitempty"`
	License             *string          `json:"license,omitempty"`
	Params              *int64           `json:"params,omitempty"`
	ContextLength       *int64           `json:"context_length,omitempty"`
	VRAMMBEstimate      *int64           `json:"vram_mb_estimate,omitempty"`
	Capabilities        json.RawMessage  `json:"capabilities,omitempty"`
	BackendFit          json.RawMessage  `json:"backend_fit,omitempty"`
	QuantizationSupport json.RawMessage  `json:"quantization_support,omitempty"`
	IntendedLane        *string          `json:"intended_lane,omitempty"`
	ValidationStatus    *CandidateStatus `json:"validation_status,omitempty"`
	Source              *string          `json:"source,omitempty"`
	AgentID             *string          `json:"agent_id,omitempty"`
	SignedTrailRef      *string          `json:"signed_trail_ref,omitempty"`
	Metadata            json.RawMessage  `json:"metadata,omitempty"`
	Lane                *string          `json:"lane,omitempty"`
	PipelineTag         *string          `json:"pipeline_tag,omitempty"`

	// Keys holds the JSON keys of the decoded body. When nil (an input built
	// in code) every non-nil field counts as sent.
	Keys map[string]bool `json:"-"`
}

// candidateKeys maps every accepted JSON key to its field index.
var candidateKeys = func() map[string]int {
	m := map[string]int{}
	t := reflect.TypeOf(CandidateInput{})
	for i := 0; i < t.NumField(); i++ {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			m[name] = i
		}
	}
	return m
}()

// UnmarshalJSON decodes an object and records its keys. Keys must match
// exactly: an unknown or differently cased key is an error whose text starts
// "json: unknown field", as encoding/json's DisallowUnknownFields words it.
func (in *CandidateInput) UnmarshalJSON(b []byte) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return err
	}
	type plain CandidateInput
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	p.Keys = make(map[string]bool, len(keys))
	for k := range keys {
		if _, ok := candidateKeys[k]; !ok {
			return fmt.Errorf("json: unknown field %q", k)
		}
		p.Keys[k] = true
	}
	*in = CandidateInput(p)
	return nil
}

// Sent reports whether the caller sent key, null included.
func (in CandidateInput) Sent(key string) bool {
	if in.Keys != nil {
		return in.Keys[key]
	}
	i, ok := candidateKeys[key]
	if !ok {
		return false
	}
	f := reflect.ValueOf(in).Field(i)
	switch f.Kind() {
	case reflect.String:
		return f.Len() > 0
	case reflect.Pointer, reflect.Slice:
		return !f.IsNil()
	}
	return false
}

// sentNull reports whether key was sent as null.
func (in CandidateInput) sentNull(key string, isNil bool) bool { return in.Sent(key) && isNil }

// WithDefaultAgent returns in with agent_id set to id when it is absent,
// null or empty.
func (in CandidateInput) WithDefaultAgent(id string) CandidateInput {
	if in.AgentID != nil && *in.AgentID != "" {
		return in
	}
	in.AgentID = &id
	if in.Keys != nil {
		keys := make(map[string]bool, len(in.Keys)+1)
		for k, v := range in.Keys {
			keys[k] = v
		}
		keys["agent_id"] = true
		in.Keys = keys
	}
	return in
}

// EffectiveLane is the intended_lane the row gets: intended_lane, else lane,
// else DefaultCandidateLane.
func (in CandidateInput) EffectiveLane() string {
	switch {
	case in.IntendedLane != nil:
		return *in.IntendedLane
	case in.Lane != nil:
		return *in.Lane
	}
	return DefaultCandidateLane
}

// Validate checks every field and reports all problems at once.
func (in CandidateInput) Validate() error {
	f := fieldErrors{}
	if msg := checkName(in.ModelID); msg != "" {
		f.set("model_id", msg)
	}
	if msg := checkName(in.HFID); msg != "" {
		f.set("hf_id", msg)
	}
	checkText(f, "task", in.Task, MaxNameLen)
	checkText(f, "license", in.License, MaxNameLen)
	checkText(f, "pipeline_tag", in.PipelineTag, MaxNameLen)
	checkCount(f, "params", in.Params, math.MaxInt64)
	checkCount(f, "context_length", in.ContextLength, math.MaxInt32)
	checkCount(f, "vram_mb_estimate", in.VRAMMBEstimate, math.MaxInt32)
	for _, l := range []struct {
		field string
		raw   json.RawMessage
	}{{"capabilities", in.Capabilities}, {"backend_fit", in.BackendFit}, {"quantization_support", in.QuantizationSupport}} {
		checkStringList(f, l.field, l.raw)
	}
	if string(bytes.TrimSpace(in.Metadata)) == "null" {
		f.add("metadata", "must be a JSON object")
	} else {
		checkObject(f, "metadata", in.Metadata)
	}
	for _, s := range []struct {
		field string
		v     *string
	}{{"intended_lane", in.IntendedLane}, {"lane", in.Lane}, {"source", in.Source}} {
		if in.sentNull(s.field, s.v == nil) {
			f.add(s.field, "must not be null")
		} else if s.v != nil {
			if msg := checkName(*s.v); msg != "" {
				f.set(s.field, msg)
			}
		}
	}
	if in.IntendedLane != nil && in.Lane != nil && *in.IntendedLane != *in.Lane {
		f.add("lane", "must equal intended_lane when both are sent")
	}
	if in.AgentID == nil {
		f.add("agent_id", "is required")
	} else if msg := checkName(*in.AgentID); msg != "" {
		f.set("agent_id", msg)
	}
	if in.sentNull("validation_status", in.ValidationStatus == nil) ||
		in.ValidationStatus != nil && !in.ValidationStatus.Valid() {
		f.add("validation_status", "must be one of %s", list(CandidateStatuses))
	}
	if in.SignedTrailRef == nil || strings.TrimSpace(*in.SignedTrailRef) == "" {
		f.add("signed_trail_ref", "is required before candidate persistence")
	} else {
		checkText(f, "signed_trail_ref", in.SignedTrailRef, 2000)
	}
	return f.err()
}

func checkCount(f fieldErrors, field string, v *int64, max int64) {
	switch {
	case v == nil:
	case *v < 0:
		f.add(field, "must not be negative")
	case *v > max:
		f.add(field, "must be at most %d", max)
	}
}

// checkStringList accepts an absent value or an array of at most 64 names.
func checkStringList(f fieldErrors, field string, raw json.RawMessage) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return
	}
	var l []string
	if err := json.Unmarshal(raw, &l); err != nil || l == nil {
		f.add(field, "must be an array of strings")
		return
	}
	if len(l) > 64 {
		f.add(field, "must list at most 64 entries")
		return
	}
	for _, e := range l {
		if msg := checkName(e); msg != "" {
			f.add(field, "each entry %s", msg)
			return
		}
	}
}

// Columns is the upsert body for a validated input: only the columns the
// caller sent (nulls included), so a new row gets the table's defaults and an
// existing one keeps what was not sent. model_id and hf_id are always
// present; intended_lane is present when intended_lane or lane was sent.
// existing is the row (hf_id, EffectiveLane()) names, or nil: a sent
// validation_status goes through MergeCandidateStatus against it. updated_at
// is always now, since the table has no trigger. id, lane and pipeline_tag
// are never columns.
func (in CandidateInput) Columns(existing *Candidate, now time.Time) map[string]any {
	m := map[string]any{"model_id": in.ModelID, "hf_id": in.HFID, "updated_at": now.UTC().Format(time.RFC3339Nano)}
	opt := func(key string, isNil bool, v any) {
		if in.Sent(key) {
			if isNil {
				v = nil
			}
			m[key] = v
		}
	}
	opt("task", in.Task == nil, deref(in.Task))
	opt("license", in.License == nil, deref(in.License))
	opt("signed_trail_ref", in.SignedTrailRef == nil, deref(in.SignedTrailRef))
	opt("params", in.Params == nil, deref(in.Params))
	opt("context_length", in.ContextLength == nil, deref(in.ContextLength))
	opt("vram_mb_estimate", in.VRAMMBEstimate == nil, deref(in.VRAMMBEstimate))
	opt("capabilities", in.Capabilities == nil, in.Capabilities)
	opt("backend_fit", in.BackendFit == nil, in.BackendFit)
	opt("quantization_support", in.QuantizationSupport == nil, in.QuantizationSupport)
	opt("metadata", in.Metadata == nil, in.Metadata)
	opt("source", in.Source == nil, deref(in.Source))
	opt("agent_id", in.AgentID == nil, deref(in.AgentID))
	if in.Sent("intended_lane") || in.Sent("lane") {
		m["intended_lane"] = in.EffectiveLane()
	}
	if in.Sent("validation_status") {
		if in.ValidationStatus == nil {
			m["validation_status"] = nil
		} else {
			var current CandidateStatus
			if existing != nil {
				current = existing.ValidationStatus
			}
			m["validation_status"] = MergeCandidateStatus(current, *in.ValidationStatus)
		}
	}
	return m
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
