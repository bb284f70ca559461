package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pmoves/model-registry/api"
	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/hfhub"
	"github.com/pmoves/model-registry/registry"
)

const hfToken = "hf_enrich_test_token_0123456789"

// hfDouble answers like the Hugging Face Hub (FITNESS.md section 5, "Test
// double"): model info at /api/models/<org>/<name> (404 when unknown, 401
// when gated or when the token is missing), config.json at
// /<org>/<name>/resolve/main/config.json (404 when the repository has
// none). It records the Authorization header of every request.
type hfDouble struct {
	mu    sync.Mutex
	auths []string
}

var hfRepos = map[string]struct{ info, config string }{
	"acme/embed": {`{"id":"acme/embed","lastModified":"2026-01-02T03:04:05.000Z","downloads":1234,"likes":56,` +
		`"tags":["sentence-transformers","pytorch","feature-extraction"],"library_name":"sentence-transformers",` +
		`"pipeline_tag":"feature-extraction","cardData":{"license":"apache-2.0"}}`, `{"hidden_size":2560}`},
	"acme/nulls":         {`{"id":"acme/nulls","cardData":null,"tags":null,"downloads":null,"library_name":null}`, ""},
	"acme/broken-config": {`{"id":"acme/broken-config","tags":["gguf"]}`, "500"},
}

