package api

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// healthBody is the platform's health answer ("healthy", a timestamp and
// its services) with the registry's version and dependencies beside it.
type healthBody struct {
	Status       string            `json:"status"`
	Timestamp    string            `json:"timestamp"`
	Services     map[string]string `json:"services"`
	Version      string            `json:"version,omitempty"`
	Dependencies map[string]string `json:"dependencies"`
}

// healthz answers 200 "healthy" while the process serves, naming the state
// of each dependency (under services, as the platform's monitors read it,
// and dependencies). It never carries a URL, key or error text.
func (s *Server) healthz(c echo.Context) error {
	deps := map[string]string{"postgrest": "ok"}
	if err := s.ping(c.Request().Context()); err != nil {
		deps["postgrest"] = "unavailable"
	}
	for k, v := range s.health() {
		deps[k] = v
	}
	return c.JSON(http.StatusOK, healthBody{Status: "healthy", Timestamp: time.Now().UTC().Format(time.RFC3339),
		Services: deps, Version: s.version, Dependencies: deps})
}

// indexBody is what GET / answers: the service, its version and its routes.
type indexBody struct {
	Service string   `json:"service"`
	Version string   `json:"version"`
	Docs    string   `json:"docs"`
	Routes  []string `json:"routes"`
}

// index names the service, its version and every route ("METHOD /path"),
// as the original service did.
func (s *Server) index(c echo.Context) error {
	seen := map[string]bool{}
	var routes []string
	for _, r := range s.echo.Routes() {
		name := r.Method + " " + r.Path
		if r.Method == echo.RouteNotFound || strings.Contains(r.Path, "*") || seen[name] {
			continue
		}
		seen[name] = true
		routes = append(routes, name)
	}
	slices.SortFunc(routes, func(a, b string) int {
		_, pa, _ := strings.Cut(a, " ")
		_, pb, _ := strings.Cut(b, " ")
		return cmp.Or(strings.Compare(pa, pb), strings.Compare(a, b))
	})
	return c.JSON(http.StatusOK, indexBody{Service: "model-registry", Version: s.version, Docs: "/docs", Routes: routes})
}

// readyz answers 503 while PostgREST is unreachable.
func (s *Server) readyz(c echo.Context) error {
	if err := s.ping(c.Request().Context()); err != nil {
		return c.JSON(http.StatusServiceUnavailable, envelope(codeUnavailable, "the database is unavailable", nil))
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return s.store.Ping(ctx)
}
