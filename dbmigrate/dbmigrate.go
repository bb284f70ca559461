// Package dbmigrate applies the registry's SQL migrations (the sql/ folder)
// to a PostgreSQL database: each file once, in order, in its own
// transaction, recorded in pmoves_core.registry_schema_migrations, with the
// whole run serialized by an advisory lock so that two replicas or two
// operators starting at once are safe. `model-registry migrate`, `dev` and
// the tests all use it.
//
// A migration file is NNNN_name.sql. helpers.sql holds functions the
// migrations call; it is created in pg_temp on the run's connection, so it
// never lands in the database (it runs at every run, so it must be
// re-runnable: CREATE OR REPLACE). seed.sql is the optional seed catalogue,
// applied (idempotently) after the migrations when asked.
package dbmigrate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Files of the sql/ folder with a meaning of their own.
const (
	SeedFile    = "seed.sql"
	HelpersFile = "helpers.sql"
)

// lockKey is the advisory lock every run holds ("modelreg" in ASCII).
const lockKey int64 = 0x6d6f64656c726567

// versionTable records the applied migrations.
const versionTable = "pmoves_core.registry_schema_migrations"

var migrationName = regexp.MustCompile(`^[0-9]{4}_[a-z0-9_]+\.sql$`)

// Options says what a run does besides applying pending migrations.
type Options struct {
	// Seed applies seed.sql after the migrations (it is idempotent, so
	// every run with Seed applies it).
	Seed bool
	// DryRun reports what would be applied and changes nothing.
	DryRun bool
	// Progress, when set, is told of each step as it happens.
	Progress func(Step)
}

// Step is one file a run applied, or would apply on a dry run.
type Step struct {
	File     string
	Duration time.Duration // zero on a dry run
}

// Result is what a run did.
type Result struct {
	Applied []Step   // migrations applied (or pending, on a dry run)
	Current []string // migrations that were already applied
	Changed []string // applied migrations whose file differs from what was applied
	Seeded  bool     // seed.sql was applied (or would be)
}

// Migrations lists the migration files of fsys in the order they apply.
func Migrations(fsys fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && migrationName.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, errors.New("no migrations (NNNN_name.sql) found")
	}
	return names, nil
}

// Run applies the pending migrations of fsys (the sql/ folder) on conn.
// conn must be a session of its own (not a transaction pooler): the
// advisory lock and the helper functions live in the session.
func Run(ctx context.Context, conn *pgx.Conn, fsys fs.FS, opts Options) (Result, error) {
	var res Result
	names, err := Migrations(fsys)
	if err != nil {
		return res, err
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		return res, fmt.Errorf("take the migration lock: %w", err)
	}
	defer func() {
		// A failed unlock leaves the lock to the session's end, which Close
		// brings; the run's own error matters more.
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockKey)
	}()

	applied, err := appliedVersions(ctx, conn)
	if err != nil {
		return res, err
	}
	var pending []string
	for _, name := range names {
		sum, ok := applied[name]
		if !ok {
			pending = append(pending, name)
			continue
		}
		res.Current = append(res.Current, name)
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return res, err
		}
		if sum != checksum(body) {
			res.Changed = append(res.Changed, name)
		}
	}

	if opts.DryRun {
		for _, name := range pending {
			res.Applied = append(res.Applied, report(opts, Step{File: name}))
		}
		if opts.Seed {
			report(opts, Step{File: SeedFile})
			res.Seeded = true
		}
		return res, nil
	}

	if len(pending) > 0 || opts.Seed {
		if err := execFile(ctx, conn, fsys, HelpersFile); err != nil {
			return res, err
		}
	}
	if len(pending) > 0 {
		if err := createVersionTable(ctx, conn); err != nil {
			return res, err
		}
	}
	for _, name := range pending {
		start := time.Now()
		if err := applyMigration(ctx, conn, fsys, name); err != nil {
			return res, err
		}
		res.Applied = append(res.Applied, report(opts, Step{File: name, Duration: time.Since(start)}))
	}
	if opts.Seed {
		start := time.Now()
		if err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			return execFile(ctx, tx, fsys, SeedFile)
		}); err != nil {
			return res, err
		}
		report(opts, Step{File: SeedFile, Duration: time.Since(start)})
		res.Seeded = true
	}
	return res, nil
}

func report(opts Options, s Step) Step {
	if opts.Progress != nil {
		opts.Progress(s)
	}
	return s
}

// appliedVersions reads the version table; a database without one has
// applied nothing.
func appliedVersions(ctx context.Context, conn *pgx.Conn) (map[string]string, error) {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", versionTable).Scan(&exists); err != nil {
		return nil, fmt.Errorf("read applied migrations: %w", err)
	}
	applied := map[string]string{}
	if !exists {
		return applied, nil
	}
	rows, err := conn.Query(ctx, "SELECT version, checksum FROM "+versionTable)
	if err != nil {
		return nil, fmt.Errorf("read applied migrations: %w", err)
	}
	var version, sum string
	_, err = pgx.ForEachRow(rows, []any{&version, &sum}, func() error {
		applied[version] = sum
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read applied migrations: %w", err)
	}
	return applied, nil
}

// createVersionTable creates the version table, readable by nobody but its
// owner (no API role needs it).
func createVersionTable(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, `
CREATE SCHEMA IF NOT EXISTS pmoves_core;
CREATE TABLE IF NOT EXISTS `+versionTable+` (
  version    text PRIMARY KEY,
  checksum   text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE `+versionTable+` ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON `+versionTable+` FROM PUBLIC;`)
	if err != nil {
		return fmt.Errorf("create %s: %w", versionTable, err)
	}
	return nil
}

// applyMigration runs one file and records it, in one transaction.
func applyMigration(ctx context.Context, conn *pgx.Conn, fsys fs.FS, name string) error {
	body, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, string(body)); err != nil {
			return fmt.Errorf("apply %s: %w", name, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO "+versionTable+" (version, checksum) VALUES ($1, $2)",
			name, checksum(body)); err != nil {
			return fmt.Errorf("record %s: %w", name, err)
		}
		return nil
	})
}

// execFile runs a file of statements. Without arguments pgx uses the simple
// protocol, which runs many statements in one call (as one implicit
// transaction outside a transaction block).
func execFile(ctx context.Context, conn execer, fsys fs.FS, name string) error {
	body, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, string(body)); err != nil {
		return fmt.Errorf("apply %s: %w", name, err)
	}
	return nil
}

// execer is a connection or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func checksum(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}
