package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestQuickRun runs the whole tool with tiny sizes: it builds the registry,
// starts the stack, measures every scenario, writes the JSON, and leaves no
// process behind. Needs PostgreSQL's initdb, like the other stack tests.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole stack")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the run's folder goes here, so leftovers can be found
	out := filepath.Join(tmp, "results.json")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	args := []string{"--quick", "--models", "50", "--providers", "5", "--concurrency", "4", "--duration", "1s",
		"--warmup", "200ms", "--events", "500", "--render-time", "200ms", "--settle", "200ms", "--json", out}
	if raceEnabled {
		args = append(args, "--build-flag=-race") // and a data race in the stack fails the run
	}
	if err := run(ctx, args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	if left := leftovers(tmp); len(left) > 0 {
		t.Errorf("processes left behind: %v", left)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var r results
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]httpStats{
		"models_registry": r.ModelsRegistry, "models_direct": r.ModelsDirect,
		"models_registry_1_client": r.ModelsRegistry1, "models_direct_1_client": r.ModelsDirect1,
		"models_registry_no_read_cache": r.ModelsProxy, "models_registry_no_read_cache_1_client": r.ModelsProxy1,
		"tensorzero_config_200": r.ConfigFull, "tensorzero_config_304": r.ConfigNotModified,
		"tensorzero_config_200_ttl0": r.ConfigColdFull, "tensorzero_config_304_ttl0": r.ConfigColdNotModified,
	} {
		if s.Requests <= 0 || s.ReqPerSec <= 0 || s.P50Ms <= 0 || s.P99Ms < s.P50Ms || s.Errors > 0 || s.CPUMsPerReq[cpuRegistry] < 0 {
			t.Errorf("%s = %+v", name, s)
		}
	}
	// The registry under test answers the page from its read cache; the one
	// without it asks PostgREST once per request.
	if got := r.ModelsRegistry.Upstream; len(got) > 1 || len(got) == 1 && got[0].Calls > 0.1 {
		t.Errorf("cached registry's PostgREST calls per /api/models request = %+v", got)
	}
	if got := r.ModelsProxy.Upstream; len(got) != 1 || got[0].Call != "GET v_active_models" || got[0].Calls < 0.99 {
		t.Errorf("uncached registry's PostgREST calls per /api/models request = %+v", got)
	}
	if rd := r.Render; rd.Models != 50 || rd.MedianMs <= 0 || rd.Iterations < 5 || rd.FetchMs <= 0 || !rd.SameAsRegistry {
		t.Errorf("render = %+v", rd)
	}
	if in := r.Ingest; !in.Complete || !in.Verified || in.EventsPerSec <= 0 || in.Applied+in.Stale != 500 || in.DeploymentsInDB != in.LoadedEvents {
		t.Errorf("ingest = %+v", in)
	}
	if m := r.RSS; m.RegistryIdleMB <= 0 || m.RegistryHWMMB < m.RegistryIdleMB || m.RegistryPeakMB <= 0 || m.DevIdleMB <= 0 {
		t.Errorf("rss = %+v", m)
	}
	if r.Machine.NumCPU <= 0 || r.Machine.GoVersion == "" || r.Machine.Date == "" {
		t.Errorf("machine = %+v", r.Machine)
	}
	for _, want := range []string{"(a) ", "(b) ", "(c) ", "(d) "} {
		n := 0
		for _, row := range r.Rows {
			if strings.HasPrefix(row.Scenario, want) && row.Pass != nil {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no checked row for scenario %s", want)
		}
	}
	if !strings.Contains(stdout.String(), "scenario") || !strings.Contains(stdout.String(), "wrote "+out) {
		t.Errorf("stdout:\n%s", stdout.String())
	}
}

func TestQuantile(t *testing.T) {
	d := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for q, want := range map[float64]time.Duration{0.5: 5, 0.9: 9, 0.99: 10, 0: 1, 1: 10} {
		if got := quantile(d, q); got != want {
			t.Errorf("quantile(%v) = %v, want %v", q, got, want)
		}
	}
}

func TestUpstreamDelta(t *testing.T) {
	const h = "model_registry_upstream_request_duration_seconds"
	before := map[string]float64{h + `_count{relation="models",method="GET"}`: 2, h + `_sum{relation="models",method="GET"}`: 0.002}
	after := map[string]float64{h + `_count{relation="models",method="GET"}`: 6, h + `_sum{relation="models",method="GET"}`: 0.010,
		h + `_count{relation="x",method="POST"}`: 0}
	got := upstreamDelta(before, after)
	if len(got) != 1 || got[0].Call != "GET models" || got[0].Calls != 4 || got[0].MeanMs < 1.99 || got[0].MeanMs > 2.01 {
		t.Errorf("upstreamDelta = %+v", got)
	}
}

// TestMakeEvents: distinct pairs for the loaded events, every fifth an
// unload of a pair loaded before, in both payload forms.
func TestMakeEvents(t *testing.T) {
	models := []seededModel{{ID: "m1", ProviderType: "ollama"}, {ID: "m2", ProviderType: "anthropic"}, {ID: "m3", ProviderType: "vllm"}}
	evs, loaded, unloaded := makeEvents(models, 20)
	if len(evs) != 20 || loaded != 16 || unloaded != 4 {
		t.Fatalf("%d events, %d loaded, %d unloaded", len(evs), loaded, unloaded)
	}
	seen := map[string]bool{}
	for i, e := range evs {
		var p map[string]any
		if err := json.Unmarshal(e.msg.Data, &p); err != nil {
			t.Fatal(err)
		}
		model, _ := p["model_id"].(string)
		node, _ := p["node_id"].(string)
		if key, ok := p["model_key"].(string); ok {
			_, model, _ = strings.Cut(key, "/")
			node = e.msg.Header.Get(headerNodeID)
		}
		pair := model + "@" + node
		switch e.msg.Subject {
		case subjectLoaded:
			if seen[pair] {
				t.Errorf("event %d loads %s again", i, pair)
			}
			seen[pair] = true
		case subjectUnloaded:
			if !seen[pair] {
				t.Errorf("event %d unloads %s before it was loaded", i, pair)
			}
		}
	}
}
