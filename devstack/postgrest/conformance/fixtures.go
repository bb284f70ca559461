package conformance

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/pmoves/model-registry/devstack/pgcluster"
)

// postgisStub replaces fixtures/04_postgis.sql when PostGIS is not
// installed; no selected case uses PostGIS (SELECTION.md §1).
const postgisStub = `CREATE TABLE test.shops (id int PRIMARY KEY, address text, shop_geom text);
GRANT SELECT ON test.shops TO postgrest_test_anonymous;
`

// BuildFixtureDB creates the database dbName on the server that adminURL
// points at (any database there; usually "postgres") and loads the fixture
// chain from fixturesDir with psql: 01_roles.sql on the admin database, then
// 02, the PostGIS stub, 05, 06 and 07 into a C-collated UTF8 database. It
// returns the new database's URL. An existing database of that name is
// dropped first.
func BuildFixtureDB(ctx context.Context, adminURL, fixturesDir, dbName string) (string, error) {
	bin, err := pgcluster.BinDir()
	if err != nil {
		return "", err
	}
	psql := filepath.Join(bin, "psql")
	if err := runPSQL(ctx, psql, adminURL, filepath.Join(fixturesDir, "01_roles.sql"), ""); err != nil {
		return "", err
	}
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", fmt.Errorf("conformance: connect: %w", err)
	}
	defer conn.Close(ctx)
	ident := pgx.Identifier{dbName}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
		return "", fmt.Errorf("conformance: drop database: %w", err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident+
		" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"); err != nil {
		return "", fmt.Errorf("conformance: create database: %w", err)
	}
	dbURL, err := withDatabase(adminURL, dbName)
	if err != nil {
		return "", err
	}
	steps := []struct{ file, stdin string }{
		{file: "02_base.sql"},
		{stdin: postgisStub},
		{file: "05_corrections.sql"},
		{file: "06_area_schemas.sql"},
		{file: "07_analyze.sql"},
	}
	for _, st := range steps {
		file := "-"
		if st.file != "" {
			file = filepath.Join(fixturesDir, st.file)
		}
		if err := runPSQL(ctx, psql, dbURL, file, st.stdin); err != nil {
			return "", err
		}
	}
	return dbURL, nil
}

// DropDB drops a database built by BuildFixtureDB.
func DropDB(ctx context.Context, adminURL, dbName string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{dbName}.Sanitize()+" WITH (FORCE)")
	return err
}

func runPSQL(ctx context.Context, psql, dbURL, file, stdin string) error {
	cmd := exec.CommandContext(ctx, psql, "-X", "-v", "ON_ERROR_STOP=1", "-q", "-d", dbURL, "-f", file)
	cmd.Env = append(os.Environ(), "PGTZ=UTC")
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		name := file
		if file == "-" {
			name = "PostGIS stub"
		}
		return fmt.Errorf("conformance: psql %s: %v\n%s", filepath.Base(name), err, lastLines(stderr.String(), 20))
	}
	return nil
}

func withDatabase(dbURL, name string) (string, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", fmt.Errorf("conformance: db url: %w", err)
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// UserOf returns the user name in a connection URL.
func UserOf(dbURL string) (string, error) {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return "", err
	}
	return cfg.User, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
