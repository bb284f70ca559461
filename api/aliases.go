package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/pmoves/model-registry/registry"
)

func (s *Server) listAliases(c echo.Context) error {
	q := newQuery(c, "model_id", "context", "limit", "offset")
	f := registry.AliasFilter{ModelID: q.str("model_id"), Page: q.page()}
	if _, ok := c.QueryParams()["context"]; ok {
		ctx := q.str("context")
		f.Context = &ctx
	}
	if f.ModelID != "" && !registry.ValidUUID(f.ModelID) {
		q.errs["model_id"] = "must be a UUID"
	}
	if err := q.err(); err != nil {
		return err
	}
	items, count, err := s.store.ListAliases(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newList(items, count))
}

func (s *Server) createAlias(c echo.Context) error {
	in, err := decode[registry.AliasInput](c)
	if err != nil {
		return err
	}
	a, err := s.store.CreateAlias(c.Request().Context(), in)
	if err != nil {
		return err
	}
	s.published(c, registry.ActionCreated, registry.ResourceAlias, a.ID)
	return c.JSON(http.StatusCreated, a)
}

func (s *Server) deleteAlias(c echo.Context) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	if err := s.store.DeleteAlias(c.Request().Context(), id); err != nil {
		return err
	}
	s.published(c, registry.ActionDeleted, registry.ResourceAlias, id)
	return c.NoContent(http.StatusNoContent)
}

// resolveAlias answers the model an alias names; ?context= looks in that
// context first, then among aliases without one.
func (s *Server) resolveAlias(c echo.Context) error {
	alias, err := pathName(c, "alias")
	if err != nil {
		return err
	}
	q := newQuery(c, "context")
	var context *string
	if v := q.str("context"); v != "" {
		context = &v
	}
	if err := q.err(); err != nil {
		return err
	}
	m, err := s.store.ResolveAlias(c.Request().Context(), alias, context)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}
