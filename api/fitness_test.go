package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pmoves/model-registry/api"
	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/registry"
)

const fitnessKey = "test-model-fitness-secret"

// fitnessConfig is the platform's set-up: the bridge and the collector
// write without a key, the collector sends no agent_id.
func fitnessConfig(keyless []string, defaultAgent string, signingKey string) func(*api.Config) {
	return func(c *api.Config) {
		c.KeylessAgents, c.DefaultAgent = keyless, defaultAgent
		env := map[string]string{"CHIT_SIGNING_KEY": signingKey}
		c.Sign = func(e registry.FitnessEvent) (registry.Signature, error) {
			return registry.Sign(e, func(k string) string { return env[k] })
		}
	}
}

// noKey sends a request without any key (a header that is not one).
var noKey = []string{"X-Nothing", ""}

type fitnessAnswer struct {
	ModelID   string          `json:"model_id"`
	Lane      string          `json:"lane"`
	Score     float64         `json:"score"`
	RunID     string          `json:"run_id"`
	AgentID   string          `json:"agent_id"`
	Timestamp string          `json:"timestamp"`
	Metrics   json.RawMessage `json:"metrics"`
	Signature struct {
		Alg  string `json:"alg"`
		KID  string `json:"kid"`
		HMAC string `json:"hmac"`
	} `json:"signature"`
}

// TestFitnessFromThePlatformsCallers records the requests of the platform's
// fitness bridge and collector as they send them (FITNESS.md section 6):
// scored as specified, signed verifiably, stored and announced.
func TestFitnessFromThePlatformsCallers(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateEmpty,
		fitnessConfig([]string{"model-fitness-bridge", "fitness-collector"}, "fitness-collector", fitnessKey))
	bridge := `{"model_id":"Qwen/Qwen2.5-Coder-7B-Instruct","source":"tensorzero","lane":"coding_agents","score":0.1,
		"tensorzero_metrics":{"success_rate":0.9,"task_score":0.8},"training_metrics":{"eval_score":0.8,"publish_eligible":true},
		"agent_id":"model-fitness-bridge","run_id":"run-1"}`
	var a fitnessAnswer
	r := s.do("POST", "/api/model-fitness", bridge, noKey...).must(t, 200, &a)
	if a.Score != 0.78485 || a.AgentID != "model-fitness-bridge" || a.RunID != "run-1" || a.Signature.Alg != "HMAC-SHA256" ||
		a.Signature.KID != registry.DefaultSigningKeyID {
		t.Errorf("bridge's record = %+v, want score 0.78485 signed with the default kid", a)
	}
	// The signature verifies: the same event, signed again, gives it.
	var e registry.FitnessEvent
	if err := json.Unmarshal(r.Body, &e); err != nil {
		t.Fatal(err)
	}
	e.Signature = registry.Signature{}
	sig, err := registry.Sign(e, func(k string) string { return map[string]string{"CHIT_SIGNING_KEY": fitnessKey}[k] })
	if err != nil || sig.HMAC != a.Signature.HMAC {
		t.Errorf("signature %s does not verify (%s, %v)", a.Signature.HMAC, sig.HMAC, err)
	}
	if got := s.events.fitnessEvents(); len(got) != 1 || got[0].RunID != "run-1" || got[0].Score != 0.78485 {
		t.Errorf("announced fitness events: %+v", got)
	}

	// The collector sends no agent_id: the default agent, listed as keyless.
	collector := `{"model_id":"qwen3:8b","source":"tensorzero","lane":"inference","tensorzero_metrics":{},
		"training_metrics":{},"run_id":"collect-1","score":0.9}`
	s.do("POST", "/api/model-fitness", collector, noKey...).must(t, 200, &a)
	if a.Score != 0.525 || a.AgentID != "fitness-collector" {
		t.Errorf("collector's record = %+v, want 0.525 by fitness-collector", a)
	}

	// Stored as announced, recorded at the event's time.
	conn := dbtest.Connect(t, s.db)
	var rows, score, recorded string
	if err := conn.QueryRow(context.Background(), `SELECT count(*)::text, max(score)::text,
		max(to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS'))
		FROM pmoves_core.model_fitness_records`).Scan(&rows, &score, &recorded); err != nil {
		t.Fatal(err)
	}
	if rows != "2" || score != "0.784850" || !strings.HasPrefix(a.Timestamp, recorded[:10]) {
		t.Errorf("stored: %s rows, max score %s, recorded %s (event %s)", rows, score, recorded, a.Timestamp)
	}

	// A second record of one run is a conflict; nothing else is written.
	r = s.do("POST", "/api/model-fitness", bridge, noKey...)
	if code, _, _ := r.errorOf(t); r.Status != 409 || code != "conflict" {
		t.Errorf("duplicate run: %d %s", r.Status, r.Body)
	}
	var list struct {
		Items []registry.FitnessRecord `json:"items"`
		Count int                      `json:"count"`
	}
	s.do("GET", "/api/model-fitness?lane=coding_agents&source=tensorzero", nil).must(t, 200, &list)
	if list.Count != 1 || list.Items[0].RunID != "run-1" || list.Items[0].Score != 0.78485 {
		t.Errorf("listed: %+v", list)
	}
}

