package api_test

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmoves/model-registry/api"
	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/registry"
)

// catalogueRel is called by every read of the catalogue (first, to learn
// whether it changed) and by nothing else the API does, so its calls count
// catalogue reads.
const catalogueRel = "registry_catalog_version"

func configTTL(ttl time.Duration) func(*api.Config) {
	return func(c *api.Config) { c.ConfigTTL = ttl }
}

// configAnswer is GET /api/tensorzero/config as seen from a goroutine that
// may not fail the test.
type configAnswer struct {
	status int
	etag   string
	body   string
	took   time.Duration
	err    error
}

var configClient = &http.Client{Timeout: 3 * time.Second}

func (s *stack) getConfig() configAnswer {
	start := time.Now()
	res, err := configClient.Get(s.url + "/api/tensorzero/config")
	if err != nil {
		return configAnswer{err: err}
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return configAnswer{status: res.StatusCode, etag: res.Header.Get("ETag"), body: string(body), took: time.Since(start), err: err}
}

// config fails the test unless the configuration is answered with 200.
func (s *stack) config(t *testing.T) configAnswer {
	t.Helper()
	a := s.getConfig()
	if a.err != nil || a.status != http.StatusOK {
		t.Fatalf("GET config: %d %v %.200s", a.status, a.err, a.body)
	}
	return a
}

// concurrently sends n config requests at once.
func (s *stack) concurrently(n int) []configAnswer {
	out := make([]configAnswer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = s.getConfig()
		}()
	}
	close(start)
	wg.Wait()
	return out
}

func hasFunction(a configAnswer, fn string) bool {
	return strings.Contains(a.body, "[functions."+fn)
}

// chatModel is the id of an active chat model of the seed.
func (s *stack) chatModel(t *testing.T) string {
	t.Helper()
	ms, _, err := s.store.ListModels(context.Background(), registry.ModelFilter{ModelType: registry.ModelChat, Page: registry.Page{Limit: 1}})
	if err != nil || len(ms) == 0 {
		t.Fatalf("no chat model: %v", err)
	}
	return ms[0].ID
}

