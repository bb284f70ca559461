package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmoves/model-registry/registry"
	"github.com/pmoves/model-registry/supabase"
	"github.com/pmoves/model-registry/tzsync"
)

// syncStack runs serve on a seeded database with NATS (JetStream), with
// extra settings, and returns its base URL, environment and NATS URL.
func syncStack(t *testing.T, extra map[string]string) (base string, env map[string]string, natsURL string) {
	t.Helper()
	base, env, _ = platformServe(t, extra)
	return base, env, env["NATS_URL"]
}

// apiWrite sends a write to the registry with the service key and checks
// its status.
func apiWrite(t *testing.T, env map[string]string, method, url, body string, want ...int) []byte {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+env["SUPABASE_SERVICE_KEY"])
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, w := range want {
		if res.StatusCode == w {
			return b
		}
	}
	t.Fatalf("%s %s: %d %s", method, url, res.StatusCode, b)
	return nil
}

// modelUUID finds the registry id of a seeded model by its provider's id
// and provider name.
func modelUUID(t *testing.T, base, providerModelID, provider string) string {
	t.Helper()
	var l struct {
		Items []registry.Model `json:"items"`
	}
	if err := json.Unmarshal([]byte(get(t, base+"/api/models?q="+url.QueryEscape(providerModelID))), &l); err != nil {
		t.Fatal(err)
	}
	for _, m := range l.Items {
		if m.ModelID == providerModelID && m.ProviderName == provider {
			return m.ID
		}
	}
	t.Fatalf("no seeded model %s on %s", providerModelID, provider)
	return ""
}

// syncOnce runs `tensorzero sync --once` with args and returns its output.
func syncOnce(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"tensorzero", "sync", "--once"}, args...), fakeEnv(nil), &out)
	return out.String(), err
}

func mustRead(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func commandOutput(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), args, fakeEnv(nil), &out); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out.String())
	}
	return out.String()
}

// TestTensorZeroSyncWholeFile writes the registry's whole configuration,
// writes nothing when it is unchanged, writes a new generation after a
// change through the API, and rolls back to the previous bytes.
func TestTensorZeroSyncWholeFile(t *testing.T) {
	base, env, _ := syncStack(t, nil)
	file := filepath.Join(t.TempDir(), "tensorzero.toml")
	if out, err := syncOnce(t, "--out", file, "--registry-url", base); err != nil || !strings.Contains(out, "outcome=written") ||
		!strings.Contains(out, "generation=1") {
		t.Fatalf("first sync: %v\n%s", err, out)
	}
	gen1 := mustRead(t, file)
	if want := get(t, base+"/api/tensorzero/config"); string(gen1) != want {
		t.Fatal("the file is not the registry's configuration")
	}
	if err := tzsync.Check(gen1); err != nil {
		t.Errorf("the seeded configuration: %v", err)
	}
	fi1, _ := os.Stat(file)

	if out, err := syncOnce(t, "--out", file, "--registry-url", base); err != nil || !strings.Contains(out, "outcome=unchanged") {
		t.Errorf("second sync: %v\n%s", err, out)
	}
	if fi, _ := os.Stat(file); !os.SameFile(fi, fi1) || !fi.ModTime().Equal(fi1.ModTime()) {
		t.Error("an unchanged configuration was written again")
	}

	chat := modelUUID(t, base, "qwen2.5:32b", "ollama_local")
	apiWrite(t, env, http.MethodPut, base+"/api/mappings/sync-test/sync_fn/only", `{"model_id":"`+chat+`"}`, 201)
	if out, err := syncOnce(t, "--out", file, "--registry-url", base); err != nil || !strings.Contains(out, "generation=2") ||
		!strings.Contains(out, "previous=1") {
		t.Fatalf("sync after a change: %v\n%s", err, out)
	}
	gen2 := mustRead(t, file)
	if !bytes.Contains(gen2, []byte("[functions.sync_fn")) {
		t.Error("the change did not reach the file")
	}
	list := commandOutput(t, "tensorzero", "generations", "--out", file)
	if !strings.Contains(list, "GENERATION") || strings.Count(list, "\n") != 3 || !strings.Contains(list, "current") {
		t.Errorf("generations:\n%s", list)
	}

	out := commandOutput(t, "tensorzero", "rollback", "--out", file)
	if !bytes.Equal(mustRead(t, file), gen1) || !strings.Contains(out, "to generation 1") {
		t.Errorf("rollback did not restore generation 1: %s", out)
	}
	commandOutput(t, "tensorzero", "rollback", "--out", file, "--to", "2")
	if !bytes.Equal(mustRead(t, file), gen2) {
		t.Error("rollback --to 2 did not restore generation 2")
	}
	var buf bytes.Buffer
	if err := run(context.Background(), []string{"tensorzero", "rollback", "--out", file, "--to", "9"}, fakeEnv(nil), &buf); err == nil {
		t.Error("rollback to a missing generation succeeded")
	}
}

