package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pmoves/model-registry/devstack"
	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/devstack/postgrest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const testJWTSecret = "main-test-secret-main-test-secret-0123456"

// restStack serves a fresh database through the PostgREST-compatible server
// and returns the environment a registry command would run with.
func restStack(t *testing.T, template string) map[string]string {
	t.Helper()
	return restStackOn(t, dbtest.New(t, template))
}

// restStackOn is restStack on an existing database.
func restStackOn(t *testing.T, db string) map[string]string {
	t.Helper()
	rest, err := postgrest.New(context.Background(), postgrest.Config{DBURL: devstack.AuthenticatorURL(db),
		Schemas: []string{"pmoves_core"}, AnonRole: "anon", JWTSecret: testJWTSecret, MaxRows: 1000})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rest)
	t.Cleanup(func() { srv.Close(); rest.Close() })
	key, err := devstack.SignKey(testJWTSecret, "service_role")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"SUPABASE_REST_URL": srv.URL + "/rest/v1", "SUPABASE_SERVICE_KEY": key}
}

func decodeTOML(t *testing.T, doc []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if _, err := toml.Decode(string(doc), &v); err != nil {
		t.Fatalf("not TOML: %v\n%s", err, doc)
	}
	return tablesAsArrays(v).(map[string]any)
}

// tablesAsArrays makes an array of tables ([[x]]) compare equal to the same
// inline array of tables: the decoder gives them different Go types.
func tablesAsArrays(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = tablesAsArrays(e)
		}
	case []map[string]any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = tablesAsArrays(e)
		}
		return out
	case []any:
		for i, e := range t {
			t[i] = tablesAsArrays(e)
		}
	}
	return v
}

// TestImportRenderRoundTrip imports every fixture through PostgREST into an
// empty registry, imports it again (nothing changes), and renders the
// configuration back from the database: it must equal the file as parsed
// TOML.
func TestImportRenderRoundTrip(t *testing.T) {
	files, err := filepath.Glob("tomlgen/testdata/fixtures/*.toml")
	if err != nil || len(files) < 7 {
		t.Fatalf("fixtures: %v %v", files, err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			env := restStack(t, dbtest.TemplateEmpty)
			ctx := context.Background()
			var out bytes.Buffer
			if err := run(ctx, []string{"migrate-tensorzero", "--config-path", file}, fakeEnv(env), &out); err != nil {
				t.Fatalf("import: %v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), "created ") {
				t.Errorf("first import output:\n%s", out.String())
			}
			out.Reset()
			if err := run(ctx, []string{"migrate-tensorzero", "--config-path", file}, fakeEnv(env), &out); err != nil {
				t.Fatalf("second import: %v", err)
			}
			if !strings.Contains(out.String(), "no changes") {
				t.Errorf("second import changed something:\n%s", out.String())
			}
			out.Reset()
			if err := run(ctx, []string{"tensorzero", "render"}, fakeEnv(env), &out); err != nil {
				t.Fatalf("render: %v", err)
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(decodeTOML(t, want), decodeTOML(t, out.Bytes()), cmpopts.EquateNaNs()); diff != "" {
				t.Errorf("render(import(%s)) differs (-file +render):\n%s", file, diff)
			}
		})
	}
}

func TestMigrateDryRunNeedsNoCredentials(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"migrate-tensorzero", "--config-path",
		"tomlgen/testdata/fixtures/pmoves-4d409f35.toml", "--dry-run"}, fakeEnv(nil), &out)
	if err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.Contains(s, "would be created: provider ollama_local") || !strings.Contains(s, "dry run: would have created") {
		t.Errorf("dry-run output:\n%s", s)
	}
	if err := run(context.Background(), []string{"migrate-tensorzero", "--config-path",
		"tomlgen/testdata/fixtures/pmoves-4d409f35.toml"}, fakeEnv(nil), &out); err == nil ||
		!strings.Contains(err.Error(), "SUPABASE_SERVICE_KEY") {
		t.Errorf("a real import without a key: %v", err)
	}
}

func TestLintCommand(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"tensorzero", "lint", "tomlgen/testdata/fixtures/pmoves-4d409f35.toml"},
		fakeEnv(nil), &out); err != nil || !strings.Contains(out.String(), "0 errors") {
		t.Errorf("lint pmoves: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"tensorzero", "lint", "tomlgen/testdata/fixtures/tensorzero-e2e-models.toml"},
		fakeEnv(nil), &out); err == nil || !strings.Contains(out.String(), "dummy") {
		t.Errorf("lint e2e (test-only dummy providers): %v\n%s", err, out.String())
	}
}
