package registry

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// FitnessSource is the system that measured a model.
type FitnessSource string

// The sources of model_fitness_records.source.
const (
	FitnessTensorZero     FitnessSource = "tensorzero"
	FitnessPinokio        FitnessSource = "pinokio"
	FitnessUnsloth        FitnessSource = "unsloth"
	FitnessHFAutoresearch FitnessSource = "hf-autoresearch"
	FitnessEvoSwarm       FitnessSource = "evoswarm"
	FitnessManual         FitnessSource = "manual"
)

// FitnessSources lists every allowed FitnessSource.
var FitnessSources = []FitnessSource{FitnessTensorZero, FitnessPinokio, FitnessUnsloth,
	FitnessHFAutoresearch, FitnessEvoSwarm, FitnessManual}

// Valid reports whether s is one of FitnessSources.
func (s FitnessSource) Valid() bool { return oneOf(s, FitnessSources) }

// FitnessEventType is the type (and subject) of a recorded fitness event.
const FitnessEventType = "model.fitness.recorded.v1"

// MaxMetricsBytes is the largest metrics object a fitness input may carry.
const MaxMetricsBytes = 64 << 10

// FitnessInput is the body of POST /api/model-fitness. The metrics objects
// are kept as the caller wrote them; absent or null means {}. An empty RunID
// means "generate one". Score is what the platform's bridge and collector
// send as their own estimate: it is accepted so their bodies decode with
// unknown fields refused, and ignored, because the score is always computed
// from the metrics. Those two callers send no other key outside this struct.
//
// Validate requires AgentID. An API that gives callers without one (the
// platform's collector) an identity applies it with WithDefaultAgent between
// decoding and Validate.
type FitnessInput struct {
	ModelID           string          `json:"model_id"`
	Source            FitnessSource   `json:"source"`
	Lane              string          `json:"lane"`
	AgentID           string          `json:"agent_id,omitempty"`
	TensorZeroMetrics json.RawMessage `json:"tensorzero_metrics,omitempty"`
	TrainingMetrics   json.RawMessage `json:"training_metrics,omitempty"`
	RunID             string          `json:"run_id,omitempty"`
	Score             json.RawMessage `json:"score,omitempty"`
}

// WithDefaultAgent returns in with AgentID set to id when it is empty.
func (in FitnessInput) WithDefaultAgent(id string) FitnessInput {
	if in.AgentID == "" {
		in.AgentID = id
	}
	return in
}

// Validate checks every field and reports all problems at once.
func (in FitnessInput) Validate() error {
	f := fieldErrors{}
	for _, c := range []struct{ field, v string }{
		{"model_id", in.ModelID}, {"lane", in.Lane}, {"agent_id", in.AgentID},
	} {
		if msg := checkName(c.v); msg != "" {
			f.set(c.field, msg)
		}
	}
	switch {
	case in.Source == "":
		f.add("source", "is required")
	case !in.Source.Valid():
		f.add("source", "must be one of %s", list(FitnessSources))
	}
	checkMetrics(f, "tensorzero_metrics", in.TensorZeroMetrics)
	checkMetrics(f, "training_metrics", in.TrainingMetrics)
	if in.RunID != "" {
		if msg := checkName(in.RunID); msg != "" {
			f.set("run_id", msg)
		}
	}
	return f.err()
}

// checkMetrics accepts an absent or null value, or a JSON object of at most
// MaxMetricsBytes whose numbers are all finite as float64 (Python would read
// 1e400 as inf and sign "Infinity", which no JSON store accepts).
func checkMetrics(f fieldErrors, field string, raw json.RawMessage) {
	checkObject(f, field, raw)
	if _, bad := f[field]; bad {
		return
	}
	if len(raw) > MaxMetricsBytes {
		f.add(field, "must be at most %d bytes", MaxMetricsBytes)
		return
	}
	m, err := DecodeMetrics(raw)
	if err != nil {
		f.add(field, "must be a JSON object")
		return
	}
	if !finiteNumbers(m) {
		f.add(field, "must hold only numbers within the float64 range")
	}
}

func finiteNumbers(v any) bool {
	switch x := v.(type) {
	case json.Number:
		if isIntLiteral(string(x)) {
			return true
		}
		n, err := strconv.ParseFloat(string(x), 64)
		return !math.IsInf(n, 0) && (err == nil || errors.Is(err, strconv.ErrRange))
	case map[string]any:
		for _, e := range x {
			if !finiteNumbers(e) {
				return false
			}
		}
	case []any:
		for _, e := range x {
			if !finiteNumbers(e) {
				return false
			}
		}
	}
	return true
}

// DecodeMetrics parses a metrics object with json.Number for numbers, so an
// integer literal stays distinct from a float one (5 and 5.0, as Python's
// json keeps them). Absent or null gives an empty map.
func DecodeMetrics(raw json.RawMessage) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return map[string]any{}, nil
	}
	if raw[0] != '{' {
		return nil, fmt.Errorf("metrics must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode metrics: %w", err)
	}
	return m, nil
}