// markedFixtures are the fixtures that pass the lint, and the line before
// which the test puts the markers ("" at the start or end).
var markedFixtures = map[string]string{
	"pmoves-4d409f35.toml":             "[functions.",
	"pmoves-afad45de.toml":             "[embedding_models.",
	"al-codaio-grammarly-tz.toml":      "",
	"shuyangli-llm-plays-balatro.toml": "[functions.",
	"tensorzero-core-fixture.toml":     "[functions.",
}

const markerLines = "# BEGIN REGISTRY-MANAGED MODELS (generated - do not hand-edit)\n# END REGISTRY-MANAGED MODELS\n"

// markedCopy copies a fixture into dir with an empty marker region (and
// extra inside it) put before the line that starts with before.
func markedCopy(t *testing.T, dir, name, before, extra string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "shared", "fixtures", "tensorzero", name))
	if err != nil {
		t.Fatalf("the fixtures are needed beside the repository: %v", err)
	}
	markers := strings.Replace(markerLines, "\n# END", "\n"+extra+"# END", 1)
	doc := string(raw)
	if i := strings.Index(doc, "\n"+before); before != "" && i >= 0 {
		doc = doc[:i+1] + markers + "\n" + doc[i+1:]
	} else if strings.HasSuffix(doc, "\n") {
		doc += "\n" + markers
	} else {
		doc = markers + doc
	}
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, []byte(doc), 0o640); err != nil {
		t.Fatal(err)
	}
	return file
}

// outsideMarkers returns a file's bytes before the region and from the END
// line on.
func outsideMarkers(t *testing.T, doc []byte) (string, string) {
	t.Helper()
	b := bytes.Index(doc, []byte(tzsync.BeginMarker))
	e := bytes.Index(doc, []byte(tzsync.EndMarker))
	if b < 0 || e < b {
		t.Fatalf("no markers in\n%s", doc)
	}
	return string(doc[:b+bytes.IndexByte(doc[b:], '\n')+1]), string(doc[e:])
}

