package postgrest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// supabaseSchema is a Supabase-style database: RLS on public.items, grants
// to anon/authenticated/service_role, and two views PostgreSQL cannot
// update.
const supabaseSchema = `
CREATE TABLE public.items (
	id int PRIMARY KEY,
	name text NOT NULL,
	owner text DEFAULT (current_setting('request.jwt.claims', true)::json->>'sub')
);
INSERT INTO public.items (id, name, owner)
SELECT g, 'item ' || g, CASE WHEN g % 2 = 0 THEN 'alice' END FROM generate_series(1, 20) g;
ALTER TABLE public.items ENABLE ROW LEVEL SECURITY;
CREATE POLICY anon_reads_unowned ON public.items FOR SELECT TO anon USING (owner IS NULL);
CREATE POLICY users_read_own ON public.items FOR SELECT TO authenticated
	USING (owner = current_setting('request.jwt.claims', true)::json->>'sub');
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.items TO anon, authenticated, service_role;
CREATE VIEW public.item_totals AS SELECT count(*) AS n FROM public.items;
CREATE VIEW public.item_pairs AS SELECT a.id, b.name FROM public.items a JOIN public.items b ON a.id = b.id;
GRANT ALL ON public.item_totals, public.item_pairs TO anon, authenticated, service_role;`

func supabaseServer(t *testing.T) (string, string) {
	t.Helper()
	dbURL := newDB(t, supabaseSchema)
	_, base := startServer(t, Config{DBURL: asUser(t, dbURL, "authenticator"), Schemas: []string{"public"},
		AnonRole: "anon", JWTSecret: testSecret})
	return dbURL, base
}

func TestCountExactOnPartialPage(t *testing.T) {
	_, base := supabaseServer(t)
	service := "Authorization: Bearer " + token(t, map[string]any{"role": "service_role"})

	r := call(t, "GET", base+"/items?select=id&order=id&limit=5", "", service, "Prefer: count=exact")
	wantStatus(t, r, http.StatusPartialContent)
	wantHeader(t, r, "Content-Range", "0-4/20")
	wantHeader(t, r, "Preference-Applied", "count=exact")
	wantJSON(t, r, `[{"id":1},{"id":2},{"id":3},{"id":4},{"id":5}]`)

	r = call(t, "GET", base+"/items?select=id&order=id&offset=15", "", service, "Prefer: count=exact")
	wantStatus(t, r, http.StatusPartialContent)
	wantHeader(t, r, "Content-Range", "15-19/20")

	// The whole table is not a partial page.
	r = call(t, "GET", base+"/items?select=id", "", service, "Prefer: count=exact")
	wantStatus(t, r, http.StatusOK)
	wantHeader(t, r, "Content-Range", "0-19/20")

	// Without a count the total is unknown and the status is 200.
	r = call(t, "GET", base+"/items?select=id&limit=5", "", service)
	wantStatus(t, r, http.StatusOK)
	wantHeader(t, r, "Content-Range", "0-4/*")
}

func TestRangeHeaderWithCountExact(t *testing.T) {
	_, base := supabaseServer(t)
	service := "Authorization: Bearer " + token(t, map[string]any{"role": "service_role"})

	r := call(t, "GET", base+"/items?select=id&order=id", "", service, "Prefer: count=exact", "Range-Unit: items", "Range: 5-9")
	wantStatus(t, r, http.StatusPartialContent)
	wantHeader(t, r, "Content-Range", "5-9/20")
	wantJSON(t, r, `[{"id":6},{"id":7},{"id":8},{"id":9},{"id":10}]`)

	r = call(t, "GET", base+"/items?select=id&order=id", "", service, "Prefer: count=exact", "Range: 0-99")
	wantStatus(t, r, http.StatusOK)
	wantHeader(t, r, "Content-Range", "0-19/20")

	r = call(t, "GET", base+"/items?select=id", "", service, "Prefer: count=exact", "Range: 25-30")
	wantStatus(t, r, http.StatusRequestedRangeNotSatisfiable)
	wantHeader(t, r, "Content-Range", "*/20")
	code, msg, details, _ := errorBody(t, r)
	if code != "PGRST103" || msg != "Requested range not satisfiable" || details == nil ||
		*details != "An offset of 25 was requested, but there are only 20 rows." {
		t.Errorf("416 body = %s", r.body)
	}
}

