package events

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"

	"github.com/pmoves/model-registry/registry"
)

func TestParseModelEvent(t *testing.T) {
	const uuid = "0F0F0F0F-0000-4000-8000-000000000001"
	ts := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	n := func(v int) *int { return &v }
	tests := []struct {
		name, subject, payload string
		header                 nats.Header
		want                   registry.DeploymentRegistration
		wantTS                 time.Time
		reason                 string
	}{
		{name: "form1 UUID", subject: SubjectModelLoaded,
			payload: `{"node_id":"gpu-1","provider_type":"ollama","model_id":"` + uuid + `","vram_allocated_mb":5120,"status":"loaded"}`,
			want: registry.DeploymentRegistration{ModelID: "0f0f0f0f-0000-4000-8000-000000000001", NodeID: "gpu-1",
				ProviderType: registry.DeployOllama, Status: registry.StatusLoaded, VRAMAllocatedMB: n(5120)}},
		{name: "form1 provider id, status and case from the wild", subject: SubjectModelUnloaded,
			payload: `{"node_id":"gpu-1","provider_type":"Ollama","model_id":"qwen3:8b","status":"ERROR","error_message":"OOM","extra":{"x":1}}`,
			want: registry.DeploymentRegistration{ProviderModelID: "qwen3:8b", NodeID: "gpu-1",
				ProviderType: registry.DeployOllama, Status: registry.StatusError, ErrorMessage: ptrTo("OOM")}},
		{name: "form2 with header node and seconds", subject: SubjectModelLoaded,
			header:  nats.Header{HeaderNodeID: []string{"gpu-7"}},
			payload: `{"type":"model.loaded","model_key":"vllm/Qwen/Qwen3-8B","vram_mb":"16000","ts":1772366400}`,
			want: registry.DeploymentRegistration{ProviderModelID: "Qwen/Qwen3-8B", NodeID: "gpu-7",
				ProviderType: registry.DeployVLLM, Status: registry.StatusLoaded, VRAMAllocatedMB: n(16000)},
			wantTS: ts},
		{name: "form2 default node, status from subject, float vram", subject: SubjectModelUnloaded,
			payload: `{"type":"model.unloaded","model_key":"tts/kokoro","vram_mb":1024.0,"ts":"2026-03-01T13:00:00+01:00"}`,
			want: registry.DeploymentRegistration{ProviderModelID: "kokoro", NodeID: "default-node",
				ProviderType: registry.DeployTTS, Status: registry.StatusUnloaded, VRAMAllocatedMB: n(1024)},
			wantTS: ts},
		{name: "model_key without runtime prefix, provider_type given", subject: SubjectModelLoaded,
			payload: `{"node_id":"n","provider_type":"ollama","model_key":"hf.co/org/model:Q4"}`,
			want: registry.DeploymentRegistration{ProviderModelID: "hf.co/org/model:Q4", NodeID: "n",
				ProviderType: registry.DeployOllama, Status: registry.StatusLoaded}},
		{name: "not JSON", subject: SubjectModelLoaded, payload: `{"node_id":`, reason: reasonMalformed},
		{name: "JSON array", subject: SubjectModelLoaded, payload: `[1]`, reason: reasonMalformed},
		{name: "null", subject: SubjectModelLoaded, payload: `null`, reason: reasonMalformed},
		{name: "empty", subject: SubjectModelLoaded, payload: ``, reason: reasonMalformed},
		{name: "wrong type", subject: SubjectModelLoaded, payload: `{"node_id":7,"model_key":"ollama/x"}`, reason: reasonMalformed},
		{name: "no model", subject: SubjectModelLoaded, payload: `{"node_id":"n","provider_type":"ollama"}`, reason: reasonNoModel},
		{name: "unknown runtime", subject: SubjectModelLoaded, payload: `{"node_id":"n","model_key":"llamacpp/x"}`, reason: reasonProviderType},
		{name: "no runtime", subject: SubjectModelLoaded, payload: `{"node_id":"n","model_id":"x"}`, reason: reasonProviderType},
		{name: "bad status", subject: SubjectModelLoaded, payload: `{"node_id":"n","model_key":"ollama/x","status":"up"}`, reason: reasonStatus},
		{name: "negative vram", subject: SubjectModelLoaded, payload: `{"node_id":"n","model_key":"ollama/x","vram_mb":-1}`, reason: reasonInvalid},
		{name: "vram not a number", subject: SubjectModelLoaded, payload: `{"node_id":"n","model_key":"ollama/x","vram_mb":"lots"}`, reason: reasonInvalid},
		{name: "control characters in the node", subject: SubjectModelLoaded, payload: `{"node_id":"a\u0000b","model_key":"ollama/x"}`, reason: reasonInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, gotTS, rej := parseModelEvent(tt.subject, []byte(tt.payload), tt.header, "default-node")
			if tt.reason != "" {
				if rej == nil || rej.reason != tt.reason {
					t.Fatalf("rejection = %v, want reason %s", rej, tt.reason)
				}
				return
			}
			if rej != nil {
				t.Fatalf("rejected: %v", rej)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("registration (-want +got):\n%s", diff)
			}
			if !gotTS.Equal(tt.wantTS) {
				t.Errorf("ts = %v, want %v", gotTS, tt.wantTS)
			}
		})
	}
}

