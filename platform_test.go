package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/pmoves/model-registry/dbmigrate"
	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/tomlgen"
)

// The platform's real model-registry SQL (../shared/platform/sql, beside the
// repository), in the order its SOURCES.md gives.
var platformFiles = []string{
	"00_supabase_standins.sql",
	"20260115_model_registry.sql",
	"20260522000000_model_fitness_candidates.sql",
	"20260527060000_tighten_model_fitness_rls.sql",
	"20260703000000_model_registry_public_compat.sql",
	"20260703000100_model_registry_service_role_grants.sql",
	"12_model_registry_seed.sql",
}

// platformExtras is what a real platform database holds beyond the files:
// rows the platform allows and the registry's stricter keys do not
// (duplicate deployments, one alias name on two models, NULLs in nullable
// columns), and objects of other components: a table of pmoves_core with its
// own RLS, grants, trigger and a foreign key into the registry, and views in
// another schema that read the registry's view and table, two levels deep.
const platformExtras = `
INSERT INTO pmoves_core.model_deployments (id, model_id, node_id, provider_type, status, vram_allocated_mb, loaded_at, created_at)
SELECT v.id::uuid, m.id, v.node, v.ptype, v.status, v.vram, v.loaded::timestamptz, v.created::timestamptz
  FROM pmoves_core.models m,
       (VALUES ('00000000-0000-4000-8000-0000000000d1', 'gpu-a', 'ollama', 'loaded', 5200, '2026-06-01T10:00:00Z', '2026-06-01T10:00:00Z'),
               ('00000000-0000-4000-8000-0000000000d2', 'gpu-a', 'ollama', 'unloaded', NULL, NULL, '2026-06-02T10:00:00Z'),
               ('00000000-0000-4000-8000-0000000000d3', 'gpu-a', 'ollama', 'loaded', 5100, '2026-06-03T10:00:00Z', '2026-06-03T10:00:00Z'),
               ('00000000-0000-4000-8000-0000000000d4', 'gpu-b', NULL, NULL, NULL, NULL, NULL))
       AS v(id, node, ptype, status, vram, loaded, created)
 WHERE m.model_id = 'qwen3:8b' AND m.provider_id = (SELECT id FROM pmoves_core.model_providers WHERE name = 'ollama_local');

INSERT INTO pmoves_core.model_aliases (model_id, alias, context, created_at)
SELECT id, 'default_embedding', 'tensorzero', '2030-01-01T00:00:00Z' FROM pmoves_core.models
 WHERE model_type = 'embedding' AND id NOT IN (SELECT model_id FROM pmoves_core.model_aliases)
 ORDER BY name LIMIT 1;
INSERT INTO pmoves_core.model_aliases (model_id, alias, context, created_at)
SELECT id, 'registry_chat', NULL, NULL FROM pmoves_core.models WHERE model_id = 'qwen3:8b' ORDER BY name LIMIT 1;

INSERT INTO pmoves_core.model_providers (name, type, metadata, active, created_at, updated_at)
VALUES ('nulls_provider', 'custom', NULL, NULL, NULL, NULL);
INSERT INTO pmoves_core.models (provider_id, name, model_id, model_type, capabilities, vram_mb, metadata, active, created_at)
SELECT id, 'nulls_model', 'nulls:1b', 'chat', NULL, NULL, NULL, NULL, NULL
  FROM pmoves_core.model_providers WHERE name = 'ollama_local';
INSERT INTO pmoves_core.service_model_mappings (service_name, function_name, model_id, variant_name, priority, weight, created_at)
SELECT 'nulls_service', 'chat', id, 'only', NULL, NULL, NULL FROM pmoves_core.models WHERE name = 'nulls_model';

CREATE TABLE pmoves_core.personas (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  default_model uuid REFERENCES pmoves_core.models (id) ON DELETE CASCADE,
  updated_at timestamptz DEFAULT now()
);
ALTER TABLE pmoves_core.personas ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON pmoves_core.personas FROM anon, authenticated;
GRANT SELECT ON pmoves_core.personas TO authenticated;
CREATE POLICY "Personas read" ON pmoves_core.personas FOR SELECT TO authenticated USING (auth.role() = 'authenticated');
CREATE TRIGGER personas_touch BEFORE UPDATE ON pmoves_core.personas
  FOR EACH ROW EXECUTE FUNCTION pmoves_core.update_updated_at_column();
INSERT INTO pmoves_core.personas (name, default_model) SELECT 'archon', id FROM pmoves_core.models WHERE model_id = 'qwen3:8b' LIMIT 1;

CREATE SCHEMA reporting;
GRANT USAGE ON SCHEMA reporting TO anon;
CREATE VIEW reporting.routes AS
  SELECT service_name, variant_name, weight, model_id FROM pmoves_core.v_service_models;
CREATE VIEW reporting.route_weights WITH (security_barrier = true) AS
  SELECT service_name, sum(weight) AS total FROM reporting.routes GROUP BY service_name;
CREATE VIEW reporting.mapping_weights AS SELECT id, weight FROM pmoves_core.service_model_mappings;
GRANT SELECT ON reporting.routes, reporting.route_weights TO anon;
GRANT SELECT ON reporting.mapping_weights TO service_role WITH GRANT OPTION;
GRANT SELECT (weight, service_name) ON reporting.routes TO authenticated;
COMMENT ON VIEW reporting.routes IS 'routing report';
COMMENT ON COLUMN reporting.routes.weight IS 'share of traffic';
`

