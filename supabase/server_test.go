package supabase

import (
	"context"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/pmoves/model-registry/devstack/postgrest"
)

// startPostgREST serves the devstack PostgREST-compatible server over the
// database at dbURL the way Supabase runs PostgREST: connected as
// authenticator, exposing pmoves_core, anon as the anonymous role, HS256
// keys signed with secret, and a 1,000-row cap on reads. It returns the
// server's /rest/v1 URL.
func startPostgREST(t *testing.T, dbURL, secret string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User("authenticator")
	srv, err := postgrest.New(context.Background(), postgrest.Config{
		DBURL:     u.String(),
		Schemas:   []string{DefaultSchema},
		AnonRole:  "anon",
		JWTSecret: secret,
		MaxRows:   maxRows,
		PoolSize:  30,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	return ts.URL + "/rest/v1"
}