func TestParseModelEventNeedsANode(t *testing.T) {
	_, _, rej := parseModelEvent(SubjectModelLoaded, []byte(`{"model_key":"ollama/x"}`), nil, "")
	if rej == nil || rej.reason != reasonNoNode {
		t.Fatalf("rejection = %v, want %s", rej, reasonNoNode)
	}
}

func TestParseStatusEvent(t *testing.T) {
	node, ts, rej := parseStatusEvent([]byte(`{"node_id":"gpu-1","gpus":[{"util":0.5}],"timestamp":"2026-03-01T12:00:00Z"}`), nil, "")
	if rej != nil || node != "gpu-1" || !ts.Equal(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("= %q %v %v", node, ts, rej)
	}
	if node, _, rej := parseStatusEvent(nil, nil, "fallback"); rej != nil || node != "fallback" {
		t.Errorf("empty payload = %q %v", node, rej)
	}
	if _, _, rej := parseStatusEvent([]byte(`{}`), nil, ""); rej == nil || rej.reason != reasonNoNode {
		t.Errorf("no node: %v", rej)
	}
	if _, _, rej := parseStatusEvent([]byte(`ok`), nil, "n"); rej == nil || rej.reason != reasonMalformed {
		t.Errorf("garbage: %v", rej)
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	wantFrac := want.Add(250 * time.Millisecond)
	tests := []struct {
		raw  string
		want time.Time
	}{
		{`"2026-03-01T12:00:00Z"`, want},
		{`"2026-03-01T13:00:00+01:00"`, want},
		{`"2026-03-01T12:00:00.25Z"`, wantFrac},
		{`"2026-03-01T12:00:00"`, want},
		{`"2026-03-01 12:00:00"`, want},
		{`"Sun, 01 Mar 2026 12:00:00 +0000"`, want},
		{`1772366400`, want},
		{`1772366400.25`, wantFrac},
		{`"1772366400"`, want},
		{`1772366400000`, want},
		{`1772366400250`, wantFrac},
		{`1772366400000000`, want},
		{`1772366400000000000`, want},
		{`1.77236640025e12`, wantFrac},
		{``, time.Time{}},
		{`null`, time.Time{}},
		{`0`, time.Time{}},
		{`-5`, time.Time{}},
		{`"yesterday"`, time.Time{}},
		{`86400`, time.Time{}}, // 1970: a unit mistake
		{`{"s":1}`, time.Time{}},
		{`1e400`, time.Time{}},
	}
	for _, tt := range tests {
		got, ok := parseTime(json.RawMessage(tt.raw))
		if !got.Equal(tt.want) || ok == tt.want.IsZero() {
			t.Errorf("parseTime(%s) = %v, %v; want %v", tt.raw, got, ok, tt.want)
		}
	}
}

func TestObservedAt(t *testing.T) {
	recv := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct{ ts, want time.Time }{
		{time.Time{}, recv},
		{recv.Add(-time.Minute), recv.Add(-time.Minute)},
		{recv.Add(time.Hour), recv}, // a node clock ahead of the stream
	} {
		if got := observedAt(tt.ts, recv); !got.Equal(tt.want) {
			t.Errorf("observedAt(%v) = %v, want %v", tt.ts, got, tt.want)
		}
	}
}

func TestSubjectMatch(t *testing.T) {
	for _, tt := range []struct {
		p, s string
		want bool
	}{
		{"mesh.gpu.status.v1", "mesh.gpu.status.v1", true},
		{"mesh.gpu.>", "mesh.gpu.model.loaded.v1", true},
		{"mesh.>", "mesh", false},
		{"mesh.gpu.*.v1", "mesh.gpu.status.v1", true},
		{"mesh.gpu.*.v1", "mesh.gpu.model.loaded.v1", false},
		{"mesh.gpu.status", "mesh.gpu.status.v1", false},
		{">", "a.b", true},
	} {
		if got := subjectMatch(tt.p, tt.s); got != tt.want {
			t.Errorf("subjectMatch(%q, %q) = %v", tt.p, tt.s, got)
		}
	}
	if got := uncovered([]string{"mesh.gpu.model.>"}, InboundSubjects); !cmp.Equal(got, []string{SubjectNodeStatus}) {
		t.Errorf("uncovered = %v", got)
	}
}

func TestBackoff(t *testing.T) {
	c := Config{RetryMin: time.Second, RetryMax: 10 * time.Second}
	var got []time.Duration
	for n := uint64(1); n <= 6; n++ {
		got = append(got, c.backoff(n))
	}
	want := []time.Duration{1e9, 2e9, 4e9, 8e9, 10e9, 10e9}
	if !cmp.Equal(got, want) {
		t.Errorf("backoff = %v, want %v", got, want)
	}
	if d := c.backoff(1 << 40); d != 10*time.Second {
		t.Errorf("backoff(huge) = %v", d)
	}
}

func TestOutboxDropsOldest(t *testing.T) {
	o := newOutbox(2)
	o.push(outMsg{id: "a"})
	o.push(outMsg{id: "b"})
	head, _ := o.peek()
	if dropped := o.push(outMsg{id: "c"}); dropped != 1 {
		t.Fatalf("dropped = %d, want 1", dropped)
	}
	o.pop(head.seq) // "a" is gone already: nothing popped
	var ids []string
	for m, ok := o.peek(); ok; m, ok = o.peek() {
		ids = append(ids, m.id)
		o.pop(m.seq)
	}
	if !cmp.Equal(ids, []string{"b", "c"}) {
		t.Errorf("queue = %v, want [b c]", ids)
	}
}

func TestRedactURL(t *testing.T) {
	got := redactURL("nats://user:secret@a:4222, nats://b:4222")
	if got != "nats://redacted@a:4222,nats://b:4222" {
		t.Errorf("redactURL = %q", got)
	}
}

func TestLogLimiter(t *testing.T) {
	l := newLogLimiter()
	if ok, _ := l.allow("k"); !ok {
		t.Fatal("first line held back")
	}
	for range 3 {
		if ok, _ := l.allow("k"); ok {
			t.Fatal("repeat let through within the interval")
		}
	}
	if ok, _ := l.allow("other"); !ok {
		t.Fatal("another key held back")
	}
	l.last["k"] = time.Now().Add(-2 * logEvery)
	if ok, held := l.allow("k"); !ok || held != 3 {
		t.Errorf("after the interval: ok=%v held=%d, want true 3", ok, held)
	}
}

func ptrTo[T any](v T) *T { return &v }

// FuzzParseModelEvent: no payload makes the parser panic, and whatever it
// accepts is a valid registration.
func FuzzParseModelEvent(f *testing.F) {
	for _, s := range []string{
		`{"node_id":"gpu-1","provider_type":"ollama","model_id":"qwen3:8b","vram_allocated_mb":5120,"status":"loaded"}`,
		`{"type":"model.loaded","model_key":"vllm/Qwen/Qwen3-8B","vram_mb":16000,"ts":1772366400123}`,
		`{"model_key":"ollama/x","ts":"2026-03-01T12:00:00Z","vram_mb":"1e3"}`,
		`{"node_id":"n","model_key":"tts/","ts":1e30}`,
		`[]`, `null`, `{"ts":"1772366400.5"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		r, _, rej := parseModelEvent(SubjectModelLoaded, []byte(payload), nil, "node")
		if rej == nil {
			if err := r.Validate(); err != nil {
				t.Fatalf("accepted an invalid registration %+v: %v", r, err)
			}
		}
		var w wireEvent
		if json.Unmarshal([]byte(payload), &w) == nil {
			_ = w.eventTime()
		}
	})
}
