package devstack_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pmoves/model-registry/devstack"
	"github.com/pmoves/model-registry/devstack/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// schemaShape describes everything the migrations create, as sorted text.
func schemaShape(t *testing.T, conn *pgx.Conn) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `
SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
  FROM information_schema.columns WHERE table_schema = 'pmoves_core'
UNION ALL
SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'pmoves_core'::regnamespace
UNION ALL
SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'pmoves_core'
UNION ALL
SELECT 'policy ' || tablename || ' ' || policyname || ' ' || cmd || ' ' || array_to_string(roles, ',')
  FROM pg_policies WHERE schemaname = 'pmoves_core'
UNION ALL
SELECT 'view ' || viewname || ' ' || definition FROM pg_views WHERE schemaname = 'pmoves_core'
UNION ALL
SELECT 'trigger ' || tgrelid::regclass || ' ' || tgname FROM pg_trigger
 WHERE NOT tgisinternal AND tgrelid::regclass::text LIKE 'pmoves_core.%'
UNION ALL
SELECT 'grant ' || table_name || ' ' || grantee || ' ' || privilege_type
  FROM information_schema.role_table_grants WHERE table_schema = 'pmoves_core'
ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	shape, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return shape
}

func TestMigrationsAreIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := dbtest.Connect(t, dbtest.New(t, dbtest.TemplateSeeded))
	before := schemaShape(t, conn)
	var rowsBefore, stampBefore string
	snapshot := `SELECT (SELECT count(*) FROM pmoves_core.models)::text || '/' || (SELECT count(*) FROM pmoves_core.service_model_mappings)::text,
	                    (SELECT max(updated_at)::text FROM pmoves_core.models)`
	if err := conn.QueryRow(ctx, snapshot).Scan(&rowsBefore, &stampBefore); err != nil {
		t.Fatal(err)
	}
	if err := devstack.Migrate(ctx, conn, dbtest.SQLDir()); err != nil {
		t.Fatalf("second run: %v", err)
	}
	if err := devstack.Seed(ctx, conn, dbtest.SQLDir()); err != nil {
		t.Fatalf("second seed: %v", err)
	}
	if diff := cmp.Diff(before, schemaShape(t, conn)); diff != "" {
		t.Errorf("second run changed the schema (-before +after):\n%s", diff)
	}
	var rowsAfter, stampAfter string
	if err := conn.QueryRow(ctx, snapshot).Scan(&rowsAfter, &stampAfter); err != nil {
		t.Fatal(err)
	}
	if rowsAfter != rowsBefore || stampAfter != stampBefore {
		t.Errorf("second run changed data: rows %s -> %s, max(updated_at) %s -> %s", rowsBefore, rowsAfter, stampBefore, stampAfter)
	}
}

func TestSeedIsARealisticCatalogue(t *testing.T) {
	t.Parallel()
	conn := dbtest.Connect(t, dbtest.New(t, dbtest.TemplateSeeded))
	count := func(q string) int {
		t.Helper()
		var n int
		if err := conn.QueryRow(context.Background(), q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	checks := []struct {
		what  string
		query string
		min   int
	}{
		{"providers", `SELECT count(*) FROM pmoves_core.model_providers`, 12},
		{"provider types", `SELECT count(DISTINCT type) FROM pmoves_core.model_providers`, 5},
		{"models", `SELECT count(*) FROM pmoves_core.models`, 50},
		{"model types", `SELECT count(DISTINCT model_type) FROM pmoves_core.models`, 7},
		{"aliases", `SELECT count(*) FROM pmoves_core.model_aliases`, 10},
		{"mappings", `SELECT count(*) FROM pmoves_core.service_model_mappings`, 40},
		{"mappings with a fallback", `SELECT count(*) FROM pmoves_core.service_model_mappings WHERE fallback_model_id IS NOT NULL`, 1},
		{"priorities", `SELECT count(DISTINCT priority) FROM pmoves_core.service_model_mappings`, 2},
		{"weights", `SELECT count(DISTINCT weight) FROM pmoves_core.service_model_mappings`, 2},
	}
	for _, c := range checks {
		if got := count(c.query); got < c.min {
			t.Errorf("seed has %d %s, want at least %d", got, c.what, c.min)
		}
	}
	if n := count(`SELECT count(*) FROM pmoves_core.model_providers WHERE api_key_env_var !~ '^[A-Z_][A-Z0-9_]*$'`); n != 0 {
		t.Errorf("%d providers carry something other than an env var name in api_key_env_var", n)
	}
}

// legacyShape is the older schema of the same tables: no updated_at,
// last_seen_at or params, no unique key on (model_id, node_id).
const legacyShape = `
CREATE SCHEMA pmoves_core;
CREATE TABLE pmoves_core.model_providers (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text NOT NULL UNIQUE,
  type text NOT NULL, api_base text, api_key_env_var text, description text, metadata jsonb DEFAULT '{}',
  active boolean DEFAULT true, created_at timestamptz DEFAULT now());
