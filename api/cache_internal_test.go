package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/pmoves/model-registry/registry"
)

// failingWriter fails every write from the failAt-th on, as a client that
// went away does.
type failingWriter struct {
	*httptest.ResponseRecorder
	writes, failAt int
}

func (w *failingWriter) Write(p []byte) (int, error) {
	w.writes++
	if w.writes >= w.failAt {
		return 0, errors.New("broken pipe")
	}
	return w.ResponseRecorder.Write(p)
}

// TestReadCacheSkipsAnswersCutShort: a page whose writing failed half-way is
// not kept, or every later client would get the half.
func TestReadCacheSkipsAnswersCutShort(t *testing.T) {
	s := New(Config{ReadCacheTTL: time.Hour})
	e := echo.New()
	calls := 0
	h := s.cached(func(c echo.Context) error {
		calls++
		return writeList(c, []byte(`[{"id":"x"}]`), 1)
	})
	serve := func(w http.ResponseWriter) {
		t.Helper()
		if err := h(e.NewContext(httptest.NewRequest(http.MethodGet, "/api/models?limit=1", nil), w)); err != nil {
			t.Fatal(err)
		}
	}
	serve(&failingWriter{ResponseRecorder: httptest.NewRecorder(), failAt: 2})
	for range 2 {
		w := httptest.NewRecorder()
		serve(w)
		var page struct {
			Items []map[string]string `json:"items"`
			Count int                 `json:"count"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil || page.Count != 1 || len(page.Items) != 1 {
			t.Fatalf("answer %q: %v", w.Body, err)
		}
	}
	if calls != 2 {
		t.Errorf("handler ran %d times, want 2 (the cut answer not kept, the whole one kept)", calls)
	}
}

// TestReadCacheIsBounded: many distinct queries, or very long ones, do not
// grow the cache past its limits.
func TestReadCacheIsBounded(t *testing.T) {
	s := New(Config{ReadCacheTTL: time.Hour})
	e := echo.New()
	h := s.cached(func(c echo.Context) error { return c.Blob(http.StatusOK, "application/json", []byte("[]")) })
	get := func(target string) {
		t.Helper()
		if err := h(e.NewContext(httptest.NewRequest(http.MethodGet, target, nil), httptest.NewRecorder())); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 * maxCacheEntries {
		get(fmt.Sprintf("/api/services/s%d/models", i))
	}
	get("/api/models?q=" + strings.Repeat("x", 2*maxCachedKey))
	rc := s.reads
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.entries) > maxCacheEntries || rc.bytes > maxCacheBytes {
		t.Errorf("%d entries, %d bytes; limits %d, %d", len(rc.entries), rc.bytes, maxCacheEntries, maxCacheBytes)
	}
	for k := range rc.entries {
		if len(k) > maxCachedKey {
			t.Errorf("kept a key of %d bytes", len(k))
		}
	}
	want := 0
	for k, e := range rc.entries {
		want += len(k) + len(e.body) + entryOverhead
	}
	if rc.bytes != want {
		t.Errorf("counted %d bytes, holds %d", rc.bytes, want)
	}
}

// panickingStore fails the way a bug in reading or rendering would.
type panickingStore struct{ Store }

func (panickingStore) ActiveCatalogIfChanged(context.Context, string) (registry.Catalog, string, bool, error) {
	panic("a bug")
}

// TestConfigReadPanicIsAnError: the catalogue is read on a goroutine of its
// own, outside net/http's recovery; a panic there answers 500 and the
// server goes on.
func TestConfigReadPanicIsAnError(t *testing.T) {
	s := New(Config{Store: panickingStore{}, ConfigTTL: time.Hour})
	defer s.Close()
	for range 2 {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/tensorzero/config", nil))
		if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "a bug") {
			t.Errorf("after a panic: %d %s", w.Code, w.Body)
		}
	}
}
