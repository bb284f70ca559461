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
//
// The status rule needs the stored row, so the write is guarded by what was
// read: a new row is inserted only if none appeared meanwhile, an existing
// one updated only if its status and updated_at are still those read;
// otherwise it reads again (a few times, then it is a conflict).
func (c *Client) UpsertCandidate(ctx context.Context, in registry.CandidateInput) (registry.Candidate, bool, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	if err := in.Validate(); err != nil {
		return registry.Candidate{}, false, err
	}
	lane := in.EffectiveLane()
	for range 5 {
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
		var resp *response
		if cur == nil {
			body, err := json.Marshal(cols)
			if err != nil {
				return registry.Candidate{}, false, err
			}
			resp, err = c.do(ctx, http.MethodPost, tableCandidates,
				newQuery("").set("on_conflict", "hf_id,intended_lane").encode(),
				"resolution=ignore-duplicates,return=representation", body)
			if err != nil {
				return registry.Candidate{}, false, translate(err, nil)
			}
		} else {
			cols["agent_id"] = cur.AgentID
			body, err := json.Marshal(cols)
			if err != nil {
				return registry.Candidate{}, false, err
			}
			q := newQuery("").eq("id", cur.ID).eq("validation_status", string(cur.ValidationStatus)).
				eq("updated_at", stamp(cur.UpdatedAt))
			resp, err = c.do(ctx, http.MethodPatch, tableCandidates, q.encode(), "return=representation", body)
			if err != nil {
				return registry.Candidate{}, false, translate(err, nil)
			}
		}
		rows, err := decodeRows[registry.Candidate](c, resp.status, resp.body)
		if err != nil {
			return registry.Candidate{}, false, err
		}
		if len(rows) == 1 {
			return rows[0], cur == nil, nil
		}
		// Someone else wrote the candidate in between: read it again.
	}
	return registry.Candidate{}, false, &described{
		msg: fmt.Sprintf("candidate %s for lane %s kept changing while it was registered; try again", in.HFID, lane),
		err: registry.ErrConflict}
}