CREATE TABLE pmoves_core.models (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  provider_id uuid REFERENCES pmoves_core.model_providers(id), name text NOT NULL, model_id text NOT NULL,
  model_type text NOT NULL, capabilities jsonb DEFAULT '[]', vram_mb int, context_length int, description text,
  metadata jsonb DEFAULT '{}', active boolean DEFAULT true, created_at timestamptz DEFAULT now(),
  UNIQUE (provider_id, model_id));
CREATE TABLE pmoves_core.model_aliases (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  model_id uuid REFERENCES pmoves_core.models(id) ON DELETE CASCADE, alias text NOT NULL, context text,
  created_at timestamptz DEFAULT now());
CREATE TABLE pmoves_core.service_model_mappings (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_name text NOT NULL, function_name text NOT NULL, variant_name text NOT NULL,
  model_id uuid REFERENCES pmoves_core.models(id), priority int DEFAULT 1, weight numeric DEFAULT 1,
  fallback_model_id uuid REFERENCES pmoves_core.models(id), created_at timestamptz DEFAULT now(),
  UNIQUE (service_name, function_name, variant_name));
CREATE TABLE pmoves_core.model_deployments (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  model_id uuid REFERENCES pmoves_core.models(id) ON DELETE CASCADE, node_id text NOT NULL,
  provider_type text NOT NULL, status text DEFAULT 'loading', vram_allocated_mb int, loaded_at timestamptz,
  last_used_at timestamptz, error_message text, created_at timestamptz DEFAULT now());

INSERT INTO pmoves_core.model_providers (id, name, type, api_base) VALUES
  ('00000000-0000-0000-0000-000000000001', 'ollama_local', 'ollama', 'http://pmoves-ollama:11434');
INSERT INTO pmoves_core.models (id, provider_id, name, model_id, model_type) VALUES
  ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-000000000001', 'qwen3_8b', 'qwen3:8b', 'chat'),
  ('00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-000000000001', 'nomic', 'nomic-embed-text', 'embedding');
INSERT INTO pmoves_core.service_model_mappings (service_name, function_name, variant_name, model_id) VALUES
  ('agent-zero', 'chat', 'primary', '00000000-0000-0000-0000-0000000000a1');