// TestTensorZeroSyncSpliceFixtures splices the registry's registry_ lanes
// into copies of the real configurations with markers added: the bytes
// outside the markers do not change, a bootstrap lane the registry does not
// know keeps its block, the mode stays, and a second run writes nothing.
func TestTensorZeroSyncSpliceFixtures(t *testing.T) {
	base, env, _ := syncStack(t, nil)
	qwen := modelUUID(t, base, "qwen2.5:32b", "ollama_local")
	claude := modelUUID(t, base, "claude-sonnet-4-5", "anthropic")
	apiWrite(t, env, http.MethodPost, base+"/api/aliases", `{"model_id":"`+qwen+`","alias":"registry_worker_qwen","context":"worker"}`, 201)
	apiWrite(t, env, http.MethodPost, base+"/api/aliases", `{"model_id":"`+claude+`","alias":"registry_worker_claude"}`, 201)
	apiWrite(t, env, http.MethodPost, base+"/api/aliases", `{"model_id":"`+qwen+`","alias":"friendly-qwen"}`, 201)
	bootstrap := "[models.registry_worker_bootstrap]\nrouting = [\"cloud\"]\n\n[models.registry_worker_bootstrap.providers.cloud]\n" +
		"type = \"openai\"\napi_base = \"https://cloud.example/v1\"\nmodel_name = \"parent\"\napi_key_location = \"none\"\n"
	dir := t.TempDir()
	for name, before := range markedFixtures {
		t.Run(name, func(t *testing.T) {
			file := markedCopy(t, dir, name, before, bootstrap)
			orig := mustRead(t, file)
			out, err := syncOnce(t, "--splice", file, "--registry-url", base)
			if err != nil || !strings.Contains(out, "outcome=written") {
				t.Fatalf("splice: %v\n%s", err, out)
			}
			got := mustRead(t, file)
			h0, t0 := outsideMarkers(t, orig)
			h1, t1 := outsideMarkers(t, got)
			if h0 != h1 || t0 != t1 {
				t.Error("bytes outside the markers changed")
			}
			for _, want := range []string{bootstrap,
				"[models.registry_worker_qwen]\nrouting = [\"ollama_local\"]\n\n[models.registry_worker_qwen.providers.ollama_local]\n" +
					"api_base = \"http://pmoves-ollama:11434/v1\"\napi_key_location = \"none\"\nmodel_name = \"qwen2.5:32b\"\ntype = \"openai\"\n",
				"[models.registry_worker_claude.providers.anthropic]\napi_base = \"https://api.anthropic.com/v1/messages\"\n" +
					"api_key_location = \"env::ANTHROPIC_API_KEY\"\nmodel_name = \"claude-sonnet-4-5\"\ntype = \"anthropic\"\n"} {
				if !bytes.Contains(got, []byte(want)) {
					t.Errorf("the region lacks\n%s\nin\n%s", want, got)
				}
			}
			if bytes.Contains(got, []byte("friendly-qwen")) {
				t.Error("an alias without the registry_ prefix became a lane")
			}
			var lint bytes.Buffer
			if err := run(context.Background(), []string{"tensorzero", "lint", file}, fakeEnv(nil), &lint); err != nil {
				t.Errorf("lint of the spliced file: %v\n%s", err, lint.String())
			}
			if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o640 {
				t.Errorf("mode %v, want 0640", fi.Mode().Perm())
			}
			if out, err := syncOnce(t, "--splice", file, "--registry-url", base); err != nil || !strings.Contains(out, "outcome=unchanged") {
				t.Errorf("second splice: %v\n%s", err, out)
			}
			if !bytes.Equal(mustRead(t, file), got) {
				t.Error("the second splice changed the file")
			}
		})
	}
}

