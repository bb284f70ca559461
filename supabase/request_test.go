package supabase

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pmoves/model-registry/registry"
)

// recorder is a fake PostgREST that answers every request with an empty
// page and remembers what it was asked.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (rec *recorder) handler(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, r.Clone(context.Background()))
	rec.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Range", "*/0")
	w.Write([]byte(`[]`))
}

func (rec *recorder) last(t *testing.T) *http.Request {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.reqs) == 0 {
		t.Fatal("no request")
	}
	return rec.reqs[len(rec.reqs)-1]
}

func TestRequestHeaders(t *testing.T) {
	rec := &recorder{}
	srv := fakeServer(t, rec.handler)
	c := faultClient(t, srv.URL, time.Second)
	ctx := context.Background()
	for _, cl := range []call{
		{"postgrest-go", func(ctx context.Context, c *Client) error { _, err := c.GetModel(ctx, someID); return err }},
		{"raw", func(ctx context.Context, c *Client) error {
			_, _, err := c.ListModels(ctx, registry.ModelFilter{})
			return err
		}},
	} {
		cl.run(ctx, c)
		r := rec.last(t)
		for h, want := range map[string]string{
			"Apikey":          testKey,
			"Authorization":   "Bearer " + testKey,
			"Accept-Profile":  "pmoves_core",
			"Content-Profile": "pmoves_core",
		} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", cl.name, h, got, want)
			}
		}
		if got := r.Header.Values("Accept"); len(got) != 1 || got[0] != "application/json" {
			t.Errorf("%s: Accept = %q", cl.name, got)
		}
	}
}

// TestQueryEncoding checks what PostgREST receives for values that collide
// with its grammar.
func TestQueryEncoding(t *testing.T) {
	rec := &recorder{}
	srv := fakeServer(t, rec.handler)
	c := faultClient(t, srv.URL, time.Second)
	ctx := context.Background()
	active := true
	tests := []struct {
		name string
		run  func()
		path string
		want url.Values
	}{
		{"model filters", func() {
			c.ListModels(ctx, registry.ModelFilter{ModelType: registry.ModelChat, Provider: `ol"la,ma (local)`,
				Active: &active, Q: `qwen, 7b*%_\x"y`, Page: registry.Page{Limit: 10, Offset: 20}})
		}, "/rest/v1/v_active_models", url.Values{
			"select":     {"*"},
			"order":      {"name.asc,provider_name.asc,id.asc"},
			"model_type": {"eq.chat"},
			"and": {`(or(provider_name.eq."ol\"la,ma (local)",provider_type.eq."ol\"la,ma (local)"),` +
				`or(name.ilike."*qwen, 7b_\\%\\_\\\\x\"y*",model_id.ilike."*qwen, 7b_\\%\\_\\\\x\"y*",` +
				`description.ilike."*qwen, 7b_\\%\\_\\\\x\"y*"))`},
			"limit":  {"10"},
			"offset": {"20"},
		}},
		{"deployment filters", func() {
			c.ListDeployments(ctx, registry.DeploymentFilter{NodeID: `gpu.node-1, "a"(b)`, ModelID: someID,
				Statuses: []registry.DeploymentStatus{registry.StatusLoaded, registry.StatusError}})
		}, "/rest/v1/v_deployments", url.Values{
			"select":   {"*"},
			"order":    {"node_id.asc,model_name.asc,model_id.asc"},
			"node_id":  {`eq.gpu.node-1, "a"(b)`},
			"model_id": {"eq." + someID},
			"status":   {`in.("loaded","error")`},
			"limit":    {"100"},
			"offset":   {"0"},
		}},
		{"alias in context", func() {
			scope := `ui, "chat"`
			c.ResolveAlias(ctx, "fast & cheap+", &scope)
		}, "/rest/v1/model_aliases", url.Values{
			"select": {"model_id,context"},
			"alias":  {"eq.fast & cheap+"},
			"or":     {`(context.eq."ui, \"chat\"",context.is.null)`},
			"order":  {"context.asc.nullslast"},
			"limit":  {"1"},
		}},
		{"mapping delete", func() {
			c.DeleteMapping(ctx, registry.MappingKey{Service: "svc.a", Function: "f,1", Variant: "v(2)"})
		}, "/rest/v1/service_model_mappings", url.Values{
			"service_name":  {"eq.svc.a"},
			"function_name": {"eq.f,1"},
			"variant_name":  {"eq.v(2)"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run()
			r := rec.last(t)
			if r.URL.Path != tc.path {
				t.Errorf("path %s, want %s", r.URL.Path, tc.path)
			}
			// PostgREST decodes "+" as a space, like ParseQuery.
			got, err := url.ParseQuery(r.URL.RawQuery)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("query (-want +got):\n%s\nraw: %s", d, r.URL.RawQuery)
			}
		})
	}
}

func TestUpsertRequest(t *testing.T) {
	rec := &recorder{}
	srv := fakeServer(t, rec.handler)
	c := faultClient(t, srv.URL, time.Second)
	c.PutMapping(context.Background(), registry.MappingInput{ServiceName: "s", FunctionName: "f", VariantName: "v", ModelID: someID})
	r := rec.last(t)
	if r.Method != http.MethodPost || r.URL.Query().Get("on_conflict") != "service_name,function_name,variant_name" {
		t.Errorf("request %s %s", r.Method, r.URL)
	}
	if got := r.Header.Get("Prefer"); got != "resolution=merge-duplicates,return=representation" {
		t.Errorf("Prefer = %q", got)
	}
}