-- Three rows for one (model, node), the newest last; one row elsewhere.
INSERT INTO pmoves_core.model_deployments (id, model_id, node_id, provider_type, status, vram_allocated_mb, loaded_at, created_at) VALUES
  ('00000000-0000-0000-0000-0000000000d1', '00000000-0000-0000-0000-0000000000a1', 'gpu-1', 'ollama', 'loaded', 9000, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
  ('00000000-0000-0000-0000-0000000000d2', '00000000-0000-0000-0000-0000000000a1', 'gpu-1', 'ollama', 'unloaded', NULL, NULL, '2026-01-02T00:00:00Z'),
  ('00000000-0000-0000-0000-0000000000d3', '00000000-0000-0000-0000-0000000000a1', 'gpu-1', 'ollama', 'loaded', NULL, NULL, '2026-01-03T00:00:00Z'),
  ('00000000-0000-0000-0000-0000000000d4', '00000000-0000-0000-0000-0000000000a2', 'gpu-1', 'ollama', 'loaded', 600, NULL, '2026-01-01T00:00:00Z');
`

func TestMigrationsUpgradeTheLegacyShape(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := dbtest.Connect(t, dbtest.New(t, "template1"))
	if _, err := conn.Exec(ctx, legacyShape); err != nil {
		t.Fatal(err)
	}
	if err := devstack.Migrate(ctx, conn, dbtest.SQLDir()); err != nil {
		t.Fatalf("migrate legacy database: %v", err)
	}
	var providers, models, mappings int
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM pmoves_core.model_providers),
		(SELECT count(*) FROM pmoves_core.models), (SELECT count(*) FROM pmoves_core.service_model_mappings)`).
		Scan(&providers, &models, &mappings); err != nil {
		t.Fatal(err)
	}
	if providers != 1 || models != 2 || mappings != 1 {
		t.Errorf("rows after upgrade: providers %d models %d mappings %d, want 1 2 1", providers, models, mappings)
	}
	rows, err := conn.Query(ctx, `SELECT id::text, status, coalesce(vram_allocated_mb, -1), loaded_at IS NOT NULL
		FROM pmoves_core.model_deployments ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	type dep struct {
		ID     string
		Status string
		VRAM   int
		Loaded bool
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[dep])
	if err != nil {
		t.Fatal(err)
	}
	want := []dep{
		// The newest registration stays as it was.
		{"00000000-0000-0000-0000-0000000000d3", "loaded", -1, false},
		{"00000000-0000-0000-0000-0000000000d4", "loaded", 600, false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deployments after upgrade (-want +got):\n%s", diff)
	}
	// The older duplicates are in the archive, whole.
	rows, err = conn.Query(ctx, `SELECT table_name || ' ' || (row->>'id') || ' ' || (row->>'status') || ' ' || coalesce(row->>'vram_allocated_mb', '-')
		FROM pmoves_core.registry_upgrade_archive ORDER BY row->>'id'`)
	if err != nil {
		t.Fatal(err)
	}
	archived, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{
		"model_deployments 00000000-0000-0000-0000-0000000000d1 loaded 9000",
		"model_deployments 00000000-0000-0000-0000-0000000000d2 unloaded -",
	}, archived); diff != "" {
		t.Errorf("archive after upgrade (-want +got):\n%s", diff)
	}
	// The new columns exist and the new unique key holds.
	if _, err := conn.Exec(ctx, `SELECT updated_at, last_seen_at FROM pmoves_core.model_deployments;
		SELECT params FROM pmoves_core.service_model_mappings`); err != nil {
		t.Errorf("new columns missing: %v", err)
	}
	_, err = conn.Exec(ctx, `INSERT INTO pmoves_core.model_deployments (model_id, node_id, provider_type)
		VALUES ('00000000-0000-0000-0000-0000000000a1', 'gpu-1', 'ollama')`)
	wantSQLState(t, err, "23505")
	// And the upgraded database matches a fresh one, but for the delete
	// rules of its foreign keys, which an upgrade never changes.
	fresh := dbtest.Connect(t, dbtest.New(t, dbtest.TemplateEmpty))
	for _, d := range setDiff(schemaShape(t, fresh), schemaShape(t, conn)) {
		if !strings.Contains(d, "FOREIGN KEY") {
			t.Errorf("upgraded schema differs from a fresh one: %s", d)
		}
	}
}

func wantSQLState(t *testing.T, err error, code string) {
	t.Helper()
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		t.Fatalf("got error %v, want SQLSTATE %s", err, code)
	}
	if pgErr.Code != code {
		t.Fatalf("got SQLSTATE %s (%s), want %s", pgErr.Code, pgErr.Message, code)
	}
}

const fixture = `
INSERT INTO pmoves_core.model_providers (id, name, type, active) VALUES
  ('00000000-0000-0000-0000-000000000001', 'on', 'ollama', true),
  ('00000000-0000-0000-0000-000000000002', 'off', 'vllm', false);
INSERT INTO pmoves_core.models (id, provider_id, name, model_id, model_type, active) VALUES
  ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-000000000001', 'visible', 'm1', 'chat', true),
  ('00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-000000000001', 'inactive', 'm2', 'chat', false),
  ('00000000-0000-0000-0000-0000000000a3', '00000000-0000-0000-0000-000000000002', 'provider_off', 'm3', 'chat', true);
`

func TestConstraintsRejectBadRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := dbtest.Connect(t, dbtest.New(t, dbtest.TemplateEmpty))
	if _, err := conn.Exec(ctx, fixture); err != nil {
		t.Fatal(err)
	}
	const m1 = `'00000000-0000-0000-0000-0000000000a1'`
	cases := []struct {
		name, sql, code string
	}{
		{"provider type", `INSERT INTO pmoves_core.model_providers (name, type) VALUES ('x', 'gpt')`, "23514"},
		{"provider name unique", `INSERT INTO pmoves_core.model_providers (name, type) VALUES ('on', 'ollama')`, "23505"},
		{"model type", `INSERT INTO pmoves_core.models (provider_id, name, model_id, model_type) VALUES ('00000000-0000-0000-0000-000000000001', 'x', 'x', 'llm')`, "23514"},
		{"model per provider unique", `INSERT INTO pmoves_core.models (provider_id, name, model_id, model_type) VALUES ('00000000-0000-0000-0000-000000000001', 'other', 'm1', 'chat')`, "23505"},
		{"capabilities array", `INSERT INTO pmoves_core.models (provider_id, name, model_id, model_type, capabilities) VALUES ('00000000-0000-0000-0000-000000000001', 'x', 'x', 'chat', '{}')`, "23514"},
		{"negative vram", `INSERT INTO pmoves_core.models (provider_id, name, model_id, model_type, vram_mb) VALUES ('00000000-0000-0000-0000-000000000001', 'x', 'x', 'chat', -1)`, "23514"},
		{"unknown provider", `INSERT INTO pmoves_core.models (provider_id, name, model_id, model_type) VALUES ('00000000-0000-0000-0000-0000000000ff', 'x', 'x', 'chat')`, "23503"},
		{"weight range", `INSERT INTO pmoves_core.service_model_mappings (service_name, function_name, variant_name, model_id, weight) VALUES ('s', 'f', 'v', ` + m1 + `, 1001)`, "23514"},
		{"mapping key unique", `INSERT INTO pmoves_core.service_model_mappings (service_name, function_name, variant_name, model_id) VALUES ('s', 'f', 'v', ` + m1 + `), ('s', 'f', 'v', ` + m1 + `)`, "23505"},
		{"alias unique without context", `INSERT INTO pmoves_core.model_aliases (model_id, alias) VALUES (` + m1 + `, 'fast'), (` + m1 + `, 'fast')`, "23505"},
		{"deployment status", `INSERT INTO pmoves_core.model_deployments (model_id, node_id, provider_type, status) VALUES (` + m1 + `, 'n', 'ollama', 'running')`, "23514"},
		{"deployment runtime", `INSERT INTO pmoves_core.model_deployments (model_id, node_id, provider_type) VALUES (` + m1 + `, 'n', 'docker')`, "23514"},
		{"deployment unique", `INSERT INTO pmoves_core.model_deployments (model_id, node_id, provider_type) VALUES (` + m1 + `, 'n', 'ollama'), (` + m1 + `, 'n', 'ollama')`, "23505"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := conn.Exec(ctx, "BEGIN; "+c.sql+"; COMMIT")
			wantSQLState(t, err, c.code)
			conn.Exec(ctx, "ROLLBACK")
		})
	}
	// The platform's delete rules hold: a model's mappings go with it (the
	// API refuses such a delete with 409 unless asked to cascade).
	var left int
	if err := conn.QueryRow(ctx, `WITH m AS (INSERT INTO pmoves_core.models (provider_id, name, model_id, model_type)
		VALUES ('00000000-0000-0000-0000-000000000001', 'doomed', 'doomed', 'chat') RETURNING id),
		s AS (INSERT INTO pmoves_core.service_model_mappings (service_name, function_name, variant_name, model_id)
		SELECT 's', 'g', 'v', id FROM m RETURNING model_id) SELECT count(*) FROM s`).Scan(&left); err != nil || left != 1 {
		t.Fatalf("insert model and mapping: %v", err)
	}
	if err := conn.QueryRow(ctx, `WITH d AS (DELETE FROM pmoves_core.models WHERE name = 'doomed' RETURNING id)
		SELECT count(*) FROM d`).Scan(&left); err != nil || left != 1 {
		t.Fatalf("delete model in use: %v (deleted %d)", err, left)
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pmoves_core.service_model_mappings WHERE service_name = 's'`).Scan(&left); err != nil || left != 0 {
		t.Errorf("mappings of a deleted model: %d (%v), want them gone with it", left, err)
	}
	// The same alias in two contexts is fine.
	if _, err := conn.Exec(ctx, `INSERT INTO pmoves_core.model_aliases (model_id, alias, context) VALUES
		(`+m1+`, 'fast', 'ui'), (`+m1+`, 'fast', 'agents'), (`+m1+`, 'fast', NULL)`); err != nil {
		t.Errorf("one alias in distinct contexts: %v", err)
	}
}

