package supabase

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/pmoves/model-registry/registry"
)

// The platform's model_candidates and model_fitness_records (sql/0007).
const (
	tableCandidates = "model_candidates"
	tableFitness    = "model_fitness_records"
)

// InsertFitness stores a signed fitness event as a record, recorded at its
// timestamp, and returns the row. A record of the same (model_id, run_id)
// is a conflict.
func (c *Client) InsertFitness(ctx context.Context, e registry.FitnessEvent) (registry.FitnessRecord, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	raw, err := json.Marshal(e)
	if err != nil {
		return registry.FitnessRecord{}, err
	}
	var row map[string]json.RawMessage
	if err := json.Unmarshal(raw, &row); err != nil {
		return registry.FitnessRecord{}, err
	}
	delete(row, "timestamp")
	row["recorded_at"], _ = json.Marshal(e.Timestamp)
	body, err := json.Marshal(row)
	if err != nil {
		return registry.FitnessRecord{}, err
	}
	resp, err := c.do(ctx, http.MethodPost, tableFitness, "", "return=representation", body)
	if err != nil {
		return registry.FitnessRecord{}, translate(err, map[string]string{
			"model_fitness_records_model_id_run_id_key": fmt.Sprintf("a fitness record of model %q with run_id %q exists", e.ModelID, e.RunID),
		})
	}
	rows, err := decodeRows[registry.FitnessRecord](c, resp.status, resp.body)
	if err != nil {
		return registry.FitnessRecord{}, err
	}
	return one(c, rows)
}

// ListFitness lists fitness records, newest first.
func (c *Client) ListFitness(ctx context.Context, f registry.FitnessFilter) ([]registry.FitnessRecord, int, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	q := newQuery("*").order("recorded_at.desc,id.asc")
	if f.ModelID != "" {
		q.eq("model_id", f.ModelID)
	}
	if f.Lane != "" {
		q.eq("lane", f.Lane)
	}
	if f.Source != "" {
		q.eq("source", string(f.Source))
	}
	return listPage[registry.FitnessRecord](ctx, c, tableFitness, q, f.Page)
}

// ListCandidates lists model candidates, most recently changed first.
func (c *Client) ListCandidates(ctx context.Context, f registry.CandidateFilter) ([]registry.Candidate, int, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	q := newQuery("*").order("updated_at.desc,id.asc")
	if f.ModelID != "" {
		q.eq("model_id", f.ModelID)
	}
	if f.Lane != "" {
		q.eq("intended_lane", f.Lane)
	}
	if f.Source != "" {
		q.eq("source", f.Source)
	}
	if f.ValidationStatus != "" {
		q.eq("validation_status", string(f.ValidationStatus))
	}
	return listPage[registry.Candidate](ctx, c, tableCandidates, q, f.Page)
}

// UpsertCandidate registers a model candidate, an upsert on (hf_id,
// intended_lane) that changes only the columns in.Sent names. A
// re-registration never demotes a validated, activated or rejected
// candidate (registry.MergeCandidateStatus), and an existing row keeps the
// agent that first registered it. It returns the row as stored and whether
// it was new.
func (c *Client) UpsertCandidate(ctx context.Context, in registry.CandidateInput) (registry.Candidate, bool, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if err := in.Validate(); err != nil {
		return registry.Candidate{}, false, err
	}
	lane := in.EffectiveLane()
	existing, err := execRows[registry.Candidate](ctx, c, c.pg.From(tableCandidates).Select("*", "", false).
		Eq("hf_id", in.HFID).Eq("intended_lane", lane).Limit(1, ""))
	if err != nil {
		return registry.Candidate{}, false, err
	}
	var cur *registry.Candidate
	if len(existing) == 1 {
		cur = &existing[0]
	}
	cols := in.Columns(cur, time.Now())
	cols["intended_lane"] = lane
	if cur != nil {
		// The proposed row needs agent_id (NOT NULL) even when it only
		// updates: the first registrant's.
		cols["agent_id"] = cur.AgentID
	}
	body, err := json.Marshal(cols)
	if err != nil {
		return registry.Candidate{}, false, err
	}
	resp, err := c.do(ctx, http.MethodPost, tableCandidates,
		newQuery("").set("on_conflict", "hf_id,intended_lane").encode(),
		"resolution=merge-duplicates,return=representation", body)
	if err != nil {
		return registry.Candidate{}, false, translate(err, nil)
	}
	rows, err := decodeRows[registry.Candidate](c, resp.status, resp.body)
	if err != nil {
		return registry.Candidate{}, false, err
	}
	row, err := one(c, rows)
	return row, cur == nil, err
}
