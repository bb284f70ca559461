package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/pmoves/model-registry/registry"
	"github.com/pmoves/model-registry/tomlgen"
)

// staleFactor bounds how long the cached configuration is served while the
// refreshes in the background fail: up to staleFactor × TTL after the read
// it came from began. Past that a request waits for a read of its own, and a
// failing backend answers 503 as it does without a cache.
const staleFactor = 10

var errClosed = fmt.Errorf("the configuration cache is closed: %w", registry.ErrUnavailable)

// rendered is one rendering of the gateway configuration.
type rendered struct {
	body     []byte
	etag     string
	findings []tomlgen.Finding
}

// renderCache keeps the last rendering and the catalogue reads in progress.
// A request is answered
//   - from the cache while it is younger than the TTL and no change was
//     announced (Invalidate) since its read began;
//   - from the cache as well once the TTL has passed, while one read in the
//     background refreshes it (stale-while-revalidate), up to staleFactor ×
//     TTL;
//   - otherwise (a change was announced, nothing is cached, the cache is too
//     old, or the TTL is 0) by waiting for a read that began after the last
//     Invalidate, so a replica sees its own writes. Requests that need one
//     at the same time share it.
type renderCache struct {
	mu  sync.Mutex
	gen uint64 // bumped by Invalidate
	seq uint64 // numbers reads in the order they began

	last    *rendered
	version string    // the store's version of last's catalogue
	fetched time.Time // when the read that made or confirmed last began
	lastGen uint64    // gen when that read began
	lastSeq uint64    // and its number

	reading *catalogRead // the newest read in progress; nil when none
	retryAt time.Time    // no refresh in the background before, after one failed

	// Reads run under ctx, not under the context of the request that
	// started them, which others may share. Close cancels it.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	closed bool
}

// catalogRead is one read of the catalogue and its rendering, shared by the
// requests that wait for it.
type catalogRead struct {
	gen, seq   uint64
	start      time.Time
	background bool
	base       *rendered // the cached rendering when it began,
	since      string    // and the version of its catalogue

	done    chan struct{} // closed when the fields below are set
	r       *rendered
	version string
	err     error
}

// invalidate makes the next request read the catalogue again.
func (rc *renderCache) invalidate() {
	rc.mu.Lock()
	rc.gen++
	rc.mu.Unlock()
}

// Close cancels the catalogue reads in progress and waits for them to end.
// Call it after the HTTP server has shut down; requests that still need a
// read get 503.
func (s *Server) Close() {
	rc := &s.renders
	rc.mu.Lock()
	rc.closed = true
	cancel := rc.cancel
	rc.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	rc.wg.Wait()
}

// render answers the gateway configuration; see renderCache.
func (s *Server) render(ctx context.Context) (*rendered, error) {
	rc := &s.renders
	rc.mu.Lock()
	if r := rc.last; r != nil && rc.lastGen == rc.gen && s.configTTL > 0 {
		age := time.Since(rc.fetched)
		if age < s.configTTL {
			rc.mu.Unlock()
			return r, nil
		}
		if age < staleFactor*s.configTTL {
			if rc.reading == nil && !rc.closed && !time.Now().Before(rc.retryAt) {
				s.startRead(true)
			}
			rc.mu.Unlock()
			return r, nil
		}
	}
	rd := rc.reading
	if rd == nil || rd.gen != rc.gen { // none, or one that began before the last Invalidate
		rd = s.startRead(false)
	}
	rc.mu.Unlock()
	select {
	case <-rd.done:
		return rd.r, rd.err
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for the catalogue: %w", errors.Join(ctx.Err(), registry.ErrUnavailable))
	}
}

// startRead begins a read of the catalogue; rc.mu must be held.
func (s *Server) startRead(background bool) *catalogRead {
	rc := &s.renders
	rc.seq++
	rd := &catalogRead{gen: rc.gen, seq: rc.seq, start: time.Now(), background: background,
		base: rc.last, since: rc.version, done: make(chan struct{})}
	if rc.closed {
		rd.err = errClosed
		close(rd.done)
		return rd
	}
	if rc.ctx == nil {
		rc.ctx, rc.cancel = context.WithCancel(context.Background())
	}
	rc.reading = rd
	rc.wg.Add(1)
	go s.read(rc.ctx, rd)
	return rd
}

// read runs rd and keeps its rendering unless a read that began later was
// kept already: that one saw at least as much.
func (s *Server) read(ctx context.Context, rd *catalogRead) {
	rc := &s.renders
	defer rc.wg.Done()
	rd.r, rd.version, rd.err = s.loadRecovering(ctx, rd.base, rd.since)
	rc.mu.Lock()
	if rd.err == nil && rd.seq > rc.lastSeq {
		rc.last, rc.version, rc.fetched, rc.lastGen, rc.lastSeq = rd.r, rd.version, rd.start, rd.gen, rd.seq
	}
	if rc.reading == rd {
		rc.reading = nil
	}
	var age time.Duration
	if rd.err != nil && rd.background {
		rc.retryAt = time.Now().Add(s.configTTL)
		age = time.Since(rc.fetched)
	}
	rc.mu.Unlock()
	close(rd.done)
	if rd.err != nil && rd.background {
		s.log.Warn("refreshing the gateway configuration failed; serving the cached one",
			slog.String("error", rd.err.Error()), slog.Duration("age", age.Round(time.Millisecond)),
			slog.Duration("max_age", staleFactor*s.configTTL))
	}
}

// loadRecovering is load on a goroutine of its own, where a panic would end
// the process: it becomes the read's error (a 500 to the requests waiting
// for it), logged with its stack.
func (s *Server) loadRecovering(ctx context.Context, base *rendered, since string) (r *rendered, version string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("reading and rendering the catalogue panicked: %v", p)
			s.log.Error("reading and rendering the catalogue panicked", slog.Any("panic", p),
				slog.String("stack", string(debug.Stack())))
		}
	}()
	return s.load(ctx, base, since)
}

// load reads the catalogue and renders it, unless it is still the one base
// was rendered from. The ETag is a hash of the rendered bytes, so the same
// catalogue has the same ETag on every replica and after a restart.
func (s *Server) load(ctx context.Context, base *rendered, since string) (*rendered, string, error) {
	if base == nil {
		since = ""
	}
	cat, version, changed, err := s.store.ActiveCatalogIfChanged(ctx, since)
	if err != nil {
		return nil, "", err
	}
	if !changed {
		return base, version, nil
	}
	var buf bytes.Buffer
	findings, err := tomlgen.Render(&buf, toTomlgen(cat))
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(buf.Bytes())
	return &rendered{body: buf.Bytes(), etag: `"` + hex.EncodeToString(sum[:16]) + `"`, findings: findings}, version, nil
}