// TestLastSeenOnlyMovesForward: an update that would move last_seen_at of a
// deployment back (a heartbeat and an event's update landing out of order)
// keeps the later time, and changes the rest.
func TestLastSeenOnlyMovesForward(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := dbtest.Connect(t, dbtest.New(t, dbtest.TemplateEmpty))
	if _, err := conn.Exec(ctx, fixture); err != nil {
		t.Fatal(err)
	}
	const m1 = `'00000000-0000-0000-0000-0000000000a1'`
	steps := []struct{ set, want string }{
		{`last_seen_at = '2026-01-01T10:00:00Z'`, "2026-01-01T10:00:00Z"},
		{`last_seen_at = '2026-01-01T09:00:00Z', status = 'unloaded'`, "2026-01-01T10:00:00Z"},
		{`last_seen_at = NULL`, "2026-01-01T10:00:00Z"},
		{`last_seen_at = '2026-01-01T11:00:00Z'`, "2026-01-01T11:00:00Z"},
	}
	if _, err := conn.Exec(ctx, `INSERT INTO pmoves_core.model_deployments (model_id, node_id, provider_type)
		VALUES (`+m1+`, 'n', 'ollama')`); err != nil {
		t.Fatal(err)
	}
	for _, st := range steps {
		var seen time.Time
		var status string
		if err := conn.QueryRow(ctx, `UPDATE pmoves_core.model_deployments SET `+st.set+`
			WHERE model_id = `+m1+` RETURNING last_seen_at, status`).Scan(&seen, &status); err != nil {
			t.Fatal(err)
		}
		if got := seen.UTC().Format(time.RFC3339); got != st.want {
			t.Errorf("after SET %s: last_seen_at %s, want %s", st.set, got, st.want)
		}
		if strings.Contains(st.set, "status") && status != "unloaded" {
			t.Errorf("after SET %s: status %s", st.set, status)
		}
	}
}

