package postgrest

import (
	"context"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

const apiSchema = `
CREATE SCHEMA api;
CREATE TABLE api.t (id int PRIMARY KEY, a text UNIQUE, b int NOT NULL DEFAULT 1, "odd ""name""" text);
INSERT INTO api.t (id, a) SELECT g, 'a' || g FROM generate_series(1, 10) g;
CREATE VIEW api.v AS SELECT id AS vid, a FROM api.t;
CREATE VIEW api.vv AS SELECT a, vid FROM api.v;
CREATE VIEW api.agg AS SELECT count(*) AS n FROM api.t;`

func TestSchemaCache(t *testing.T) {
	srv, base := startServer(t, Config{DBURL: newDB(t, apiSchema), Schemas: []string{"api"}, AnonRole: "postgres"})
	c := srv.cache.Load()
	tbl := c.lookup("api", "t")
	if tbl == nil || !reflect.DeepEqual(tbl.pk, []string{"id"}) || !tbl.insertable || !tbl.updatable || !tbl.deletable {
		t.Fatalf("api.t = %+v", tbl)
	}
	if !reflect.DeepEqual(tbl.uniques, [][]string{{"id"}, {"a"}}) {
		t.Errorf("uniques = %v", tbl.uniques)
	}
	b := tbl.byName["b"]
	if b == nil || b.typ != "integer" || !b.notNull || b.dflt == nil || *b.dflt != "1" {
		t.Errorf("column b = %+v", b)
	}
	if tbl.byName[`odd "name"`] == nil {
		t.Errorf("quoted column missing: %v", tbl.columns)
	}
	for name, want := range map[string][]string{"v": {"vid"}, "vv": {"vid"}, "agg": nil} {
		if got := c.lookup("api", name).pk; !reflect.DeepEqual(got, want) {
			t.Errorf("view %s key = %v, want %v", name, got, want)
		}
	}
	if agg := c.lookup("api", "agg"); agg.insertable || agg.updatable || agg.deletable {
		t.Errorf("aggregate view is updatable: %+v", agg)
	}
	// The traced key gives an insert into a view its Location.
	r := call(t, "POST", base+"/vv", `{"vid":50,"a":"x"}`, "Prefer: return=headers-only")
	wantStatus(t, r, http.StatusCreated)
	wantHeader(t, r, "Location", "/vv?vid=eq.50")
	// An odd identifier round-trips through select, filter and order.
	// PostgREST quotes with backslash escapes: "odd \"name\"".
	r = call(t, "GET", base+`/t?select=id,%22odd%20%5C%22name%5C%22%22&%22odd%20%5C%22name%5C%22%22=is.null&order=id&limit=1`, "")
	wantJSON(t, r, `[{"id":1,"odd \"name\"":null}]`)
}

func TestReloadOnNotify(t *testing.T) {
	dbURL := newDB(t, apiSchema)
	_, base := startServer(t, Config{DBURL: dbURL, Schemas: []string{"api"}, AnonRole: "postgres"})
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE api.later (id int)"); err != nil {
		t.Fatal(err)
	}
	r := call(t, "GET", base+"/later", "")
	wantStatus(t, r, http.StatusNotFound) // no per-request introspection
	if code, msg, _, _ := errorBody(t, r); code != "PGRST205" || msg != "Could not find the table 'api.later' in the schema cache" {
		t.Errorf("before reload: %s", r.body)
	}
	if _, err := conn.Exec(ctx, "NOTIFY pgrst, 'reload schema'"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r = call(t, "GET", base+"/later", "")
		if r.status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("table not visible after NOTIFY: %d %s", r.status, r.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMaxRowsAndHints(t *testing.T) {
	_, base := startServer(t, Config{DBURL: newDB(t, apiSchema), Schemas: []string{"api"}, AnonRole: "postgres", MaxRows: 3})
	r := call(t, "GET", base+"/t?select=id&order=id", "", "Prefer: count=exact")
	wantStatus(t, r, http.StatusPartialContent)
	wantHeader(t, r, "Content-Range", "0-2/10")
	wantJSON(t, r, `[{"id":1},{"id":2},{"id":3}]`)
	r = call(t, "GET", base+"/t?select=id&order=id&limit=2&offset=4", "")
	wantJSON(t, r, `[{"id":5},{"id":6}]`)

	r = call(t, "GET", base+"/tt", "")
	wantStatus(t, r, http.StatusNotFound)
	if _, _, _, hint := errorBody(t, r); hint != nil {
		t.Errorf("hint for tt = %q", *hint)
	}
	r = call(t, "GET", base+"/aggg", "")
	if _, _, _, hint := errorBody(t, r); hint == nil || *hint != "Perhaps you meant the table 'api.agg'" {
		t.Errorf("hint for aggg: %s", r.body)
	}
}

func TestMethodsAndPaths(t *testing.T) {
	_, base := startServer(t, Config{DBURL: newDB(t, apiSchema), Schemas: []string{"api"}, AnonRole: "postgres"})
	for _, tc := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/a/b/c", 404, "PGRST125"},
		{"GET", "/rest/v1/t/extra/x", 404, "PGRST125"},
		{"POST", "/rpc/fn", 404, "PGRST202"},
		{"PATCH", "/rpc/fn", 405, "PGRST101"},
		{"PUT", "/t?id=eq.1", 400, "PGRST127"},
		{"TRACE", "/t", 405, "PGRST117"},
		{"GET", "/t?select=x:a(*)", 400, "PGRST127"},
		{"GET", "/t?select=count()", 400, "PGRST123"},
		{"GET", "/t?limit=1&x.limit=2", 400, "PGRST108"},
		{"GET", "/t?a=5", 400, "PGRST100"},
		{"POST", "/t", 415, "PGRST107"},
	} {
		var hdr []string
		if tc.method == "POST" && tc.path == "/t" {
			hdr = append(hdr, "Content-Type: text/csv")
		}
		r := call(t, tc.method, base+tc.path, "", hdr...)
		if code, _, _, _ := errorBody(t, r); r.status != tc.status || code != tc.code {
			t.Errorf("%s %s = %d %s, want %d %s", tc.method, tc.path, r.status, r.body, tc.status, tc.code)
		}
		wantHeader(t, r, "Proxy-Status", "PostgREST; error="+tc.code)
	}
	r := call(t, "GET", base+"/t?select=x:id::integer,y:id::TEXT,z:id::double%20precision&id=eq.1", "")
	wantJSON(t, r, `[{"x":1,"y":"1","z":1}]`)
	r = call(t, "GET", base+"/t?select=id::from", "")
	if code, msg, _, _ := errorBody(t, r); r.status != 400 || code != "42704" || msg != `type "from" does not exist` {
		t.Errorf("cast to a keyword: %d %s", r.status, r.body)
	}
	r = call(t, "GET", base+"/rest/v1/", "")
	wantStatus(t, r, http.StatusOK)
	wantHeader(t, r, "Content-Type", "application/openapi+json; charset=utf-8")
}

func TestJSONAndArrayColumns(t *testing.T) {
	_, base := startServer(t, Config{DBURL: newDB(t, `CREATE TABLE public.docs (id int PRIMARY KEY, data jsonb,
		tags text[], n numeric, at timestamptz)`), Schemas: []string{"public"}, AnonRole: "postgres"})
	r := call(t, "POST", base+"/docs", `[{"id":1,"data":{"a":{"b":[1,2]}},"tags":["x","y z"],"n":1.50,"at":"2024-01-02T03:04:05Z"},
		{"id":2,"data":null,"tags":[],"n":null,"at":null}]`, "Prefer: return=representation")
	wantStatus(t, r, http.StatusCreated)
	wantJSON(t, r, `[{"id":1,"data":{"a":{"b":[1,2]}},"tags":["x","y z"],"n":1.50,"at":"2024-01-02T03:04:05+00:00"},
		{"id":2,"data":null,"tags":[],"n":null,"at":null}]`)
	r = call(t, "GET", base+"/docs?select=id,b:data->a->b->>1&data->a->>b=eq.[1,%202]", "")
	wantStatus(t, r, http.StatusOK)
	wantJSON(t, r, `[{"id":1,"b":"2"}]`)
	r = call(t, "GET", base+"/docs?select=id&tags=cs.{x}&order=data->a.desc.nullslast", "")
	wantJSON(t, r, `[{"id":1}]`)
	r = call(t, "PATCH", base+"/docs?id=eq.2", `{"tags":["q"],"data":[1]}`, "Prefer: return=representation",
		"Accept: application/vnd.pgrst.object+json")
	wantStatus(t, r, http.StatusOK)
	wantJSON(t, r, `{"id":2,"data":[1],"tags":["q"],"n":null,"at":null}`)
	// A singular PATCH that matches two rows is refused and rolled back.
	r = call(t, "PATCH", base+"/docs", `{"n":9}`, "Accept: application/vnd.pgrst.object+json")
	wantStatus(t, r, http.StatusNotAcceptable)
	r = call(t, "GET", base+"/docs?select=n&n=eq.9", "")
	wantJSON(t, r, `[]`)
}
