package supabase

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/registry"
)

// The integration tests run every Store method against the devstack
// PostgREST-compatible server over a real PostgreSQL database (one per test,
// cloned from dbtest's templates), so grants, RLS, constraints, triggers and
// views are PostgreSQL's own.

func TestMain(m *testing.M) { dbtest.Main(m) }

// jwtSecret signs the keys of the integration tests.
const jwtSecret = "integration-test-jwt-secret-at-least-32-bytes"

// signKey signs a Supabase-style key for role.
func signKey(t testing.TB, secret, role string) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "supabase-demo", "role": role, "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// env is one test's database, PostgREST-compatible server and store.
type env struct {
	c       *Client
	dbURL   string // superuser URL of the test's database
	restURL string
}

// newEnv gives the test a fresh database from template, a server over it
// and a Client with a service_role key.
func newEnv(t *testing.T, template string) *env {
	t.Helper()
	dbURL := dbtest.New(t, template)
	restURL := startPostgREST(t, dbURL, jwtSecret)
	c, err := New(Config{URL: restURL, ServiceKey: signKey(t, jwtSecret, "service_role"), Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &env{c: c, dbURL: dbURL, restURL: restURL}
}

// exec runs SQL as the superuser, for bulk fixtures and for checking what
// the store wrote.
func (e *env) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	conn := dbtest.Connect(t, e.dbURL)
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

func (e *env) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	conn := dbtest.Connect(t, e.dbURL)
	var n int
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func ptr[T any](v T) *T { return &v }

// must unpacks a (value, error) result; call it as must(f())(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// ok fails the test on err.
func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantKind(t *testing.T, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("error %v, want kind %v", err, kind)
	}
}

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var ve *registry.ValidationError
	if !errors.As(err, &ve) || ve.Fields[field] == "" {
		t.Fatalf("error %v, want a ValidationError on %s", err, field)
	}
}

func (e *env) provider(t *testing.T, name string, typ registry.ProviderType) registry.Provider {
	t.Helper()
	return must(e.c.CreateProvider(context.Background(), registry.ProviderInput{Name: name, Type: typ}))(t)
}

func (e *env) model(t *testing.T, providerID, name, modelID string) registry.Model {
	t.Helper()
	return must(e.c.CreateModel(context.Background(), registry.ModelInput{
		ProviderID: providerID, Name: name, ModelID: modelID, ModelType: registry.ModelChat}))(t)
}