func TestRolesAndRowLevelSecurity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := dbtest.Connect(t, dbtest.New(t, dbtest.TemplateEmpty))
	if _, err := conn.Exec(ctx, fixture); err != nil {
		t.Fatal(err)
	}
	reads := []string{"model_providers", "models", "model_aliases", "service_model_mappings", "model_deployments",
		"v_models", "v_mappings", "v_deployments", "v_active_models", "v_service_models", "v_active_deployments",
		"tensorzero_passthrough"}
	writes := []string{
		`INSERT INTO pmoves_core.model_providers (name, type) VALUES ('new', 'ollama')`,
		`UPDATE pmoves_core.models SET active = false`,
		`DELETE FROM pmoves_core.models`,
		`INSERT INTO pmoves_core.model_aliases (model_id, alias) VALUES ('00000000-0000-0000-0000-0000000000a1', 'a')`,
		`INSERT INTO pmoves_core.service_model_mappings (service_name, function_name, variant_name, model_id) VALUES ('s', 'f', 'v', '00000000-0000-0000-0000-0000000000a1')`,
		`INSERT INTO pmoves_core.model_deployments (model_id, node_id, provider_type) VALUES ('00000000-0000-0000-0000-0000000000a1', 'n', 'ollama')`,
		`INSERT INTO pmoves_core.tensorzero_passthrough (key, value) VALUES ('section:gateway', '{}')`,
	}
	as := func(role, sql string) error {
		_, err := conn.Exec(ctx, "BEGIN; SET LOCAL ROLE "+role+"; "+sql+"; ROLLBACK")
		if err != nil {
			conn.Exec(ctx, "ROLLBACK")
		}
		return err
	}
	for _, role := range []string{"anon", "authenticated", "service_role"} {
		for _, rel := range reads {
			if err := as(role, "SELECT count(*) FROM pmoves_core."+rel); err != nil {
				t.Errorf("%s cannot read %s: %v", role, rel, err)
			}
		}
		for _, w := range writes {
			err := as(role, w)
			if role == "service_role" {
				if err != nil {
					t.Errorf("service_role: %s: %v", w, err)
				}
				continue
			}
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
				t.Errorf("%s: %s: got %v, want permission denied (42501)", role, w, err)
			}
		}
	}
	// anon reads rows through RLS, not just an empty table.
	var n int
	if _, err := conn.Exec(ctx, "BEGIN; SET LOCAL ROLE anon"); err != nil {
		t.Fatal(err)
	}
	err := conn.QueryRow(ctx, "SELECT count(*) FROM pmoves_core.models").Scan(&n)
	conn.Exec(ctx, "ROLLBACK")
	if err != nil || n != 3 {
		t.Errorf("anon sees %d models (%v), want 3", n, err)
	}
}

