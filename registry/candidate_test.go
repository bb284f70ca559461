package registry_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pmoves/model-registry/registry"
)

// bridgeCandidate is what the platform's model-fitness bridge sends.
const bridgeCandidate = `{"hf_id":"org/model","model_id":"org/model","source":"hf-autoresearch","lane":"agentgym",
	"intended_lane":"agentgym","pipeline_tag":"text-generation","validation_status":"candidate",
	"agent_id":"model-fitness-bridge","signed_trail_ref":"trail/2026-05-22/abc"}`

func decodeCandidate(body string) (registry.CandidateInput, error) {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	var in registry.CandidateInput
	err := dec.Decode(&in)
	return in, err
}

func mustCandidate(t *testing.T, body string) registry.CandidateInput {
	t.Helper()
	in, err := decodeCandidate(body)
	if err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return in
}

func TestCandidateDecode(t *testing.T) {
	in := mustCandidate(t, bridgeCandidate)
	if err := in.Validate(); err != nil {
		t.Fatalf("bridge body: %v", err)
	}
	wantKeys := map[string]bool{"hf_id": true, "model_id": true, "source": true, "lane": true, "intended_lane": true,
		"pipeline_tag": true, "validation_status": true, "agent_id": true, "signed_trail_ref": true}
	if diff := cmp.Diff(wantKeys, in.Keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	if in.Sent("task") || !in.Sent("lane") {
		t.Error("Sent disagrees with the body")
	}

	full := mustCandidate(t, `{"id":7,"model_id":"m","hf_id":"h","task":null,"license":"mit","params":7000000000,
		"context_length":32768,"vram_mb_estimate":null,"capabilities":["chat"],"backend_fit":[],"quantization_support":["int4"],
		"intended_lane":"coding_agents","validation_status":"validated","source":"manual","agent_id":"codex",
		"signed_trail_ref":"t","metadata":{"downloads":5}}`)
	if err := full.Validate(); err != nil {
		t.Errorf("every column: %v", err)
	}
	if !full.Sent("task") || full.Task != nil || *full.Params != 7000000000 {
		t.Errorf("null task or params lost: %+v", full)
	}

	for body, wantField := range map[string]string{
		`{"model_id":"m","hf_id":"h","extra":1}`:     "extra",
		`{"MODEL_ID":"m","hf_id":"h"}`:               "MODEL_ID",
		`{"model_id":"m","hf_id":"h","Lane":"x"}`:    "Lane",
		`{"model_id":"m","hf_id":"h","signature":1}`: "signature",
	} {
		_, err := decodeCandidate(body)
		if err == nil || err.Error() != `json: unknown field "`+wantField+`"` {
			t.Errorf("%s: error %v, want unknown field %q", body, err, wantField)
		}
	}
	_, err := decodeCandidate(`{"model_id":"m","hf_id":"h","task":5}`)
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) || typeErr.Field != "task" {
		t.Errorf("a number for task: %v", err)
	}
	if _, err := decodeCandidate(`[1]`); err == nil {
		t.Error("an array body decoded")
	}
}

