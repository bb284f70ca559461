package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/pmoves/model-registry/registry"
)

func (s *Server) listModels(c echo.Context) error {
	q := newQuery(c, "model_type", "provider", "active", "q", "limit", "offset")
	f := registry.ModelFilter{
		ModelType: registry.ModelType(q.str("model_type")),
		Provider:  q.str("provider"),
		Active:    q.boolPtr("active"),
		Q:         strings.TrimSpace(q.str("q")),
		Page:      q.page(),
	}
	// Without limit, every matching model: the platform's callers read the
	// whole catalogue in one request.
	f.Page.All = q.str("limit") == ""
	if f.ModelType != "" && !f.ModelType.Valid() {
		q.errs["model_type"] = "must be one of chat, embedding, reranker, vl, tts, audio, image"
	}
	if len(f.Q) > registry.MaxNameLen {
		q.errs["q"] = "must be at most 200 characters"
	}
	if err := q.err(); err != nil {
		return err
	}
	if raw, ok := s.store.(rawModelLister); ok {
		items, count, err := raw.ListModelsJSON(c.Request().Context(), f)
		if err != nil {
			return err
		}
		return writeList(c, items, count)
	}
	items, count, err := s.store.ListModels(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newList(items, count))
}

func (s *Server) getModel(c echo.Context) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	m, err := s.store.GetModel(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, m)
}

func (s *Server) createModel(c echo.Context) error {
	in, err := decode[registry.ModelInput](c)
	if err != nil {
		return err
	}
	m, err := s.store.CreateModel(c.Request().Context(), in)
	if err != nil {
		return err
	}
	s.published(c, registry.ActionCreated, registry.ResourceModel, m.ID)
	return c.JSON(http.StatusCreated, m)
}

func (s *Server) replaceModel(c echo.Context) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	in, err := decode[registry.ModelInput](c)
	if err != nil {
		return err
	}
	m, err := s.store.ReplaceModel(c.Request().Context(), id, in)
	if err != nil {
		return err
	}
	s.published(c, registry.ActionUpdated, registry.ResourceModel, m.ID)
	return c.JSON(http.StatusOK, m)
}

func (s *Server) updateModel(c echo.Context) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	patch, err := decode[registry.ModelPatch](c)
	if err != nil {
		return err
	}
	m, err := s.store.UpdateModel(c.Request().Context(), id, patch)
	if err != nil {
		return err
	}
	s.published(c, registry.ActionUpdated, registry.ResourceModel, m.ID)
	return c.JSON(http.StatusOK, m)
}

func (s *Server) deleteModel(c echo.Context) error {
	id, err := pathUUID(c, "id")
	if err != nil {
		return err
	}
	q := newQuery(c, "cascade")
	cascade := q.boolPtr("cascade")
	if err := q.err(); err != nil {
		return err
	}
	if err := s.store.DeleteModel(c.Request().Context(), id, cascade != nil && *cascade); err != nil {
		return err
	}
	s.published(c, registry.ActionDeleted, registry.ResourceModel, id)
	return c.NoContent(http.StatusNoContent)
}

// rawModelLister is implemented by a store that can hand over a page of
// models as the JSON array it received, which the busiest read then passes
// on without decoding and encoding it again.
type rawModelLister interface {
	ListModelsJSON(ctx context.Context, f registry.ModelFilter) (json.RawMessage, int, error)
}

// writeList answers {"items": items, "count": count} with items already
// encoded, written as they are rather than copied into one buffer.
func writeList(c echo.Context, items []byte, count int) error {
	head := `{"items":`
	tail := strconv.AppendInt([]byte(`,"count":`), int64(count), 10)
	tail = append(tail, "}\n"...)
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSONCharsetUTF8)
	res.Header().Set(echo.HeaderContentLength, strconv.Itoa(len(head)+len(items)+len(tail)))
	res.WriteHeader(http.StatusOK)
	for _, part := range [][]byte{[]byte(head), items, tail} {
		if _, err := res.Write(part); err != nil {
			return nil // the client went away; the status is already sent
		}
	}
	return nil
}