func TestViews(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := dbtest.Connect(t, dbtest.New(t, dbtest.TemplateEmpty))
	if _, err := conn.Exec(ctx, fixture+`
INSERT INTO pmoves_core.model_aliases (model_id, alias) VALUES ('00000000-0000-0000-0000-0000000000a1', 'zeta'), ('00000000-0000-0000-0000-0000000000a1', 'alpha');
INSERT INTO pmoves_core.service_model_mappings (service_name, function_name, variant_name, model_id, priority) VALUES
  ('b-svc', 'f', 'late', '00000000-0000-0000-0000-0000000000a1', 3),
  ('b-svc', 'f', 'early', '00000000-0000-0000-0000-0000000000a1', 1),
  ('a-svc', 'z', 'only', '00000000-0000-0000-0000-0000000000a1', 9),
  ('a-svc', 'a', 'second', '00000000-0000-0000-0000-0000000000a1', 2),
  ('a-svc', 'a', 'first', '00000000-0000-0000-0000-0000000000a1', 1),
  ('a-svc', 'a', 'hidden', '00000000-0000-0000-0000-0000000000a2', 0);
INSERT INTO pmoves_core.model_deployments (model_id, node_id, provider_type, status) VALUES
  ('00000000-0000-0000-0000-0000000000a1', 'n1', 'ollama', 'loaded'),
  ('00000000-0000-0000-0000-0000000000a1', 'n2', 'ollama', 'loading'),
  ('00000000-0000-0000-0000-0000000000a1', 'n3', 'ollama', 'unloaded'),
  ('00000000-0000-0000-0000-0000000000a2', 'n1', 'ollama', 'error');`); err != nil {
		t.Fatal(err)
	}
	query := func(sql string) string {
		t.Helper()
		rows, err := conn.Query(ctx, sql)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(got, " ")
	}
	// The registry's own views.
	if got := query(`SELECT name || ':' || active || provider_active FROM pmoves_core.v_models ORDER BY name`); got != `inactive:falsetrue provider_off:truefalse visible:truetrue` {
		t.Errorf("v_models = %s, want every model with its own and its provider's flag", got)
	}
	if got := query(`SELECT service_name || '/' || function_name || '/' || variant_name FROM pmoves_core.v_mappings`); got != "a-svc/a/first a-svc/a/second a-svc/z/only b-svc/f/early b-svc/f/late" {
		t.Errorf("v_mappings order = %s", got)
	}
	if got := query(`SELECT node_id || ':' || status || ':' || model_name FROM pmoves_core.v_deployments WHERE status IN ('loading', 'loaded') ORDER BY node_id`); got != "n1:loaded:visible n2:loading:visible" {
		t.Errorf("v_deployments = %s", got)
	}
	// The platform's views, with the platform's meaning.
	if got := query(`SELECT name || ':' || model_id || ':' || aliases::text FROM pmoves_core.v_active_models ORDER BY name`); got != `visible:m1:[{"alias": "alpha", "context": null}, {"alias": "zeta", "context": null}]` {
		t.Errorf("v_active_models = %s, want the active model with its text id and alias objects", got)
	}
	if got := query(`SELECT service_name || '/' || function_name || '/' || variant_name || '=' || model_id FROM pmoves_core.v_service_models`); got != "a-svc/a/first=m1 a-svc/a/second=m1 a-svc/z/only=m1 b-svc/f/early=m1 b-svc/f/late=m1" {
		t.Errorf("v_service_models = %s, want active mappings best first with the provider's model id", got)
	}
	if got := query(`SELECT node_id || ':' || status || ':' || (models->0->>'model_id') FROM pmoves_core.v_active_deployments ORDER BY node_id`); got != "n1:loaded:m1" {
		t.Errorf("v_active_deployments = %s, want loaded deployments grouped by node", got)
	}
	// updated_at moves on update.
	var moved bool
	if err := conn.QueryRow(ctx, `WITH before AS (SELECT updated_at FROM pmoves_core.models WHERE name = 'visible')
		UPDATE pmoves_core.models SET description = 'x' WHERE name = 'visible'
		RETURNING updated_at > (SELECT updated_at FROM before)`).Scan(&moved); err != nil || !moved {
		// Same transaction as the insert would give equal now(); the fixture ran earlier.
		t.Errorf("updated_at not maintained on update (moved=%v, err=%v)", moved, err)
	}
}