func TestCandidateValidate(t *testing.T) {
	base := `"model_id":"m","hf_id":"org/m","agent_id":"codex","signed_trail_ref":"trail/1"`
	cases := []struct {
		name string
		body string
		want []string
	}{
		{"minimal", `{` + base + `}`, nil},
		{"lane alone", `{` + base + `,"lane":"chat"}`, nil},
		{"missing everything", `{}`, []string{"model_id", "hf_id", "agent_id", "signed_trail_ref"}},
		{"empty trail ref", `{"model_id":"m","hf_id":"h","agent_id":"codex","signed_trail_ref":"  "}`, []string{"signed_trail_ref"}},
		{"null trail ref", `{"model_id":"m","hf_id":"h","agent_id":"codex","signed_trail_ref":null}`, []string{"signed_trail_ref"}},
		{"status", `{` + base + `,"validation_status":"approved"}`, []string{"validation_status"}},
		{"null status", `{` + base + `,"validation_status":null}`, []string{"validation_status"}},
		{"lists", `{` + base + `,"capabilities":[1],"backend_fit":"vllm","quantization_support":null}`,
			[]string{"capabilities", "backend_fit", "quantization_support"}},
		{"list entries", `{` + base + `,"capabilities":[""],"backend_fit":[" x"]}`, []string{"capabilities", "backend_fit"}},
		{"metadata array", `{` + base + `,"metadata":[1]}`, []string{"metadata"}},
		{"metadata null", `{` + base + `,"metadata":null}`, []string{"metadata"}},
		{"negative numbers", `{` + base + `,"params":-1,"context_length":-2,"vram_mb_estimate":-3}`,
			[]string{"params", "context_length", "vram_mb_estimate"}},
		{"int columns overflow", `{` + base + `,"context_length":2147483648,"vram_mb_estimate":9999999999}`,
			[]string{"context_length", "vram_mb_estimate"}},
		{"lanes disagree", `{` + base + `,"lane":"a","intended_lane":"b"}`, []string{"lane"}},
		{"null not-null columns", `{` + base + `,"intended_lane":null,"source":null,"lane":null}`,
			[]string{"intended_lane", "source", "lane"}},
		{"empty names", `{"model_id":"","hf_id":"h","agent_id":"","signed_trail_ref":"t","source":"","intended_lane":""}`,
			[]string{"model_id", "agent_id", "source", "intended_lane"}},
		{"long text", `{` + base + `,"task":"` + strings.Repeat("t", 201) + `","pipeline_tag":"` + strings.Repeat("p", 201) + `"}`,
			[]string{"task", "pipeline_tag"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := mustCandidate(t, c.body)
			if diff := cmp.Diff(fieldNames(c.want), invalidFields(t, in.Validate())); diff != "" {
				t.Errorf("invalid fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCandidateWithDefaultAgent(t *testing.T) {
	in := mustCandidate(t, `{"model_id":"m","hf_id":"h","signed_trail_ref":"t"}`)
	if err := in.Validate(); err == nil {
		t.Fatal("a candidate without agent_id validated")
	}
	got := in.WithDefaultAgent("codex")
	if err := got.Validate(); err != nil || *got.AgentID != "codex" || !got.Sent("agent_id") {
		t.Errorf("with the default agent: %v, %+v", err, got)
	}
	if in.Sent("agent_id") {
		t.Error("WithDefaultAgent changed the original's keys")
	}
	own := mustCandidate(t, `{"model_id":"m","hf_id":"h","signed_trail_ref":"t","agent_id":"hermes"}`).WithDefaultAgent("codex")
	if *own.AgentID != "hermes" {
		t.Errorf("WithDefaultAgent replaced agent_id with %q", *own.AgentID)
	}
}

func TestCandidateColumns(t *testing.T) {
	now := time.Date(2026, 5, 22, 1, 2, 3, 0, time.UTC)
	stamp := "2026-05-22T01:02:03Z"
	in := mustCandidate(t, bridgeCandidate)
	activated := &registry.Candidate{ValidationStatus: registry.CandidateActivated}

	got := in.Columns(activated, now)
	want := map[string]any{"model_id": "org/model", "hf_id": "org/model", "source": "hf-autoresearch",
		"intended_lane": "agentgym", "validation_status": registry.CandidateActivated,
		"agent_id": "model-fitness-bridge", "signed_trail_ref": "trail/2026-05-22/abc", "updated_at": stamp}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("columns over an activated row (-want +got):\n%s", diff)
	}
	if got := in.Columns(nil, now)["validation_status"]; got != registry.CandidateProposed {
		t.Errorf("a new row gets status %v", got)
	}

	nulls := mustCandidate(t, `{"model_id":"m","hf_id":"h","agent_id":"a","signed_trail_ref":"t","task":null,"params":null,
		"capabilities":["chat"],"metadata":{"a":1},"lane":"chat","id":"x","pipeline_tag":"p"}`)
	got = nulls.Columns(nil, now)
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	const wantJSON = `{"agent_id":"a","capabilities":["chat"],"hf_id":"h","intended_lane":"chat","metadata":{"a":1},` +
		`"model_id":"m","params":null,"signed_trail_ref":"t","task":null,"updated_at":"` + "2026-05-22T01:02:03Z" + `"}`
	if string(b) != wantJSON {
		t.Errorf("columns\n got %s\nwant %s", b, wantJSON)
	}

	built := registry.CandidateInput{ModelID: "m", HFID: "h", License: ref("mit"), ContextLength: ref(int64(4096))}
	if diff := cmp.Diff(map[string]any{"model_id": "m", "hf_id": "h", "license": "mit", "context_length": int64(4096),
		"updated_at": stamp}, built.Columns(nil, now)); diff != "" {
		t.Errorf("columns of an input built in code (-want +got):\n%s", diff)
	}
	if built.EffectiveLane() != registry.DefaultCandidateLane {
		t.Errorf("default lane = %q", built.EffectiveLane())
	}
}

func TestMergeCandidateStatus(t *testing.T) {
	const (
		none      registry.CandidateStatus = ""
		proposed                           = registry.CandidateProposed
		validated                          = registry.CandidateValidated
		rejected                           = registry.CandidateRejected
		activated                          = registry.CandidateActivated
	)
	for _, c := range []struct{ current, requested, want registry.CandidateStatus }{
		{none, proposed, proposed},
		{proposed, proposed, proposed},
		{validated, proposed, validated},
		{activated, proposed, activated},
		{rejected, proposed, rejected},
		{proposed, validated, validated},
		{activated, rejected, rejected},
		{rejected, validated, validated},
		{validated, activated, activated},
	} {
		if got := registry.MergeCandidateStatus(c.current, c.requested); got != c.want {
			t.Errorf("MergeCandidateStatus(%q, %q) = %q, want %q", c.current, c.requested, got, c.want)
		}
	}
	for _, s := range registry.CandidateStatuses {
		if !s.Valid() {
			t.Errorf("%q is not valid", s)
		}
	}
	if registry.CandidateStatus("approved").Valid() {
		t.Error("approved is valid")
	}
}

func TestCandidateRowDecodes(t *testing.T) {
	row := `{"id":"8b5d3a0e-6f1c-4b2e-9a77-0c1d2e3f4a5b","model_id":"m","hf_id":"h","task":null,"license":null,"params":7615616512,
		"context_length":32768,"vram_mb_estimate":null,"capabilities":[],"backend_fit":["vllm"],"quantization_support":[],
		"intended_lane":"agent_mesh","validation_status":"candidate","source":"huggingface","agent_id":"codex",
		"signed_trail_ref":"t","metadata":{},"created_at":"2026-05-22T01:02:03.000004+00:00","updated_at":"2026-05-22T01:02:03+00:00"}`
	var c registry.Candidate
	if err := json.Unmarshal([]byte(row), &c); err != nil {
		t.Fatal(err)
	}
	if *c.Params != 7615616512 || *c.ContextLength != 32768 || c.BackendFit[0] != "vllm" || c.CreatedAt.Nanosecond() != 4000 {
		t.Errorf("row = %+v", c)
	}
}

func ref[T any](v T) *T { return &v }
