package events

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/pmoves/model-registry/registry"
)

// The platform's model-candidate pipeline on the bus: Hugging Face
// evaluations and AgentGym publications propose candidates; recorded
// fitness events are announced.
const (
	SubjectHFEvaluated      = "hf.model.evaluated.v1"
	SubjectAgentGymPublish  = "agentgym.model.published.v1"
	SubjectFitnessRecorded  = registry.FitnessEventType
	candidateSourceHF       = "hf-autoresearch"
	candidateSourceAgentGym = "agentgym"
	// hfPassScore is the evaluation score from which a model becomes a
	// candidate (the hf-research agent scores 0..110).
	hfPassScore = 50
)

// CandidateStore records model candidates. The supabase package implements
// it beside Store; with a store that does not, the candidate subjects are not
// subscribed.
type CandidateStore interface {
	// UpsertCandidate registers a candidate (an upsert on hf_id and lane
	// that changes only the sent fields and never demotes a decided one).
	UpsertCandidate(ctx context.Context, in registry.CandidateInput) (registry.Candidate, bool, error)
}

// subscribeCandidates listens to the two candidate subjects on a core queue
// subscription shared by the replicas: each message is handled by one
// replica, once. A malformed message is counted and dropped; a failed
// write is counted and logged (the publishers send evaluations again).
func (b *Bridge) subscribeCandidates(nc *nats.Conn, store CandidateStore) error {
	for _, subj := range []string{SubjectHFEvaluated, SubjectAgentGymPublish} {
		if _, err := nc.QueueSubscribe(subj, b.cfg.Durable+"-candidates", func(m *nats.Msg) {
			b.onCandidate(store, m.Subject, m.Data)
		}); err != nil {
			return fmt.Errorf("events: subscribe %s: %w", subj, err)
		}
	}
	// The server has the subscriptions once Start returns (when connected):
	// a message published right after is not missed.
	if nc.IsConnected() {
		if err := nc.FlushTimeout(5 * time.Second); err != nil {
			b.log.Warn("NATS did not confirm the candidate subscriptions", "error", err)
		}
	}
	return nil
}

// onCandidate handles one message of a candidate subject.
func (b *Bridge) onCandidate(store CandidateStore, subject string, data []byte) {
	b.m.received(subject)
	in, skip, reason := candidateFrom(subject, data, b.cfg.CandidateAgent)
	if reason != "" {
		b.m.rejected(reason)
		if ok, held := b.limit.allow(subject + " " + reason); ok {
			b.log.Warn("dropped a candidate event", "subject", subject, "reason", reason, "similar_since_last_log", held)
		}
		return
	}
	if skip {
		return // an evaluation below the pass score
	}
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	c, created, err := store.UpsertCandidate(ctx, in)
	if err != nil {
		b.m.rejected(reasonStoreError)
		if ok, held := b.limit.allow(subject + " store " + err.Error()); ok {
			b.log.Warn("could not record a candidate", "subject", subject, "hf_id", in.HFID, "error", err,
				"similar_since_last_log", held)
		}
		return
	}
	b.m.applied(subject)
	action := registry.ActionUpdated
	if created {
		action = registry.ActionCreated
	}
	b.Publish(ctx, registry.NewChangeEvent(action, registry.ResourceCandidate, c.HFID))
}

// candidateFrom reads a candidate from an event: skip is true for an
// evaluation that did not pass; reason names why a message is rejected.
func candidateFrom(subject string, data []byte, agent string) (in registry.CandidateInput, skip bool, reason string) {
	var ev map[string]json.RawMessage
	if err := json.Unmarshal(data, &ev); err != nil {
		return in, false, reasonMalformed
	}
	text := func(key string) string {
		var s string
		if json.Unmarshal(ev[key], &s) != nil {
			return ""
		}
		return strings.TrimSpace(s)
	}
	str := func(s string) *string { return &s }
	var lane, source, trail string
	meta := map[string]json.RawMessage{}
	switch subject {
	case SubjectHFEvaluated:
		var score float64
		if json.Unmarshal(ev["score"], &score) != nil {
			return in, false, reasonInvalid
		}
		if score < hfPassScore {
			return in, true, ""
		}
		in.HFID = text("model_id")
		in.ModelID = in.HFID
		lane, source = text("lane"), candidateSourceHF
		if lane == "" {
			lane = "chat"
		}
		trail = "nats:" + SubjectHFEvaluated
		meta["hf_score"] = ev["score"]
		for _, k := range []string{"max_score", "downloads", "likes", "tags", "reasons", "pipeline_tag", "hf_url"} {
			if v, ok := ev[k]; ok {
				meta[k] = v
			}
		}
	case SubjectAgentGymPublish:
		in.ModelID = text("model_id")
		in.HFID = text("hf_id")
		if in.HFID == "" {
			in.HFID = text("repo_url")
		}
		if in.HFID == "" {
			in.HFID = in.ModelID
		}
		if in.ModelID == "" {
			in.ModelID = in.HFID
		}
		lane, source = text("lane"), candidateSourceAgentGym
		if lane == "" {
			lane = registry.DefaultCandidateLane
		}
		trail = "agentgym:" + text("training_run_id")
		if trail == "agentgym:" {
			trail = "nats:" + SubjectAgentGymPublish
		}
		for _, k := range []string{"training_run_id", "dataset_id", "repo_url", "trajectory_count", "source", "timestamp"} {
			if v, ok := ev[k]; ok {
				meta["agentgym_"+k] = v
			}
		}
	default:
		return in, false, reasonSubject
	}
	if in.HFID == "" {
		return in, false, reasonNoModel
	}
	metadata, err := json.Marshal(meta)
	if err != nil {
		return in, false, reasonInvalid
	}
	in.IntendedLane, in.Source, in.AgentID, in.SignedTrailRef = str(lane), str(source), str(agent), str(trail)
	in.Metadata = metadata
	in.Keys = map[string]bool{"model_id": true, "hf_id": true, "intended_lane": true, "source": true,
		"agent_id": true, "signed_trail_ref": true, "metadata": true}
	if err := in.Validate(); err != nil {
		return in, false, reasonInvalid
	}
	return in, false, ""
}

// PublishFitness announces a recorded fitness event on
// model.fitness.recorded.v1, the bare event as the platform publishes it.
// Like Publish it never blocks: the event is queued and sent in the
// background. It satisfies the API's FitnessPublisher.
func (b *Bridge) PublishFitness(_ context.Context, e registry.FitnessEvent) {
	if b == nil || b.nc == nil {
		return
	}
	data, err := json.Marshal(e)
	if err != nil {
		b.log.Error("encode fitness event", "error", err)
		return
	}
	b.enqueue(outMsg{id: newMsgID(), subject: SubjectFitnessRecorded, data: data})
}
