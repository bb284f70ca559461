package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/pmoves/model-registry/registry"
)

// MaxBodyBytes is the largest request body the API reads.
const MaxBodyBytes = 1 << 20

type validator interface{ Validate() error }

// decode reads one JSON value of type T from the body, refusing unknown
// fields, wrong types, trailing data and bodies over MaxBodyBytes, then
// validates it. Every failure is a client error naming the problem.
func decode[T validator](c echo.Context) (T, error) {
	v, err := decodeBody[T](c)
	if err != nil {
		return v, err
	}
	return v, v.Validate()
}

// decodeBody is decode without the validation, for handlers that complete
// the value first (a default agent, say).
func decodeBody[T any](c echo.Context) (T, error) {
	var v T
	r := c.Request()
	body := http.MaxBytesReader(c.Response(), r.Body, MaxBodyBytes)
	raw, err := io.ReadAll(body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return v, &httpError{http.StatusRequestEntityTooLarge, codeInvalid, "request body exceeds 1 MiB"}
		}
		return v, registry.Invalid("body", "could not be read")
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return v, registry.Invalid("body", "is required: a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, decodeError(err)
	}
	if dec.More() {
		return v, registry.Invalid("body", "must hold a single JSON object")
	}
	return v, nil
}

func decodeError(err error) error {
	var (
		syntax    *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		unknownRE = "json: unknown field "
	)
	switch {
	case errors.As(err, &syntax):
		return registry.Invalid("body", "malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return registry.Invalid("body", "must be a JSON object")
		}
		return registry.Invalid(field, "must be %s", jsonKind(typeErr.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), unknownRE):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), unknownRE))
		return registry.Invalid(name, "is not a known field")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return registry.Invalid("body", "truncated JSON")
	}
	return registry.Invalid("body", "malformed JSON")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64", "int32":
		return "an integer in range"
	case "float64", "float32":
		return "a number"
	case "slice":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	}
	return "of another type"
}

// pathUUID reads a path parameter that must be a UUID.
func pathUUID(c echo.Context, name string) (string, error) {
	v := c.Param(name)
	if !registry.ValidUUID(v) {
		return "", registry.Invalid(name, "must be a UUID")
	}
	return strings.ToLower(v), nil
}

// pathName reads a path parameter that names something (a service, an
// alias). Echo hands it over still percent-encoded.
func pathName(c echo.Context, name string) (string, error) {
	v, err := unescapePath(c.Param(name))
	if err != nil || v == "" || len(v) > 4*registry.MaxNameLen {
		return "", registry.Invalid(name, "is not a valid name")
	}
	return v, nil
}

// query reads list parameters. Unknown parameters are refused, so a typo
// does not silently return everything.
type query struct {
	c      echo.Context
	errs   map[string]string
	known  map[string]bool
	values map[string][]string
}

func newQuery(c echo.Context, known ...string) *query {
	q := &query{c: c, errs: map[string]string{}, known: map[string]bool{}, values: c.QueryParams()}
	for _, k := range known {
		q.known[k] = true
	}
	return q
}

func (q *query) str(name string) string {
	vs := q.values[name]
	if len(vs) > 1 {
		q.errs[name] = "must be given once"
	}
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

func (q *query) boolPtr(name string) *bool {
	s := q.str(name)
	if s == "" {
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		q.errs[name] = "must be true or false"
		return nil
	}
	return &b
}

func (q *query) page() registry.Page {
	var p registry.Page
	for name, dst := range map[string]*int{"limit": &p.Limit, "offset": &p.Offset} {
		s := q.str(name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			q.errs[name] = "must be an integer"
			continue
		}
		*dst = n
	}
	np, err := p.Normalize()
	var ve *registry.ValidationError
	if errors.As(err, &ve) {
		for k, v := range ve.Fields {
			q.errs[k] = v
		}
		return p
	}
	return np
}

// err reports the problems found, including unknown parameters.
func (q *query) err() error {
	for name := range q.values {
		if !q.known[name] {
			q.errs[name] = fmt.Sprintf("is not a known parameter (known: %s)", knownList(q.known))
		}
	}
	if len(q.errs) == 0 {
		return nil
	}
	return &registry.ValidationError{Fields: q.errs}
}

func knownList(known map[string]bool) string {
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func unescapePath(s string) (string, error) { return url.PathUnescape(s) }
