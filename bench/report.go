package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
)

// results is everything a run measured; it is the JSON file.
type results struct {
	Machine         machine       `json:"machine"`
	Options         options       `json:"options"`
	Catalogue       catalogueInfo `json:"catalogue"`
	ModelsRegistry  httpStats     `json:"models_registry"`
	ModelsDirect    httpStats     `json:"models_direct"`
	ModelsRegistry1 httpStats     `json:"models_registry_1_client"`
	ModelsDirect1   httpStats     `json:"models_direct_1_client"`
	// The same route on a registry with MODEL_REGISTRY_READ_CACHE_TTL=0:
	// every request goes to PostgREST.
	ModelsProxy       httpStats `json:"models_registry_no_read_cache"`
	ModelsProxy1      httpStats `json:"models_registry_no_read_cache_1_client"`
	ConfigFull        httpStats `json:"tensorzero_config_200"`
	ConfigNotModified httpStats `json:"tensorzero_config_304"`
	// The same against a registry with MODEL_REGISTRY_CONFIG_TTL=0, which
	// reads the catalogue for every request.
	ConfigColdFull        httpStats   `json:"tensorzero_config_200_ttl0"`
	ConfigColdNotModified httpStats   `json:"tensorzero_config_304_ttl0"`
	Render                renderStats `json:"render"`
	Ingest                ingestStats `json:"ingest"`
	RSS                   rssStats    `json:"rss"`
	Sync                  syncStats   `json:"tensorzero_sync"`
	Rows                  []row       `json:"table"`
}

type catalogueInfo struct {
	Providers  int `json:"providers"`
	Models     int `json:"models"`
	ChatModels int `json:"chat_models"`
	Mappings   int `json:"mappings"`
}

// rssStats is scenario (d). Registry: the serve process under test. Dev:
// the dev process (in-process PostgREST-compatible server, NATS client and
// idle registry; PostgreSQL is separate processes, not counted).
type rssStats struct {
	RegistryIdleMB  float64 `json:"registry_idle_mb"`
	RegistryPeakMB  float64 `json:"registry_peak_sampled_mb"`
	RegistryHWMMB   float64 `json:"registry_vmhwm_mb"`
	RegistryAfterMB float64 `json:"registry_after_load_mb"`
	DevIdleMB       float64 `json:"dev_idle_mb"`
	DevPeakMB       float64 `json:"dev_peak_sampled_mb"`
	// Phases: the sampled peak (every 100 ms) per phase and process.
	Phases map[string]map[string]float64 `json:"phases"`
}

