package devstack

import (
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"sort"

	"github.com/jackc/pgx/v5"
)

// SeedFile is the name of the seed file in the sql/ folder.
const SeedFile = "seed.sql"

var migrationName = regexp.MustCompile(`^[0-9]{4}_[a-z0-9_]+\.sql$`)

// supabaseRoles creates, once per cluster, the roles a Supabase database
// has: anon and authenticated for API callers, service_role that bypasses
// RLS, and the login role authenticator that PostgREST connects as and that
// may switch to each of them.
const supabaseRoles = `
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticator') THEN
    CREATE ROLE authenticator LOGIN NOINHERIT;
  END IF;
END $$;
GRANT anon, authenticated, service_role TO authenticator;
`

// CreateRoles creates the Supabase roles in the cluster if they are missing.
func CreateRoles(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, supabaseRoles); err != nil {
		return fmt.Errorf("create supabase roles: %w", err)
	}
	return nil
}

// Migrations lists the migration files of fsys (the sql/ folder) in the
// order they apply: NNNN_name.sql, by number.
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
		return nil, fmt.Errorf("no migrations (NNNN_name.sql) found")
	}
	return names, nil
}

// Migrate applies every migration of fsys, in order, each in its own
// transaction. Migrations are idempotent, so this is safe on any database.
func Migrate(ctx context.Context, conn *pgx.Conn, fsys fs.FS) error {
	names, err := Migrations(fsys)
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := execFile(ctx, conn, fsys, name); err != nil {
			return err
		}
	}
	return nil
}

// Seed loads the seed catalogue. It is idempotent.
func Seed(ctx context.Context, conn *pgx.Conn, fsys fs.FS) error {
	return execFile(ctx, conn, fsys, SeedFile)
}

func execFile(ctx context.Context, conn *pgx.Conn, fsys fs.FS, name string) error {
	body, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	// Without arguments pgx uses the simple protocol, which runs a file of
	// many statements as one implicit transaction.
	if _, err := conn.Exec(ctx, string(body)); err != nil {
		return fmt.Errorf("apply %s: %w", name, err)
	}
	return nil
}
