package supabase

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/registry"
)

// requestLog counts a Client's requests by "METHOD relation".
type requestLog struct {
	mu sync.Mutex
	n  map[string]int
}

func (l *requestLog) observe(rel, method string, _ int, _ time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == nil {
		l.n = map[string]int{}
	}
	l.n[method+" "+rel]++
}

// take returns the counts so far and starts again from zero.
func (l *requestLog) take() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.n
	l.n = nil
	if n == nil {
		n = map[string]int{}
	}
	return n
}

// observed is a second Client of the test's server whose requests are
// counted.
func (e *env) observed(t *testing.T) (*Client, *requestLog) {
	t.Helper()
	l := &requestLog{}
	c, err := New(Config{URL: e.restURL, ServiceKey: signKey(t, jwtSecret, "service_role"),
		Timeout: 30 * time.Second, Observe: l.observe})
	ok(t, err)
	t.Cleanup(c.Close)
	return c, l
}

// batchResult is RecordDeployments' answer for one event.
type batchResult struct {
	d       registry.Deployment
	applied bool
	created bool
	err     error
}

// recordBatch records a batch as RecordDeployments does and zips the
// answers, with whether each event created its pair.
func recordBatch(t *testing.T, c *Client, regs []registry.DeploymentRegistration, observed []time.Time) []batchResult {
	t.Helper()
	ds, applied, created, errs := c.recordDeployments(context.Background(), regs, observed, false)
	if len(ds) != len(regs) || len(applied) != len(regs) || len(created) != len(regs) || len(errs) != len(regs) {
		t.Fatalf("%d events, answers %d/%d/%d/%d", len(regs), len(ds), len(applied), len(created), len(errs))
	}
	out := make([]batchResult, len(regs))
	for i := range out {
		out[i] = batchResult{ds[i], applied[i], created[i], errs[i]}
	}
	return out
}

// state reads the deployment of (model, node) with its observation time.
func (e *env) state(t *testing.T, modelID, node string) deploymentState {
	t.Helper()
	rows := must(execRows[deploymentState](context.Background(), e.c, e.c.pg.From(tableDeployments).
		Select("*", "", false).Eq("model_id", modelID).Eq("node_id", node)))(t)
	if len(rows) != 1 {
		t.Fatalf("%d deployments of %s on %q", len(rows), modelID, node)
	}
	return rows[0]
}

// oneCall is the request log of one registry_record_deployments call.
var oneCall = map[string]int{"POST rpc/registry_record_deployments": 1}

// base is a whole microsecond, as PostgreSQL stores times.
func base() time.Time { return time.Now().UTC().Truncate(time.Second).Add(-time.Hour) }

func wantRequests(t *testing.T, got, want map[string]int) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("requests = %v, want %v", got, want)
	}
}

// A burst of new pairs is one call; delivered again, also one call, each
// event applied again (harmlessly) by its guarded update.
func TestIntegrationRecordDeploymentsBulk(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.TemplateEmpty)
	c, reqs := e.observed(t)
	p := e.provider(t, "ollama_local", registry.ProviderOllama)
	var models []registry.Model
	for i := range 4 {
		models = append(models, e.model(t, p.ID, fmt.Sprintf("m%d", i), fmt.Sprintf("model-%d:7b", i)))
	}
	reqs.take()

	const n = 200
	t0 := base()
	regs := make([]registry.DeploymentRegistration, n)
	observed := make([]time.Time, n)
	for i := range n {
		m := models[i%len(models)]
		r := registry.DeploymentRegistration{NodeID: fmt.Sprintf("gpu-%03d", i/len(models)),
			ProviderType: registry.DeployOllama, VRAMAllocatedMB: ptr(1000 + i)}
		if i%2 == 0 {
			r.ModelID = strings.ToUpper(m.ID)
		} else {
			r.ProviderModelID = m.ModelID
		}
		if i%5 == 4 {
			r.Status, r.VRAMAllocatedMB = registry.StatusUnloaded, nil
		}
		regs[i], observed[i] = r, t0.Add(time.Duration(i)*time.Millisecond)
	}
	res := recordBatch(t, c, regs, observed)
	wantRequests(t, reqs.take(), oneCall)
	for i, r := range res {
		m := models[i%len(models)]
		if r.err != nil || !r.applied || !r.created || r.d.ModelID != m.ID || r.d.NodeID != regs[i].NodeID {
			t.Fatalf("event %d: %+v", i, r)
		}
		st := e.state(t, m.ID, regs[i].NodeID)
		wantStatus, loaded := registry.StatusLoaded, true
		if i%5 == 4 {
			wantStatus, loaded = registry.StatusUnloaded, false
		}
		if st.ID != r.d.ID || st.Status != wantStatus || (st.LoadedAt != nil) != loaded ||
			!st.StateObservedAt.Equal(observed[i]) || !st.LastSeenAt.Equal(observed[i]) ||
			(loaded && (*st.VRAMAllocatedMB != 1000+i || !st.LoadedAt.Equal(observed[i]))) {
			t.Fatalf("event %d stored %+v (observed %v)", i, st, st.StateObservedAt)
		}
	}
	if got := e.count(t, "SELECT count(*) FROM pmoves_core.model_deployments"); got != n {
		t.Fatalf("%d deployments, want %d", got, n)
	}

	// Redelivered: every pair exists and the state is as old as the event,
	// so each is applied again (harmless) through the guarded update.
	res = recordBatch(t, c, regs, observed)
	wantRequests(t, reqs.take(), oneCall)
	for i, r := range res {
		if r.err != nil || !r.applied || r.created || r.d.CreatedAt.Equal(r.d.UpdatedAt) {
			t.Fatalf("redelivered event %d: %+v", i, r)
		}
	}
	if got := e.count(t, "SELECT count(*) FROM pmoves_core.model_deployments"); got != n {
		t.Fatalf("%d deployments after redelivery, want %d", got, n)
	}
}

