package devstack

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/pmoves/model-registry/dbmigrate"
)

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

// Migrate applies the pending migrations of fsys (the sql/ folder), each
// once, as `model-registry migrate` does.
func Migrate(ctx context.Context, conn *pgx.Conn, fsys fs.FS) error {
	_, err := dbmigrate.Run(ctx, conn, fsys, dbmigrate.Options{})
	return err
}

// Seed applies any pending migrations, then the seed catalogue, which is
// idempotent.
func Seed(ctx context.Context, conn *pgx.Conn, fsys fs.FS) error {
	_, err := dbmigrate.Run(ctx, conn, fsys, dbmigrate.Options{Seed: true})
	return err
}
