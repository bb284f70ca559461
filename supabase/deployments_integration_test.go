package supabase

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/registry"
)

func TestIntegrationDeployments(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.TemplateEmpty)
	ctx := context.Background()
	local := e.provider(t, "ollama_local", registry.ProviderOllama)
	edge := e.provider(t, "ollama_edge", registry.ProviderOllama)
	tts := e.provider(t, "tts_flute", registry.ProviderCustom)
	e.model(t, local.ID, "qwen3_8b", "qwen3:8b")
	e.model(t, edge.ID, "qwen3_8b", "qwen3:8b")
	llama := e.model(t, local.ID, "llama3", "llama3:8b")
	e.model(t, tts.ID, "kokoro", "kokoro-82m")
	node := `gpu.node-1, "a" (b)`

	d, created, err := e.c.RegisterDeployment(ctx, registry.DeploymentRegistration{ProviderModelID: "llama3:8b",
		NodeID: node, ProviderType: registry.DeployOllama, VRAMAllocatedMB: ptr(5000)})
	ok(t, err)
	if !created || d.ModelID != llama.ID || d.Status != registry.StatusLoaded || d.LoadedAt == nil || d.LastSeenAt == nil ||
		d.ModelName != "llama3" || d.ProviderName != "ollama_local" || *d.VRAMAllocatedMB != 5000 {
		t.Errorf("registered %+v", d)
	}
	again, created, err := e.c.RegisterDeployment(ctx, registry.DeploymentRegistration{ModelID: llama.ID,
		NodeID: node, ProviderType: registry.DeployOllama})
	ok(t, err)
	if created || again.ID != d.ID || !again.LoadedAt.Equal(*d.LoadedAt) || again.LastSeenAt.Before(*d.LastSeenAt) ||
		again.VRAMAllocatedMB == nil || *again.VRAMAllocatedMB != 5000 {
		t.Errorf("re-registered %+v (first %+v)", again, d)
	}
	loading, _, err := e.c.RegisterDeployment(ctx, registry.DeploymentRegistration{ModelID: llama.ID,
		NodeID: node, ProviderType: registry.DeployOllama, Status: registry.StatusLoading})
	ok(t, err)
	reloaded, _, err := e.c.RegisterDeployment(ctx, registry.DeploymentRegistration{ModelID: llama.ID,
		NodeID: node, ProviderType: registry.DeployOllama})
	ok(t, err)
	if !loading.LoadedAt.Equal(*d.LoadedAt) || !reloaded.LoadedAt.After(*d.LoadedAt) {
		t.Errorf("loaded_at: first %v, loading %v, reloaded %v", d.LoadedAt, loading.LoadedAt, reloaded.LoadedAt)
	}

	// qwen3:8b is on two Ollama providers: ambiguous until one is inactive.
	reg := registry.DeploymentRegistration{ProviderModelID: "qwen3:8b", NodeID: "n2", ProviderType: registry.DeployOllama}
	_, _, err = e.c.RegisterDeployment(ctx, reg)
	wantKind(t, err, registry.ErrConflict)
	if msg := err.Error(); !strings.Contains(msg, "ollama_edge, ollama_local") || !strings.HasSuffix(msg, "register it by model UUID") {
		t.Errorf("conflict says %q", err)
	}
	must(e.c.UpdateProvider(ctx, edge.ID, registry.ProviderPatch{Active: ptr(false)}))(t)
	q, _, err := e.c.RegisterDeployment(ctx, reg)
	ok(t, err)
	if q.ProviderName != "ollama_local" {
		t.Errorf("resolved to %+v", q)
	}
	k, _, err := e.c.RegisterDeployment(ctx, registry.DeploymentRegistration{ProviderModelID: "kokoro-82m", NodeID: "n2",
		ProviderType: registry.DeployTTS})
	ok(t, err)
	if k.ModelName != "kokoro" || k.ProviderType != registry.DeployTTS || k.ModelProvider != registry.ProviderCustom {
		t.Errorf("tts deployment %+v", k)
	}
	_, _, err = e.c.RegisterDeployment(ctx, registry.DeploymentRegistration{ProviderModelID: "kokoro-82m", NodeID: "n2",
		ProviderType: registry.DeployOllama})
	wantKind(t, err, registry.ErrNotFound)
	_, _, err = e.c.RegisterDeployment(ctx, registry.DeploymentRegistration{ModelID: someID, NodeID: "n2",
		ProviderType: registry.DeployOllama})
	wantKind(t, err, registry.ErrNotFound)
	if errors.Is(err, registry.ErrConflict) {
		t.Errorf("unknown model UUID is also a conflict: %v", err)
	}

	// Status changes.
	s := must(e.c.SetDeploymentStatus(ctx, k.ID, registry.StatusChange{Status: registry.StatusError, ErrorMessage: ptr("CUDA OOM")}))(t)
	if s.Status != registry.StatusError || s.ErrorMessage == nil || *s.ErrorMessage != "CUDA OOM" || s.ModelName != "kokoro" {
		t.Errorf("error status %+v", s)
	}
	s = must(e.c.SetDeploymentStatus(ctx, k.ID, registry.StatusChange{Status: registry.StatusLoaded, VRAMAllocatedMB: ptr(900)}))(t)
	if s.ErrorMessage != nil || s.LoadedAt == nil || *s.VRAMAllocatedMB != 900 {
		t.Errorf("loaded status %+v", s)
	}
	must(e.c.SetDeploymentStatus(ctx, q.ID, registry.StatusChange{Status: registry.StatusUnloaded}))(t)
	_, err = e.c.SetDeploymentStatus(ctx, someID, registry.StatusChange{Status: registry.StatusLoaded})
	wantKind(t, err, registry.ErrNotFound)

	ids := func(f registry.DeploymentFilter) []string {
		t.Helper()
		items, n, err := e.c.ListDeployments(ctx, f)
		ok(t, err)
		if n != len(items) {
			t.Errorf("%+v: count %d for %d items", f, n, len(items))
		}
		var out []string
		for _, d := range items {
			out = append(out, d.ID)
		}
		return out
	}
	for name, tc := range map[string]struct {
		f    registry.DeploymentFilter
		want int
	}{
		"active":          {registry.DeploymentFilter{}, 2},
		"unloaded":        {registry.DeploymentFilter{Statuses: []registry.DeploymentStatus{registry.StatusUnloaded}}, 1},
		"every status":    {registry.DeploymentFilter{Statuses: registry.DeploymentStatuses}, 3},
		"nasty node":      {registry.DeploymentFilter{NodeID: node}, 1},
		"node is exact":   {registry.DeploymentFilter{NodeID: "gpu.node-1"}, 0},
		"node n2 active":  {registry.DeploymentFilter{NodeID: "n2"}, 1},
		"model":           {registry.DeploymentFilter{ModelID: llama.ID}, 1},
		"model, unloaded": {registry.DeploymentFilter{ModelID: llama.ID, Statuses: []registry.DeploymentStatus{registry.StatusUnloaded}}, 0},
	} {
		if got := ids(tc.f); len(got) != tc.want {
			t.Errorf("%s: %d deployments, want %d", name, len(got), tc.want)
		}
	}
}

