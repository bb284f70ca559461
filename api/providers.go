package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/pmoves/model-registry/registry"
)

func (s *Server) listProviders(c echo.Context) error {
	q := newQuery(c, "type", "active", "limit", "offset")
	f := registry.ProviderFilter{Type: registry.ProviderType(q.str("type")), Active: q.boolPtr("active"), Page: q.page()}
	if f.Type != "" && !f.Type.Valid() {
		q.errs["type"] = "must be one of openai_compatible, anthropic, ollama, vllm, custom"
	}
	if err := q.err(); err != nil {
		return err
	}
	items, count, err := s.store.ListProviders(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newList(items, count))
}

func (s *Server) getProvider(c echo.Context) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	p, err := s.store.GetProvider(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (s *Server) createProvider(c echo.Context) error {
	in, err := decode[registry.ProviderInput](c)
	if err != nil {
		return err
	}
	p, err := s.store.CreateProvider(c.Request().Context(), in)
	if err != nil {
		return err
	}
	s.published(c, registry.ActionCreated, registry.ResourceProvider, p.ID)
	return c.JSON(http.StatusCreated, p)
}

func (s *Server) replaceProvider(c echo.Context) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	in, err := decode[registry.ProviderInput](c)
	if err != nil {
		return err
	}
	p, err := s.store.ReplaceProvider(c.Request().Context(), id, in)
	if err != nil {
		return err
	}
	s.published(c, registry.ActionUpdated, registry.ResourceProvider, p.ID)
	return c.JSON(http.StatusOK, p)
}

func (s *Server) updateProvider(c echo.Context) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	patch, err := decode[registry.ProviderPatch](c)
	if err != nil {
		return err
	}
	p, err := s.store.UpdateProvider(c.Request().Context(), id, patch)
	if err != nil {
		return err
	}
	s.published(c, registry.ActionUpdated, registry.ResourceProvider, p.ID)
	return c.JSON(http.StatusOK, p)
}

func (s *Server) deleteProvider(c echo.Context) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	q := newQuery(c, "cascade")
	cascade := q.boolPtr("cascade")
	if err := q.err(); err != nil {
		return err
	}
	if err := s.store.DeleteProvider(c.Request().Context(), id, cascade != nil && *cascade); err != nil {
		return err
	}
	s.published(c, registry.ActionDeleted, registry.ResourceProvider, id)
	return c.NoContent(http.StatusNoContent)
}
