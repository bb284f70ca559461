package postgrest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// The injection targets run as the superuser, the worst case: a successful
// injection could drop the canary table.
const injectionSchema = `
CREATE TABLE public.victim (id int PRIMARY KEY, name text, data jsonb, tags text[]);
INSERT INTO public.victim SELECT g, 'v' || g, jsonb_build_object('k', g), ARRAY['a', 'b'] FROM generate_series(1, 5) g;
CREATE TABLE public.pgrst_canary (id int);
INSERT INTO public.pgrst_canary VALUES (1);`

var injections = []string{
	`1; DROP TABLE pgrst_canary; --`,
	`1'); DROP TABLE pgrst_canary; --`,
	`"; DROP TABLE pgrst_canary; --`,
	`id); DROP TABLE pgrst_canary; --`,
	`' OR '1'='1`,
	`1 OR 1=1`,
	`$1`,
	`$$; DROP TABLE pgrst_canary; $$`,
	`\"; DROP TABLE pgrst_canary; --`,
	`id::text from pgrst_canary --`,
	`text); DROP TABLE pgrst_canary; --`,
	`(SELECT 1 FROM pgrst_canary)`,
	"a\x00b",
	`*/; DROP TABLE pgrst_canary; /*`,
	`"id"`,
}

type injectionTarget struct {
	once   sync.Once
	dbURL  string
	commit http.Handler // TxEnd=commit: an injected DROP would persist
	roll   http.Handler // TxEnd=rollback, for writes
	check  *pgx.Conn
	err    error
}

var injTarget injectionTarget

// target starts the two servers once per test binary.
func (it *injectionTarget) get(t testing.TB) *injectionTarget {
	t.Helper()
	it.once.Do(func() {
		ctx := context.Background()
		it.dbURL = newDBForBinary(t, injectionSchema)
		var s1, s2 *Server
		if s1, it.err = New(ctx, Config{DBURL: it.dbURL, Schemas: []string{"public"}, AnonRole: "postgres"}); it.err != nil {
			return
		}
		if s2, it.err = New(ctx, Config{DBURL: it.dbURL, Schemas: []string{"public"}, AnonRole: "postgres", TxEnd: "rollback"}); it.err != nil {
			return
		}
		it.commit, it.roll = s1, s2
		it.check, it.err = pgx.Connect(ctx, it.dbURL)
	})
	if it.err != nil {
		t.Fatal(it.err)
	}
	return it
}

// newDBForBinary is newDB without per-test cleanup: the database lives as
// long as the cluster.
func newDBForBinary(t testing.TB, setup string) string {
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, testCluster.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE injection TEMPLATE template0"); err != nil {
		t.Fatal(err)
	}
	dbURL := testCluster.ConnString("injection")
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, setup); err != nil {
		t.Fatal(err)
	}
	return dbURL
}

// serveCheck sends one request and fails on a 5xx, on a syntax error
// (42601: the input reached the SQL text) or when the canary is gone or the
// victim rows changed.
func (it *injectionTarget) serveCheck(t testing.TB, h http.Handler, method, target, body string, headers map[string]string) {
	t.Helper()
	req := httptest.NewRequest(method, "http://x/", strings.NewReader(body))
	req.URL.RawQuery = ""
	path, query, _ := strings.Cut(target, "?")
	req.URL.Path, req.URL.RawPath, req.URL.RawQuery = path, "", query
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var e struct{ Code string }
	_ = json.Unmarshal(rec.Body.Bytes(), &e)
	if rec.Code >= 500 || e.Code == "42601" {
		t.Errorf("%s %s %q: status %d body %s", method, target, body, rec.Code, rec.Body.String())
	}
	var canary, victims int
	err := it.check.QueryRow(context.Background(),
		"SELECT (SELECT count(*) FROM pgrst_canary), (SELECT count(*) FROM victim)").Scan(&canary, &victims)
	if err != nil || canary != 1 || victims != 5 {
		t.Fatalf("after %s %s %q: canary=%d victims=%d err=%v", method, target, body, canary, victims, err)
	}
}