// TestFitnessWhoMayWrite: a key, or a listed agent without one; an agent
// that is neither is refused and nothing is written.
func TestFitnessWhoMayWrite(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateEmpty, fitnessConfig([]string{"model-fitness-bridge"}, "", fitnessKey))
	body := func(agent, run string) string {
		return `{"model_id":"m","source":"manual","lane":"chat","agent_id":"` + agent + `","run_id":"` + run + `"}`
	}
	if r := s.do("POST", "/api/model-fitness", body("stranger", "r1"), noKey...); r.Status != 401 {
		t.Errorf("an unlisted agent without a key: %d %s", r.Status, r.Body)
	}
	s.do("POST", "/api/model-fitness", body("stranger", "r2"), noKey...)
	s.do("POST", "/api/model-fitness", body("stranger", "r3")).must(t, 200, nil) // with the key
	r := s.do("POST", "/api/model-fitness", `{"model_id":"m","source":"manual","lane":"chat"}`)
	if _, _, fields := r.errorOf(t); r.Status != 400 || fields["agent_id"] == "" {
		t.Errorf("no agent_id and no default agent: %d %s", r.Status, r.Body)
	}
	for body, field := range map[string]string{
		`{"model_id":"m","source":"manual","lane":"chat","agent_id":"a","tensorzero_metrics":{"x":"a\u0000b"}}`: "tensorzero_metrics",
		`{"model_id":"m","source":"guess","lane":"chat","agent_id":"a"}`:                                        "source",
		`{"model_id":"","source":"manual","lane":"chat","agent_id":"a"}`:                                        "model_id",
		`{"model_id":"m","source":"manual","lane":"chat","agent_id":"a","training_metrics":[1]}`:                "training_metrics",
		`{"model_id":"m","source":"manual","lane":"chat","agent_id":"a","colour":"red"}`:                        "colour",
	} {
		r := s.do("POST", "/api/model-fitness", body)
		if _, _, fields := r.errorOf(t); r.Status != 400 || fields[field] == "" {
			t.Errorf("%s: %d %s, want 400 naming %s", body, r.Status, r.Body, field)
		}
	}
	var n int
	if err := dbtest.Connect(t, s.db).QueryRow(context.Background(),
		`SELECT count(*) FROM pmoves_core.model_fitness_records`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d records (%v), want only the keyed one", n, err)
	}
}

// TestFitnessWithoutSigningKey: 503 and nothing written.
func TestFitnessWithoutSigningKey(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateEmpty, fitnessConfig(nil, "", ""))
	r := s.do("POST", "/api/model-fitness", `{"model_id":"m","source":"manual","lane":"chat","agent_id":"a"}`)
	if code, msg, _ := r.errorOf(t); r.Status != 503 || code != "upstream_unavailable" || !strings.Contains(msg, "signing key") {
		t.Errorf("without a signing key: %d %s", r.Status, r.Body)
	}
	var n int
	if err := dbtest.Connect(t, s.db).QueryRow(context.Background(),
		`SELECT count(*) FROM pmoves_core.model_fitness_records`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d records written (%v)", n, err)
	}
}

type candidateAnswer struct {
	Identity struct {
		AgentID string `json:"agent_id"`
		Via     string `json:"via"`
		Trusted bool   `json:"trusted"`
	} `json:"identity"`
	Items []registry.Candidate `json:"items"`
}

