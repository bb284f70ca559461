package api

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/pmoves/model-registry/registry"
	"github.com/pmoves/model-registry/tomlgen"
)

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
	r, err := s.render(c.Request().Context())
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
