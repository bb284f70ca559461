package supabase

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/registry"
)

func TestIntegrationMappings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.TemplateEmpty)
	ctx := context.Background()
	p := e.provider(t, "p", registry.ProviderOllama)
	a := e.model(t, p.ID, "model_a", "a")
	b := e.model(t, p.ID, "model_b", "b")
	off := must(e.c.CreateModel(ctx, registry.ModelInput{ProviderID: p.ID, Name: "model_off", ModelID: "off",
		ModelType: registry.ModelChat, Active: ptr(false)}))(t)
	key := registry.MappingInput{ServiceName: "svc.a, (x)", FunctionName: "chat,1", VariantName: `v"1"`}

	in := key
	in.ModelID, in.Priority, in.Weight, in.FallbackModelID = a.ID, ptr(2), ptr(0.5), &b.ID
	in.Params = json.RawMessage(`{"temperature": 0.2}`)
	m, created, err := e.c.PutMapping(ctx, in)
	ok(t, err)
	if !created || m.ModelID != a.ID || m.Priority != 2 || m.Weight != 0.5 || m.FallbackModelID == nil ||
		*m.FallbackModelID != b.ID || m.ModelName != "model_a" || m.FallbackModelName == nil ||
		*m.FallbackModelName != "model_b" || m.ProviderName != "p" || m.ServiceName != key.ServiceName {
		t.Errorf("created %+v", m)
	}

	// A second put replaces every field: absent ones return to defaults.
	in = key
	in.ModelID = b.ID
	r, created, err := e.c.PutMapping(ctx, in)
	ok(t, err)
	if created || r.ID != m.ID || r.ModelID != b.ID || r.Priority != 1 || r.Weight != 1 || r.FallbackModelID != nil ||
		string(r.Params) != "{}" || !r.CreatedAt.Equal(m.CreatedAt) {
		t.Errorf("replaced %+v", r)
	}

	in.ModelID = someID
	_, _, err = e.c.PutMapping(ctx, in)
	wantField(t, err, "model_id")
	in.ModelID, in.FallbackModelID = a.ID, ptr(someID)
	_, _, err = e.c.PutMapping(ctx, in)
	wantField(t, err, "fallback_model_id")
	in.FallbackModelID = nil
	_, err = e.c.CreateMapping(ctx, in)
	wantKind(t, err, registry.ErrConflict)
	if !strings.Contains(err.Error(), "exists") {
		t.Errorf("conflict says %q", err)
	}
	second := must(e.c.CreateMapping(ctx, registry.MappingInput{ServiceName: key.ServiceName, FunctionName: "embed",
		VariantName: "v", ModelID: a.ID}))(t)
	if second.ModelName != "model_a" || second.Priority != 1 {
		t.Errorf("created %+v", second)
	}
	_, err = e.c.CreateMapping(ctx, registry.MappingInput{ServiceName: "s", FunctionName: "f", VariantName: "v", ModelID: someID})
	wantField(t, err, "model_id")

	// A mapping to an inactive model exists but is not routed or listed.
	hidden, created, err := e.c.PutMapping(ctx, registry.MappingInput{ServiceName: key.ServiceName, FunctionName: "z",
		VariantName: "v", ModelID: off.ID})
	ok(t, err)
	if !created || hidden.ID == "" || hidden.ModelID != off.ID || hidden.ModelName != "" {
		t.Errorf("inactive mapping %+v", hidden)
	}

	for _, tc := range []struct {
		f    registry.MappingFilter
		want []string
	}{
		{registry.MappingFilter{Service: key.ServiceName}, []string{m.ID, second.ID}},
		{registry.MappingFilter{Service: key.ServiceName, Function: "chat,1"}, []string{m.ID}},
		{registry.MappingFilter{ModelID: a.ID}, []string{second.ID}},
		{registry.MappingFilter{Service: "svc.a"}, nil},
	} {
		items, n, err := e.c.ListMappings(ctx, tc.f)
		ok(t, err)
		var ids []string
		for _, m := range items {
			ids = append(ids, m.ID)
		}
		if d := cmp.Diff(tc.want, ids); d != "" || n != len(tc.want) {
			t.Errorf("%+v: count %d (-want +got):\n%s", tc.f, n, d)
		}
	}

	id, err := e.c.DeleteMapping(ctx, key.Key())
	ok(t, err)
	if id != m.ID {
		t.Errorf("deleted %s, want %s", id, m.ID)
	}
	_, err = e.c.DeleteMapping(ctx, key.Key())
	wantKind(t, err, registry.ErrNotFound)
	_, err = e.c.DeleteMapping(ctx, registry.MappingKey{Service: key.ServiceName, Function: "z", Variant: "v"})
	ok(t, err)
}

func TestIntegrationDeleteInUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.TemplateEmpty)
	ctx := context.Background()
	p1 := e.provider(t, "p1", registry.ProviderOllama)
	p2 := e.provider(t, "p2", registry.ProviderVLLM)
	a := e.model(t, p1.ID, "model_a", "a")
	b := e.model(t, p1.ID, "model_b", "b")
	c := e.model(t, p2.ID, "model_c", "c")
	_, _, err := e.c.PutMapping(ctx, registry.MappingInput{ServiceName: "s", FunctionName: "f", VariantName: "one", ModelID: a.ID})
	ok(t, err)
	m2, _, err := e.c.PutMapping(ctx, registry.MappingInput{ServiceName: "s", FunctionName: "f", VariantName: "two",
		ModelID: c.ID, FallbackModelID: &b.ID})
	ok(t, err)
	must(e.c.CreateAlias(ctx, registry.AliasInput{ModelID: a.ID, Alias: "aa"}))(t)
	_, _, err = e.c.RegisterDeployment(ctx, registry.DeploymentRegistration{ModelID: a.ID, NodeID: "n1", ProviderType: registry.DeployOllama})
	ok(t, err)

	// A fallback reference does not block; the foreign key clears it.
	ok(t, e.c.DeleteModel(ctx, b.ID, false))
	items, _, err := e.c.ListMappings(ctx, registry.MappingFilter{ModelID: c.ID})
	ok(t, err)
	if len(items) != 1 || items[0].ID != m2.ID || items[0].FallbackModelID != nil {
		t.Errorf("after deleting the fallback: %+v", items)
	}

	var inUse *registry.InUseError
	err = e.c.DeleteModel(ctx, a.ID, false)
	if !errors.As(err, &inUse) || !errors.Is(err, registry.ErrConflict) {
		t.Fatalf("delete used model: %v", err)
	}
	if d := cmp.Diff([]registry.MappingKey{{Service: "s", Function: "f", Variant: "one"}}, inUse.Mappings); d != "" || inUse.Resource != "model" {
		t.Errorf("InUseError %+v (-want +got):\n%s", inUse, d)
	}
	err = e.c.DeleteProvider(ctx, p1.ID, false)
	if !errors.As(err, &inUse) || len(inUse.Mappings) != 1 || cmp.Diff([]string{"model_a"}, inUse.Models) != "" {
		t.Fatalf("delete used provider: %v (%+v)", err, inUse)
	}

	ok(t, e.c.DeleteProvider(ctx, p1.ID, true))
	_, err = e.c.GetProvider(ctx, p1.ID)
	wantKind(t, err, registry.ErrNotFound)
	for table, want := range map[string]int{"models": 1, "service_model_mappings": 1, "model_aliases": 0, "model_deployments": 0} {
		if n := e.count(t, "SELECT count(*) FROM pmoves_core."+table); n != want {
			t.Errorf("%s: %d rows after cascade, want %d", table, n, want)
		}
	}

	// A provider whose models have no mappings still needs cascade.
	err = e.c.DeleteProvider(ctx, p2.ID, false)
	if !errors.As(err, &inUse) || len(inUse.Mappings) != 1 || !strings.Contains(err.Error(), "s/f/two") {
		t.Fatalf("delete p2: %v", err)
	}
	ok(t, e.c.DeleteModel(ctx, c.ID, true))
	ok(t, e.c.DeleteProvider(ctx, p2.ID, false))
}