// TestCandidatesRegisterAndNeverDemote: the bridge's candidate request,
// then a decision through a key, then the bridge again: only the fields
// sent change, and the decided status stays.
func TestCandidatesRegisterAndNeverDemote(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateEmpty, fitnessConfig([]string{"model-fitness-bridge"}, "", fitnessKey))
	bridge := `{"hf_id":"acme/coder-7b","model_id":"acme/coder-7b","source":"hf-autoresearch","lane":"coding","intended_lane":"coding",
		"pipeline_tag":"text-generation","validation_status":"candidate","agent_id":"model-fitness-bridge","signed_trail_ref":"trail-1"}`
	var a candidateAnswer
	s.do("POST", "/api/model-candidates", bridge, noKey...).must(t, 201, &a)
	if len(a.Items) != 1 || a.Items[0].ValidationStatus != "candidate" || a.Items[0].IntendedLane != "coding" ||
		a.Identity.Via != "keyless_agents" || a.Identity.AgentID != "model-fitness-bridge" || !a.Identity.Trusted {
		t.Fatalf("registered %+v", a)
	}
	if e := s.events.last(); e.Action != "candidate_registered" || e.ResourceType != registry.ResourceCandidate || e.ResourceID != "acme/coder-7b" {
		t.Errorf("change event %+v", e)
	}
	s.do("POST", "/api/model-candidates", `{"hf_id":"acme/coder-7b","model_id":"acme/coder-7b","intended_lane":"coding",
		"validation_status":"validated","signed_trail_ref":"review-7","agent_id":"operator"}`).must(t, 200, &a)
	if a.Items[0].ValidationStatus != "validated" || a.Items[0].AgentID != "model-fitness-bridge" {
		t.Errorf("validated by an operator: %+v", a.Items[0])
	}
	again := strings.Replace(bridge, `"pipeline_tag"`, `"task":"text-generation","pipeline_tag"`, 1)
	s.do("POST", "/api/model-candidates", again, noKey...).must(t, 200, &a)
	c := a.Items[0]
	if c.ValidationStatus != "validated" || c.Task == nil || *c.Task != "text-generation" || !c.UpdatedAt.After(c.CreatedAt) {
		t.Errorf("the bridge again: %+v, want still validated, task set, updated_at moved", c)
	}
	r := s.do("POST", "/api/model-candidates", strings.Replace(bridge, `"signed_trail_ref":"trail-1"`, `"signed_trail_ref":""`, 1), noKey...)
	if _, _, fields := r.errorOf(t); r.Status != 400 || fields["signed_trail_ref"] == "" {
		t.Errorf("without a trail: %d %s", r.Status, r.Body)
	}
	if r := s.do("POST", "/api/model-candidates", strings.Replace(bridge, "model-fitness-bridge", "stranger", 1), noKey...); r.Status != 401 {
		t.Errorf("an unlisted agent: %d %s", r.Status, r.Body)
	}
	var list struct {
		Items []registry.Candidate `json:"items"`
		Count int                  `json:"count"`
	}
	s.do("GET", "/api/model-candidates?validation_status=validated&lane=coding", nil).must(t, 200, &list)
	if list.Count != 1 || list.Items[0].HFID != "acme/coder-7b" {
		t.Errorf("listed %+v", list)
	}
	if r := s.do("GET", "/api/model-candidates?validation_status=maybe", nil); r.Status != 400 {
		t.Errorf("a bad status filter: %d", r.Status)
	}
	// The platform keeps candidates and fitness records from anon: so does
	// the registry, even with reads open.
	for _, path := range []string{"/api/model-candidates", "/api/model-fitness"} {
		if r := s.do("GET", path, nil, noKey...); r.Status != 401 {
			t.Errorf("GET %s without a key: %d", path, r.Status)
		}
	}
	// Any credential that is not a valid key is refused, even for a listed
	// agent; and a keyless agent may only propose.
	for _, h := range [][]string{{"Authorization", "Bearer wrong"}, {"Authorization", "Basic dXNlcjpwYXNz"},
		{"Authorization", "Bearer"}, {"apikey", "wrong"}} {
		if r := s.do("POST", "/api/model-candidates", bridge, h...); r.Status != 401 {
			t.Errorf("a listed agent with %v: %d", h, r.Status)
		}
	}
	decide := strings.Replace(bridge, `"validation_status":"candidate"`, `"validation_status":"activated"`, 1)
	if r := s.do("POST", "/api/model-candidates", decide, noKey...); r.Status != 401 {
		t.Errorf("a keyless agent activating a candidate: %d %s", r.Status, r.Body)
	}
}
