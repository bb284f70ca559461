package supabase

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/registry"
)

// TestIntegrationActiveCatalogIfChanged: the version follows the data, past
// the row cap, and an unchanged catalogue is not returned.
func TestIntegrationActiveCatalogIfChanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.TemplateEmpty)
	ctx := context.Background()
	p := e.provider(t, "p", registry.ProviderOllama)
	a := e.model(t, p.ID, "model_a", "a")
	e.exec(t, `INSERT INTO pmoves_core.models (provider_id, name, model_id, model_type)
		SELECT $1::uuid, 'm_' || lpad(i::text, 4, '0'), 'm' || i, 'chat' FROM generate_series(1, 1500) i`, p.ID)
	must(e.c.CreateMapping(ctx, registry.MappingInput{ServiceName: "svc", FunctionName: "f", VariantName: "v", ModelID: a.ID}))(t)

	want := must(e.c.ActiveCatalog(ctx))(t)
	if len(want.Models) != 1501 || len(want.Providers) != 1 || len(want.Mappings) != 1 {
		t.Fatalf("ActiveCatalog: %d providers, %d models, %d mappings", len(want.Providers), len(want.Models), len(want.Mappings))
	}
	cat, v1, changed, err := e.c.ActiveCatalogIfChanged(ctx, "")
	ok(t, err)
	if d := cmp.Diff(want, cat); d != "" || !changed || v1 == "" {
		t.Fatalf("first read: changed %v, version %q, catalogue (-ActiveCatalog +got):\n%s", changed, v1, d)
	}

	// An unchanged catalogue costs one function call.
	c, reqs := e.observed(t)
	cat, v, changed, err := c.ActiveCatalogIfChanged(ctx, v1)
	ok(t, err)
	if changed || v != v1 || cat.Models != nil {
		t.Errorf("unchanged: changed %v, version %q (want %q), %d models returned", changed, v, v1, len(cat.Models))
	}
	wantRequests(t, reqs.take(), map[string]int{"POST rpc/registry_catalog_version": 1})

	e.exec(t, `UPDATE pmoves_core.models SET description = 'now described' WHERE name = 'm_1234'`)
	cat, v2, changed, err := e.c.ActiveCatalogIfChanged(ctx, v1)
	ok(t, err)
	if !changed || v2 == v1 {
		t.Fatalf("after an update: changed %v, version %q", changed, v2)
	}
	found := false
	for _, m := range cat.Models {
		found = found || (m.Name == "m_1234" && m.Description != nil && *m.Description == "now described")
	}
	if !found {
		t.Error("the update is not in the catalogue")
	}

	// A pass-through entry added and removed again: the same rows, the same
	// version.
	ok(t, e.c.PutPassthrough(ctx, "section:gateway", json.RawMessage(`{"debug":true}`)))
	_, v3, changed, err := e.c.ActiveCatalogIfChanged(ctx, v2)
	ok(t, err)
	if !changed || v3 == v2 {
		t.Errorf("after a pass-through entry: changed %v", changed)
	}
	ok(t, e.c.DeletePassthrough(ctx, "section:gateway"))
	_, v4, changed, err := e.c.ActiveCatalogIfChanged(ctx, v3)
	ok(t, err)
	if !changed || v4 != v2 {
		t.Errorf("after removing it: changed %v, version %q, want %q", changed, v4, v2)
	}
}