// row is one line of the table; Pass is nil for figures without a target.
type row struct {
	Scenario string  `json:"scenario"`
	Metric   string  `json:"metric"`
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	Target   string  `json:"target,omitempty"`
	Pass     *bool   `json:"pass,omitempty"`
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func tableRows(r *results) []row {
	var rows []row
	add := func(scenario, metric string, v float64, unit string) {
		rows = append(rows, row{Scenario: scenario, Metric: metric, Value: v, Unit: unit})
	}
	goal := func(scenario, metric string, v float64, unit, target string, pass bool) {
		rows = append(rows, row{Scenario: scenario, Metric: metric, Value: v, Unit: unit, Target: target, Pass: &pass})
	}
	http3 := func(scenario string, s httpStats) {
		add(scenario, "throughput", s.ReqPerSec, "req/s")
		add(scenario, "p50", s.P50Ms, "ms")
		add(scenario, "p99", s.P99Ms, "ms")
	}
	reg, dir := r.ModelsRegistry, r.ModelsDirect
	http3("(a) /api/models?limit=100 via registry", reg)
	http3("(a) same query direct to PostgREST", dir)
	p50 := ratio(reg.P50Ms, dir.P50Ms)
	tput := ratio(reg.ReqPerSec, dir.ReqPerSec)
	goal("(a) registry / direct", "p50 latency", p50, "x", "<= 1.15x", p50 > 0 && p50 <= 1.15)
	goal("(a) registry / direct", "throughput", tput, "x", ">= 0.85x", tput >= 0.85)
	add("(a) registry / direct", "p99 latency", ratio(reg.P99Ms, dir.P99Ms), "x")
	reg1, dir1 := r.ModelsRegistry1, r.ModelsDirect1
	add("(a) 1 client: registry / direct", "p50 latency", ratio(reg1.P50Ms, dir1.P50Ms), "x")
	add("(a) 1 client: registry / direct", "p50 added by the registry", reg1.P50Ms-dir1.P50Ms, "ms")
	px, px1 := r.ModelsProxy, r.ModelsProxy1
	http3("(a) via registry, read cache off", px)
	add("(a) read cache off: registry / direct", "p50 latency", ratio(px.P50Ms, dir.P50Ms), "x")
	add("(a) read cache off: registry / direct", "throughput", ratio(px.ReqPerSec, dir.ReqPerSec), "x")
	add("(a) read cache off, 1 client", "p50 added by the registry", px1.P50Ms-dir1.P50Ms, "ms")

	http3("(b) /api/tensorzero/config, 200", r.ConfigFull)
	nm := r.ConfigNotModified
	goal("(b) /api/tensorzero/config, If-None-Match 304", "throughput", nm.ReqPerSec, "req/s", ">= 10000", nm.ReqPerSec >= 10000)
	add("(b) /api/tensorzero/config, If-None-Match 304", "p50", nm.P50Ms, "ms")
	add("(b) /api/tensorzero/config, If-None-Match 304", "p99", nm.P99Ms, "ms")
	http3("(b) config, 200, catalogue read every time (TTL 0)", r.ConfigColdFull)
	http3("(b) config, 304, catalogue read every time (TTL 0)", r.ConfigColdNotModified)
	rd := r.Render
	name := fmt.Sprintf("(b) render of %d models in process", rd.Models)
	goal(name, "median", rd.MedianMs, "ms", "< 10 ms", rd.MedianMs > 0 && rd.MedianMs < 10)
	add(name, "p99", rd.P99Ms, "ms")
	add("(b) per uncached request, in process", "fetch 4 lists from PostgREST", rd.FetchMs, "ms")
	add("(b) per uncached request, in process", "decode JSON", rd.DecodeMs, "ms")
	// The PostgreSQL time of the version alone is a Go benchmark
	// (BenchmarkCatalogRefresh in devstack); here it is timed through
	// PostgREST, against the full read it replaces.
	add("(b) refresh of an unchanged catalogue", "registry_catalog_version through PostgREST", rd.VersionMs, "ms")
	if rd.FetchMs > 0 {
		add("(b) refresh of an unchanged catalogue", "version / fetch of the 4 lists", rd.VersionMs/rd.FetchMs, "x")
	}

	in := r.Ingest
	goal("(c) NATS ingestion into the database", "events applied", in.EventsPerSec, "events/s", ">= 2000", in.Complete && in.EventsPerSec >= 2000)
	add("(c) NATS ingestion into the database", "JetStream publish", in.PublishPerSec, "events/s")
	goal("(c) NATS ingestion into the database", "database verified", b2f(in.Verified), "bool", "yes", in.Verified)

	m := r.RSS
	goal("(d) registry RSS", "idle", m.RegistryIdleMB, "MB", "< 40 MB", m.RegistryIdleMB < 40)
	peak := max(m.RegistryPeakMB, m.RegistryHWMMB)
	goal("(d) registry RSS", "peak under load (VmHWM)", peak, "MB", "< 80 MB", peak < 80)
	for _, ph := range []string{"models", "tensorzero", "ingest"} {
		add("(d) registry RSS", "sampled peak during "+ph, m.Phases[ph]["registry"], "MB")
	}
	add("(d) registry RSS", "after load, settled", m.RegistryAfterMB, "MB")
	add("(d) dev process RSS (PostgREST server, NATS, idle registry)", "idle", m.DevIdleMB, "MB")
	add("(d) dev process RSS (PostgREST server, NATS, idle registry)", "sampled peak under load", m.DevPeakMB, "MB")

	if sy := r.Sync; sy.Changes > 0 {
		name := fmt.Sprintf("(e) API write -> tensorzero.toml on disk (sync, NATS), %d changes", sy.Changes)
		goal(name, "p99", sy.P99Ms, "ms", "< 1000 ms", sy.Complete && sy.P99Ms < 1000)
		add(name, "p50", sy.P50Ms, "ms")
		add(name, "max", sy.MaxMs, "ms")
		goal(name, "every change on disk", b2f(sy.Complete), "bool", "yes", sy.Complete)
	}
	return rows
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (r row) value() string {
	switch r.Unit {
	case "req/s", "events/s":
		return fmt.Sprintf("%.0f %s", r.Value, r.Unit)
	case "x":
		return fmt.Sprintf("%.2fx", r.Value)
	case "bool":
		if r.Value != 0 {
			return "yes"
		}
		return "no"
	case "MB":
		return fmt.Sprintf("%.1f MB", r.Value)
	}
	return fmt.Sprintf("%.2f %s", r.Value, r.Unit)
}

func printTable(w io.Writer, r *results) {
	commit := r.Machine.Commit
	if r.Machine.Dirty {
		commit += " (modified)"
	}
	fmt.Fprintf(w, "\nmodel-registry bench: %d models, %d providers, %d mappings; %d clients, %s per target; %d events\n"+
		"%s, %d CPUs (%s), %s, commit %s\n\n",
		r.Catalogue.Models, r.Catalogue.Providers, r.Catalogue.Mappings, r.Options.Concurrency, r.Options.Duration,
		r.Options.Events, r.Machine.Date, r.Machine.NumCPU, r.Machine.CPUModel, r.Machine.GoVersion, commit)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tmetric\tvalue\ttarget\tresult")
	for _, x := range r.Rows {
		res := ""
		if x.Pass != nil {
			res = "FAIL"
			if *x.Pass {
				res = "pass"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", x.Scenario, x.Metric, x.value(), x.Target, res)
	}
	tw.Flush()
	if in := r.Ingest; !in.Verified {
		fmt.Fprintf(w, "\n(c) not verified: %d/%d processed (%d rejected); database has %d deployments (want %d), %d unloaded (want %d)\n",
			in.Applied+in.Stale+in.Rejected, in.Events, in.Rejected, in.DeploymentsInDB, in.LoadedEvents, in.UnloadedInDB, in.UnloadEvents)
	}
	for _, s := range []httpStats{r.ModelsRegistry, r.ModelsDirect, r.ConfigFull, r.ConfigNotModified} {
		if s.Errors > 0 {
			fmt.Fprintf(w, "\n%d requests failed, first: %s\n", s.Errors, s.FirstErr)
		}
	}
	printCPU(w, r)
	if !r.Render.SameAsRegistry {
		fmt.Fprintln(w, "\nnote: the in-process render differs from the registry's answer")
	}
}

func writeJSON(path string, r *results) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// printCPU says where the CPU time of each scenario went, and what the
// registry asked PostgREST.
func printCPU(w io.Writer, r *results) {
	fmt.Fprintln(w, "\nCPU ms per request (per event for (c)) by process; busy = share of all CPUs; PostgREST calls per request")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tregistry\tdev (PostgREST server)\tpostgresql\tbench (client, NATS)\tbusy\tregistry mean\tPostgREST calls")
	line := func(name string, cpu map[string]float64, busy, server float64, up []upstreamCall) {
		calls := ""
		for _, u := range up {
			calls += fmt.Sprintf("%s %.2f x %.2f ms; ", u.Call, u.Calls, u.MeanMs)
		}
		srv := ""
		if server > 0 {
			srv = fmt.Sprintf("%.2f ms", server)
		}
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%.3f\t%.0f%%\t%s\t%s\n", name, cpu[cpuRegistry], cpu[cpuDev], cpu[cpuPostgres],
			cpu[cpuBench], 100*busy, srv, strings.TrimSuffix(calls, "; "))
	}
	for _, s := range []struct {
		name string
		st   httpStats
	}{
		{"(a) via registry", r.ModelsRegistry}, {"(a) direct", r.ModelsDirect},
		{"(a) via registry, 1 client", r.ModelsRegistry1}, {"(a) direct, 1 client", r.ModelsDirect1},
		{"(a) read cache off", r.ModelsProxy}, {"(a) read cache off, 1 client", r.ModelsProxy1},
		{"(b) config 200", r.ConfigFull}, {"(b) config 304", r.ConfigNotModified},
		{"(b) config 200, TTL 0", r.ConfigColdFull}, {"(b) config 304, TTL 0", r.ConfigColdNotModified},
	} {
		line(s.name, s.st.CPUMsPerReq, s.st.CPUBusy, s.st.ServerMeanMs, s.st.Upstream)
	}
	line("(c) ingestion", r.Ingest.CPUMsPerEvent, r.Ingest.CPUBusy, 0, r.Ingest.UpstreamPerEvent)
	tw.Flush()
}