// One batch mixing new pairs, existing pairs, a duplicate pair, an older
// event after a newer one, unknown and ambiguous models and an invalid
// event: each event gets what it would alone, in one call.
func TestIntegrationRecordDeploymentsMixed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.TemplateEmpty)
	c, reqs := e.observed(t)
	local := e.provider(t, "ollama_local", registry.ProviderOllama)
	edge := e.provider(t, "ollama_edge", registry.ProviderOllama)
	a := e.model(t, local.ID, "a", "a:7b")
	b := e.model(t, local.ID, "b", "b:7b")
	e.model(t, local.ID, "twin", "twin:1b")
	e.model(t, edge.ID, "twin", "twin:1b")
	t0 := base()
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	nasty := `gpu.node-3, "x" (y)\z`
	for _, pre := range []struct {
		model, node string
		seen        time.Time
	}{{a.ID, "exist-1", at(0)}, {a.ID, "exist-2", at(10)}, {b.ID, nasty, at(0)}} {
		r := recordBatch(t, c, []registry.DeploymentRegistration{{ModelID: pre.model, NodeID: pre.node,
			ProviderType: registry.DeployOllama, VRAMAllocatedMB: ptr(5000)}}, []time.Time{pre.seen})
		ok(t, r[0].err)
	}
	reqs.take()

	load := func(m, node string) registry.DeploymentRegistration {
		return registry.DeploymentRegistration{ModelID: m, NodeID: node, ProviderType: registry.DeployOllama}
	}
	unload := func(m, node string) registry.DeploymentRegistration {
		r := load(m, node)
		r.Status = registry.StatusUnloaded
		return r
	}
	events := []struct {
		reg      registry.DeploymentRegistration
		at       int
		applied  bool
		err      error
		creating bool
	}{
		0:  {reg: load(a.ID, "new-1"), at: 1, applied: true, creating: true},
		1:  {reg: unload(a.ID, "exist-1"), at: 1, applied: true},
		2:  {reg: unload(a.ID, "exist-2"), at: 5}, // older than the stored state
		3:  {reg: load(b.ID, "dup"), at: 1, applied: true, creating: true},
		4:  {reg: unload(b.ID, "dup"), at: 2, applied: true}, // the same pair, later
		5:  {reg: load(b.ID, "dup"), at: 0},                  // and an older one after it
		6:  {reg: load(b.ID, nasty), at: 2, applied: true},   // loaded again: loaded_at stays
		7:  {reg: registry.DeploymentRegistration{ProviderModelID: "ghost:1b", NodeID: "n", ProviderType: registry.DeployOllama}, at: 1, err: registry.ErrNotFound},
		8:  {reg: registry.DeploymentRegistration{ProviderModelID: "twin:1b", NodeID: "n", ProviderType: registry.DeployOllama}, at: 1, err: registry.ErrConflict},
		9:  {reg: registry.DeploymentRegistration{ProviderModelID: "b:7b", NodeID: "", ProviderType: registry.DeployOllama}, at: 1, err: registry.ErrInvalid},
		10: {reg: unload(b.ID, nasty), at: 1}, // older than event 6 before it
		11: {reg: registry.DeploymentRegistration{ProviderModelID: "b:7b", NodeID: "new-2", ProviderType: registry.DeployOllama}, at: 3, applied: true, creating: true},
	}
	regs := make([]registry.DeploymentRegistration, len(events))
	observed := make([]time.Time, len(events))
	for i, ev := range events {
		regs[i], observed[i] = ev.reg, at(ev.at)
	}
	res := recordBatch(t, c, regs, observed)
	for i, ev := range events {
		r := res[i]
		switch {
		case ev.err != nil:
			wantKind(t, r.err, ev.err)
		case r.err != nil:
			t.Errorf("event %d: %v", i, r.err)
		case r.applied != ev.applied:
			t.Errorf("event %d: applied %v, want %v", i, r.applied, ev.applied)
		case r.created != ev.creating:
			t.Errorf("event %d: created %v, want %v", i, r.created, ev.creating)
		}
	}
	wantRequests(t, reqs.take(), oneCall)

	check := func(model, node string, status registry.DeploymentStatus, observedAt, seen time.Time, loadedAt *time.Time) {
		t.Helper()
		st := e.state(t, model, node)
		if st.Status != status || !st.StateObservedAt.Equal(observedAt) || !st.LastSeenAt.Equal(seen) ||
			(loadedAt == nil) != (st.LoadedAt == nil) || (loadedAt != nil && !st.LoadedAt.Equal(*loadedAt)) {
			t.Errorf("%s on %q = %s observed %v seen %v loaded %v", model, node, st.Status, st.StateObservedAt, st.LastSeenAt, st.LoadedAt)
		}
	}
	check(a.ID, "new-1", registry.StatusLoaded, at(1), at(1), ptr(at(1)))
	check(a.ID, "exist-1", registry.StatusUnloaded, at(1), at(1), ptr(at(0)))
	check(a.ID, "exist-2", registry.StatusLoaded, at(10), at(10), ptr(at(10)))
	check(b.ID, "dup", registry.StatusUnloaded, at(2), at(2), ptr(at(1)))
	check(b.ID, nasty, registry.StatusLoaded, at(2), at(2), ptr(at(0)))
	check(b.ID, "new-2", registry.StatusLoaded, at(3), at(3), ptr(at(3)))
	if st := e.state(t, a.ID, "exist-1"); st.VRAMAllocatedMB == nil || *st.VRAMAllocatedMB != 5000 {
		t.Errorf("an event without VRAM cleared it: %+v", st)
	}
	if n := e.count(t, "SELECT count(*) FROM pmoves_core.model_deployments"); n != 6 {
		t.Errorf("%d deployments, want 6", n)
	}
}

