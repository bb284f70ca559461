package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pmoves/model-registry/api"
	"github.com/pmoves/model-registry/devstack"
	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/devstack/postgrest"
	"github.com/pmoves/model-registry/supabase"
)

// switchable is the PostgREST-compatible server behind a listener that can
// be closed and opened again on the same address.
type switchable struct {
	t    *testing.T
	addr string
	h    http.Handler
	mu   sync.Mutex
	srv  *http.Server
}

func (s *switchable) start() {
	s.t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // the port may linger briefly after a close
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	s.mu.Lock()
	s.srv = &http.Server{Handler: s.h}
	s.mu.Unlock()
	go s.srv.Serve(ln)
}

func (s *switchable) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.srv.Close()
}

// TestBackendStoppedMidLoad stops PostgREST under load: requests answer 503
// within their deadline, nothing leaks, and the API recovers within a second
// of PostgREST's return.
func TestBackendStoppedMidLoad(t *testing.T) {
	db := dbtest.New(t, dbtest.TemplateSeeded)
	rest, err := postgrest.New(context.Background(), postgrest.Config{DBURL: devstack.AuthenticatorURL(db),
		Schemas: []string{"pmoves_core"}, AnonRole: "anon", JWTSecret: jwtSecret, MaxRows: 1000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rest.Close)
	up := &switchable{t: t, addr: "127.0.0.1:0", h: rest}
	up.start()
	t.Cleanup(up.stop)
	key, _ := devstack.SignKey(jwtSecret, "service_role")
	const deadline = 500 * time.Millisecond
	store, err := supabase.New(supabase.Config{URL: "http://" + up.addr + "/rest/v1", ServiceKey: key, Timeout: deadline})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Config{Store: store, Keys: []string{apiKey}}))
	client := &http.Client{Timeout: 10 * time.Second}
	before := runtime.NumGoroutine()

	var stopped atomic.Bool
	var ok, unavailable, slow, other atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				start := time.Now()
				res, err := client.Get(srv.URL + "/api/models?limit=20")
				if err != nil {
					other.Add(1)
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				switch {
				case res.StatusCode == 200:
					ok.Add(1)
				case res.StatusCode == 503:
					unavailable.Add(1)
					if time.Since(start) > deadline+time.Second {
						slow.Add(1)
					}
				default:
					other.Add(1)
				}
				_ = stopped.Load()
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	up.stop()
	stopped.Store(true)
	time.Sleep(700 * time.Millisecond)
	up.start()
	back := time.Now()
	// Recovery: a request succeeds within a second of PostgREST's return.
	for {
		res, err := client.Get(srv.URL + "/api/models?limit=1")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Since(back) > time.Second {
			t.Fatalf("no recovery within a second of PostgREST's return")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if unavailable.Load() == 0 || ok.Load() == 0 {
		t.Errorf("load saw %d ok and %d 503, want both", ok.Load(), unavailable.Load())
	}
	if other.Load() != 0 || slow.Load() != 0 {
		t.Errorf("%d answers were neither 200 nor 503, %d 503s came after the deadline", other.Load(), slow.Load())
	}
	srv.Close()
	store.Close()
	client.CloseIdleConnections()
	waitGoroutines(t, before)
}

func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMalformedInputSweep throws hostile input at every route: no answer is
// a 5xx, and none carries a key.
func TestMalformedInputSweep(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	var logMu sync.Mutex
	s := newStack(t, dbtest.TemplateSeeded, func(c *api.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(lockedWriter{&logs, &logMu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	nasty := []string{
		"", " ", "null", "[]", "{}", `"str"`, "0", "-1", "1e309", "99999999999999999999999", "true",
		`{"name":` + strings.Repeat("[", 500) + `}`, `{"name":"\u0000"}`, `{"name":"` + strings.Repeat("é", 300) + `"}`,
		`{"model_id":"' OR 1=1 --"}`, `{"provider_id":"00000000-0000-0000-0000-000000000000","name":"x","model_id":"x","model_type":"chat","vram_mb":1e99}`,
		`{"status":["loaded"]}`, `{"weight":-0.0001}`, `{"priority":2147483648}`, "\xff\xfe", `{"metadata":"x"}`,
		`{"type":{"$ne":1}}`, `{"capabilities":[1,2]}`, `{"api_key_env_var":"sk-live-abc"}`,
	}
	segments := []string{"x", "00000000-0000-0000-0000-000000000000", "%27%3B%20DROP%20TABLE%20models%3B--",
		"a.b,c(d)", "%E2%98%83", strings.Repeat("a", 2000), "..%2F..%2Fetc", "%00", "not%20a%20uuid"}
	queries := []string{"", "?limit=1e9", "?offset=-1", "?model_type=%27", "?q=%25%5F%2A", "?provider=or%3D(id.eq.1)",
		"?active=1", "?status=loaded,%27x", "?node_id=%22%29", "?context=%00", "?cascade=yes", "?select=*", "?order=id.desc"}
	routes := []struct{ method, path string }{
		{"GET", "/api/models"}, {"POST", "/api/models"}, {"GET", "/api/models/%s"}, {"PUT", "/api/models/%s"},
		{"PATCH", "/api/models/%s"}, {"DELETE", "/api/models/%s"},
		{"GET", "/api/providers"}, {"POST", "/api/providers"}, {"GET", "/api/providers/%s"}, {"PUT", "/api/providers/%s"},
		{"PATCH", "/api/providers/%s"}, {"DELETE", "/api/providers/%s"},
		{"GET", "/api/mappings"}, {"POST", "/api/mappings"}, {"GET", "/api/mappings/%s"},
		{"PUT", "/api/mappings/%s/%s/%s"}, {"DELETE", "/api/mappings/%s/%s/%s"}, {"GET", "/api/services/%s/models"},
		{"GET", "/api/aliases"}, {"POST", "/api/aliases"}, {"DELETE", "/api/aliases/%s"}, {"GET", "/api/aliases/resolve/%s"},
		{"GET", "/api/deployments"}, {"POST", "/api/deployments/register"}, {"PUT", "/api/deployments/%s/status"},
		{"GET", "/api/tensorzero/config"}, {"GET", "/api/tensorzero/functions"}, {"POST", "/api/tensorzero/validate"},
		{"GET", "/healthz"}, {"GET", "/readyz"},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	count := 0
	for _, r := range routes {
		for i := 0; i < 12; i++ {
			seg := segments[rng.IntN(len(segments))]
			path := strings.ReplaceAll(r.path, "%s", seg) + queries[rng.IntN(len(queries))]
			body := nasty[rng.IntN(len(nasty))]
			res := s.do(r.method, path, body)
			count++
			if res.Status >= 500 {
				t.Errorf("%s %s %q: %d %s", r.method, path, body, res.Status, res.Body)
			}
			for _, key := range []string{apiKey, s.serviceKey} {
				if bytes.Contains(res.Body, []byte(key)) {
					t.Errorf("%s %s: a key in the response", r.method, path)
				}
			}
		}
	}
	logMu.Lock()
	defer logMu.Unlock()
	for _, key := range []string{apiKey, s.serviceKey, jwtSecret} {
		if strings.Contains(logs.String(), key) {
			t.Errorf("a key or secret appears in the logs")
		}
	}
	if !strings.Contains(logs.String(), `"request_id"`) {
		t.Error("no request log lines captured")
	}
	t.Logf("%d hostile requests, no 5xx", count)
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// TestEveryWriteRouteNeedsAKey tries each write route without a key and
// with a wrong one.
func TestEveryWriteRouteNeedsAKey(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateSeeded)
	id := "00000000-0000-0000-0000-000000000000"
	writes := []struct{ method, path string }{
		{"POST", "/api/models"}, {"PUT", "/api/models/" + id}, {"PATCH", "/api/models/" + id}, {"DELETE", "/api/models/" + id},
		{"POST", "/api/providers"}, {"PUT", "/api/providers/" + id}, {"PATCH", "/api/providers/" + id}, {"DELETE", "/api/providers/" + id},
		{"POST", "/api/mappings"}, {"PUT", "/api/mappings/s/f/v"}, {"DELETE", "/api/mappings/s/f/v"},
		{"POST", "/api/aliases"}, {"DELETE", "/api/aliases/" + id},
		{"POST", "/api/deployments/register"}, {"PUT", "/api/deployments/" + id + "/status"},
	}
	for _, w := range writes {
		for _, h := range [][]string{{"X-None", "x"}, {"Authorization", "Bearer " + url.QueryEscape("not-the-key")}, {"apikey", apiKey + "x"}} {
			r := s.do(w.method, w.path, `{}`, h...)
			if r.Status != 401 {
				t.Errorf("%s %s with %v: %d, want 401", w.method, w.path, h, r.Status)
			}
		}
	}
	if n := s.events.count(); n != 0 {
		t.Errorf("%d change events from refused writes", n)
	}
	_ = fmt.Sprint
}