// TestTensorZeroSyncLintFailureWritesNothing: a rendering that fails the
// lint, and a splice that would duplicate a table, write nothing, keep no
// generation, and fail --once.
func TestTensorZeroSyncLintFailureWritesNothing(t *testing.T) {
	base, env, _ := syncStack(t, map[string]string{"MODEL_REGISTRY_CONFIG_TTL": "0"})
	dir := t.TempDir()

	// Whole file: a stored gateway setting the gateway does not know.
	store, err := supabase.New(supabase.Config{URL: env["SUPABASE_REST_URL"], ServiceKey: env["SUPABASE_SERVICE_KEY"],
		Schema: "pmoves_core", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.PutPassthrough(context.Background(), "section:gateway",
		json.RawMessage(`{"toml":"[gateway]\nno_such_setting = true\n"}`)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(get(t, base+"/api/tensorzero/config"), "no_such_setting") {
		t.Fatal("the stored setting is not rendered")
	}
	file := filepath.Join(dir, "whole", "tensorzero.toml")
	os.MkdirAll(filepath.Dir(file), 0o755)
	out, err := syncOnce(t, "--out", file, "--registry-url", base)
	if err == nil || !strings.Contains(out, "outcome=rejected") || !strings.Contains(out, "no_such_setting") {
		t.Errorf("sync of a configuration that fails the lint: %v\n%s", err, out)
	}
	if entries, _ := os.ReadDir(filepath.Dir(file)); len(entries) != 0 {
		t.Errorf("the folder holds %d entries after a rejected sync", len(entries))
	}

	// Splice: the static part already has a table the registry renders.
	qwen := modelUUID(t, base, "qwen2.5:32b", "ollama_local")
	apiWrite(t, env, http.MethodPost, base+"/api/aliases", `{"model_id":"`+qwen+`","alias":"registry_worker_qwen"}`, 201)
	spliced := markedCopy(t, dir, "pmoves-4d409f35.toml", "[functions.", "")
	os.WriteFile(spliced, append(mustRead(t, spliced), "\n[models.registry_worker_qwen]\nrouting = [\"x\"]\n"...), 0o644)
	before := mustRead(t, spliced)
	out, err = syncOnce(t, "--splice", spliced, "--registry-url", base)
	if err == nil || !strings.Contains(out, "outcome=rejected") || !bytes.Equal(mustRead(t, spliced), before) {
		t.Errorf("a splice that duplicates a table: %v\n%s", err, out)
	}
	if _, err := os.Stat(spliced + ".generations"); err == nil {
		t.Error("a rejected splice kept a generation")
	}

	// Missing markers: an error, nothing written.
	plain := filepath.Join(dir, "plain.toml")
	os.WriteFile(plain, []byte("[gateway]\n"), 0o644)
	out, err = syncOnce(t, "--splice", plain, "--registry-url", base)
	if err == nil || !strings.Contains(err.Error(), "REGISTRY-MANAGED") || string(mustRead(t, plain)) != "[gateway]\n" {
		t.Errorf("a file without markers: %v\n%s", err, out)
	}
}

// syncLog is the output of a sync running in the background.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startSync runs `tensorzero sync` (watching) until the test ends.
func startSync(t *testing.T, args ...string) *syncLog {
	t.Helper()
	logs := &syncLog{}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, append([]string{"tensorzero", "sync"}, args...), fakeEnv(nil), logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Errorf("sync: %v\n%s", err, logs.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("sync did not stop")
		}
	})
	return logs
}

// TestTensorZeroSyncFollowsTheAPIThroughNATS: with an interval of an hour,
// only the change events can bring an API write to the files, whole and
// spliced.
func TestTensorZeroSyncFollowsTheAPIThroughNATS(t *testing.T) {
	base, env, natsURL := syncStack(t, nil)
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.toml")
	spliced := markedCopy(t, dir, "pmoves-4d409f35.toml", "[functions.", "")
	wholeLog := startSync(t, "--out", whole, "--registry-url", base, "--nats-url", natsURL, "--interval", "1h")
	spliceLog := startSync(t, "--splice", spliced, "--registry-url", base, "--nats-url", natsURL, "--interval", "1h")
	waitFor(t, "the first passes", func() bool {
		return strings.Contains(wholeLog.String(), "outcome=written") && strings.Contains(spliceLog.String(), "outcome=unchanged")
	})

	chat := modelUUID(t, base, "qwen2.5:32b", "ollama_local")
	start := time.Now()
	apiWrite(t, env, http.MethodPut, base+"/api/mappings/nats-test/nats_fn/only", `{"model_id":"`+chat+`"}`, 201)
	waitFor(t, "the mapping to reach the whole file", func() bool {
		b, _ := os.ReadFile(whole)
		return bytes.Contains(b, []byte("[functions.nats_fn"))
	})
	t.Logf("API write to the whole file: %s", time.Since(start))
	start = time.Now()
	apiWrite(t, env, http.MethodPost, base+"/api/aliases", `{"model_id":"`+chat+`","alias":"registry_nats_lane"}`, 201)
	waitFor(t, "the alias to reach the spliced file", func() bool {
		b, _ := os.ReadFile(spliced)
		return bytes.Contains(b, []byte("[models.registry_nats_lane]"))
	})
	t.Logf("API write to the spliced file: %s", time.Since(start))
	if !strings.Contains(wholeLog.String(), "generation=2") || !strings.Contains(spliceLog.String(), "generation=2") {
		t.Errorf("logs:\n%s\n%s", wholeLog.String(), spliceLog.String())
	}
}

// TestTensorZeroSyncRollsBackAnUnhealthyGateway: a test gateway whose
// /health fails while the file holds a chosen function makes sync restore
// the previous generation by itself, run the restart command again, and
// count the failed change in its log and /metrics; --once fails on it.
func TestTensorZeroSyncRollsBackAnUnhealthyGateway(t *testing.T) {
	base, env, natsURL := syncStack(t, nil)
	dir := t.TempDir()
	file := filepath.Join(dir, "tensorzero.toml")
	restarts := filepath.Join(dir, "restarts.log")
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := os.ReadFile(file)
		if r.URL.Path != "/health" || err != nil || bytes.Contains(b, []byte("breaks_gateway")) {
			http.Error(w, "gateway down", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, `{"gateway":"ok","clickhouse":"ok"}`)
	}))
	t.Cleanup(gateway.Close)
	metricsAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	onChange := `echo "$TENSORZERO_SYNC_EVENT $TENSORZERO_GENERATION" >> ` + restarts
	logs := startSync(t, "--out", file, "--registry-url", base, "--nats-url", natsURL, "--on-change", onChange,
		"--gateway-url", gateway.URL, "--health-timeout", "1s", "--metrics-addr", metricsAddr)
	waitFor(t, "the first write", func() bool { return strings.Contains(logs.String(), "outcome=written") })
	good := mustRead(t, file)

	chat := modelUUID(t, base, "qwen2.5:32b", "ollama_local")
	apiWrite(t, env, http.MethodPut, base+"/api/mappings/broken/breaks_gateway/only", `{"model_id":"`+chat+`"}`, 201)
	waitFor(t, "the rollback", func() bool { return strings.Contains(logs.String(), "outcome=rolled_back") })
	if !bytes.Equal(mustRead(t, file), good) {
		t.Error("the file is not the previous generation after the rollback")
	}
	line := ""
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "outcome=rolled_back") {
			line = l
		}
	}
	for _, want := range []string{"level=ERROR", "generation=1", "failed_generation=2", "recovered=true", "failed_changes=1"} {
		if !strings.Contains(line, want) {
			t.Errorf("the rollback's log line lacks %s: %s", want, line)
		}
	}
	if got, want := string(mustRead(t, restarts)), "write 1\nwrite 2\nrollback 1\n"; got != want {
		t.Errorf("restart command runs %q, want %q", got, want)
	}
	if list := commandOutput(t, "tensorzero", "generations", "--out", file); !strings.Contains(list, "failed at the gateway") {
		t.Errorf("generations:\n%s", list)
	}
	metrics := get(t, "http://"+metricsAddr+"/metrics")
	for _, want := range []string{"model_registry_tensorzero_sync_failed_changes_total 1",
		`model_registry_tensorzero_sync_outcomes_total{outcome="rolled_back"} 1`, "model_registry_tensorzero_sync_generation 1"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, metrics)
		}
	}

	// --once with the same configuration: skipped, an error, nothing written.
	out, err := syncOnce(t, "--out", file, "--registry-url", base, "--gateway-url", gateway.URL, "--health-timeout", "1s")
	if err == nil || !strings.Contains(out, "outcome=skipped") || !bytes.Equal(mustRead(t, file), good) {
		t.Errorf("once with the failed configuration: %v\n%s", err, out)
	}
}

