package api

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/labstack/echo/v4"
)

// The OpenAPI 3.1 document of the API is built in Go from the types below:
// openapi_paths.go and openapi_paths_routing.go describe the operations,
// openapi_build.go assembles them (path parameters, security, the error
// responses each kind of route has), openapi_schemas.go and
// openapi_resources.go hold the components. It is served at /openapi.json;
// /docs renders it as HTML (openapi_docs.go). Tests check that it names
// exactly the routes registered in routes(), and that each schema names
// exactly the JSON fields of the Go type it describes.

type document struct {
	OpenAPI    string               `json:"openapi"`
	Info       docInfo              `json:"info"`
	Servers    []docServer          `json:"servers"`
	Tags       []docTag             `json:"tags"`
	Paths      map[string]*pathItem `json:"paths"`
	Components components           `json:"components"`
}

type docInfo struct {
	Title       string     `json:"title"`
	Version     string     `json:"version"`
	Description string     `json:"description"`
	License     docLicense `json:"license"`
}

type docLicense struct {
	Name       string `json:"name"`
	Identifier string `json:"identifier"`
}

type docServer struct {
	URL         string `json:"url"`
	Description string `json:"description"`
}

type docTag struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

type pathItem struct {
	Get    *operation `json:"get,omitempty"`
	Put    *operation `json:"put,omitempty"`
	Post   *operation `json:"post,omitempty"`
	Patch  *operation `json:"patch,omitempty"`
	Delete *operation `json:"delete,omitempty"`
}

// operations lists the item's operations by HTTP method, in a fixed order.
func (p *pathItem) operations() []methodOp {
	var out []methodOp
	for _, m := range []methodOp{{http.MethodGet, p.Get}, {http.MethodPost, p.Post},
		{http.MethodPut, p.Put}, {http.MethodPatch, p.Patch}, {http.MethodDelete, p.Delete}} {
		if m.Op != nil {
			out = append(out, m)
		}
	}
	return out
}

func (p *pathItem) slot(method string) **operation {
	switch method {
	case http.MethodGet:
		return &p.Get
	case http.MethodPost:
		return &p.Post
	case http.MethodPut:
		return &p.Put
	case http.MethodPatch:
		return &p.Patch
	case http.MethodDelete:
		return &p.Delete
	}
	panic("openapi: unsupported method " + method)
}

type methodOp struct {
	Method string
	Op     *operation
}

type operation struct {
	Tags        []string             `json:"tags"`
	Summary     string               `json:"summary"`
	Description string               `json:"description,omitempty"`
	OperationID string               `json:"operationId"`
	Parameters  []parameter          `json:"parameters,omitempty"`
	RequestBody *requestBody         `json:"requestBody,omitempty"`
	Responses   map[string]*response `json:"responses"`
	// Security is empty for unauthenticated routes; {} in the list makes
	// the key optional (reads, unless MODEL_REGISTRY_REQUIRE_AUTH_READS=true).
	Security []map[string][]string `json:"security"`
}

type parameter struct {
	Name        string  `json:"name"`
	In          string  `json:"in"`
	Description string  `json:"description,omitempty"`
	Required    bool    `json:"required,omitempty"`
	Style       string  `json:"style,omitempty"`
	Explode     *bool   `json:"explode,omitempty"`
	Schema      *schema `json:"schema"`
}

type requestBody struct {
	Description string               `json:"description,omitempty"`
	Required    bool                 `json:"required"`
	Content     map[string]mediaType `json:"content"`
}

type mediaType struct {
	Schema  *schema `json:"schema"`
	Example any     `json:"example,omitempty"`
}

// response is a Response object, or a reference to one when Ref is set.
type response struct {
	Ref         string               `json:"$ref,omitempty"`
	Description string               `json:"description,omitempty"`
	Headers     map[string]header    `json:"headers,omitempty"`
	Content     map[string]mediaType `json:"content,omitempty"`
}

type header struct {
	Description string  `json:"description,omitempty"`
	Schema      *schema `json:"schema"`
}

// schema is the subset of JSON Schema 2020-12 the document uses. Type is a
// string, or a list of strings for a nullable value.
type schema struct {
	Ref                  string             `json:"$ref,omitempty"`
	Type                 any                `json:"type,omitempty"`
	Format               string             `json:"format,omitempty"`
	Description          string             `json:"description,omitempty"`
	Enum                 []any              `json:"enum,omitempty"`
	Default              any                `json:"default,omitempty"`
	Minimum              *float64           `json:"minimum,omitempty"`
	Maximum              *float64           `json:"maximum,omitempty"`
	MinLength            *int               `json:"minLength,omitempty"`
	MaxLength            *int               `json:"maxLength,omitempty"`
	Pattern              string             `json:"pattern,omitempty"`
	Items                *schema            `json:"items,omitempty"`
	MaxItems             *int               `json:"maxItems,omitempty"`
	Properties           map[string]*schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	MinProperties        *int               `json:"minProperties,omitempty"`
	AdditionalProperties any                `json:"additionalProperties,omitempty"`
	OneOf                []*schema          `json:"oneOf,omitempty"`
	Examples             []any              `json:"examples,omitempty"`
}

type components struct {
	Schemas         map[string]*schema        `json:"schemas"`
	Responses       map[string]*response      `json:"responses"`
	SecuritySchemes map[string]securityScheme `json:"securitySchemes"`
}

type securityScheme struct {
	Type        string `json:"type"`
	Scheme      string `json:"scheme,omitempty"`
	In          string `json:"in,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
}

// The document and its HTML rendering are constants of the binary, built on
// first use.
var (
	openapiJSON = sync.OnceValues(func() ([]byte, error) { return json.Marshal(buildDocument()) })
	docsHTML    = sync.OnceValues(func() ([]byte, error) { return renderDocs(buildDocument()) })
)

// openapi answers the OpenAPI document.
func (s *Server) openapi(c echo.Context) error {
	b, err := openapiJSON()
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.JSONBlob(http.StatusOK, b)
}

// docs answers the document as a self-contained HTML page.
func (s *Server) docs(c echo.Context) error {
	b, err := docsHTML()
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	return c.HTMLBlob(http.StatusOK, b)
}
