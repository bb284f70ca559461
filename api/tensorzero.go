package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/pmoves/model-registry/registry"
	"github.com/pmoves/model-registry/tomlgen"
)

// rendered is one rendering of the gateway configuration.
type rendered struct {
	body     []byte
	etag     string
	findings []tomlgen.Finding
}

// renderCache keeps the last rendering. A rendering is reused without
// reading the database while it is younger than the TTL and no change was
// announced since (a write through this replica, or a change event from
// another one). Past that the catalogue is read again, and re-encoded only
// when its digest changed.
type renderCache struct {
	mu      sync.Mutex
	key     [sha256.Size]byte
	last    *rendered
	fetched time.Time // when last was checked against the database
	gen     uint64    // bumped by Invalidate
	lastGen uint64    // gen when last was checked
}

// Invalidate drops what the server cached about the catalogue. main wires it
// to change events from other replicas.
func (s *Server) Invalidate() {
	s.renders.mu.Lock()
	s.renders.gen++
	s.renders.mu.Unlock()
	if s.reads != nil {
		s.reads.invalidate()
	}
}

func (s *Server) render(c echo.Context) (*rendered, error) {
	rc := &s.renders
	rc.mu.Lock()
	if rc.last != nil && rc.lastGen == rc.gen && time.Since(rc.fetched) < s.configTTL {
		r := rc.last
		rc.mu.Unlock()
		return r, nil
	}
	gen := rc.gen
	rc.mu.Unlock()

	start := time.Now()
	cat, err := s.store.ActiveCatalog(c.Request().Context())
	if err != nil {
		return nil, err
	}
	key, err := catalogDigest(cat)
	if err != nil {
		return nil, err
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.last == nil || rc.key != key {
		var buf bytes.Buffer
		findings, err := tomlgen.Render(&buf, toTomlgen(cat))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(buf.Bytes())
		rc.key = key
		rc.last = &rendered{body: buf.Bytes(), etag: `"` + hex.EncodeToString(sum[:16]) + `"`, findings: findings}
	}
	if gen == rc.gen { // no change was announced while we read
		rc.fetched, rc.lastGen = start, gen
	}
	return rc.last, nil
}

func toTomlgen(cat registry.Catalog) tomlgen.Catalog {
	return tomlgen.Catalog{Providers: cat.Providers, Models: cat.Models, Mappings: cat.Mappings,
		Passthrough: tomlgen.Passthrough(cat.Passthrough)}
}

// tensorzeroConfig answers the rendered tensorzero.toml with a strong ETag;
// a matching If-None-Match gets 304. Findings (what was left out) are
// counted in X-Render-Warnings and X-Render-Errors.
func (s *Server) tensorzeroConfig(c echo.Context) error {
	if err := newQuery(c).err(); err != nil {
		return err
	}
	r, err := s.render(c)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("ETag", r.etag)
	h.Set("Cache-Control", "no-cache")
	if etagMatches(c.Request().Header.Get("If-None-Match"), r.etag) {
		return c.NoContent(http.StatusNotModified)
	}
	var warnings, errs int
	for _, f := range r.findings {
		if f.Severity == tomlgen.SeverityError {
			errs++
		} else {
			warnings++
		}
	}
	h.Set("X-Render-Warnings", strconv.Itoa(warnings))
	h.Set("X-Render-Errors", strconv.Itoa(errs))
	return c.Blob(http.StatusOK, "application/toml; charset=utf-8", r.body)
}

// etagMatches implements If-None-Match's list and "*".
func etagMatches(header, etag string) bool {
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimSpace(part)
		if part == "*" || part == etag || strings.TrimPrefix(part, "W/") == etag {
			return true
		}
	}
	return false
}

func (s *Server) tensorzeroFunctions(c echo.Context) error {
	if err := newQuery(c).err(); err != nil {
		return err
	}
	cat, err := s.store.ActiveCatalog(c.Request().Context())
	if err != nil {
		return err
	}
	fns := tomlgen.Functions(toTomlgen(cat))
	return c.JSON(http.StatusOK, newList(fns, len(fns)))
}

// validation is the answer of POST /api/tensorzero/validate.
type validation struct {
	Valid    bool              `json:"valid"`
	Errors   int               `json:"errors"`
	Warnings int               `json:"warnings"`
	Findings []tomlgen.Finding `json:"findings"`
}

// tensorzeroValidate lints a posted tensorzero.toml: 200 with the findings,
// 400 only when the body is not TOML.
func (s *Server) tensorzeroValidate(c echo.Context) error {
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &httpError{http.StatusRequestEntityTooLarge, codeInvalid, "request body exceeds 1 MiB"}
		}
		return registry.Invalid("body", "could not be read")
	}
	findings, err := tomlgen.Lint(body)
	if err != nil {
		return registry.Invalid("body", "is not TOML: %s", firstLine(err.Error()))
	}
	v := validation{Findings: findings}
	if v.Findings == nil {
		v.Findings = []tomlgen.Finding{}
	}
	for _, f := range findings {
		if f.Severity == tomlgen.SeverityError {
			v.Errors++
		} else {
			v.Warnings++
		}
	}
	v.Valid = v.Errors == 0
	return c.JSON(http.StatusOK, v)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}