// TestIntegrationPastRowCap lists and deletes more rows than the server
// returns for one request (Supabase's 1,000-row cap).
func TestIntegrationPastRowCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.TemplateEmpty)
	ctx := context.Background()
	p := e.provider(t, "p", registry.ProviderOllama)
	a := e.model(t, p.ID, "model_a", "a")
	e.exec(t, `INSERT INTO pmoves_core.service_model_mappings (service_name, function_name, variant_name, model_id)
		SELECT 'svc', 'fn_' || lpad(i::text, 4, '0'), 'v', $1::uuid FROM generate_series(1, 1500) i`, a.ID)
	e.exec(t, `INSERT INTO pmoves_core.model_deployments (model_id, node_id, provider_type, status)
		SELECT $1::uuid, 'node-' || lpad(i::text, 4, '0'), 'ollama', CASE WHEN i % 3 = 0 THEN 'unloaded' ELSE 'loaded' END
		FROM generate_series(1, 1500) i`, a.ID)

	// The server caps a read at 1,000 rows, as Supabase does, so the lists
	// below must page.
	resp, err := e.c.do(ctx, "GET", tableMappings, "select=id&limit=1500", "", nil)
	ok(t, err)
	if rows, err := decodeRows[struct{ ID string }](e.c, resp.status, resp.body); err != nil || len(rows) != maxRows {
		t.Fatalf("one read of 1,500 rows gave %d rows (%v); the server does not cap at %d", len(rows), err, maxRows)
	}

	seen := map[string]bool{}
	for _, pg := range []struct{ offset, want int }{{0, 1000}, {1000, 500}, {1500, 0}} {
		items, n, err := e.c.ListMappings(ctx, registry.MappingFilter{Service: "svc", Page: registry.Page{Limit: 1000, Offset: pg.offset}})
		ok(t, err)
		if len(items) != pg.want || n != 1500 {
			t.Errorf("mappings at %d: %d items, count %d", pg.offset, len(items), n)
		}
		for _, m := range items {
			seen[m.ID] = true
		}
	}
	if len(seen) != 1500 {
		t.Errorf("pages held %d distinct mappings, want 1500", len(seen))
	}
	all := []registry.DeploymentStatus{registry.StatusLoaded, registry.StatusUnloaded}
	for _, tc := range []struct {
		f           registry.DeploymentFilter
		want, wantN int
	}{
		{registry.DeploymentFilter{Statuses: all, Page: registry.Page{Limit: 1000}}, 1000, 1500},
		{registry.DeploymentFilter{Statuses: all, Page: registry.Page{Limit: 1000, Offset: 1000}}, 500, 1500},
		{registry.DeploymentFilter{Page: registry.Page{Limit: 1000}}, 1000, 1000},
		{registry.DeploymentFilter{Statuses: all[1:], Page: registry.Page{Limit: 1000}}, 500, 500},
		{registry.DeploymentFilter{NodeID: "node-0043"}, 1, 1},
		{registry.DeploymentFilter{NodeID: "node-0042"}, 0, 0}, // unloaded
	} {
		items, n, err := e.c.ListDeployments(ctx, tc.f)
		ok(t, err)
		if len(items) != tc.want || n != tc.wantN {
			t.Errorf("%+v: %d items, count %d; want %d, %d", tc.f, len(items), n, tc.want, tc.wantN)
		}
	}

	var inUse *registry.InUseError
	if err := e.c.DeleteModel(ctx, a.ID, false); !errors.As(err, &inUse) || len(inUse.Mappings) != 1500 {
		t.Fatalf("delete model used by 1,500 mappings: %v", err)
	}
	ok(t, e.c.DeleteModel(ctx, a.ID, true))
	if n := e.count(t, "SELECT count(*) FROM pmoves_core.service_model_mappings") + e.count(t, "SELECT count(*) FROM pmoves_core.model_deployments"); n != 0 {
		t.Errorf("%d mappings and deployments left after cascade", n)
	}

	// A provider with more models than one in.(…) list holds.
	e.exec(t, `INSERT INTO pmoves_core.models (provider_id, name, model_id, model_type)
		SELECT $1::uuid, 'm_' || i, 'm' || i, 'chat' FROM generate_series(1, 250) i`, p.ID)
	e.exec(t, `INSERT INTO pmoves_core.service_model_mappings (service_name, function_name, variant_name, model_id)
		SELECT 'svc', 'f', m.name, m.id FROM pmoves_core.models m WHERE m.provider_id = $1::uuid`, p.ID)
	err = e.c.DeleteProvider(ctx, p.ID, false)
	if !errors.As(err, &inUse) || len(inUse.Mappings) != 250 || len(inUse.Models) != 250 {
		t.Fatalf("delete provider with 250 used models: %v", err)
	}
	ok(t, e.c.DeleteProvider(ctx, p.ID, true))
	if n := e.count(t, "SELECT count(*) FROM pmoves_core.models"); n != 0 {
		t.Errorf("%d models left", n)
	}
}