// TestTensorZeroSyncFlags: the help names every flag; a missing or double
// mode, too few generations and a bad URL are refused before anything runs.
func TestTensorZeroSyncFlags(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"tensorzero", "sync", "--help"}, fakeEnv(nil), &out)
	if err == nil || !strings.Contains(out.String(), "Usage: model-registry tensorzero sync") {
		t.Errorf("--help: %v\n%s", err, out.String())
	}
	for _, flag := range []string{"-out", "-splice", "-once", "-registry-url", "-api-key", "-nats-url", "-interval", "-keep",
		"-on-change", "-gateway-url", "-health-timeout", "-metrics-addr", "BEGIN REGISTRY-MANAGED MODELS"} {
		if !strings.Contains(out.String(), flag) {
			t.Errorf("--help does not mention %s", flag)
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"help"}, fakeEnv(nil), &out); err != nil || !strings.Contains(out.String(), "tensorzero sync") {
		t.Errorf("the command list lacks tensorzero sync: %v", err)
	}
	file := filepath.Join(t.TempDir(), "tensorzero.toml")
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"no mode":   {nil, "give --out FILE"},
		"two modes": {[]string{"--out", file, "--splice", file}, "not both"},
		"keep 1":    {[]string{"--out", file, "--keep", "1"}, "at least 2"},
		"bad url":   {[]string{"--out", file, "--registry-url", "registry:8110"}, "--registry-url must be an http(s) URL"},
		"interval":  {[]string{"--out", file, "--interval", "0s"}, "--interval must be positive"},
		"gateway":   {[]string{"--out", file, "--gateway-url", "tensorzero-gateway"}, "--gateway-url"},
		"arguments": {[]string{"--out", file, "extra"}, "unexpected arguments"},
	} {
		err := run(context.Background(), append([]string{"tensorzero", "sync", "--once"}, c.args...), fakeEnv(nil), io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	if _, err := os.Stat(file); err == nil {
		t.Error("a refused sync wrote the file")
	}
	if got := commandOutput(t, "tensorzero", "generations", "--out", file); !strings.Contains(got, "no generations") {
		t.Errorf("generations of a new file: %s", got)
	}
	if err := run(context.Background(), []string{"tensorzero", "rollback", "--out", file}, fakeEnv(nil), io.Discard); err == nil {
		t.Error("rollback without generations succeeded")
	}
}