// TestUnknownColumn checks that the 42703 error answered from the schema
// cache is the one PostgreSQL itself raises, and PGRST204 for payloads.
func TestUnknownColumn(t *testing.T) {
	dbURL, base := supabaseServer(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `SELECT "public"."items"."nope" FROM "public"."items"`)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		t.Fatalf("PostgreSQL accepted an unknown column: %v", err)
	}

	for _, path := range []string{"/items?select=id,nope", "/items?nope=eq.1", "/items?order=nope", "/items?or=(id.eq.1,nope.eq.2)"} {
		r := call(t, "GET", base+path, "")
		wantStatus(t, r, http.StatusBadRequest)
		code, msg, details, hint := errorBody(t, r)
		if code != pgErr.Code || msg != pgErr.Message || details != nil || hint != nil {
			t.Errorf("%s: got %s, want code %s message %q", path, r.body, pgErr.Code, pgErr.Message)
		}
	}

	r := call(t, "POST", base+"/items", `{"id":100,"name":"x","nope":1}`, "Content-Type: application/json")
	wantStatus(t, r, http.StatusBadRequest)
	if code, msg, _, _ := errorBody(t, r); code != "PGRST204" || msg != "Could not find the 'nope' column of 'items' in the schema cache" {
		t.Errorf("POST unknown key: %s", r.body)
	}
	r = call(t, "PATCH", base+"/items?id=eq.1&columns=nope", `{"name":"x"}`, "Content-Type: application/json")
	wantStatus(t, r, http.StatusBadRequest)
	if code, _, _, _ := errorBody(t, r); code != "PGRST204" {
		t.Errorf("PATCH columns=nope: %s", r.body)
	}
}

func TestBadSelectSyntax(t *testing.T) {
	_, base := supabaseServer(t)
	for _, tc := range []struct{ query, message, details string }{
		{"select=id,name!x", `"failed to parse select parameter (id,name!x)" (line 1, column 8)`,
			`unexpected '!' expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input`},
		{"select=id,name::", `"failed to parse select parameter (id,name::)" (line 1, column 10)`,
			`unexpected end of input expecting letter or digit`},
		{"select=id,(name", `"failed to parse select parameter (id,(name)" (line 1, column 4)`,
			`unexpected "(" expecting "...", field name (* or [a..z0..9_$]), "*" or "count()"`},
	} {
		r := call(t, "GET", base+"/items?"+strings.ReplaceAll(tc.query, "(", "%28"), "")
		wantStatus(t, r, http.StatusBadRequest)
		code, msg, details, hint := errorBody(t, r)
		if code != "PGRST100" || msg != tc.message || details == nil || *details != tc.details || hint != nil {
			t.Errorf("%s:\n got %s\nwant message %s details %s", tc.query, r.body, tc.message, tc.details)
		}
	}
}

func TestInsertIntoNonUpdatableView(t *testing.T) {
	_, base := supabaseServer(t)
	service := "Authorization: Bearer " + token(t, map[string]any{"role": "service_role"})
	for _, tc := range []struct{ path, body, message, details string }{
		{"/item_totals", `{"n":1}`, `cannot insert into view "item_totals"`,
			"Views that return aggregate functions are not automatically updatable."},
		{"/item_pairs", `{"id":1,"name":"x"}`, `cannot insert into view "item_pairs"`,
			"Views that do not select from a single table or view are not automatically updatable."},
	} {
		r := call(t, "POST", base+tc.path, tc.body, "Content-Type: application/json", service)
		wantStatus(t, r, http.StatusInternalServerError)
		wantHeader(t, r, "Proxy-Status", "PostgREST; error=55000")
		code, msg, details, hint := errorBody(t, r)
		if code != "55000" || msg != tc.message || details == nil || *details != tc.details || hint == nil ||
			*hint != "To enable inserting into the view, provide an INSTEAD OF INSERT trigger or an unconditional ON INSERT DO INSTEAD rule." {
			t.Errorf("%s: %s", tc.path, r.body)
		}
	}
	// OPTIONS reflects that the views are read-only.
	r := call(t, "OPTIONS", base+"/item_totals", "")
	wantHeader(t, r, "Allow", "OPTIONS,GET,HEAD")
	r = call(t, "OPTIONS", base+"/items", "")
	wantHeader(t, r, "Allow", "OPTIONS,GET,HEAD,POST,PATCH,DELETE")
}

