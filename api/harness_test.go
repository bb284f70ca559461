package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmoves/model-registry/api"
	"github.com/pmoves/model-registry/devstack"
	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/devstack/postgrest"
	"github.com/pmoves/model-registry/registry"
	"github.com/pmoves/model-registry/supabase"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const (
	jwtSecret = "test-secret-test-secret-test-secret-0123"
	apiKey    = "registry-api-key-for-tests"
)

// stack is the real thing: a database of its own, the PostgREST-compatible
// server, the supabase client and the API, each on loopback.
type stack struct {
	t          *testing.T
	url        string
	db         string
	serviceKey string
	events     *recorder
	api        *api.Server
	store      *supabase.Client // writes through it bypass the API
	rest       *upstream
}

func newStack(t *testing.T, template string, opts ...func(*api.Config)) *stack {
	t.Helper()
	db := dbtest.New(t, template)
	rest, err := postgrest.New(context.Background(), postgrest.Config{
		DBURL: devstack.AuthenticatorURL(db), Schemas: []string{"pmoves_core"}, AnonRole: "anon",
		JWTSecret: jwtSecret, MaxRows: 1000,
	})
	if err != nil {
		t.Fatal(err)
	}
	tap := &upstream{h: rest}
	restSrv := httptest.NewServer(tap)
	t.Cleanup(func() { restSrv.Close(); rest.Close() })
	serviceKey, err := devstack.SignKey(jwtSecret, "service_role")
	if err != nil {
		t.Fatal(err)
	}
	store, err := supabase.New(supabase.Config{URL: restSrv.URL + "/rest/v1", ServiceKey: serviceKey,
		Schema: "pmoves_core", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	cfg := api.Config{Store: store, Publisher: rec, Keys: []string{serviceKey, apiKey}, Logger: testLogger(t)}
	for _, o := range opts {
		o(&cfg)
	}
	handler := api.New(cfg)
	t.Cleanup(handler.Close)
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return &stack{t: t, url: srv.URL, db: db, serviceKey: serviceKey, events: rec, api: handler, store: store, rest: tap}
}

// upstream stands in front of the PostgREST-compatible server: it counts
// reads by relation, and can hold the next read of a relation or fail its
// reads, which the real server does not do on demand.
type upstream struct {
	h     http.Handler
	mu    sync.Mutex
	reads map[string]int
	holds map[string]*hold
	fails map[string]bool
}

// hold is one read held by upstream.
type hold struct {
	arrived  chan struct{} // closed when the read arrives (or, with answered, once it is answered)
	release  chan struct{} // close to let it through
	finished chan struct{} // closed when its answer was written
	answered bool          // hold the answer back, not the read: it sees the data of when it arrived
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rel := path.Base(r.URL.Path)
	var h *hold
	var fail bool
	// A function call is a read too: the configuration cache asks for the
	// catalogue's version before it reads the catalogue.
	if r.Method == http.MethodGet || strings.Contains(r.URL.Path, "/rpc/") {
		u.mu.Lock()
		if u.reads == nil {
			u.reads = map[string]int{}
		}
		u.reads[rel]++
		h = u.holds[rel]
		delete(u.holds, rel)
		fail = u.fails[rel]
		u.mu.Unlock()
	}
	if h != nil && r.Body != nil {
		// Read a held call's body first: the server notices a client that
		// went away (and cancels r.Context()) only once the body is read.
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	if h != nil && h.answered {
		defer close(h.finished)
		rec := httptest.NewRecorder()
		u.h.ServeHTTP(rec, r)
		close(h.arrived)
		select {
		case <-h.release:
		case <-r.Context().Done():
			return
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return
	}
	if h != nil {
		defer close(h.finished)
		close(h.arrived)
		select {
		case <-h.release:
		case <-r.Context().Done():
			return
		}
	}
	if fail {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"code":"PGRST000","message":"database unavailable (injected)","details":null,"hint":null}`))
		return
	}
	u.h.ServeHTTP(w, r)
}

// readsOf counts the GETs of rel (and the calls of function rel) so far.
func (u *upstream) readsOf(rel string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.reads[rel]
}

// holdNext holds the next GET of rel until the hold is released.
func (u *upstream) holdNext(rel string) *hold {
	h := &hold{arrived: make(chan struct{}), release: make(chan struct{}), finished: make(chan struct{})}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.holds == nil {
		u.holds = map[string]*hold{}
	}
	u.holds[rel] = h
	return h
}

// holdNextAnswer answers the next GET of rel at once but holds the answer
// back until the hold is released.
func (u *upstream) holdNextAnswer(rel string) *hold {
	h := u.holdNext(rel)
	h.answered = true
	return h
}

// failReads makes GETs of rel answer 503 (or not).
func (u *upstream) failReads(rel string, fail bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.fails == nil {
		u.fails = map[string]bool{}
	}
	u.fails[rel] = fail
}

// recorder is a Publisher (and FitnessPublisher) that keeps what it was
// given.
type recorder struct {
	mu      sync.Mutex
	events  []registry.ChangeEvent
	fitness []registry.FitnessEvent
}

func (r *recorder) PublishFitness(_ context.Context, e registry.FitnessEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fitness = append(r.fitness, e)
}

func (r *recorder) fitnessEvents() []registry.FitnessEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]registry.FitnessEvent(nil), r.fitness...)
}

func (r *recorder) Publish(_ context.Context, e registry.ChangeEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) last() registry.ChangeEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.events) == 0 {
		return registry.ChangeEvent{}
	}
	return r.events[len(r.events)-1]
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends a request with the API key (as the given auth header form).
func (s *stack) do(method, path string, body any, headers ...string) response {
	s.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.url+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if len(headers) == 0 {
		headers = []string{"Authorization", "Bearer " + apiKey}
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: raw}
}

// must asserts the status and decodes the body into v (if non-nil).
func (r response) must(t *testing.T, status int, v any) response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	if v != nil {
		if err := json.Unmarshal(r.Body, v); err != nil {
			t.Fatalf("decode %s: %v", r.Body, err)
		}
	}
	return r
}

// errorOf decodes an error envelope.
func (r response) errorOf(t *testing.T) (code, message string, fields map[string]string) {
	t.Helper()
	var env struct {
		Error struct {
			Code    string            `json:"code"`
			Message string            `json:"message"`
			Fields  map[string]string `json:"fields"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &env); err != nil || env.Error.Code == "" {
		t.Fatalf("not an error envelope (status %d): %s", r.Status, r.Body)
	}
	return env.Error.Code, env.Error.Message, env.Error.Fields
}

type list[T any] struct {
	Items []T `json:"items"`
	Count int `json:"count"`
}

// testLogger sends log lines to the test's log, shown when it fails.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
