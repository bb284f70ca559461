package tzsync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeRegistry answers GET /api/tensorzero/config (with a strong ETag and
// 304) and GET /api/models, and counts the requests.
type fakeRegistry struct {
	mu       sync.Mutex
	config   string
	items    []map[string]any
	key      string
	gets     map[string]int
	notModif int
}

func newFakeRegistry(t testing.TB, config string) (*fakeRegistry, *httptest.Server) {
	f := &fakeRegistry{config: config, gets: map[string]int{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeRegistry) set(config string) {
	f.mu.Lock()
	f.config = config
	f.mu.Unlock()
}

func (f *fakeRegistry) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gets[path]
}

func (f *fakeRegistry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets[r.URL.Path]++
	if f.key != "" && r.Header.Get("Authorization") != "Bearer "+f.key {
		http.Error(w, `{"error":{"code":"unauthorized"}}`, http.StatusUnauthorized)
		return
	}
	switch r.URL.Path {
	case "/api/tensorzero/config":
		etag := `"` + HashPrefix([]byte(f.config)) + `"`
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			f.notModif++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write([]byte(f.config))
	case "/api/models":
		json.NewEncoder(w).Encode(map[string]any{"items": f.items, "count": len(f.items)})
	default:
		http.NotFound(w, r)
	}
}

// config is a small valid configuration with one model.
func config(model string) string {
	return "[models.m]\nrouting = [\"p\"]\n\n[models.m.providers.p]\napi_key_location = \"none\"\nmodel_name = \"" + model +
		"\"\ntype = \"openai\"\n"
}

func newSyncer(t *testing.T, opts Options) *Syncer {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func read(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSyncWholeFile writes the rendered configuration, asks again with
// If-None-Match, writes nothing for an unchanged one, keeps generations,
// and leaves a rollback alone until the registry changes.
func TestSyncWholeFile(t *testing.T) {
	reg, srv := newFakeRegistry(t, config("v1"))
	reg.key = "sync-key"
	file := filepath.Join(t.TempDir(), "tensorzero.toml")
	s := newSyncer(t, Options{File: file, Source: &Source{URL: srv.URL, APIKey: "sync-key"}})
	ctx := context.Background()
	if err := s.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if read(t, file) != config("v1") {
		t.Fatalf("file = %q", read(t, file))
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	if o := s.Sync(ctx, false); o.Result != NotModified || o.Generation != 1 || reg.notModif != 1 {
		t.Errorf("second pass %+v, 304s %d", o, reg.notModif)
	}
	if o := s.Sync(ctx, true); o.Result != Unchanged || o.Generation != 1 {
		t.Errorf("forced pass over an unchanged file: %+v", o)
	}
	reg.set(config("v2"))
	o := s.Sync(ctx, false)
	if o.Result != Written || o.Generation != 2 || o.Previous != 1 || read(t, file) != config("v2") {
		t.Fatalf("after a change: %+v, file %q", o, read(t, file))
	}
	if got := numbersOf(t, s.History()); got != "1, 2" {
		t.Errorf("generations %s", got)
	}
	// A rollback by hand holds until the registry changes again.
	if _, err := Rollback(s.History(), 0, t0); err != nil || read(t, file) != config("v1") {
		t.Fatalf("rollback: %v, file %q", err, read(t, file))
	}
	if o := s.Sync(ctx, false); o.Result != NotModified || read(t, file) != config("v1") {
		t.Errorf("a pass after the rollback: %+v", o)
	}
	reg.set(config("v3"))
	if o := s.Sync(ctx, false); o.Result != Written || o.Generation != 3 || o.Previous != 1 {
		t.Errorf("the next change: %+v", o)
	}
	// A wrong key is a failure that writes nothing.
	bad := newSyncer(t, Options{File: file, Source: &Source{URL: srv.URL, APIKey: "wrong"}})
	if err := bad.Once(ctx); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong key: %v", err)
	}
}

// TestSyncRejectsLintFailures writes nothing, and keeps no generation, for
// a candidate that fails the lint or is not TOML.
func TestSyncRejectsLintFailures(t *testing.T) {
	for name, body := range map[string]string{
		"lint error": config("v1") + "\n[functions.f]\ntype = \"chat\"\n",
		"not TOML":   config("v1") + "[models.m]\n",
		"unknown":    "bogus = 1\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, srv := newFakeRegistry(t, body)
			dir := t.TempDir()
			file := filepath.Join(dir, "tensorzero.toml")
			os.WriteFile(file, []byte(config("before")), 0o600)
			s := newSyncer(t, Options{File: file, Source: &Source{URL: srv.URL}})
			err := s.Once(context.Background())
			var rej *RejectedError
			if !errors.As(err, &rej) {
				t.Fatalf("once: %v, want a rejection", err)
			}
			if read(t, file) != config("before") {
				t.Error("the file changed")
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("the folder holds %d entries, want the file alone", len(entries))
			}
		})
	}
}

// brokenGateway's /health fails while the file holds a model id with
// "broken" in it, as a real gateway refuses a configuration at start-up.
func brokenGateway(t *testing.T, file string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := os.ReadFile(file)
		if r.URL.Path != "/health" || err != nil || bytes.Contains(b, []byte("broken")) {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		w.Write([]byte(`{"gateway":"ok"}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestSyncRollsBackWhenTheGatewayFails runs the command after a write with
// the file and generation in its environment; when the gateway does not
// come back, sync restores the previous generation, runs the command again,
// marks the failed one, and does not write it again.
func TestSyncRollsBackWhenTheGatewayFails(t *testing.T) {
	reg, srv := newFakeRegistry(t, config("good"))
	dir := t.TempDir()
	file := filepath.Join(dir, "tensorzero.toml")
	logFile := filepath.Join(dir, "on-change.log")
	gw := brokenGateway(t, file)
	var outcomes []Outcome
	s := newSyncer(t, Options{File: file, Source: &Source{URL: srv.URL}, Observe: func(o Outcome) { outcomes = append(outcomes, o) },
		Apply: Applier{Command: `echo "$TENSORZERO_SYNC_EVENT $TENSORZERO_GENERATION $(basename $TENSORZERO_CONFIG)" >> ` + logFile,
			GatewayURL: gw.URL, HealthTimeout: 600e6}})
	ctx := context.Background()
	if err := s.Once(ctx); err != nil {
		t.Fatal(err)
	}
	reg.set(config("broken"))
	o := s.Sync(ctx, false)
	if o.Result != RolledBack || !o.Recovered || o.FailedGen != 2 || o.Generation != 1 || o.Err == nil {
		t.Fatalf("outcome %+v", o)
	}
	if read(t, file) != config("good") {
		t.Errorf("file after the rollback = %q", read(t, file))
	}
	if got, want := read(t, logFile), "write 1 tensorzero.toml\nwrite 2 tensorzero.toml\nrollback 1 tensorzero.toml\n"; got != want {
		t.Errorf("on-change log %q, want %q", got, want)
	}
	if g, _ := s.History().Find(2); !g.Failed || s.FailedChanges() != 1 {
		t.Errorf("generation 2 %+v, failed changes %d", g, s.FailedChanges())
	}
	if o := s.Sync(ctx, false); o.Result != NotModified {
		t.Errorf("the next pass: %+v", o)
	}
	if o := s.Sync(ctx, true); o.Result != Skipped || o.FailedGen != 2 || read(t, file) != config("good") {
		t.Errorf("a forced pass with the failed configuration: %+v", o)
	}
	reg.set(config("fixed"))
	if o := s.Sync(ctx, false); o.Result != Written || o.Generation != 3 || o.Previous != 1 {
		t.Errorf("after a fix: %+v", o)
	}
	if len(outcomes) != 5 {
		t.Errorf("observed %d outcomes, want 5", len(outcomes))
	}
	// With --once a failed change is an error, and so is the known one.
	reg.set(config("broken-again"))
	if err := s.Once(ctx); err == nil || !strings.HasPrefix(err.Error(), RolledBack) {
		t.Errorf("once with a failing gateway: %v", err)
	}
	reg.set(config("broken"))
	if err := s.Once(ctx); err == nil || !strings.HasPrefix(err.Error(), Skipped) {
		t.Errorf("once with the failed configuration: %v", err)
	}
}

// TestSyncSplice rewrites the marker region from the model list, keeps the
// rest, and refuses a file without markers.
func TestSyncSplice(t *testing.T) {
	reg, srv := newFakeRegistry(t, "")
	reg.items = []map[string]any{{"id": "1", "model_id": "qwen3:8b", "model_type": "chat", "provider_name": "ollama_local",
		"provider_type": "ollama", "api_base": "http://pmoves-ollama:11434", "api_key_env_var": nil,
		"aliases": []map[string]any{{"alias": "registry_worker_qwen", "context": "worker"}}, "created_at": "not a time"}}
	dir := t.TempDir()
	file := filepath.Join(dir, "tensorzero.toml")
	static := withMarkers([]byte(config("static")), "")
	os.WriteFile(file, static, 0o644)
	s := newSyncer(t, Options{File: file, Mode: Spliced, Source: &Source{URL: srv.URL}})
	if err := s.Once(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := []byte(read(t, file))
	h0, t0 := outside(t, static)
	h1, t1 := outside(t, got)
	if h0 != h1 || t0 != t1 || !strings.Contains(string(got), "[models.registry_worker_qwen.providers.ollama_local]\n"+
		"api_base = \"http://pmoves-ollama:11434/v1\"\napi_key_location = \"none\"\nmodel_name = \"qwen3:8b\"\ntype = \"openai\"\n") {
		t.Errorf("spliced file:\n%s", got)
	}
	// Generation 1 is the file as it was, 2 the spliced one.
	if g, ok, _ := s.History().Current(got); !ok || g.Number != 2 || numbersOf(t, s.History()) != "1, 2" {
		t.Errorf("generations %s, current %+v", numbersOf(t, s.History()), g)
	}
	os.WriteFile(file, []byte(config("no markers")), 0o644)
	err := s.Once(context.Background())
	if !errors.Is(err, ErrMarkers) || read(t, file) != config("no markers") {
		t.Errorf("a file without markers: %v", err)
	}
}

// TestSyncRollsBackWhenTheCommandFails: with a gateway to watch, a restart
// command that fails means the gateway never loaded the new file, healthy
// or not: the change is rolled back.
func TestSyncRollsBackWhenTheCommandFails(t *testing.T) {
	reg, srv := newFakeRegistry(t, config("good"))
	dir := t.TempDir()
	file := filepath.Join(dir, "tensorzero.toml")
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(healthy.Close)
	flag := filepath.Join(dir, "fail")
	s := newSyncer(t, Options{File: file, Source: &Source{URL: srv.URL},
		Apply: Applier{Command: `test ! -e ` + flag, GatewayURL: healthy.URL, HealthTimeout: 600e6}})
	ctx := context.Background()
	if err := s.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	reg.set(config("next"))
	if o := s.Sync(ctx, false); o.Result != RolledBack || o.FailedGen != 2 || read(t, file) != config("good") {
		t.Errorf("a failing restart command with a healthy gateway: %+v, file %q", o, read(t, file))
	}
}

// TestFailedFirstWriteIsNotKept: when there was no file before, a change
// the gateway refuses is removed, and the next pass does not take it for
// the current configuration.
func TestFailedFirstWriteIsNotKept(t *testing.T) {
	_, srv := newFakeRegistry(t, config("broken"))
	dir := t.TempDir()
	file := filepath.Join(dir, "tensorzero.toml")
	gw := brokenGateway(t, file)
	s := newSyncer(t, Options{File: file, Source: &Source{URL: srv.URL},
		Apply: Applier{GatewayURL: gw.URL, HealthTimeout: 300e6}})
	ctx := context.Background()
	if o := s.Sync(ctx, true); o.Result != Failed || o.Err == nil {
		t.Fatalf("first write refused by the gateway: %+v", o)
	}
	if _, err := os.Stat(file); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused file is still there: %v", err)
	}
	if err := s.Once(ctx); err == nil {
		t.Error("a second --once with the refused configuration succeeded")
	}
}