// TestSupabaseRoles: the server connects as authenticator and switches to
// the token's role, so PostgreSQL enforces grants and RLS.
func TestSupabaseRoles(t *testing.T) {
	_, base := supabaseServer(t)
	service := "Authorization: Bearer " + token(t, map[string]any{"role": "service_role", "iss": "supabase-demo", "exp": 1983812996})
	alice := "Authorization: Bearer " + token(t, map[string]any{"role": "authenticated", "sub": "alice", "aud": "authenticated"})
	body := `{"id":100,"name":"new"}`

	// anon: RLS has no insert policy; 42501 without a token is 401.
	r := call(t, "POST", base+"/items", body, "Content-Type: application/json")
	wantStatus(t, r, http.StatusUnauthorized)
	wantHeader(t, r, "WWW-Authenticate", "Bearer")
	if code, msg, _, _ := errorBody(t, r); code != "42501" || msg != `new row violates row-level security policy for table "items"` {
		t.Errorf("anon insert: %s", r.body)
	}
	// authenticated: same violation, but with a token it is 403.
	r = call(t, "POST", base+"/items", body, "Content-Type: application/json", alice)
	wantStatus(t, r, http.StatusForbidden)
	if r.header.Get("WWW-Authenticate") != "" {
		t.Errorf("403 carries WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
	}
	// service_role bypasses RLS; the owner default reads request.jwt.claims.
	r = call(t, "POST", base+"/items", body, "Content-Type: application/json", service, "Prefer: return=representation")
	wantStatus(t, r, http.StatusCreated)
	wantJSON(t, r, `[{"id":100,"name":"new","owner":null}]`)

	// Reads are filtered by the policies of each role.
	r = call(t, "GET", base+"/items?select=id&limit=3&order=id", "")
	wantJSON(t, r, `[{"id":1},{"id":3},{"id":5}]`)
	r = call(t, "GET", base+"/items?select=id,owner&limit=2&order=id", "", alice)
	wantJSON(t, r, `[{"id":2,"owner":"alice"},{"id":4,"owner":"alice"}]`)
	r = call(t, "GET", base+"/items?select=id", "", service, "Prefer: count=exact")
	wantHeader(t, r, "Content-Range", "0-20/21")

	// A token for a role the connection may not assume.
	r = call(t, "GET", base+"/items", "", "Authorization: Bearer "+token(t, map[string]any{"role": "nobody"}))
	wantStatus(t, r, http.StatusUnauthorized)
	if code, _, _, _ := errorBody(t, r); code != "22023" {
		t.Errorf("unknown role: %s", r.body)
	}
}

func TestAuthErrors(t *testing.T) {
	_, base := supabaseServer(t)
	for _, tc := range []struct {
		auth, code, message string
	}{
		{"Bearer", "PGRST301", "Empty JWT is sent in Authorization header"},
		{"Bearer a.b", "PGRST301", "Expected 3 parts in JWT; got 2"},
		{"Bearer eyJhbGciOiJIUzI1NiJ9.!!!.abc", "PGRST301", "JWT cryptographic operation failed"},
		{"Bearer " + token(t, map[string]any{"role": "anon", "exp": 1000}), "PGRST303", "JWT expired"},
		{"Bearer " + token(t, map[string]any{"role": "anon", "nbf": 99999999999}), "PGRST303", "JWT not yet valid"},
		{"Bearer " + token(t, map[string]any{"role": "anon", "iat": "x"}), "PGRST303", "The JWT 'iat' claim must be a number"},
		{"Bearer " + token(t, map[string]any{"role": "anon", "aud": []any{"a", 1}}), "PGRST303", "The JWT 'aud' claim must be a string or an array of strings"},
	} {
		r := call(t, "GET", base+"/items", "", "Authorization: "+tc.auth)
		wantStatus(t, r, http.StatusUnauthorized)
		code, msg, _, _ := errorBody(t, r)
		if code != tc.code || msg != tc.message {
			t.Errorf("%.30s: got %s", tc.auth, r.body)
		}
		wantHeader(t, r, "WWW-Authenticate", `Bearer error="invalid_token", error_description="`+tc.message+`"`)
	}
	// Signed with another secret.
	other, _ := signWith(map[string]any{"role": "service_role"}, "another-secret-that-is-long-enough!!")
	r := call(t, "GET", base+"/items", "", "Authorization: Bearer "+other)
	wantStatus(t, r, http.StatusUnauthorized)
	if code, _, _, _ := errorBody(t, r); code != "PGRST301" {
		t.Errorf("wrong secret: %s", r.body)
	}
	// Non-bearer schemes are ignored: the request runs as anon.
	r = call(t, "GET", base+"/items?select=id&limit=1", "", "Authorization: Basic dXNlcjpwYXNz")
	wantStatus(t, r, http.StatusOK)
}