func TestLikeEscape(t *testing.T) {
	for in, want := range map[string]string{
		"qwen":     "qwen",
		"100%":     `100\%`,
		"a_b":      `a\_b`,
		`c:\x`:     `c:\\x`,
		"gpt-4*":   "gpt-4_",
		"a, (b).c": "a, (b).c",
	} {
		if got := likeEscape(in); got != want {
			t.Errorf("likeEscape(%q) = %q, want %q", in, got, want)
		}
	}
	if got, want := quote(`a"b\c`), `"a\"b\\c"`; got != want {
		t.Errorf("quote = %s, want %s", got, want)
	}
}

func TestContentRange(t *testing.T) {
	for in, want := range map[string]int{"0-99/1234": 1234, "*/0": 0, "*/15": 15, "0-9/*": -1} {
		if got, ok := contentRange(in); !ok || got != want {
			t.Errorf("contentRange(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "0-9", "0-9/x", "0-9/-1"} {
		if _, ok := contentRange(in); ok {
			t.Errorf("contentRange(%q) accepted", in)
		}
	}
}

// pagedServer is a fake PostgREST table of n rows {"n": i} that returns at
// most maxRows rows per request, like PGRST_DB_MAX_ROWS.
func pagedServer(t *testing.T, n, maxRows int, requests *atomic.Int64, delay time.Duration) *httptest.Server {
	return fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		requests.Add(1)
		q := r.URL.Query()
		limit, _ := strconv.Atoi(q.Get("limit"))
		offset, _ := strconv.Atoi(q.Get("offset"))
		if offset > n {
			w.Header().Set("Content-Range", fmt.Sprintf("*/%d", n))
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			fmt.Fprintf(w, `{"code":"PGRST103","message":"Requested range not satisfiable","details":"An offset of %d was requested, but there are only %d rows.","hint":null}`, offset, n)
			return
		}
		end := min(offset+min(limit, maxRows), n)
		rows := []map[string]int{}
		for i := offset; i < end; i++ {
			rows = append(rows, map[string]int{"n": i})
		}
		if len(rows) == 0 {
			w.Header().Set("Content-Range", fmt.Sprintf("*/%d", n))
		} else {
			w.Header().Set("Content-Range", fmt.Sprintf("%d-%d/%d", offset, end-1, n))
		}
		json.NewEncoder(w).Encode(rows)
	})
}

func TestListPagesPastMaxRows(t *testing.T) {
	type row struct {
		N int `json:"n"`
	}
	tests := []struct {
		n, maxRows, limit, offset int
		wantRows, wantReqs        int
	}{
		{n: 2500, maxRows: 1000, limit: -1, wantRows: 2500, wantReqs: 3},
		{n: 2000, maxRows: 1000, limit: -1, wantRows: 2000, wantReqs: 2},
		{n: 1500, maxRows: 300, limit: 1000, offset: 100, wantRows: 1000, wantReqs: 4},
		{n: 1500, maxRows: 1000, limit: 1000, offset: 1200, wantRows: 300, wantReqs: 1},
		{n: 15, maxRows: 1000, limit: 10, offset: 100, wantRows: 0, wantReqs: 1}, // 416
		{n: 0, maxRows: 1000, limit: -1, wantRows: 0, wantReqs: 1},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d_rows_cap_%d_limit_%d_offset_%d", tc.n, tc.maxRows, tc.limit, tc.offset), func(t *testing.T) {
			var reqs atomic.Int64
			srv := pagedServer(t, tc.n, tc.maxRows, &reqs, 0)
			c := faultClient(t, srv.URL, time.Second)
			rows, total, err := list[row](context.Background(), c, "t", newQuery("*").order("n.asc"), tc.limit, tc.offset)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != tc.wantRows || total != tc.n || reqs.Load() != int64(tc.wantReqs) {
				t.Errorf("got %d rows, total %d, %d requests; want %d, %d, %d", len(rows), total, reqs.Load(), tc.wantRows, tc.n, tc.wantReqs)
			}
			for i, r := range rows {
				if r.N != tc.offset+i {
					t.Fatalf("row %d is %d", i, r.N)
				}
			}
		})
	}
}

// TestDeadlineCoversWholeCall: a call that needs many slow requests ends
// at its deadline, not after a deadline per request.
func TestDeadlineCoversWholeCall(t *testing.T) {
	var reqs atomic.Int64
	srv := pagedServer(t, 1000, 50, &reqs, 100*time.Millisecond)
	c := faultClient(t, srv.URL, 350*time.Millisecond)
	start := time.Now()
	_, _, err := c.ListProviders(context.Background(), registry.ProviderFilter{Page: registry.Page{Limit: 1000}})
	if d := time.Since(start); d > time.Second {
		t.Errorf("returned after %s; deadline 350ms", d)
	}
	checkErr(t, err, registry.ErrUnavailable, 0)
}

func TestListWithoutContentRange(t *testing.T) {
	srv := fakeServer(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`[]`)) })
	c := faultClient(t, srv.URL, time.Second)
	_, _, err := c.ListProviders(context.Background(), registry.ProviderFilter{})
	checkErr(t, err, registry.ErrUnavailable, 200)
}

func TestListInvalidPage(t *testing.T) {
	c := faultClient(t, "http://127.0.0.1:1", time.Second)
	for _, p := range []registry.Page{{Limit: -1}, {Limit: 1001}, {Offset: -1}} {
		_, _, err := c.ListAliases(context.Background(), registry.AliasFilter{Page: p})
		if !errors.Is(err, registry.ErrInvalid) {
			t.Errorf("page %+v: error %v, want ErrInvalid", p, err)
		}
	}
}
