package registry

import (
	"encoding/json"
	"time"
)

// FitnessRecord is a row of model_fitness_records: a FitnessEvent as
// stored, recorded at its timestamp.
type FitnessRecord struct {
	ID         string          `json:"id"`
	ModelID    string          `json:"model_id"`
	Source     FitnessSource   `json:"source"`
	Lane       string          `json:"lane"`
	Score      float64         `json:"score"`
	Metrics    json.RawMessage `json:"metrics"`
	RunID      string          `json:"run_id"`
	AgentID    string          `json:"agent_id"`
	Signature  json.RawMessage `json:"signature"`
	RecordedAt time.Time       `json:"recorded_at"`
	CreatedAt  time.Time       `json:"created_at"`
}

// FitnessFilter selects fitness records; empty fields match everything.
type FitnessFilter struct {
	ModelID string
	Lane    string
	Source  FitnessSource
	Page
}

// CandidateFilter selects model candidates; empty fields match everything.
// Lane matches intended_lane.
type CandidateFilter struct {
	ModelID          string
	Lane             string
	Source           string
	ValidationStatus CandidateStatus
	Page
}