// registryTables are the platform tables the registry owns.
var registryTables = []string{"model_providers", "models", "model_aliases", "service_model_mappings", "model_deployments"}

// registryRelations is every relation of pmoves_core that the registry owns.
var registryRelations = append([]string{"v_active_models", "v_service_models", "v_active_deployments",
	"v_models", "v_mappings", "v_deployments", "tensorzero_passthrough", "registry_upgrade_archive",
	"registry_schema_migrations"}, registryTables...)

// platformDatabase builds a database from the platform's SQL, plus extras.
func platformDatabase(t *testing.T, extras string) string {
	t.Helper()
	dir := filepath.Join("..", "shared", "platform", "sql")
	url := dbtest.New(t, "template1")
	conn := dbtest.Connect(t, url)
	for _, f := range platformFiles {
		body, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatalf("the platform's SQL is needed beside the repository: %v", err)
		}
		if _, err := conn.Exec(context.Background(), string(body)); err != nil {
			t.Fatalf("platform file %s: %v", f, err)
		}
	}
	if _, err := conn.Exec(context.Background(), extras); err != nil {
		t.Fatalf("platform extras: %v", err)
	}
	return url
}

// lines runs a query of one text column and returns its rows.
func lines(t *testing.T, conn *pgx.Conn, sql string, args ...any) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// foreignObjects describes, from the catalog, what the registry must leave
// as it is: grants, definitions, options, owners, comments and column types
// of every relation it does not own; policies and triggers on them; every
// function but the registry's; and every foreign key of the database with
// its delete rule. Column types are
// compared without their modifier: a view that reads
// service_model_mappings.weight sees numeric where it saw numeric(3,2), the
// one change the registry makes on purpose (README).
func foreignObjects(t *testing.T, conn *pgx.Conn) []string {
	return lines(t, conn, `
WITH foreign_rel AS (
  SELECT c.oid, c.relkind, c.relowner, c.relacl, c.reloptions
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
     AND c.relkind IN ('r', 'v', 'm', 'p')
     AND NOT (n.nspname = 'pmoves_core' AND c.relname = ANY ($1))
)
SELECT 'acl ' || oid::regclass || ' ' || array_to_string(ARRAY(
         SELECT x::text FROM unnest(coalesce(relacl, acldefault('r', relowner))) x ORDER BY 1), ',')
  FROM foreign_rel
UNION ALL
SELECT 'relation ' || oid::regclass || ' owner=' || pg_get_userbyid(relowner) || ' options=' || coalesce(reloptions::text, '')
       || ' comment=' || coalesce(obj_description(oid, 'pg_class'), '')
       || ' columns=' || (SELECT string_agg(a.attname || ':' || a.atttypid::regtype
                                            || coalesce(' "' || col_description(oid, a.attnum) || '"', ''), ',' ORDER BY a.attnum)
                            FROM pg_attribute a WHERE a.attrelid = oid AND a.attnum > 0 AND NOT a.attisdropped)
  FROM foreign_rel
UNION ALL
SELECT 'view ' || oid::regclass || ' ' || pg_get_viewdef(oid) FROM foreign_rel WHERE relkind IN ('v', 'm')
UNION ALL
SELECT 'column acl ' || a.attrelid::regclass || '.' || a.attname || ' ' || a.attacl::text
  FROM pg_attribute a WHERE a.attrelid IN (SELECT oid FROM foreign_rel) AND a.attnum > 0 AND a.attacl IS NOT NULL
UNION ALL
SELECT 'rule ' || r.ev_class::regclass || ' ' || r.rulename || ' ' || pg_get_ruledef(r.oid)
  FROM pg_rewrite r WHERE r.ev_class IN (SELECT oid FROM foreign_rel) AND r.rulename <> '_RETURN' 
UNION ALL
SELECT 'policy ' || p.polrelid::regclass || ' ' || p.polname || ' ' || p.polcmd::text || ' '
       || array_to_string(ARRAY(SELECT r::regrole::text FROM unnest(p.polroles) r ORDER BY 1), ',') || ' '
       || coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')
  FROM pg_policy p WHERE p.polrelid IN (SELECT oid FROM foreign_rel)
UNION ALL
SELECT 'rls ' || oid::regclass || ' ' || c.relrowsecurity || ' ' || c.relforcerowsecurity
  FROM pg_class c WHERE c.oid IN (SELECT oid FROM foreign_rel)
UNION ALL
SELECT 'trigger ' || pg_get_triggerdef(tg.oid) FROM pg_trigger tg
 WHERE NOT tg.tgisinternal AND tg.tgrelid IN (SELECT oid FROM foreign_rel)
UNION ALL
SELECT 'fk ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f'
UNION ALL
SELECT 'function ' || p.oid::regprocedure || ' ' || md5(pg_get_functiondef(p.oid)) || ' owner=' || pg_get_userbyid(p.proowner)
       || ' acl=' || coalesce(p.proacl::text, '')
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_temp%'
   AND p.prokind IN ('f', 'p') AND p.oid::regprocedure::text NOT IN
       ('pmoves_core.set_updated_at()', 'pmoves_core.keep_last_seen_at()')
   AND p.oid::regprocedure::text NOT LIKE 'pmoves\_core.registry\_%'
ORDER BY 1`, registryRelations)
}

