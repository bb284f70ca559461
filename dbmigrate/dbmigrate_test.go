package dbmigrate_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/pmoves/model-registry/dbmigrate"
	"github.com/pmoves/model-registry/devstack/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func files(t *testing.T, steps []dbmigrate.Step) []string {
	t.Helper()
	var out []string
	for _, s := range steps {
		out = append(out, s.File)
	}
	return out
}

// TestEachMigrationAppliesOnce: a run applies only what is new, says which
// applied files changed since, and a failing file leaves nothing behind.
func TestEachMigrationAppliesOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := dbtest.Connect(t, dbtest.New(t, "template1"))
	fsys := fstest.MapFS{
		"helpers.sql":  {Data: []byte("CREATE OR REPLACE FUNCTION pg_temp.two() RETURNS int LANGUAGE sql AS 'SELECT 2';")},
		"0001_one.sql": {Data: []byte("CREATE TABLE pmoves_core.one (x int); INSERT INTO pmoves_core.one VALUES (pg_temp.two());")},
		"seed.sql":     {Data: []byte("INSERT INTO pmoves_core.one VALUES (3);")},
		"notes.txt":    {Data: []byte("not a migration")},
	}
	res, err := dbmigrate.Run(ctx, conn, fsys, dbmigrate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := files(t, res.Applied); !cmp.Equal(got, []string{"0001_one.sql"}) {
		t.Errorf("first run applied %v", got)
	}

	fsys["0001_one.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE pmoves_core.one (x int, y int);")}
	fsys["0002_two.sql"] = &fstest.MapFile{Data: []byte("ALTER TABLE pmoves_core.one ADD COLUMN z int;")}
	res, err = dbmigrate.Run(ctx, conn, fsys, dbmigrate.Options{Seed: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := files(t, res.Applied); !cmp.Equal(got, []string{"0002_two.sql"}) || !res.Seeded {
		t.Errorf("second run applied %v (seeded %v), want only the new file and the seed", got, res.Seeded)
	}
	if !cmp.Equal(res.Changed, []string{"0001_one.sql"}) || !cmp.Equal(res.Current, []string{"0001_one.sql"}) {
		t.Errorf("changed %v, current %v", res.Changed, res.Current)
	}

	fsys["0003_bad.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE pmoves_core.three (x int); SELECT 1/0;")}
	_, err = dbmigrate.Run(ctx, conn, fsys, dbmigrate.Options{})
	if err == nil || !strings.Contains(err.Error(), "0003_bad.sql") {
		t.Fatalf("a failing migration: %v, want an error naming it", err)
	}
	var three, recorded bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('pmoves_core.three') IS NOT NULL,
		EXISTS (SELECT FROM pmoves_core.registry_schema_migrations WHERE version = '0003_bad.sql')`).Scan(&three, &recorded); err != nil {
		t.Fatal(err)
	}
	if three || recorded {
		t.Errorf("a failed migration left its table (%v) or its record (%v)", three, recorded)
	}
	var rows string
	if err := conn.QueryRow(ctx, `SELECT string_agg(x::text, ',' ORDER BY x) FROM pmoves_core.one`).Scan(&rows); err != nil || rows != "2,3" {
		t.Errorf("rows %q (%v): the helper and the seed did not run", rows, err)
	}
}

// TestDryRunChangesNothing: a dry run on a new database lists every
// migration and creates nothing, not even the version table.
func TestDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := dbtest.Connect(t, dbtest.New(t, "template1"))
	fsys := fstest.MapFS{"0001_a.sql": {Data: []byte("CREATE TABLE a (x int);")}, "0002_b.sql": {Data: []byte("CREATE TABLE b (x int);")}}
	res, err := dbmigrate.Run(ctx, conn, fsys, dbmigrate.Options{DryRun: true, Seed: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := files(t, res.Applied); !cmp.Equal(got, []string{"0001_a.sql", "0002_b.sql"}) || !res.Seeded {
		t.Errorf("dry run would apply %v (seed %v)", got, res.Seeded)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname = 'pmoves_core'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("a dry run created the schema (%d, %v)", n, err)
	}
}
