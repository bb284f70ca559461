package supabase

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/registry"
)

// TestIntegrationRegistryFunctionsThroughPostgREST calls each registry
// function through the local PostgREST as service_role (the client's key),
// and each is refused for anon and authenticated keys.
func TestIntegrationRegistryFunctionsThroughPostgREST(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.TemplateEmpty)
	ctx := context.Background()
	p := e.provider(t, "ollama_local", registry.ProviderOllama)
	a := e.model(t, p.ID, "a", "a:7b")
	b := e.model(t, p.ID, "b", "b:7b")
	must(e.c.CreateMapping(ctx, registry.MappingInput{ServiceName: "svc", FunctionName: "chat", VariantName: "v", ModelID: a.ID}))(t)

	var inUse *registry.InUseError
	if err := e.c.DeleteModel(ctx, a.ID, false); !errors.As(err, &inUse) || len(inUse.Mappings) != 1 ||
		inUse.Mappings[0] != (registry.MappingKey{Service: "svc", Function: "chat", Variant: "v"}) {
		t.Fatalf("delete of a model in use: %v", err)
	}
	if err := e.c.DeleteProvider(ctx, p.ID, false); !errors.As(err, &inUse) || strings.Join(inUse.Models, ",") != "a,b" {
		t.Fatalf("delete of a provider with models: %v", err)
	}
	ok(t, e.c.DeleteModel(ctx, a.ID, true))
	wantKind(t, e.c.DeleteModel(ctx, a.ID, true), registry.ErrNotFound)
	if n := e.count(t, `SELECT count(*) FROM pmoves_core.service_model_mappings`); n != 0 {
		t.Errorf("%d mappings after the cascade", n)
	}
	v1 := must(e.c.CatalogVersion(ctx))(t)
	ds, applied, errs := e.c.RecordDeployments(ctx, []registry.DeploymentRegistration{
		{ProviderModelID: "b:7b", NodeID: "n", ProviderType: registry.DeployOllama}}, []time.Time{base()})
	if errs[0] != nil || !applied[0] || ds[0].ModelID != b.ID {
		t.Fatalf("record: %+v %v %v", ds, applied, errs)
	}
	if v2 := must(e.c.CatalogVersion(ctx))(t); v2 != v1 {
		t.Errorf("a deployment changed the catalogue version %s -> %s; the configuration does not read deployments", v1, v2)
	}
	ok(t, e.c.DeleteProvider(ctx, p.ID, true))
	if v3 := must(e.c.CatalogVersion(ctx))(t); v3 == v1 {
		t.Error("deleting a provider and its model left the catalogue version as it was")
	}

	for role, status := range map[string]int{"anon": http.StatusUnauthorized, "authenticated": http.StatusForbidden} {
		key := signKey(t, jwtSecret, role)
		for fn, body := range map[string]string{
			"registry_delete_model":       `{"p_id":"` + b.ID + `","p_cascade":true}`,
			"registry_delete_provider":    `{"p_id":"` + p.ID + `"}`,
			"registry_record_deployments": `{"p_events":[]}`,
			"registry_catalog_version":    `{}`,
		} {
			req, err := http.NewRequest(http.MethodPost, e.restURL+"/rpc/"+fn, strings.NewReader(body))
			ok(t, err)
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Content-Profile", "pmoves_core")
			res, err := http.DefaultClient.Do(req)
			ok(t, err)
			res.Body.Close()
			if res.StatusCode != status {
				t.Errorf("%s calls %s: %d, want %d", role, fn, res.StatusCode, status)
			}
		}
	}
}

// TestIntegrationOppositeBatchesDoNotDeadlock: two replicas recording the
// same pairs in opposite orders at once. Batches are sent in node order,
// so they lock the pairs in one order and neither fails.
func TestIntegrationOppositeBatchesDoNotDeadlock(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.TemplateEmpty)
	p := e.provider(t, "ollama_local", registry.ProviderOllama)
	m := e.model(t, p.ID, "m", "m:7b")
	const n = 60
	forward := make([]registry.DeploymentRegistration, n)
	observed := make([]time.Time, n)
	for i := range n {
		forward[i] = registry.DeploymentRegistration{ModelID: m.ID, NodeID: fmt.Sprintf("gpu-%03d", i), ProviderType: registry.DeployOllama}
		observed[i] = base()
	}
	backward := slices.Clone(forward)
	slices.Reverse(backward)
	for round := range 5 {
		var wg sync.WaitGroup
		for _, regs := range [][]registry.DeploymentRegistration{forward, backward} {
			wg.Go(func() {
				_, _, errs := e.c.RecordDeployments(context.Background(), regs, observed)
				for i, err := range errs {
					if err != nil {
						t.Errorf("round %d, event %d: %v", round, i, err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
}