// registryShape describes the registry's own objects as the API roles see
// them: columns, constraints, indexes, policies, triggers, views and grants.
func registryShape(t *testing.T, conn *pgx.Conn) []string {
	return lines(t, conn, `
WITH rel AS (
  SELECT c.oid FROM pg_class c
   WHERE c.relnamespace = 'pmoves_core'::regnamespace AND c.relname = ANY ($1)
)
SELECT 'column ' || a.attrelid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || ' notnull=' || a.attnotnull || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
  FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid IN (SELECT oid FROM rel) AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' valid=' || convalidated
  FROM pg_constraint WHERE conrelid IN (SELECT oid FROM rel)
UNION ALL
SELECT 'index ' || pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid IN (SELECT oid FROM rel)
UNION ALL
SELECT 'policy ' || p.polrelid::regclass || ' ' || p.polname || ' ' || p.polcmd::text || ' '
       || array_to_string(ARRAY(SELECT r::regrole::text FROM unnest(p.polroles) r ORDER BY 1), ',') || ' '
       || coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')
  FROM pg_policy p WHERE p.polrelid IN (SELECT oid FROM rel)
UNION ALL
SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN (SELECT oid FROM rel)
UNION ALL
SELECT 'view ' || c.oid::regclass || ' ' || coalesce(c.reloptions::text, '') || ' ' || pg_get_viewdef(c.oid)
  FROM pg_class c WHERE c.oid IN (SELECT oid FROM rel) AND c.relkind = 'v'
UNION ALL
SELECT 'grant ' || table_name || ' ' || grantee || ' ' || privilege_type
  FROM information_schema.role_table_grants
 WHERE table_schema = 'pmoves_core' AND table_name = ANY ($1) AND grantee IN ('anon', 'authenticated', 'service_role')
ORDER BY 1`, registryRelations)
}

