package api

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

type healthBody struct {
	Status       string            `json:"status"`
	Version      string            `json:"version,omitempty"`
	Dependencies map[string]string `json:"dependencies"`
}

// healthz answers 200 while the process serves, naming the state of each
// dependency. It never carries a URL, key or error text.
func (s *Server) healthz(c echo.Context) error {
	deps := map[string]string{"postgrest": "ok"}
	if err := s.ping(c.Request().Context()); err != nil {
		deps["postgrest"] = "unavailable"
	}
	for k, v := range s.health() {
		deps[k] = v
	}
	return c.JSON(http.StatusOK, healthBody{Status: "ok", Version: s.version, Dependencies: deps})
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