// An event whose model does not exist (a foreign key violation) fails
// alone: the others of its batch are recorded.
func TestIntegrationRecordDeploymentsFailureFailsAlone(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dbtest.TemplateEmpty)
	c, reqs := e.observed(t)
	p := e.provider(t, "ollama_local", registry.ProviderOllama)
	a := e.model(t, p.ID, "a", "a:7b")
	reqs.take()
	gone := "0f0f0f0f-0000-4000-8000-000000000000"
	t0 := base()
	regs := []registry.DeploymentRegistration{
		{ModelID: a.ID, NodeID: "n1", ProviderType: registry.DeployOllama},
		{ModelID: gone, NodeID: "n1", ProviderType: registry.DeployOllama},
		{ModelID: a.ID, NodeID: "n2", ProviderType: registry.DeployOllama},
		{ModelID: a.ID, NodeID: "n2", ProviderType: registry.DeployOllama, Status: registry.StatusUnloaded},
	}
	res := recordBatch(t, c, regs, []time.Time{t0, t0, t0, t0.Add(time.Second)})
	wantKind(t, res[1].err, registry.ErrNotFound)
	for _, i := range []int{0, 2, 3} {
		if res[i].err != nil || !res[i].applied {
			t.Errorf("event %d: %+v", i, res[i])
		}
	}
	wantRequests(t, reqs.take(), oneCall)
	if st := e.state(t, a.ID, "n2"); st.Status != registry.StatusUnloaded {
		t.Errorf("n2 is %s, want unloaded", st.Status)
	}
	if n := e.count(t, "SELECT count(*) FROM pmoves_core.model_deployments"); n != 2 {
		t.Errorf("%d deployments, want 2", n)
	}
}

// An unavailable store fails every event of the batch, after one request.
func TestRecordDeploymentsUnavailableNoFallback(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"code":"PGRST001","message":"Database client error. Retrying the connection."}`))
	})
	c := faultClient(t, srv.URL, 5*time.Second)
	regs := []registry.DeploymentRegistration{
		{ModelID: someID, NodeID: "n1", ProviderType: registry.DeployOllama},
		{ModelID: someID, NodeID: "n2", ProviderType: registry.DeployOllama},
		{ModelID: someID, NodeID: "n2", ProviderType: registry.DeployOllama, Status: registry.StatusUnloaded},
	}
	t0 := base()
	res := recordBatch(t, c, regs, []time.Time{t0, t0, t0})
	for i, r := range res {
		checkErr(t, r.err, registry.ErrUnavailable, http.StatusServiceUnavailable)
		if r.applied {
			t.Errorf("event %d applied", i)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}