// viewColumns lists a view's columns as name:type, in order.
func viewColumns(t *testing.T, conn *pgx.Conn, view string) []string {
	return lines(t, conn, `SELECT a.attname || ':' || ty.typname FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
		WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, view)
}

// rowsByID maps each row's id to the row as JSON.
func rowsByID(t *testing.T, conn *pgx.Conn, table string) map[string]string {
	out := map[string]string{}
	for _, l := range lines(t, conn, fmt.Sprintf(`SELECT id::text || ' ' || to_jsonb(t)::text FROM pmoves_core.%s t`, table)) {
		id, row, _ := strings.Cut(l, " ")
		out[id] = row
	}
	return out
}

// migrateCLI runs `model-registry migrate` and returns what it printed.
func migrateCLI(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), append([]string{"migrate"}, args...), fakeEnv(nil), &out); err != nil {
		t.Fatalf("migrate %v: %v\n%s", args, err, out.String())
	}
	return out.String()
}

// TestMigrateUpgradesThePlatformDatabase upgrades a database built from the
// platform's own SQL and seed, with the rows and objects a real one holds:
// nothing is lost, nothing the registry does not own changes, the platform's
// views keep their columns, and a second run applies nothing.
func TestMigrateUpgradesThePlatformDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := platformDatabase(t, platformExtras)
	conn := dbtest.Connect(t, url)

	names, err := dbmigrate.Migrations(sqlFS())
	if err != nil {
		t.Fatal(err)
	}
	before := map[string]map[string]string{}
	for _, tbl := range registryTables {
		before[tbl] = rowsByID(t, conn, tbl)
	}
	foreignBefore := foreignObjects(t, conn)
	platformViews := map[string][]string{}
	for _, v := range []string{"pmoves_core.v_active_models", "pmoves_core.v_service_models", "pmoves_core.v_active_deployments"} {
		platformViews[v] = viewColumns(t, conn, v)
	}

	// A dry run names every migration and changes nothing.
	out := migrateCLI(t, "--db-url", url, "--dry-run")
	for _, n := range names {
		if !strings.Contains(out, "would apply "+n+"\n") {
			t.Errorf("dry run does not name %s:\n%s", n, out)
		}
	}
	if diff := cmp.Diff(foreignBefore, foreignObjects(t, conn)); diff != "" {
		t.Fatalf("a dry run changed the database (-before +after):\n%s", diff)
	}

	out = migrateCLI(t, "--db-url", url)
	t.Logf("first run on the platform database:\n%s", out)
	for _, n := range names {
		if !strings.Contains(out, "applied "+n+" (") {
			t.Errorf("first run does not say it applied %s:\n%s", n, out)
		}
	}
	if out := migrateCLI(t, "--db-url", url); out != fmt.Sprintf("nothing to apply: %d migrations already applied\n", len(names)) {
		t.Errorf("second run printed %q", out)
	}

	// Every row is kept or archived, and an archived row is whole.
	archived := map[string]map[string]string{}
	for _, l := range lines(t, conn, `SELECT table_name || ' ' || (row->>'id') || ' ' || row::text FROM pmoves_core.registry_upgrade_archive`) {
		tbl, rest, _ := strings.Cut(l, " ")
		id, row, _ := strings.Cut(rest, " ")
		if archived[tbl] == nil {
			archived[tbl] = map[string]string{}
		}
		archived[tbl][id] = row
	}
	for _, tbl := range registryTables {
		after := rowsByID(t, conn, tbl)
		for id, row := range before[tbl] {
			_, kept := after[id]
			old, moved := archived[tbl][id]
			switch {
			case kept && moved:
				t.Errorf("%s %s is both kept and archived", tbl, id)
			case !kept && !moved:
				t.Errorf("%s %s was lost: %s", tbl, id, row)
			case moved && !sameJSON(json.RawMessage(old), json.RawMessage(row)):
				t.Errorf("%s %s archived as %s, was %s", tbl, id, old, row)
			}
		}
		if len(after)+len(archived[tbl]) != len(before[tbl]) {
			t.Errorf("%s: %d rows before, %d kept + %d archived after", tbl, len(before[tbl]), len(after), len(archived[tbl]))
		}
	}
	// Which rows stay is the documented choice: the newest registration of a
	// deployment; the alias of the active model, then the oldest.
	wantArchived := map[string][]string{
		"model_deployments": {"00000000-0000-4000-8000-0000000000d1", "00000000-0000-4000-8000-0000000000d2"},
		"model_aliases":     aliasIDsCreatedIn2030(before["model_aliases"]),
	}
	for tbl, want := range wantArchived {
		var got []string
		for id := range archived[tbl] {
			got = append(got, id)
		}
		sort.Strings(got)
		sort.Strings(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("archived %s (-want +got):\n%s", tbl, diff)
		}
	}

	// Nothing the registry does not own changed: grants, definitions,
	// policies, triggers, and the delete rules of every foreign key.
	if diff := cmp.Diff(foreignBefore, foreignObjects(t, conn)); diff != "" {
		t.Errorf("objects the registry does not own changed (-before +after):\n%s", diff)
	}
	// The platform's views keep their columns in order; new ones come after.
	for v, cols := range platformViews {
		after := viewColumns(t, conn, v)
		if len(after) < len(cols) || !cmp.Equal(cols, after[:len(cols)]) {
			t.Errorf("%s columns: before %v, after %v", v, cols, after)
		}
	}
	// The platform's public views answer as service_role, and as anon.
	for _, role := range []string{"service_role", "anon"} {
		for _, v := range []string{"public.v_active_models", "public.v_active_deployments", "reporting.routes"} {
			if role == "service_role" && v == "reporting.routes" {
				continue
			}
			var n int
			err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, "SET LOCAL ROLE "+role); err != nil {
					return err
				}
				return tx.QueryRow(ctx, "SELECT count(*) FROM "+v).Scan(&n)
			})
			if err != nil || n == 0 {
				t.Errorf("%s reads %s: %d rows, %v", role, v, n, err)
			}
		}
	}
	// NULLs the platform allowed took their documented values.
	if got := lines(t, conn, `SELECT m.active || ' ' || m.metadata || ' ' || m.capabilities || ' ' || s.priority || ' ' || s.weight
		FROM pmoves_core.models m JOIN pmoves_core.service_model_mappings s ON s.model_id = m.id WHERE m.name = 'nulls_model'`); !cmp.Equal(got, []string{"false {} [] 5 1.0"}) {
		t.Errorf("legacy NULLs became %v", got)
	}
	if got := lines(t, conn, `SELECT provider_type || ' ' || status FROM pmoves_core.model_deployments WHERE node_id = 'gpu-b'`); !cmp.Equal(got, []string{"ollama unloaded"}) {
		t.Errorf("a deployment without provider_type and status became %v", got)
	}

	// The same schema of the registry's objects as a database that started empty.
	fresh := dbtest.New(t, "template1")
	freshConn := dbtest.Connect(t, fresh)
	standins, err := os.ReadFile(filepath.Join("..", "shared", "platform", "sql", platformFiles[0]))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := freshConn.Exec(ctx, string(standins)); err != nil {
		t.Fatal(err)
	}
	migrateCLI(t, "--db-url", fresh)
	if diff := cmp.Diff(registryShape(t, freshConn), registryShape(t, conn)); diff != "" {
		t.Errorf("registry objects differ between an empty and an upgraded platform database (-empty +platform):\n%s", diff)
	}

	servePlatform(t, url, conn)
}

// aliasIDsCreatedIn2030 picks the alias the extras added in conflict with
// the platform seed's default_embedding (created in 2030, so the seed's is
// older and stays).
func aliasIDsCreatedIn2030(rows map[string]string) []string {
	var ids []string
	for id, row := range rows {
		if strings.Contains(row, `"created_at": "2030-01-01T00:00:00+00:00"`) {
			ids = append(ids, id)
		}
	}
	return ids
}

// servePlatform runs the registry on the upgraded platform database through
// the local PostgREST-compatible server: it lists every active platform
// model, renders a configuration that lints clean, and resolves a service's
// mappings and an alias.
func servePlatform(t *testing.T, url string, conn *pgx.Conn) {
	env := restStackOn(t, url)
	port := freePort(t)
	env["MODEL_REGISTRY_PORT"] = strconv.Itoa(port)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, []string{"serve"}, fakeEnv(env), io.Discard) }()
	t.Cleanup(func() { cancel(); <-errc })
	base := "http://127.0.0.1:" + strconv.Itoa(port)

	var models struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
		Count int `json:"count"`
	}
	if err := json.Unmarshal(waitOK(t, base+"/api/models?limit=1000", errc), &models); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range models.Items {
		got = append(got, m.ID)
	}
	sort.Strings(got)
	want := lines(t, conn, `SELECT id::text FROM pmoves_core.v_active_models ORDER BY 1`)
	if len(want) < 40 || !cmp.Equal(want, got) || models.Count != len(want) {
		t.Errorf("/api/models: %d of %d active platform models (count %d)", len(got), len(want), models.Count)
	}

	cfg := getOK(t, base+"/api/tensorzero/config")
	findings, err := tomlgen.Lint(cfg)
	if err != nil {
		t.Fatalf("rendered configuration does not parse: %v", err)
	}
	for _, f := range findings {
		if f.Severity == tomlgen.SeverityError {
			t.Errorf("rendered configuration: %s: %s", f.Path, f.Message)
		}
	}
	if !bytes.Contains(cfg, []byte("[functions.")) || !bytes.Contains(cfg, []byte("[models.")) {
		t.Errorf("rendered configuration has no models or functions:\n%.2000s", cfg)
	}

	var routes []struct {
		Function string `json:"function_name"`
		Variant  string `json:"variant_name"`
		Model    string `json:"model_id"`
	}
	if err := json.Unmarshal(getOK(t, base+"/api/services/agent_zero/models"), &routes); err != nil {
		t.Fatal(err)
	}
	var gotRoutes []string
	for _, r := range routes {
		gotRoutes = append(gotRoutes, r.Function+"/"+r.Variant+"="+r.Model)
	}
	sort.Strings(gotRoutes)
	wantRoutes := lines(t, conn, `SELECT function_name || '/' || variant_name || '=' || model_id
		FROM pmoves_core.v_service_models WHERE service_name = 'agent_zero' ORDER BY 1`)
	if len(wantRoutes) == 0 || !cmp.Equal(wantRoutes, gotRoutes) {
		t.Errorf("agent_zero routes: got %v, want %v", gotRoutes, wantRoutes)
	}

	var alias struct {
		ModelID string `json:"model_id"`
	}
	if err := json.Unmarshal(getOK(t, base+"/api/aliases/resolve/default_embedding?context=tensorzero"), &alias); err != nil {
		t.Fatal(err)
	}
	if want := lines(t, conn, `SELECT m.model_id FROM pmoves_core.model_aliases a JOIN pmoves_core.models m ON m.id = a.model_id
		WHERE a.alias = 'default_embedding'`); !cmp.Equal(want, []string{alias.ModelID}) {
		t.Errorf("alias default_embedding resolves to %q, want %v", alias.ModelID, want)
	}
}

// getOK reads url and fails the test unless it answers 200.
func getOK(t *testing.T, url string) []byte {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v\n%s", url, res.StatusCode, err, body)
	}
	return body
}

// rowsTheChecksRefuse are rows the platform allows and the registry's
// checks would refuse: an object of capabilities, a negative priority.
const rowsTheChecksRefuse = `
INSERT INTO pmoves_core.models (provider_id, name, model_id, model_type, capabilities)
SELECT id, 'object_caps', 'object-caps:1b', 'chat', '{"vision": true}' FROM pmoves_core.model_providers WHERE name = 'ollama_local';
INSERT INTO pmoves_core.service_model_mappings (service_name, function_name, model_id, variant_name, priority)
SELECT 'odd', 'chat', id, 'negative', -3 FROM pmoves_core.models WHERE name = 'object_caps';`

// TestConcurrentMigrationsBothSucceed starts two runs at once on one
// platform database: the advisory lock makes one wait, and it then finds
// nothing to apply. The database holds rows the registry's checks would
// refuse: the checks are left out, so the platform can still update them.
func TestConcurrentMigrationsBothSucceed(t *testing.T) {
	t.Parallel()
	url := platformDatabase(t, rowsTheChecksRefuse)
	names, err := dbmigrate.Migrations(sqlFS())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]dbmigrate.Result, 2)
	errs := make([]error, 2)
	for i := range 2 {
		conn := dbtest.Connect(t, url)
		wg.Go(func() {
			results[i], errs[i] = dbmigrate.Run(context.Background(), conn, sqlFS(), dbmigrate.Options{})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("run %d: %v", i, err)
		}
	}
	applied := [2]int{len(results[0].Applied), len(results[1].Applied)}
	if applied != [2]int{len(names), 0} && applied != [2]int{0, len(names)} {
		t.Errorf("migrations applied by each run: %v, want all by one and none by the other", applied)
	}
	conn := dbtest.Connect(t, url)
	if got := lines(t, conn, `SELECT count(*)::text FROM pmoves_core.registry_schema_migrations`); !cmp.Equal(got, []string{strconv.Itoa(len(names))}) {
		t.Errorf("recorded versions: %v, want %d", got, len(names))
	}
	if _, err := conn.Exec(context.Background(), `UPDATE pmoves_core.models SET description = 'still writable' WHERE name = 'object_caps';
		UPDATE pmoves_core.service_model_mappings SET weight = 2 WHERE variant_name = 'negative';
		INSERT INTO pmoves_core.model_deployments (model_id, node_id) SELECT id, 'n' FROM pmoves_core.models WHERE name = 'object_caps'`); err != nil {
		t.Errorf("the platform's own rows and writes after the upgrade: %v", err)
	}
}