func (h *hfDouble) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.auths = append(h.auths, r.Header.Get("Authorization"))
	h.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer "+hfToken {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":"Invalid credentials in Authorization header"}`))
		return
	}
	p := r.URL.Path
	if id, ok := strings.CutPrefix(p, "/api/models/"); ok {
		if id == "acme/gated" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":"Access to model acme/gated is restricted. You must have access to it and be authenticated."}`))
			return
		}
		if repo, ok := hfRepos[id]; ok {
			w.Write([]byte(repo.info))
			return
		}
	}
	if id, ok := strings.CutSuffix(strings.TrimPrefix(p, "/"), "/resolve/main/config.json"); ok {
		switch repo := hfRepos[id]; repo.config {
		case "":
		case "500":
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"error":"internal"}`))
			return
		default:
			w.Write([]byte(repo.config))
			return
		}
	}
	w.WriteHeader(http.StatusNotFound)
	w.Write([]byte(`{"error":"Repository not found"}`))
}

func (h *hfDouble) authorizations() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.auths...)
}

// spyStore records the model writes the API makes.
type spyStore struct {
	api.Store
	mu       sync.Mutex
	patches  []registry.ModelPatch
	replaces int
}

func (s *spyStore) UpdateModel(ctx context.Context, id string, p registry.ModelPatch) (registry.Model, error) {
	s.mu.Lock()
	s.patches = append(s.patches, p)
	s.mu.Unlock()
	return s.Store.UpdateModel(ctx, id, p)
}

func (s *spyStore) ReplaceModel(ctx context.Context, id string, in registry.ModelInput) (registry.Model, error) {
	s.mu.Lock()
	s.replaces++
	s.mu.Unlock()
	return s.Store.ReplaceModel(ctx, id, in)
}

func (s *spyStore) writes() ([]registry.ModelPatch, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]registry.ModelPatch(nil), s.patches...), s.replaces
}

// enrichFixture is a stack whose API reads the hub double through the real
// hub client, writes through a spy, and logs everything into a buffer.
type enrichFixture struct {
	*stack
	hub  *hfDouble
	spy  *spyStore
	logs *bytes.Buffer
	mu   *sync.Mutex
}

func newEnrichFixture(t *testing.T) *enrichFixture {
	t.Helper()
	f := &enrichFixture{hub: &hfDouble{}, spy: &spyStore{}, logs: &bytes.Buffer{}, mu: &sync.Mutex{}}
	hubSrv := httptest.NewServer(f.hub)
	t.Cleanup(hubSrv.Close)
	f.stack = newStack(t, dbtest.TemplateEmpty, func(c *api.Config) {
		c.Hub = hfhub.New(hubSrv.URL, hfToken)
		f.spy.Store = c.Store
		c.Store = f.spy
		c.Logger = slog.New(slog.NewJSONHandler(lockedWriter{f.logs, f.mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	t.Cleanup(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if strings.Contains(f.logs.String(), hfToken) {
			t.Error("the hub token appears in the logs")
		}
		for _, a := range f.hub.authorizations() {
			if a != "Bearer "+hfToken {
				t.Errorf("a hub request carried Authorization %q, want the bearer token", a)
			}
		}
	})
	return f
}

// call is do, checking that the answer never carries the hub token.
func (f *enrichFixture) call(t *testing.T, method, path string) response {
	t.Helper()
	r := f.do(method, path, nil)
	if bytes.Contains(r.Body, []byte(hfToken)) {
		t.Errorf("%s %s: the hub token is in the answer", method, path)
	}
	return r
}

// model creates a model with the given type, metadata and activity.
func (f *enrichFixture) model(t *testing.T, providerID, name string, mt registry.ModelType, metadata any, active bool) registry.Model {
	t.Helper()
	var m registry.Model
	f.do("POST", "/api/models", map[string]any{"provider_id": providerID, "name": name, "model_id": name + ":latest",
		"model_type": mt, "capabilities": []string{"embeddings"}, "vram_mb": 900, "context_length": 8192,
		"description": "kept as it is", "metadata": metadata, "active": active}).must(t, 201, &m)
	return m
}

func (f *enrichFixture) provider(t *testing.T) string {
	t.Helper()
	var p registry.Provider
	f.do("POST", "/api/providers", map[string]any{"name": "local", "type": "ollama", "api_base": "http://o:11434"}).must(t, 201, &p)
	return p.ID
}

func (f *enrichFixture) metadata(t *testing.T, id string) map[string]any {
	t.Helper()
	var m registry.Model
	f.do("GET", "/api/models/"+id, nil).must(t, 200, &m)
	var md map[string]any
	if err := json.Unmarshal(m.Metadata, &md); err != nil {
		t.Fatalf("metadata %s: %v", m.Metadata, err)
	}
	return md
}

type enrichAnswer struct {
	ModelID    string         `json:"model_id"`
	HFID       string         `json:"hf_id"`
	Enrichment map[string]any `json:"enrichment"`
}

// TestEnrichHFMergesAndPatches: one model's enrichment is merged into its
// metadata with the keys already there winning (an existing null gives
// way), written as a PATCH of the metadata alone, announced, and answered;
// enriching again changes nothing and announces nothing.
func TestEnrichHFMergesAndPatches(t *testing.T) {
	t.Parallel()
	f := newEnrichFixture(t)
	pid := f.provider(t)
	before := f.model(t, pid, "qwen3_embed", registry.ModelEmbedding,
		map[string]any{"hf_id": "acme/embed", "dimensions": 768, "note": "mine", "hf_likes": nil}, true)
	events := f.events.count()

	var got enrichAnswer
	f.call(t, "POST", "/api/models/"+before.ID+"/enrich-hf").must(t, 200, &got)
	if got.ModelID != before.ID || got.HFID != "acme/embed" {
		t.Errorf("answer names %s %s", got.ModelID, got.HFID)
	}
	want := map[string]any{
		"hf_id": "acme/embed", "hf_last_modified": "2026-01-02T03:04:05.000Z", "hf_downloads": 1234.0, "hf_likes": 56.0,
		"hf_tags":         []any{"sentence-transformers", "pytorch", "feature-extraction"},
		"hf_library_name": "sentence-transformers", "hf_pipeline_tag": "feature-extraction", "hf_license": "apache-2.0",
		"cuda_supported": true, "dimensions": 2560.0,
	}
	if !jsonEqual(got.Enrichment, want) {
		t.Errorf("enrichment = %v\nwant %v", got.Enrichment, want)
	}

	md := f.metadata(t, before.ID)
	// Existing keys win (dimensions stays 768, note stays); an existing
	// null gives way to the hub's value (hf_likes).
	wantMD := map[string]any{}
	for k, v := range want {
		wantMD[k] = v
	}
	wantMD["dimensions"], wantMD["note"] = 768.0, "mine"
	if !jsonEqual(md, wantMD) {
		t.Errorf("metadata = %v\nwant %v", md, wantMD)
	}

	// Only the metadata was written, by PATCH (UpdateModel), never PUT.
	patches, replaces := f.spy.writes()
	if len(patches) != 1 || replaces != 0 {
		t.Fatalf("%d patches, %d replaces; want one patch", len(patches), replaces)
	}
	p := patches[0]
	if p.Metadata == nil || p.ProviderID != nil || p.Name != nil || p.ModelID != nil || p.ModelType != nil ||
		p.Capabilities != nil || p.VRAMMB != nil || p.ContextLength != nil || p.Description != nil || p.Active != nil {
		t.Errorf("patch %+v, want the metadata alone", p)
	}
	var after registry.Model
	f.do("GET", "/api/models/"+before.ID, nil).must(t, 200, &after)
	if after.Name != before.Name || after.ModelID != before.ModelID || after.ModelType != before.ModelType ||
		after.ProviderID != before.ProviderID || *after.VRAMMB != 900 || *after.ContextLength != 8192 ||
		*after.Description != "kept as it is" || len(after.Capabilities) != 1 || !after.Active {
		t.Errorf("other fields changed: %+v", after)
	}

	if f.events.count() != events+1 {
		t.Fatalf("%d events, want one more than %d", f.events.count(), events)
	}
	if e := f.events.last(); e.Action != registry.ActionUpdated || e.ResourceType != registry.ResourceModel || e.ResourceID != before.ID {
		t.Errorf("event %+v", e)
	}

	// Again: the same answer, nothing to write, nothing announced.
	var again enrichAnswer
	f.call(t, "POST", "/api/models/"+before.ID+"/enrich-hf").must(t, 200, &again)
	if !jsonEqual(again.Enrichment, want) {
		t.Errorf("second enrichment = %v", again.Enrichment)
	}
	if patches, _ := f.spy.writes(); len(patches) != 1 || f.events.count() != events+1 {
		t.Errorf("an unchanged enrichment wrote (%d patches) or announced (%d events)", len(patches), f.events.count())
	}
	if !jsonEqual(f.metadata(t, before.ID), wantMD) {
		t.Error("metadata changed on the second enrichment")
	}
}

// TestEnrichHFRefusals: a bad id, an unknown model, a model without (or
// with a bad) hf_id, and no key, each refused before the hub is asked.
func TestEnrichHFRefusals(t *testing.T) {
	t.Parallel()
	f := newEnrichFixture(t)
	pid := f.provider(t)

	r := f.call(t, "POST", "/api/models/not-a-uuid/enrich-hf")
	if _, _, fields := r.errorOf(t); r.Status != 400 || fields["id"] == "" {
		t.Errorf("bad id: %d %s", r.Status, r.Body)
	}

	unknown := "6fb4a057-4452-4e84-b47d-268246807b32"
	r = f.call(t, "POST", "/api/models/"+unknown+"/enrich-hf")
	if code, msg, _ := r.errorOf(t); r.Status != 404 || code != "not_found" || !strings.Contains(msg, unknown) {
		t.Errorf("unknown model: %d %s", r.Status, r.Body)
	}

	for name, md := range map[string]any{
		"no_metadata": nil, "no_hf_id": map[string]any{"dimensions": 768}, "empty": map[string]any{"hf_id": "  "},
		"not_string": map[string]any{"hf_id": 42}, "bad_shape": map[string]any{"hf_id": "../../etc/passwd"},
	} {
		m := f.model(t, pid, name, registry.ModelEmbedding, md, true)
		r := f.call(t, "POST", "/api/models/"+m.ID+"/enrich-hf")
		code, _, fields := r.errorOf(t)
		if r.Status != 400 || code != "invalid" || fields["metadata.hf_id"] == "" {
			t.Errorf("%s: %d %s, want 400 naming metadata.hf_id", name, r.Status, r.Body)
		}
	}

	m := f.model(t, pid, "embed", registry.ModelEmbedding, map[string]any{"hf_id": "acme/embed"}, true)
	if r := f.do("POST", "/api/models/"+m.ID+"/enrich-hf", nil, noKey...); r.Status != 401 {
		t.Errorf("without a key: %d", r.Status)
	}
	if n := len(f.hub.authorizations()); n != 0 {
		t.Errorf("the hub was asked %d times", n)
	}
	if patches, _ := f.spy.writes(); len(patches) != 0 {
		t.Errorf("%d writes", len(patches))
	}
}

// TestEnrichHFHubFailures: a hub 401 or 404 (and a config.json 500) is a
// 502 naming the hf_id and the hub's status, with nothing written; a null
// cardData and tags and no config.json are an enrichment without those.
func TestEnrichHFHubFailures(t *testing.T) {
	t.Parallel()
	f := newEnrichFixture(t)
	pid := f.provider(t)
	for _, tc := range []struct{ hfID, message string }{
		{"acme/gated", "the Hugging Face Hub answered 401 for acme/gated"},
		{"acme/missing", "the Hugging Face Hub answered 404 for acme/missing"},
		{"acme/broken-config", "the Hugging Face Hub answered 500 for the config.json of acme/broken-config"},
	} {
		md := map[string]any{"hf_id": tc.hfID, "note": "mine"}
		m := f.model(t, pid, strings.ReplaceAll(tc.hfID, "/", "_"), registry.ModelEmbedding, md, true)
		r := f.call(t, "POST", "/api/models/"+m.ID+"/enrich-hf")
		code, msg, _ := r.errorOf(t)
		if r.Status != 502 || code != "upstream_unavailable" || msg != tc.message {
			t.Errorf("%s: %d %s, want 502 %q", tc.hfID, r.Status, r.Body, tc.message)
		}
		if !jsonEqual(f.metadata(t, m.ID), md) {
			t.Errorf("%s: metadata changed", tc.hfID)
		}
	}
	// The failures are logged (so the token check of the logs means something).
	f.mu.Lock()
	logged := f.logs.String()
	f.mu.Unlock()
	if !strings.Contains(logged, `"status":502`) || !strings.Contains(logged, "hugging face hub: GET /api/models/acme/gated: 401") {
		t.Errorf("the 502s are not logged with the hub's error: %s", logged)
	}
	if patches, _ := f.spy.writes(); len(patches) != 0 || f.events.updates() != 0 {
		t.Errorf("failures wrote %d patches, announced %d updates", len(patches), f.events.updates())
	}

	m := f.model(t, pid, "nulls", registry.ModelEmbedding, map[string]any{"hf_id": "acme/nulls"}, true)
	var got enrichAnswer
	f.call(t, "POST", "/api/models/"+m.ID+"/enrich-hf").must(t, 200, &got)
	want := map[string]any{"hf_id": "acme/nulls", "hf_tags": []any{}, "cuda_supported": false}
	if !jsonEqual(got.Enrichment, want) {
		t.Errorf("null cardData and tags: %v, want %v", got.Enrichment, want)
	}
	if !jsonEqual(f.metadata(t, m.ID), want) {
		t.Errorf("metadata %v", f.metadata(t, m.ID))
	}
}

type bulkAnswer struct {
	Enriched []struct {
		ID         string `json:"id"`
		HFID       string `json:"hf_id"`
		Dimensions *int   `json:"dimensions"`
	} `json:"enriched"`
	Skipped []struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Reason string `json:"reason"`
	} `json:"skipped"`
	Failed []struct {
		ID    string `json:"id"`
		HFID  string `json:"hf_id"`
		Error string `json:"error"`
	} `json:"failed"`
}

// TestEnrichHFBulk: every active model of the type is enriched, skipped
// (no hf_id) or failed (the hub's status, nothing written), one failure not
// stopping the others; other types and inactive models are left alone.
func TestEnrichHFBulk(t *testing.T) {
	t.Parallel()
	f := newEnrichFixture(t)
	pid := f.provider(t)
	a := f.model(t, pid, "a_embed", registry.ModelEmbedding, map[string]any{"hf_id": "acme/embed"}, true)
	b := f.model(t, pid, "b_plain", registry.ModelEmbedding, map[string]any{"note": "no hub"}, true)
	c := f.model(t, pid, "c_gated", registry.ModelEmbedding, map[string]any{"hf_id": "acme/gated", "note": "mine"}, true)
	d := f.model(t, pid, "d_nulls", registry.ModelEmbedding, map[string]any{"hf_id": "acme/nulls"}, true)
	e := f.model(t, pid, "e_missing", registry.ModelEmbedding, map[string]any{"hf_id": "acme/missing"}, true)
	chat := f.model(t, pid, "f_chat", registry.ModelChat, map[string]any{"hf_id": "acme/embed"}, true)
	idle := f.model(t, pid, "g_inactive", registry.ModelEmbedding, map[string]any{"hf_id": "acme/embed"}, false)
	events := f.events.count()

	var got bulkAnswer
	f.call(t, "POST", "/api/models/enrich-hf-bulk").must(t, 200, &got)
	if len(got.Enriched) != 2 || got.Enriched[0].ID != a.ID || got.Enriched[0].HFID != "acme/embed" ||
		got.Enriched[0].Dimensions == nil || *got.Enriched[0].Dimensions != 2560 ||
		got.Enriched[1].ID != d.ID || got.Enriched[1].Dimensions != nil {
		t.Errorf("enriched %+v, want a (2560) and d (no dimensions)", got.Enriched)
	}
	if len(got.Skipped) != 1 || got.Skipped[0].ID != b.ID || got.Skipped[0].Name != "b_plain" || got.Skipped[0].Reason != "no hf_id" {
		t.Errorf("skipped %+v, want b", got.Skipped)
	}
	if len(got.Failed) != 2 || got.Failed[0].ID != c.ID || got.Failed[0].HFID != "acme/gated" ||
		got.Failed[0].Error != "the Hugging Face Hub answered 401" ||
		got.Failed[1].ID != e.ID || got.Failed[1].Error != "the Hugging Face Hub answered 404" {
		t.Errorf("failed %+v, want c (401) and e (404)", got.Failed)
	}
	if md := f.metadata(t, c.ID); !jsonEqual(md, map[string]any{"hf_id": "acme/gated", "note": "mine"}) {
		t.Errorf("a failed model's metadata changed: %v", md)
	}
	if md := f.metadata(t, a.ID); md["dimensions"] != 2560.0 || md["hf_downloads"] != 1234.0 {
		t.Errorf("enriched metadata %v", md)
	}
	for _, m := range []registry.Model{chat, idle} {
		if md := f.metadata(t, m.ID); len(md) != 1 {
			t.Errorf("%s was enriched: %v", m.Name, md)
		}
	}
	f.mu.Lock()
	logged := f.logs.String()
	f.mu.Unlock()
	if strings.Count(logged, "enrich-hf-bulk: a model failed") != 2 {
		t.Errorf("the bulk failures are not logged: %s", logged)
	}
	if n := f.events.count() - events; n != 2 {
		t.Errorf("%d events, want one per enriched model", n)
	}
	if patches, replaces := f.spy.writes(); len(patches) != 2 || replaces != 0 {
		t.Errorf("%d patches, %d replaces", len(patches), replaces)
	}

	// Another type; a bad type and an unknown parameter are refused.
	f.call(t, "POST", "/api/models/enrich-hf-bulk?model_type=chat").must(t, 200, &got)
	if len(got.Enriched) != 1 || got.Enriched[0].ID != chat.ID || len(got.Skipped)+len(got.Failed) != 0 {
		t.Errorf("chat: %+v", got)
	}
	for _, q := range []string{"?model_type=bogus", "?model_type=chat&model_type=vl", "?limit=1"} {
		r := f.call(t, "POST", "/api/models/enrich-hf-bulk"+q)
		_, _, fields := r.errorOf(t)
		if r.Status != 400 || len(fields) != 1 {
			t.Errorf("%s: %d %s", q, r.Status, r.Body)
		}
	}
	if r := f.do("POST", "/api/models/enrich-hf-bulk", nil, noKey...); r.Status != 401 {
		t.Errorf("without a key: %d", r.Status)
	}
}

// TestEnrichHFWithoutHub: with no hub configured both routes answer 503,
// after the request itself is checked.
func TestEnrichHFWithoutHub(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateEmpty)
	for _, path := range []string{"/api/models/6fb4a057-4452-4e84-b47d-268246807b32/enrich-hf", "/api/models/enrich-hf-bulk"} {
		r := s.do("POST", path, nil)
		if code, msg, _ := r.errorOf(t); r.Status != 503 || code != "upstream_unavailable" || !strings.Contains(msg, "Hugging Face") {
			t.Errorf("%s: %d %s", path, r.Status, r.Body)
		}
	}
	if r := s.do("POST", "/api/models/enrich-hf-bulk?model_type=bogus", nil); r.Status != 400 {
		t.Errorf("bad model_type without a hub: %d", r.Status)
	}
}

// updates counts the "updated" change events recorded.
func (r *recorder) updates() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e.Action == registry.ActionUpdated {
			n++
		}
	}
	return n
}

// jsonEqual compares two values as JSON.
func jsonEqual(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}