func TestInjection(t *testing.T) {
	it := injTarget.get(t)
	q := url.QueryEscape
	for _, inj := range injections {
		gets := []string{
			"/victim?select=" + q(inj),
			"/victim?select=id," + q("alias:"+inj),
			"/victim?select=" + q("id::"+inj),
			"/victim?select=" + q("data->"+inj),
			"/victim?id=eq." + q(inj),
			"/victim?name=in.(" + q(inj) + ")",
			"/victim?name=like." + q(inj),
			"/victim?tags=cs." + q(inj),
			"/victim?name=fts(" + q(inj) + ")." + q(inj),
			"/victim?" + q(inj) + "=eq.1",
			"/victim?order=" + q(inj),
			"/victim?order=id." + q(inj),
			"/victim?or=(" + q("name.eq."+inj) + ",id.eq.1)",
			"/victim?" + q(inj),
			"/victim?limit=" + q(inj) + "&offset=" + q(inj),
			"/" + url.PathEscape(inj),
		}
		for _, target := range gets {
			it.serveCheck(t, it.commit, "GET", target, "", nil)
		}
		for _, hdr := range []string{"Prefer", "Accept", "Accept-Profile", "Range", "Authorization"} {
			it.serveCheck(t, it.commit, "GET", "/victim", "", map[string]string{hdr: inj})
		}
		key, _ := json.Marshal(inj)
		writes := []struct{ method, target, body string }{
			{"POST", "/victim", `{` + string(key) + `: 1}`},
			{"POST", "/victim", `{"id": 9, "name": ` + string(key) + `}`},
			{"POST", "/victim?columns=" + q(inj), `{"id": 9}`},
			{"POST", "/victim?on_conflict=" + q(inj), `{"id": 1, "name": "x"}`},
			{"PATCH", "/victim?id=eq." + q(inj), `{"name": ` + string(key) + `}`},
			{"DELETE", "/victim?name=eq." + q(inj), ""},
		}
		for _, w := range writes {
			it.serveCheck(t, it.roll, w.method, w.target, w.body,
				map[string]string{"Prefer": "return=representation, resolution=merge-duplicates"})
		}
	}
}

// FuzzQueryString sends arbitrary query strings to GET and DELETE. Its seed
// corpus runs with every `go test`.
func FuzzQueryString(f *testing.F) {
	seeds := []string{"select=id,name&id=eq.1", "or=(id.eq.1,not.and(id.gt.2,name.like.*v*))&order=id.desc.nullsfirst",
		"name=in.(\"a,b\",c)&limit=1&offset=1", "data->>k=eq.1&select=k:data->k::text", "select=*,x:name::varchar"}
	for _, inj := range injections {
		seeds = append(seeds, "id=eq."+inj, "select="+inj, inj+"=eq.1", "order="+inj, "or=("+inj+")")
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		it := injTarget.get(t)
		if strings.ContainsAny(query, "#") {
			return // not part of a query string on the wire
		}
		it.serveCheck(t, it.commit, "GET", "/victim?"+query, "", nil)
		it.serveCheck(t, it.roll, "DELETE", "/victim?"+query, "", map[string]string{"Prefer": "return=representation"})
	})
}

// FuzzPayload sends arbitrary JSON bodies and query strings to POST and
// PATCH on the rolled-back server.
func FuzzPayload(f *testing.F) {
	f.Add("select=id", `{"id": 9, "name": "x"}`)
	f.Add("columns=id,name&on_conflict=id", `[{"id": 1, "name": "a"}, {"id": 9}]`)
	f.Add("id=eq.1", `{"data": {"k": "'); DROP TABLE pgrst_canary; --"}}`)
	for _, inj := range injections {
		key, _ := json.Marshal(inj)
		f.Add("select="+inj, `{`+string(key)+`: 1}`)
		f.Add("columns="+inj, `{"id": 1}`)
	}
	f.Fuzz(func(t *testing.T, query, body string) {
		it := injTarget.get(t)
		if strings.ContainsAny(query, "#") {
			return
		}
		h := map[string]string{"Prefer": "return=representation, resolution=merge-duplicates"}
		it.serveCheck(t, it.roll, "POST", "/victim?"+query, body, h)
		it.serveCheck(t, it.roll, "PATCH", "/victim?"+query, body, h)
	})
}