// TestIntegrationConcurrentRegister registers one (model, node) from 20
// goroutines at once: one row results, and exactly one call created it.
func TestIntegrationConcurrentRegister(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.TemplateEmpty)
	ctx := context.Background()
	p := e.provider(t, "ollama_local", registry.ProviderOllama)
	m := e.model(t, p.ID, "qwen3_8b", "qwen3:8b")

	const n = 20
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
		ids     = map[string]bool{}
		start   = make(chan struct{})
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := registry.DeploymentRegistration{ModelID: m.ID, NodeID: "gpu-node-1", ProviderType: registry.DeployOllama}
			if i%2 == 1 {
				r = registry.DeploymentRegistration{ProviderModelID: "qwen3:8b", NodeID: "gpu-node-1", ProviderType: registry.DeployOllama}
			}
			d, c, err := e.c.RegisterDeployment(ctx, r)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("register %d: %v", i, err)
				return
			}
			ids[d.ID] = true
			if c {
				created++
			}
		}()
	}
	close(start)
	wg.Wait()
	if rows := e.count(t, "SELECT count(*) FROM pmoves_core.model_deployments"); rows != 1 || len(ids) != 1 || created != 1 {
		t.Errorf("%d rows, %d ids, %d created; want 1 each", rows, len(ids), created)
	}
}

// TestIntegrationKeys uses keys that are not the service key: PostgREST's
// 401/403 must surface as ErrUnavailable (a misconfigured service), never as
// the caller's ErrUnauthorized.
func TestIntegrationKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.TemplateSeeded)
	ctx := context.Background()
	for name, key := range map[string]string{
		"wrong secret": signKey(t, "another-secret-of-at-least-32-bytes!!", "service_role"),
		"anon":         signKey(t, jwtSecret, "anon"),
		"not a jwt":    "sb_secret_not-a-jwt-at-all-0123456789",
	} {
		t.Run(name, func(t *testing.T) {
			c, err := New(Config{URL: e.restURL, ServiceKey: key})
			ok(t, err)
			defer c.Close()
			err = c.Ping(ctx)
			if name != "anon" {
				checkKeyErr(t, err, key)
			}
			_, err = c.CreateProvider(ctx, registry.ProviderInput{Name: "x", Type: registry.ProviderCustom})
			checkKeyErr(t, err, key)
		})
	}
}

func checkKeyErr(t *testing.T, err error, key string) {
	t.Helper()
	var pe *Error
	if !errors.Is(err, registry.ErrUnavailable) || errors.Is(err, registry.ErrUnauthorized) ||
		!errors.As(err, &pe) || (pe.Status != 401 && pe.Status != 403) {
		t.Errorf("error %v: want ErrUnavailable with status 401/403", err)
	}
	if err != nil && strings.Contains(err.Error(), key) {
		t.Errorf("error shows the key: %v", err)
	}
}