// mapBehindTheBack adds a function straight through PostgREST: the
// registry neither sees the write nor hears of it.
func (s *stack) mapBehindTheBack(t *testing.T, fn string) {
	t.Helper()
	in := registry.MappingInput{ServiceName: "svc", FunctionName: fn, VariantName: "v", ModelID: s.chatModel(t)}
	if _, _, err := s.store.PutMapping(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

// mapThroughAPI adds a function with a write to the registry.
func (s *stack) mapThroughAPI(t *testing.T, fn string) {
	t.Helper()
	s.do("PUT", "/api/mappings/svc/"+fn+"/v", map[string]any{"model_id": s.chatModel(t)}).must(t, 201, nil)
}

func waitClosed(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting until %s", what)
	}
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestConfigInvalidateSharesOneRead: after Invalidate, concurrent requests
// wait for one catalogue read and all get what it read.
func TestConfigInvalidateSharesOneRead(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateSeeded, configTTL(time.Hour))
	old := s.config(t)
	s.mapBehindTheBack(t, "fn_after_invalidate")
	if a := s.config(t); a.etag != old.etag || hasFunction(a, "fn_after_invalidate") {
		t.Fatal("within the TTL and without Invalidate, the cache was not used")
	}

	before := s.rest.readsOf(catalogueRel)
	h := s.rest.holdNext(catalogueRel)
	s.api.Invalidate()
	const n = 16
	var answers []configAnswer
	done := make(chan struct{})
	go func() { answers = s.concurrently(n); close(done) }()
	waitClosed(t, h.arrived, "the read after Invalidate began")
	time.Sleep(200 * time.Millisecond) // let the other requests arrive and wait
	close(h.release)
	waitClosed(t, done, "the requests were answered")

	if reads := s.rest.readsOf(catalogueRel) - before; reads != 1 {
		t.Errorf("%d concurrent requests after Invalidate made %d catalogue reads, want 1", n, reads)
	}
	for i, a := range answers {
		if a.err != nil || a.status != 200 || !hasFunction(a, "fn_after_invalidate") || a.etag == old.etag || a.etag != answers[0].etag {
			t.Errorf("request %d: %d %v, etag %s (old %s, first %s), has the new function %v",
				i, a.status, a.err, a.etag, old.etag, answers[0].etag, hasFunction(a, "fn_after_invalidate"))
		}
	}
}

// TestConfigExpiredIsServedWhileOneRefreshRuns: past the TTL, requests get
// the cached rendering at once while one read refreshes it; a change made
// behind the registry's back shows after that read.
func TestConfigExpiredIsServedWhileOneRefreshRuns(t *testing.T) {
	t.Parallel()
	const ttl = 500 * time.Millisecond
	s := newStack(t, dbtest.TemplateSeeded, configTTL(ttl))
	old := s.config(t)
	s.mapBehindTheBack(t, "fn_behind_the_back")
	time.Sleep(ttl + 50*time.Millisecond) // the cache expires

	before := s.rest.readsOf(catalogueRel)
	h := s.rest.holdNext(catalogueRel)
	check := func(stage string, answers ...configAnswer) {
		t.Helper()
		for _, a := range answers {
			if a.err != nil || a.status != 200 || a.etag != old.etag {
				t.Errorf("%s: %d %v etag %s, want the cached rendering %s", stage, a.status, a.err, a.etag, old.etag)
			}
		}
	}
	// The refresh cannot end before the hold is released, so every answer
	// below came from the cache.
	check("first request past the TTL", s.getConfig())
	waitClosed(t, h.arrived, "the refresh began")
	check("concurrent requests during the refresh", s.concurrently(16)...)
	for range 4 {
		check("requests during the refresh", s.getConfig())
	}
	if reads := s.rest.readsOf(catalogueRel) - before; reads != 1 {
		t.Errorf("%d catalogue reads after the TTL, want 1", reads)
	}
	close(h.release)
	waitFor(t, 5*time.Second, "the change made behind the registry's back shows", func() bool {
		return hasFunction(s.config(t), "fn_behind_the_back")
	})
}

// TestConfigReadYourWrites: a write through the API shows in the next
// request, even while a read that began before it is still running; and
// that older read does not replace the newer rendering when it ends.
func TestConfigReadYourWrites(t *testing.T) {
	t.Parallel()
	t.Run("DuringRefresh", func(t *testing.T) {
		t.Parallel()
		const ttl = 500 * time.Millisecond
		s := newStack(t, dbtest.TemplateSeeded, configTTL(ttl))
		old := s.config(t)
		time.Sleep(ttl + 50*time.Millisecond)
		h := s.rest.holdNext(catalogueRel)
		if a := s.config(t); a.etag != old.etag {
			t.Fatal("past the TTL, the cached rendering was not served")
		}
		waitClosed(t, h.arrived, "the refresh began")
		s.mapThroughAPI(t, "fn_written")
		if a := s.config(t); !hasFunction(a, "fn_written") {
			t.Fatal("the write is not in the next request's configuration")
		}
		close(h.release)
		waitClosed(t, h.finished, "the refresh read its answer")
		for end := time.Now().Add(ttl / 2); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
			if !hasFunction(s.config(t), "fn_written") {
				t.Fatal("the refresh that began before the write replaced the newer rendering")
			}
		}
	})
	t.Run("DuringFirstRead", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, dbtest.TemplateSeeded, configTTL(time.Hour))
		h := s.rest.holdNext(catalogueRel)
		first := make(chan configAnswer, 1)
		go func() { first <- s.getConfig() }()
		waitClosed(t, h.arrived, "the first read began")
		s.mapThroughAPI(t, "fn_written")
		if a := s.config(t); !hasFunction(a, "fn_written") {
			t.Fatal("the write is not in the next request's configuration")
		}
		close(h.release)
		if a := <-first; a.status != 200 {
			t.Errorf("the request that began first: %d %v", a.status, a.err)
		}
		before := s.rest.readsOf(catalogueRel)
		if a := s.config(t); !hasFunction(a, "fn_written") {
			t.Fatal("the read that began before the write replaced the newer rendering")
		}
		if reads := s.rest.readsOf(catalogueRel) - before; reads != 0 {
			t.Errorf("the newer rendering was not kept: %d catalogue reads", reads)
		}
	})
	t.Run("TTLZero", func(t *testing.T) {
		t.Parallel()
		s := newStack(t, dbtest.TemplateSeeded, configTTL(0))
		s.config(t)
		s.mapBehindTheBack(t, "fn_behind_the_back")
		if a := s.config(t); !hasFunction(a, "fn_behind_the_back") {
			t.Error("with TTL 0 a change made behind the registry's back is not in the next request")
		}
		before := s.rest.readsOf(catalogueRel)
		for range 3 {
			s.config(t)
		}
		if reads := s.rest.readsOf(catalogueRel) - before; reads != 3 {
			t.Errorf("TTL 0: 3 requests one after another made %d catalogue reads", reads)
		}
	})
}

