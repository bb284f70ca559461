// Package dbtest gives each test its own PostgreSQL database, cloned from a
// template that holds the sql/ migrations (and, if asked, the seed), so tests
// can run with t.Parallel(). A test binary that uses it calls Main from its
// TestMain: one private cluster serves the whole binary, unless DATABASE_URL
// names a server to use instead. There is no skipping: when PostgreSQL cannot
// be had, the tests fail.
package dbtest

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pmoves/model-registry/devstack"
	"github.com/pmoves/model-registry/devstack/pgcluster"
)

// Template databases.
const (
	TemplateEmpty  = "registry_tmpl_empty"  // migrations only
	TemplateSeeded = "registry_tmpl_seeded" // migrations and seed
)

var (
	serverURL func(db string) string
	mu        sync.Mutex // serialises CREATE DATABASE … TEMPLATE
	seq       atomic.Int64
)

// Main starts PostgreSQL, builds the templates, runs the tests and stops the
// cluster. Call it as `func TestMain(m *testing.M) { dbtest.Main(m) }`.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if url := os.Getenv("DATABASE_URL"); url != "" {
		serverURL = func(db string) string { return withDatabase(url, db) }
	} else {
		dir, err := os.MkdirTemp("", "registry-pg-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "dbtest:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		c, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir})
		if err != nil {
			fmt.Fprintln(os.Stderr, "dbtest: PostgreSQL is required:", err)
			return 1
		}
		defer c.Stop()
		serverURL = c.ConnString
	}
	if err := buildTemplates(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		return 1
	}
	defer dropTemplates()
	return m.Run()
}

// actual is the database behind a template name: with DATABASE_URL several
// test binaries share one server, so each builds templates of its own.
func actual(template string) string {
	if template == TemplateEmpty || template == TemplateSeeded {
		return fmt.Sprintf("%s_%d", template, os.Getpid())
	}
	return template
}

func dropTemplates() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, serverURL("postgres"))
	if err != nil {
		return
	}
	defer admin.Close(ctx)
	for _, t := range []string{TemplateEmpty, TemplateSeeded} {
		_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+actual(t)+" WITH (FORCE)")
	}
}

// SQLDir is the repository's sql/ folder.
func SQLDir() fs.FS {
	_, file, _, _ := runtime.Caller(0)
	return os.DirFS(filepath.Join(filepath.Dir(file), "..", "..", "sql"))
}

// ServerURL returns a superuser connection URL for database db.
func ServerURL(db string) string { return serverURL(db) }

func buildTemplates(ctx context.Context) error {
	admin, err := pgx.Connect(ctx, serverURL("postgres"))
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	if err := devstack.CreateRoles(ctx, admin); err != nil {
		return err
	}
	for _, t := range []struct {
		name string
		seed bool
	}{{TemplateEmpty, false}, {TemplateSeeded, true}} {
		name := actual(t.name)
		for _, stmt := range []string{"DROP DATABASE IF EXISTS " + name, "CREATE DATABASE " + name} {
			if _, err := admin.Exec(ctx, stmt); err != nil {
				return err
			}
		}
		conn, err := pgx.Connect(ctx, serverURL(name))
		if err != nil {
			return err
		}
		err = devstack.Migrate(ctx, conn, SQLDir())
		if err == nil && t.seed {
			err = devstack.Seed(ctx, conn, SQLDir())
		}
		conn.Close(ctx)
		if err != nil {
			return fmt.Errorf("template %s: %w", t.name, err)
		}
	}
	return nil
}

// New creates a database cloned from template, drops it when the test ends,
// and returns its superuser connection URL.
func New(tb testing.TB, template string) string {
	tb.Helper()
	if serverURL == nil {
		tb.Fatal("dbtest: call dbtest.Main from TestMain")
	}
	ctx := context.Background()
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), seq.Add(1))
	admin, err := pgx.Connect(ctx, serverURL("postgres"))
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close(ctx)
	mu.Lock()
	_, err = admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, actual(template)))
	mu.Unlock()
	if err != nil {
		tb.Fatalf("dbtest: create database from %s: %v", template, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, serverURL("postgres"))
		if err != nil {
			tb.Errorf("dbtest: drop %s: %v", name, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			tb.Errorf("dbtest: drop %s: %v", name, err)
		}
	})
	return serverURL(name)
}

// Connect opens a connection to url and closes it when the test ends.
func Connect(tb testing.TB, url string) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