// setDiff lists the lines only one side has.
func setDiff(want, got []string) []string {
	in := func(xs []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range xs {
			m[x] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var out []string
	for _, x := range want {
		if !g[x] {
			out = append(out, "missing: "+x)
		}
	}
	for _, x := range got {
		if !w[x] {
			out = append(out, "extra:   "+x)
		}
	}
	return out
}

// olderActiveDeployments is v_active_deployments as an earlier build of the
// registry defined it (one row per deployment, other columns), with a view
// of someone else's that reads it.
const olderActiveDeployments = `
DROP VIEW pmoves_core.v_active_deployments;
CREATE VIEW pmoves_core.v_active_deployments AS
  SELECT * FROM pmoves_core.v_deployments WHERE status IN ('loading', 'loaded');
CREATE VIEW public.node_status AS SELECT node_id, status FROM pmoves_core.v_active_deployments;
GRANT SELECT ON public.node_status TO anon;
COMMENT ON VIEW public.node_status IS 'what each node runs';
DELETE FROM pmoves_core.registry_schema_migrations WHERE version = '0002_views_and_access.sql';
`

// TestReplacingAViewKeepsItsReaders: when a registry view must change shape
// (CREATE OR REPLACE cannot), the views that read it are saved, and created
// again after it with their grants and comments.
func TestReplacingAViewKeepsItsReaders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := dbtest.Connect(t, dbtest.New(t, dbtest.TemplateSeeded))
	if _, err := conn.Exec(ctx, olderActiveDeployments); err != nil {
		t.Fatal(err)
	}
	if err := devstack.Migrate(ctx, conn, dbtest.SQLDir()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	var cols, reader string
	if err := conn.QueryRow(ctx, `SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute
		WHERE attrelid = 'pmoves_core.v_active_deployments'::regclass AND attnum > 0`).Scan(&cols); err != nil {
		t.Fatal(err)
	}
	if cols != "node_id,provider_type,status,vram_allocated_mb,loaded_at,last_used_at,models" {
		t.Errorf("v_active_deployments columns = %s, want the platform's", cols)
	}
	if err := conn.QueryRow(ctx, `SELECT relacl::text || ' ' || obj_description(oid, 'pg_class') FROM pg_class
		WHERE oid = 'public.node_status'::regclass`).Scan(&reader); err != nil {
		t.Fatalf("the reading view is gone: %v", err)
	}
	if !strings.Contains(reader, "anon=r/") || !strings.HasSuffix(reader, "what each node runs") {
		t.Errorf("public.node_status came back as %s, want its grant to anon and its comment", reader)
	}
}

// TestAViewThatCannotComeBackStopsTheMigration: a reader of a registry view
// that uses a column the new shape lacks cannot be created again; the
// migration fails and leaves everything as it was.
func TestAViewThatCannotComeBackStopsTheMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := dbtest.Connect(t, dbtest.New(t, dbtest.TemplateEmpty))
	if _, err := conn.Exec(ctx, olderActiveDeployments+`
CREATE VIEW public.node_models AS SELECT node_id, model_name FROM pmoves_core.v_active_deployments;`); err != nil {
		t.Fatal(err)
	}
	err := devstack.Migrate(ctx, conn, dbtest.SQLDir())
	if err == nil || !strings.Contains(err.Error(), "0002_views_and_access.sql") || !strings.Contains(err.Error(), "model_name") {
		t.Fatalf("migrate = %v, want it to fail naming the file and the missing column", err)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_attribute WHERE attname = 'model_name'
		AND attrelid IN ('public.node_models'::regclass, 'pmoves_core.v_active_deployments'::regclass)`).Scan(&n); err != nil || n != 2 {
		t.Errorf("after the failed migration: %d views with model_name (%v), want both as they were", n, err)
	}
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pmoves_core.registry_schema_migrations
		WHERE version = '0002_views_and_access.sql'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the failed migration is recorded (%d, %v)", n, err)
	}
}
