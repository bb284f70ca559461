package postgrest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pmoves/model-registry/devstack/pgcluster"
	"github.com/pmoves/model-registry/devstack/postgrest/conformance"
)

// testCluster is the one PostgreSQL cluster of this test binary.
var testCluster *pgcluster.Cluster

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "postgrest-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	testCluster, err = pgcluster.Start(ctx, pgcluster.Options{Dir: dir})
	if err != nil {
		// Tests never skip: without PostgreSQL every database test fails.
		fmt.Fprintln(os.Stderr, "postgrest tests: cannot start PostgreSQL:", err)
		return 1
	}
	defer testCluster.Stop()
	if err := createSupabaseRoles(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "postgrest tests:", err)
		return 1
	}
	return m.Run()
}

// supabaseRoles mirrors supabase/postgres' initial schema: nologin roles
// switched to by a login role "authenticator".
const supabaseRoles = `
CREATE ROLE anon NOLOGIN NOINHERIT;
CREATE ROLE authenticated NOLOGIN NOINHERIT;
CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
CREATE ROLE authenticator LOGIN NOINHERIT;
GRANT anon, authenticated, service_role TO authenticator;`

func createSupabaseRoles(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, testCluster.ConnString("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, supabaseRoles)
	return err
}

var (
	fixtureOnce sync.Once
	fixtureURL  string
	fixtureErr  error
)

// fixtureDB builds the conformance fixture database once per test binary.
func fixtureDB(t testing.TB) string {
	t.Helper()
	fixtureOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		fixtureURL, fixtureErr = conformance.BuildFixtureDB(ctx, testCluster.ConnString("postgres"),
			"testdata/conformance/fixtures", "pgrst_conformance")
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return fixtureURL
}

// newDB creates an empty database for one test, runs setup in it and drops
// it when the test ends.
func newDB(t testing.TB, setup string) string {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, testCluster.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	name := fmt.Sprintf("t_%d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, testCluster.ConnString("postgres"))
		if err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	url := testCluster.ConnString(name)
	if setup != "" {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, setup); err != nil {
			t.Fatalf("setup: %v", err)
		}
	}
	return url
}
