package devstack_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pmoves/model-registry/devstack/dbtest"
)

// asRole runs f in a transaction as role (the way PostgREST runs a request)
// and commits it when f succeeds.
func asRole(t *testing.T, conn *pgx.Conn, role string, f func(pgx.Tx) error) error {
	t.Helper()
	ctx := context.Background()
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL ROLE "+role); err != nil {
			return err
		}
		return f(tx)
	})
}

// callJSON calls a registry function as service_role and decodes its jsonb.
func callJSON(t *testing.T, conn *pgx.Conn, sql string, v any, args ...any) {
	t.Helper()
	var raw []byte
	if err := asRole(t, conn, "service_role", func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), sql, args...).Scan(&raw)
	}); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %s: %v", sql, raw, err)
	}
}

const m1 = "00000000-0000-0000-0000-0000000000a1"

type deleteResult struct {
	Found    bool     `json:"found"`
	Deleted  bool     `json:"deleted"`
	Models   []string `json:"models"`
	Mappings []struct {
		Service  string `json:"service_name"`
		Function string `json:"function_name"`
		Variant  string `json:"variant_name"`
	} `json:"mappings"`
}

func TestDeleteFunctionsRefuseOrCascade(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := dbtest.Connect(t, dbtest.New(t, dbtest.TemplateEmpty))
	if _, err := conn.Exec(ctx, fixture+`
INSERT INTO pmoves_core.service_model_mappings (service_name, function_name, variant_name, model_id, fallback_model_id)
VALUES ('svc', 'chat', 'a', '`+m1+`', NULL), ('svc', 'chat', 'b', '00000000-0000-0000-0000-0000000000a2', '`+m1+`');
INSERT INTO pmoves_core.model_aliases (model_id, alias) VALUES ('`+m1+`', 'fast');`); err != nil {
		t.Fatal(err)
	}
	var r deleteResult
	callJSON(t, conn, `SELECT pmoves_core.registry_delete_model($1)`, &r, m1)
	if !r.Found || r.Deleted || len(r.Mappings) != 1 || r.Mappings[0].Variant != "a" {
		t.Fatalf("delete of a model in use = %+v, want refused naming svc/chat/a", r)
	}
	callJSON(t, conn, `SELECT pmoves_core.registry_delete_provider($1)`, &r, "00000000-0000-0000-0000-000000000001")
	if !r.Found || r.Deleted || !cmp.Equal(r.Models, []string{"inactive", "visible"}) {
		t.Fatalf("delete of a provider with models = %+v, want refused naming them", r)
	}
	callJSON(t, conn, `SELECT pmoves_core.registry_delete_model($1, true)`, &r, m1)
	if !r.Deleted {
		t.Fatalf("cascade delete = %+v", r)
	}
	var left string
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM pmoves_core.models WHERE id = $1) || ' ' ||
		(SELECT string_agg(variant_name || ':' || coalesce(fallback_model_id::text, '-'), ',') FROM pmoves_core.service_model_mappings) || ' ' ||
		(SELECT count(*) FROM pmoves_core.model_aliases)`, m1).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != "0 b:- 0" {
		t.Errorf("after the cascade: %s, want the model, its mapping and alias gone, the fallback cleared", left)
	}
	callJSON(t, conn, `SELECT pmoves_core.registry_delete_model($1)`, &r, m1)
	if r.Found {
		t.Errorf("a second delete found the model: %+v", r)
	}
	callJSON(t, conn, `SELECT pmoves_core.registry_delete_provider($1, true)`, &r, "00000000-0000-0000-0000-000000000001")
	if !r.Deleted || !cmp.Equal(r.Models, []string{"inactive"}) {
		t.Errorf("provider cascade = %+v", r)
	}
	if err := conn.QueryRow(ctx, `SELECT count(*)::text FROM pmoves_core.models WHERE provider_id = '00000000-0000-0000-0000-000000000001'`).Scan(&left); err != nil || left != "0" {
		t.Errorf("models of the deleted provider: %s (%v)", left, err)
	}
}

// TestFunctionsAreForServiceRoleOnly: anon and authenticated may not call
// them.
func TestFunctionsAreForServiceRoleOnly(t *testing.T) {
	t.Parallel()
	conn := dbtest.Connect(t, dbtest.New(t, dbtest.TemplateEmpty))
	for _, role := range []string{"anon", "authenticated"} {
		for _, call := range []string{
			`SELECT pmoves_core.registry_delete_model('` + m1 + `')`,
			`SELECT pmoves_core.registry_delete_provider('` + m1 + `', true)`,
			`SELECT pmoves_core.registry_record_deployments('[]')`,
			`SELECT pmoves_core.registry_catalog_version()`,
		} {
			err := asRole(t, conn, role, func(tx pgx.Tx) error {
				_, err := tx.Exec(context.Background(), call)
				return err
			})
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
				t.Errorf("%s: %s: %v, want permission denied", role, call, err)
			}
		}
	}
}

// TestInterruptedCascadeChangesNothing: an error after the mappings are
// deleted (a trigger refuses the model's delete) rolls the whole call back.
func TestInterruptedCascadeChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := dbtest.Connect(t, dbtest.New(t, dbtest.TemplateEmpty))
	if _, err := conn.Exec(ctx, fixture+`
