package api

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/labstack/echo/v4"
)

// Limits of the read cache: answers bigger than maxCachedBody and keys longer
// than maxCachedKey are not kept, and the cache is emptied when it would hold
// more than maxCacheBytes (keys and bodies, and entryOverhead for each entry)
// or maxCacheEntries. Reads may be public, so anyone can fill it; these
// bound what that costs.
const (
	maxCachedBody   = 1 << 20
	maxCachedKey    = 1 << 10
	maxCacheBytes   = 16 << 20
	maxCacheEntries = 4096
	entryOverhead   = 128
)

// readCache keeps recent 200 answers of catalogue reads (providers, models,
// aliases, mappings) for a short TTL, keyed by path and query. It is dropped
// with the configuration cache by Invalidate: a write through this replica,
// or a change event from another one. Deployments are not cached; GPU nodes
// change them all the time.
type readCache struct {
	ttl          time.Duration
	hits, misses *metrics.Counter

	mu      sync.Mutex
	gen     uint64 // bumped by invalidate
	entries map[string]cachedRead
	bytes   int
}

type cachedRead struct {
	gen         uint64
	expires     time.Time
	contentType string
	body        []byte
}

func newReadCache(ttl time.Duration, set *metrics.Set) *readCache {
	const name = "model_registry_read_cache_requests_total"
	return &readCache{ttl: ttl, entries: make(map[string]cachedRead),
		hits:   set.NewCounter(name + `{result="hit"}`),
		misses: set.NewCounter(name + `{result="miss"}`)}
}

func (rc *readCache) invalidate() {
	rc.mu.Lock()
	rc.gen++
	clear(rc.entries)
	rc.bytes = 0
	rc.mu.Unlock()
}

// get returns a fresh answer for key, and otherwise the generation a new
// answer must be stored under.
func (rc *readCache) get(key string) (cachedRead, uint64, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	e, ok := rc.entries[key]
	if ok && e.gen == rc.gen && time.Now().Before(e.expires) {
		return e, rc.gen, true
	}
	return cachedRead{}, rc.gen, false
}

// put stores an answer read under generation gen, unless the catalogue was
// invalidated since: that answer may predate the change.
func (rc *readCache) put(key string, gen uint64, contentType string, body []byte) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if gen != rc.gen {
		return
	}
	size := len(key) + len(body) + entryOverhead
	if old, ok := rc.entries[key]; ok {
		rc.bytes -= len(key) + len(old.body) + entryOverhead
		delete(rc.entries, key)
	}
	if rc.bytes+size > maxCacheBytes || len(rc.entries) >= maxCacheEntries {
		clear(rc.entries)
		rc.bytes = 0
	}
	rc.entries[key] = cachedRead{gen: gen, expires: time.Now().Add(rc.ttl), contentType: contentType, body: body}
	rc.bytes += size
}

// cached answers a catalogue read from the read cache, or runs it and keeps
// its answer when it is a 200. It runs after authentication.
func (s *Server) cached(next echo.HandlerFunc) echo.HandlerFunc {
	if s.reads == nil {
		return next
	}
	return func(c echo.Context) error {
		key := c.Request().URL.EscapedPath() + "?" + c.QueryParams().Encode() // Encode sorts by key
		if len(key) > maxCachedKey {
			return next(c)
		}
		e, gen, ok := s.reads.get(key)
		if ok {
			s.reads.hits.Inc()
			return c.Blob(http.StatusOK, e.contentType, e.body)
		}
		s.reads.misses.Inc()
		res := c.Response()
		rec := &recorder{ResponseWriter: res.Writer}
		res.Writer = rec
		err := next(c)
		res.Writer = rec.ResponseWriter
		if err == nil && res.Committed && res.Status == http.StatusOK && !rec.skip {
			s.reads.put(key, gen, res.Header().Get(echo.HeaderContentType), rec.body.Bytes())
		}
		return err
	}
}

// recorder copies what a handler writes. It gives up (skip) past
// maxCachedBody, and when a write to the client fails: the copy would then
// not be the whole answer.
type recorder struct {
	http.ResponseWriter
	body bytes.Buffer
	skip bool
}

func (r *recorder) Write(p []byte) (int, error) {
	if !r.skip && r.body.Len()+len(p) > maxCachedBody {
		r.skip, r.body = true, bytes.Buffer{}
	}
	if !r.skip {
		if r.body.Len() == 0 {
			if n, err := strconv.Atoi(r.Header().Get(echo.HeaderContentLength)); err == nil && n <= maxCachedBody {
				r.body.Grow(n)
			}
		}
		r.body.Write(p)
	}
	n, err := r.ResponseWriter.Write(p)
	if err != nil || n < len(p) {
		r.skip, r.body = true, bytes.Buffer{}
	}
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
