package supabase

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/events"
	"github.com/pmoves/model-registry/registry"
)

// TestIntegrationCandidatesFromNATS: the hf-research agent's evaluations
// (a passing score makes a candidate) and AgentGym's publications become
// candidates attributed to the configured agent, once however often they
// arrive; a malformed message is counted and dropped.
func TestIntegrationCandidatesFromNATS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.TemplateEmpty)
	n := startNATS(t)
	br := startBridge(t, n.url, e.c, func(cfg *events.Config) { cfg.CandidateAgent = "hf-research-intake" })
	publish := func(subject, body string) {
		t.Helper()
		ok(t, n.nc.Publish(subject, []byte(body)))
		ok(t, n.nc.Flush())
	}
	passing := `{"model_id":"acme/coder-7b","score":72,"max_score":110,"passed":true,"reasons":["license ok"],"tags":["code"],"downloads":1200,"likes":30,"pipeline_tag":"text-generation"}`
	publish(events.SubjectHFEvaluated, passing)
	publish(events.SubjectHFEvaluated, passing) // again: the same candidate
	publish(events.SubjectHFEvaluated, `{"model_id":"acme/weak-1b","score":31,"passed":false}`)
	publish(events.SubjectHFEvaluated, `{"model_id":`)
	publish(events.SubjectAgentGymPublish, `{"training_run_id":"run-9","model_id":"acme/gym-3b","repo_url":"https://huggingface.co/acme/gym-3b","dataset_id":"d1","trajectory_count":400,"source":"agentgym","timestamp":"2026-11-01T00:00:00Z"}`)

	deadline := time.Now().Add(15 * time.Second)
	for br.counter(`model_registry_events_applied_total{subject="agentgym.model.published.v1"}`) < 1 ||
		br.counter(`model_registry_events_applied_total{subject="hf.model.evaluated.v1"}`) < 2 ||
		br.counter(`model_registry_events_rejected_total{reason="malformed_json"}`) < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the candidate events were not all handled")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cands, count, err := e.c.ListCandidates(context.Background(), registry.CandidateFilter{})
	ok(t, err)
	if count != 2 {
		t.Fatalf("%d candidates, want 2 (the passing evaluation once, the publication): %+v", count, cands)
	}
	byHF := map[string]registry.Candidate{}
	for _, c := range cands {
		byHF[c.HFID] = c
	}
	hf := byHF["acme/coder-7b"]
	if hf.IntendedLane != "chat" || hf.Source != "hf-autoresearch" || hf.AgentID != "hf-research-intake" ||
		hf.ValidationStatus != registry.CandidateProposed || hf.SignedTrailRef == nil || string(hf.Metadata) == "{}" {
		t.Errorf("evaluated candidate %+v", hf)
	}
	gym := byHF["https://huggingface.co/acme/gym-3b"]
	if gym.ModelID != "acme/gym-3b" || gym.Source != "agentgym" || gym.AgentID != "hf-research-intake" {
		t.Errorf("published candidate %+v", gym)
	}
}

// TestIntegrationCandidateRacesNeverDemote: registrations racing a decision
// never set the decided status back, and of two first registrations one
// creates the row and the other keeps its agent.
func TestIntegrationCandidateRacesNeverDemote(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.TemplateEmpty)
	ctx := context.Background()
	input := func(agent string, status registry.CandidateStatus) registry.CandidateInput {
		str := func(s string) *string { return &s }
		return registry.CandidateInput{ModelID: "acme/x", HFID: "acme/x", IntendedLane: str("chat"), AgentID: str(agent),
			SignedTrailRef: str("trail"), ValidationStatus: &status}
	}
	for round := range 10 {
		e.exec(t, `DELETE FROM pmoves_core.model_candidates`)
		var wg sync.WaitGroup
		created := make([]bool, 2)
		for i, agent := range []string{"first", "second"} {
			wg.Go(func() {
				_, c, err := e.c.UpsertCandidate(ctx, input(agent, registry.CandidateProposed))
				ok(t, err)
				created[i] = c
			})
		}
		wg.Wait()
		if created[0] == created[1] {
			t.Fatalf("round %d: created %v, want exactly one new row", round, created)
		}
		cands, _, err := e.c.ListCandidates(ctx, registry.CandidateFilter{})
		ok(t, err)
		if len(cands) != 1 || (created[0] && cands[0].AgentID != "first") || (created[1] && cands[0].AgentID != "second") {
			t.Fatalf("round %d: %+v, want one row keeping its first agent", round, cands)
		}
		wg.Go(func() {
			_, _, err := e.c.UpsertCandidate(ctx, input("reviewer", registry.CandidateValidated))
			ok(t, err)
		})
		for range 3 {
			wg.Go(func() {
				_, _, err := e.c.UpsertCandidate(ctx, input("bridge", registry.CandidateProposed))
				ok(t, err)
			})
		}
		wg.Wait()
		cands, _, err = e.c.ListCandidates(ctx, registry.CandidateFilter{})
		ok(t, err)
		if cands[0].ValidationStatus != registry.CandidateValidated {
			t.Fatalf("round %d: status %s after a decision raced re-registrations", round, cands[0].ValidationStatus)
		}
	}
}