INSERT INTO pmoves_core.service_model_mappings (service_name, function_name, variant_name, model_id)
VALUES ('svc', 'chat', 'a', '`+m1+`');
CREATE FUNCTION pmoves_core.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'refused by a test trigger'; END $$;
CREATE TRIGGER refuse BEFORE DELETE ON pmoves_core.models FOR EACH ROW EXECUTE FUNCTION pmoves_core.refuse();`); err != nil {
		t.Fatal(err)
	}
	err := asRole(t, conn, "service_role", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `SELECT pmoves_core.registry_delete_model($1, true)`, m1)
		return err
	})
	if err == nil {
		t.Fatal("the cascade went through the refusing trigger")
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pmoves_core.service_model_mappings WHERE model_id = $1`, m1).Scan(&n); err != nil || n != 1 {
		t.Errorf("mappings after the failed cascade: %d (%v), want 1", n, err)
	}
}

// TestDeleteAndConcurrentMappingNeverBothWin: a mapping created while its
// model is deleted (without cascade) either makes the delete refuse or
// fails itself; never are both successful, which would lose the mapping.
func TestDeleteAndConcurrentMappingNeverBothWin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.New(t, dbtest.TemplateEmpty)
	setup := dbtest.Connect(t, url)
	if _, err := setup.Exec(ctx, `INSERT INTO pmoves_core.model_providers (id, name, type) VALUES ('00000000-0000-0000-0000-000000000001', 'p', 'ollama')`); err != nil {
		t.Fatal(err)
	}
	a, b := dbtest.Connect(t, url), dbtest.Connect(t, url)
	for i := range 40 {
		var id string
		if err := setup.QueryRow(ctx, `INSERT INTO pmoves_core.models (provider_id, name, model_id, model_type)
			VALUES ('00000000-0000-0000-0000-000000000001', 'm', $1, 'chat') RETURNING id`, fmt.Sprint("m", i)).Scan(&id); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var deleted bool
		var mapErr, delErr error
		wg.Go(func() {
			var r deleteResult
			var raw []byte
			delErr = asRole(t, a, "service_role", func(tx pgx.Tx) error {
				return tx.QueryRow(ctx, `SELECT pmoves_core.registry_delete_model($1)`, id).Scan(&raw)
			})
			if delErr == nil {
				delErr = json.Unmarshal(raw, &r)
				deleted = r.Deleted
			}
		})
		wg.Go(func() {
			mapErr = asRole(t, b, "service_role", func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO pmoves_core.service_model_mappings (service_name, function_name, variant_name, model_id)
					VALUES ('s', 'f', $2, $1)`, id, fmt.Sprint("v", i))
				return err
			})
		})
		wg.Wait()
		if delErr != nil {
			t.Fatalf("round %d: delete: %v", i, delErr)
		}
		if deleted && mapErr == nil {
			t.Fatalf("round %d: the model was deleted and the mapping created: the mapping is lost", i)
		}
		if !deleted && mapErr != nil {
			t.Fatalf("round %d: the delete refused, yet the mapping failed: %v", i, mapErr)
		}
	}
}

type recorded struct {
	Applied    bool   `json:"applied"`
	Error      string `json:"error"`
	Message    string `json:"message"`
	Deployment struct {
		ID         string  `json:"id"`
		NodeID     string  `json:"node_id"`
		Status     string  `json:"status"`
		VRAM       *int    `json:"vram_allocated_mb"`
		LoadedAt   *string `json:"loaded_at"`
		LastSeenAt string  `json:"last_seen_at"`
	} `json:"deployment"`
}

// TestRecordDeploymentsInOneCall: a batch resolves models, upserts pairs in
// order, keeps the newer state of an out-of-order pair, and fails only the
// events at fault.
func TestRecordDeploymentsInOneCall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := dbtest.Connect(t, dbtest.New(t, dbtest.TemplateEmpty))
	if _, err := conn.Exec(ctx, fixture+`
INSERT INTO pmoves_core.model_providers (id, name, type) VALUES ('00000000-0000-0000-0000-000000000003', 'edge', 'ollama');
INSERT INTO pmoves_core.models (provider_id, name, model_id, model_type) VALUES ('00000000-0000-0000-0000-000000000003', 'visible', 'm1', 'chat');`); err != nil {
		t.Fatal(err)
	}
	batch := `[
	 {"provider_type":"ollama","provider_model_id":"m2","node_id":"n1","runtime":"ollama","status":"loaded","vram_allocated_mb":900,"observed_at":"2026-01-01T10:00:00Z"},
	 {"model_id":"` + m1 + `","node_id":"n1","runtime":"ollama","status":"loaded","vram_allocated_mb":5000,"observed_at":"2026-01-01T10:00:05Z"},
	 {"model_id":"` + m1 + `","node_id":"n1","runtime":"ollama","status":"unloaded","observed_at":"2026-01-01T10:00:02Z"},
	 {"provider_type":"ollama","provider_model_id":"m1","node_id":"n2","runtime":"ollama"},
	 {"provider_type":"ollama","provider_model_id":"nope","node_id":"n1","runtime":"ollama"},
	 {"model_id":"00000000-0000-0000-0000-0000000000ff","node_id":"n1","runtime":"ollama"},
	 {"model_id":"` + m1 + `","node_id":"n1","runtime":"docker"},
	 {"model_id":"` + m1 + `","node_id":"n3","runtime":"ollama","status":"loaded","observed_at":"2026-01-01T10:00:00Z"},
	 {"model_id":"` + m1 + `","node_id":"n3","runtime":"ollama","status":"error","error_message":"OOM","observed_at":"2026-01-01T10:00:09Z"}
	]`
	var got []recorded
	callJSON(t, conn, `SELECT pmoves_core.registry_record_deployments($1::jsonb)`, &got, batch)
	if len(got) != 9 {
		t.Fatalf("%d results for 9 events: %+v", len(got), got)
	}
	check := func(i int, applied bool, errCode, status string) {
		t.Helper()
		g := got[i]
		if g.Applied != applied || g.Error != errCode || errCode == "" && g.Deployment.Status != status {
			t.Errorf("event %d = %+v, want applied %v, error %q, status %q", i, g, applied, errCode, status)
		}
	}
	check(0, true, "", "loaded")     // m2 resolves (one model of an ollama provider)
	check(1, true, "", "loaded")     // a new pair
	check(2, false, "", "loaded")    // older than the state it would replace: left alone
	check(3, false, "conflict", "")  // m1 is offered by two ollama providers, both active
	check(4, false, "not_found", "") // unknown provider id
	check(5, false, "not_found", "") // unknown UUID
	check(6, false, "invalid", "")   // not a runtime
	check(7, true, "", "loaded")     // n3, loaded...
	check(8, true, "", "error")      // ...then failed, later
	if got[2].Deployment.VRAM == nil || *got[2].Deployment.VRAM != 5000 || got[2].Deployment.LastSeenAt != "2026-01-01T10:00:05+00:00" {
		t.Errorf("the pair after the stale event: %+v", got[2].Deployment)
	}
	if got[8].Deployment.LoadedAt == nil || *got[8].Deployment.LoadedAt != "2026-01-01T10:00:00+00:00" {
		t.Errorf("an error keeps the last load time: %+v", got[8].Deployment)
	}
	// The same batch again (a redelivery) ends in the same state: the stale
	// event is still left alone.
	callJSON(t, conn, `SELECT pmoves_core.registry_record_deployments($1::jsonb)`, &got, batch)
	if got[2].Applied || got[2].Deployment.Status != "loaded" || got[8].Deployment.Status != "error" {
		t.Errorf("a redelivered batch: %+v", got)
	}
}

// TestCatalogVersionFollowsEveryChange: the version changes on an insert,
// an update and a delete of what the configuration is rendered from, and
// only then.
func TestCatalogVersionFollowsEveryChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := dbtest.Connect(t, dbtest.New(t, dbtest.TemplateSeeded))
	version := func() string {
		t.Helper()
		var v string
		if err := asRole(t, conn, "service_role", func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, `SELECT pmoves_core.registry_catalog_version()`).Scan(&v)
		}); err != nil {
			t.Fatal(err)
		}
		return v
	}
	seen := map[string]string{}
	last := version()
	if again := version(); again != last {
		t.Fatalf("unchanged catalogue, two versions: %s %s", last, again)
	}
	for _, change := range []string{
		`UPDATE pmoves_core.models SET description = 'x' WHERE name = 'qwen3_8b'`,
		`INSERT INTO pmoves_core.tensorzero_passthrough (key, value) VALUES ('section:gateway', '{}')`,
		`UPDATE pmoves_core.service_model_mappings SET weight = weight WHERE variant_name = 'local_qwen14b'`,
		`DELETE FROM pmoves_core.model_aliases WHERE alias = 'fast' AND context IS NULL`,
		`UPDATE pmoves_core.model_providers SET active = false WHERE name = 'groq'`,
	} {
		if _, err := conn.Exec(ctx, change); err != nil {
			t.Fatal(err)
		}
		v := version()
		if v == last || seen[v] != "" {
			t.Errorf("%s: version %s did not change (or came back from %q)", change, v, seen[v])
		}
		seen[v], last = change, v
	}
}
