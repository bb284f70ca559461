package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/pmoves/model-registry/dbmigrate"
)

// runMigrate applies the embedded sql/ migrations to a database: each once,
// in order, in its own transaction, under an advisory lock.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := newFlagSet("migrate --db-url URL [--seed] [--dry-run]",
		"Apply the registry's migrations to a PostgreSQL database (a Supabase project or the platform's\n"+
			"database) as a superuser or the database owner. Each migration applies once; a second run\n"+
			"applies nothing. Use a direct connection (port 5432), not a transaction pooler.", stdout)
	dbURL := fs.String("db-url", getenv("DATABASE_URL"), "PostgreSQL connection string (default $DATABASE_URL)")
	seed := fs.Bool("seed", false, "also load the seed catalogue (idempotent)")
	dry := fs.Bool("dry-run", false, "print what would be applied and change nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dbURL == "" {
		return errors.New("migrate: --db-url (or DATABASE_URL) is required")
	}
	conn, err := pgx.Connect(ctx, *dbURL)
	if err != nil {
		return fmt.Errorf("migrate: connect: %s", redact(err.Error(), *dbURL))
	}
	defer conn.Close(context.WithoutCancel(ctx))

	verb := "applied"
	if *dry {
		verb = "would apply"
	}
	res, err := dbmigrate.Run(ctx, conn, sqlFS(), dbmigrate.Options{Seed: *seed, DryRun: *dry,
		Progress: func(s dbmigrate.Step) {
			if *dry {
				fmt.Fprintf(stdout, "%s %s\n", verb, s.File)
				return
			}
			fmt.Fprintf(stdout, "%s %s (%d ms)\n", verb, s.File, s.Duration.Milliseconds())
		}})
	if err != nil {
		return fmt.Errorf("migrate: %s", redact(err.Error(), *dbURL))
	}
	for _, name := range res.Changed {
		fmt.Fprintf(stdout, "warning: %s differs from the version this database applied; a migration never applies twice\n", name)
	}
	if len(res.Applied) == 0 {
		fmt.Fprintf(stdout, "nothing to apply: %d migrations already applied\n", len(res.Current))
	}
	return nil
}

// redact removes the password of dbURL (a URL or key=value string) from
// msg.
func redact(msg, dbURL string) string {
	if u, err := url.Parse(dbURL); err == nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "***")
		}
	}
	return passwordSetting.ReplaceAllString(msg, "password=***")
}

var passwordSetting = regexp.MustCompile(`password=('[^']*'|\S+)`)
