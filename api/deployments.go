package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/pmoves/model-registry/registry"
)

func (s *Server) listDeployments(c echo.Context) error {
	q := newQuery(c, "node_id", "status", "model_id", "limit", "offset")
	f := registry.DeploymentFilter{NodeID: q.str("node_id"), ModelID: q.str("model_id"), Page: q.page()}
	if st := q.str("status"); st != "" {
		for _, v := range strings.Split(st, ",") {
			status := registry.DeploymentStatus(strings.TrimSpace(v))
			if !status.Valid() {
				q.errs["status"] = "must be loading, loaded, unloaded or error (comma-separated for several)"
				break
			}
			f.Statuses = append(f.Statuses, status)
		}
	}
	if f.ModelID != "" && !registry.ValidUUID(f.ModelID) {
		q.errs["model_id"] = "must be a UUID"
	}
	if err := q.err(); err != nil {
		return err
	}
	items, count, err := s.store.ListDeployments(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newList(items, count))
}

// registerDeployment upserts the deployment of (model, node): calling it
// again with the same model and node updates the one row.
func (s *Server) registerDeployment(c echo.Context) error {
	in, err := decode[registry.DeploymentRegistration](c)
	if err != nil {
		return err
	}
	d, created, err := s.store.RegisterDeployment(c.Request().Context(), in)
	if err != nil {
		return err
	}
	status, action := http.StatusOK, registry.ActionUpdated
	if created {
		status, action = http.StatusCreated, registry.ActionCreated
	}
	s.published(c, action, registry.ResourceDeployment, d.ID)
	return c.JSON(status, d)
}

func (s *Server) setDeploymentStatus(c echo.Context) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	in, err := decode[registry.StatusChange](c)
	if err != nil {
		return err
	}
	d, err := s.store.SetDeploymentStatus(c.Request().Context(), id, in)
	if err != nil {
		return err
	}
	s.published(c, registry.ActionUpdated, registry.ResourceDeployment, d.ID)
	return c.JSON(http.StatusOK, d)
}