// TestConfigStaleWhileBackendFails: while refreshes fail, the cached
// rendering is served up to ten TTLs after its read, with one retry per
// TTL; then requests read for themselves and get 503 until the backend is
// back.
func TestConfigStaleWhileBackendFails(t *testing.T) {
	t.Parallel()
	const ttl = 300 * time.Millisecond
	s := newStack(t, dbtest.TemplateSeeded, configTTL(ttl))
	t0 := time.Now() // the cached rendering's read begins after this
	old := s.config(t)
	s.rest.failReads(catalogueRel, true)
	before := s.rest.readsOf(catalogueRel)

	var stale int
	var unavailable configAnswer
	for unavailable.status == 0 {
		a := s.getConfig()
		switch {
		case a.err == nil && a.status == 200 && a.etag == old.etag:
			stale++
		case a.err == nil && a.status == 503:
			unavailable = a
		default:
			t.Fatalf("while the backend fails: %d %v etag %s", a.status, a.err, a.etag)
		}
		if time.Since(t0) > 10*ttl+5*time.Second {
			t.Fatalf("still serving the cached rendering %s after its read", time.Since(t0))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if age := time.Since(t0); age < 10*ttl || stale < 10 {
		t.Errorf("503 after %s and %d stale answers; want the cached rendering for 10 TTLs (%s)", age, stale, 10*ttl)
	}
	// One refresh at a time and one retry per TTL, not one per request.
	if reads := s.rest.readsOf(catalogueRel) - before; reads > 15 {
		t.Errorf("%d catalogue reads while the backend failed (%d requests)", reads, stale+1)
	}

	s.rest.failReads(catalogueRel, false)
	if a := s.config(t); a.etag != old.etag {
		t.Error("back from the failure, the same catalogue has another ETag")
	}
}

// TestConfigCloseEndsRefresh: Close cancels a refresh in progress and waits
// for it, so nothing is left running. Not parallel: it counts goroutines.
func TestConfigCloseEndsRefresh(t *testing.T) {
	const ttl = time.Second // the stale bound (10 TTLs) must outlast a slow first read
	s := newStack(t, dbtest.TemplateSeeded, configTTL(ttl))
	s.config(t)
	configClient.CloseIdleConnections()
	before := runtime.NumGoroutine()
	time.Sleep(ttl + 20*time.Millisecond)
	h := s.rest.holdNext(catalogueRel)
	s.config(t)
	waitClosed(t, h.arrived, "the refresh began")

	start := time.Now()
	s.api.Close()
	if took := time.Since(start); took > time.Second {
		t.Errorf("Close took %s; the held refresh was not cancelled", took)
	}
	waitClosed(t, h.finished, "the held read ended")
	if a := s.getConfig(); a.status != 200 {
		t.Errorf("after Close, within the stale bound: %d %v", a.status, a.err)
	}
	configClient.CloseIdleConnections()
	waitGoroutines(t, before)
}
