package api

import (
	"net/http"
	"sort"

	"github.com/labstack/echo/v4"
	"github.com/pmoves/model-registry/registry"
)

func (s *Server) listMappings(c echo.Context) error {
	q := newQuery(c, "service_name", "function_name", "model_id", "limit", "offset")
	f := registry.MappingFilter{Service: q.str("service_name"), Function: q.str("function_name"),
		ModelID: q.str("model_id"), Page: q.page()}
	if f.ModelID != "" && !registry.ValidUUID(f.ModelID) {
		q.errs["model_id"] = "must be a UUID"
	}
	if err := q.err(); err != nil {
		return err
	}
	items, count, err := s.store.ListMappings(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newList(items, count))
}

func (s *Server) listServiceMappings(c echo.Context) error {
	service, err := pathName(c, "service")
	if err != nil {
		return err
	}
	q := newQuery(c, "function_name", "limit", "offset")
	f := registry.MappingFilter{Service: service, Function: q.str("function_name"), Page: q.page()}
	if err := q.err(); err != nil {
		return err
	}
	items, count, err := s.store.ListMappings(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newList(items, count))
}

// serviceModels answers the models a service should use, best first, as a
// bare array of v_service_models rows (model_id is the provider's own id):
// the contract of the service this registry replaces. function narrows it to
// one function.
func (s *Server) serviceModels(c echo.Context) error {
	service, err := pathName(c, "service")
	if err != nil {
		return err
	}
	q := newQuery(c, "function")
	function := q.str("function")
	if len(function) > 4*registry.MaxNameLen {
		q.errs["function"] = "must be at most 200 characters"
	}
	if err := q.err(); err != nil {
		return err
	}
	items, err := s.store.ServiceModels(c.Request().Context(), service, function)
	if err != nil {
		return err
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if a.Priority != b.Priority {
			return a.Priority < b.Priority
		}
		if a.Weight != b.Weight {
			return a.Weight > b.Weight
		}
		if a.FunctionName != b.FunctionName {
			return a.FunctionName < b.FunctionName
		}
		return a.VariantName < b.VariantName
	})
	if items == nil {
		items = []registry.ServiceModel{}
	}
	return c.JSON(http.StatusOK, items)
}

func (s *Server) createMapping(c echo.Context) error {
	in, err := decode[registry.MappingInput](c)
	if err != nil {
		return err
	}
	m, err := s.store.CreateMapping(c.Request().Context(), in)
	if err != nil {
		return err
	}
	s.published(c, registry.ActionCreated, registry.ResourceMapping, m.ID)
	return c.JSON(http.StatusCreated, m)
}

// mappingBody is the body of PUT /api/mappings/{service}/{function}/{variant}:
// the names come from the path; if the body repeats them they must agree.
type mappingBody struct {
	registry.MappingInput
}

func (b mappingBody) Validate() error { return nil }

func (s *Server) putMapping(c echo.Context) error {
	var key registry.MappingKey
	var err error
	if key.Service, err = pathName(c, "service"); err != nil {
		return err
	}
	if key.Function, err = pathName(c, "function"); err != nil {
		return err
	}
	if key.Variant, err = pathName(c, "variant"); err != nil {
		return err
	}
	body, err := decode[mappingBody](c)
	if err != nil {
		return err
	}
	in := body.MappingInput
	for _, f := range []struct {
		field string
		body  *string
		path  string
	}{{"service_name", &in.ServiceName, key.Service}, {"function_name", &in.FunctionName, key.Function},
		{"variant_name", &in.VariantName, key.Variant}} {
		if *f.body != "" && *f.body != f.path {
			return registry.Invalid(f.field, "differs from the path (%q)", f.path)
		}
		*f.body = f.path
	}
	if err := in.Validate(); err != nil {
		return err
	}
	m, created, err := s.store.PutMapping(c.Request().Context(), in)
	if err != nil {
		return err
	}
	status, action := http.StatusOK, registry.ActionUpdated
	if created {
		status, action = http.StatusCreated, registry.ActionCreated
	}
	s.published(c, action, registry.ResourceMapping, m.ID)
	return c.JSON(status, m)
}

func (s *Server) deleteMapping(c echo.Context) error {
	var key registry.MappingKey
	var err error
	if key.Service, err = pathName(c, "service"); err != nil {
		return err
	}
	if key.Function, err = pathName(c, "function"); err != nil {
		return err
	}
	if key.Variant, err = pathName(c, "variant"); err != nil {
		return err
	}
	id, err := s.store.DeleteMapping(c.Request().Context(), key)
	if err != nil {
		return err
	}
	s.published(c, registry.ActionDeleted, registry.ResourceMapping, id)
	return c.NoContent(http.StatusNoContent)
}