// FitnessEvent is a model.fitness.recorded.v1 event and, with recorded_at =
// Timestamp, a model_fitness_records row. It marshals to the Python
// platform's canonical form (see CanonicalJSON), so a Python verifier that
// parses it rebuilds the bytes that were signed.
type FitnessEvent struct {
	ModelID   string         `json:"model_id"`
	Source    FitnessSource  `json:"source"`
	Lane      string         `json:"lane"`
	Score     float64        `json:"score"`
	Metrics   FitnessMetrics `json:"metrics"`
	RunID     string         `json:"run_id"`
	Timestamp string         `json:"timestamp"`
	AgentID   string         `json:"agent_id"`
	Signature Signature      `json:"signature"`
}

// FitnessMetrics holds the caller's two metrics objects verbatim and the nine
// unrounded components the score was computed from.
type FitnessMetrics struct {
	TensorZero json.RawMessage    `json:"tensorzero"`
	Training   json.RawMessage    `json:"training"`
	Normalized map[string]float64 `json:"normalized"`
}

// Signature is a CHIT signature: HMAC-SHA256 of the canonical event without
// its signature, in standard base64.
type Signature struct {
	Alg  string `json:"alg"`
	KID  string `json:"kid"`
	HMAC string `json:"hmac"`
}

// NewFitnessEvent scores a validated input and builds its unsigned event,
// stamped with now. An empty RunID becomes a new random UUID (version 4).
func NewFitnessEvent(in FitnessInput, now time.Time) (FitnessEvent, error) {
	t, err := DecodeMetrics(in.TensorZeroMetrics)
	if err != nil {
		return FitnessEvent{}, Invalid("tensorzero_metrics", "must be a JSON object")
	}
	r, err := DecodeMetrics(in.TrainingMetrics)
	if err != nil {
		return FitnessEvent{}, Invalid("training_metrics", "must be a JSON object")
	}
	runID := in.RunID
	if runID == "" {
		if runID, err = newUUID4(); err != nil {
			return FitnessEvent{}, err
		}
	}
	score, normalized := Score(t, r)
	return FitnessEvent{ModelID: in.ModelID, Source: in.Source, Lane: in.Lane, Score: score,
		Metrics: FitnessMetrics{TensorZero: objectOrEmpty(in.TensorZeroMetrics),
			Training: objectOrEmpty(in.TrainingMetrics), Normalized: normalized},
		RunID: runID, Timestamp: PythonTimestamp(now), AgentID: in.AgentID}, nil
}

func objectOrEmpty(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage("{}")
	}
	return append(json.RawMessage(nil), raw...)
}

func newUUID4() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate run_id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]), nil
}

// PythonTimestamp formats t as Python's datetime.now(timezone.utc).isoformat():
// "2026-05-22T01:02:03.123456+00:00", microseconds truncated, and no fraction
// when they are 0.
func PythonTimestamp(t time.Time) string {
	t = t.UTC()
	s := t.Format("2006-01-02T15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		s += fmt.Sprintf(".%06d", us)
	}
	return s + "+00:00"
}

// tree is the event as generic JSON: float64 for Python floats, json.Number
// for the caller's numbers.
func (e FitnessEvent) tree(withSignature bool) (map[string]any, error) {
	t, err := DecodeMetrics(e.Metrics.TensorZero)
	if err != nil {
		return nil, err
	}
	r, err := DecodeMetrics(e.Metrics.Training)
	if err != nil {
		return nil, err
	}
	m := map[string]any{
		"model_id":  e.ModelID,
		"source":    string(e.Source),
		"lane":      e.Lane,
		"score":     e.Score,
		"metrics":   map[string]any{"tensorzero": t, "training": r, "normalized": e.Metrics.Normalized},
		"run_id":    e.RunID,
		"timestamp": e.Timestamp,
		"agent_id":  e.AgentID,
	}
	if withSignature {
		m["signature"] = nil
		if e.Signature != (Signature{}) {
			m["signature"] = map[string]any{"alg": e.Signature.Alg, "kid": e.Signature.KID, "hmac": e.Signature.HMAC}
		}
	}
	return m, nil
}

// SigningBytes is the canonical JSON of the event without its signature:
// the bytes the HMAC covers.
func (e FitnessEvent) SigningBytes() ([]byte, error) {
	m, err := e.tree(false)
	if err != nil {
		return nil, err
	}
	return CanonicalJSON(m)
}

// MarshalJSON writes the canonical form, signature included (null when the
// event is unsigned).
func (e FitnessEvent) MarshalJSON() ([]byte, error) {
	m, err := e.tree(true)
	if err != nil {
		return nil, err
	}
	return CanonicalJSON(m)
}
