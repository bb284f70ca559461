package api

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/pmoves/model-registry/registry"
)

// Parameter and response helpers, and the assembly of the document.

func queryParam(name, desc string, s *schema) parameter {
	return parameter{Name: name, In: "query", Description: desc, Schema: s}
}

func pageParams() []parameter {
	return []parameter{
		queryParam("limit", "Page size.", withDefault(intSchema("", 1, registry.MaxLimit), registry.DefaultLimit)),
		queryParam("offset", "Rows to skip.", withDefault(intSchema("", 0, 0), 0)),
	}
}

func cascadeParam() parameter {
	return queryParam("cascade", "Delete what depends on the row too.", withDefault(boolSchema(""), false))
}

func statusList() parameter {
	no := false
	return parameter{Name: "status", In: "query", Style: "form", Explode: &no,
		Description: "Only deployments in these states, comma-separated; absent: loading and loaded.",
		Schema:      &schema{Type: "array", Items: enumSchema(registry.DeploymentStatuses, "")}}
}

// pathParams describes every path parameter by name.
func pathParams() map[string]parameter {
	p := func(name, desc string, s *schema) parameter {
		return parameter{Name: name, In: "path", Required: true, Description: desc, Schema: s}
	}
	return map[string]parameter{
		"id":       p("id", "The resource's UUID.", uuidStr("")),
		"service":  p("service", "The service name, percent-encoded as needed.", nameSchema("")),
		"function": p("function", "The function name, percent-encoded as needed.", nameSchema("")),
		"variant":  p("variant", "The variant name, percent-encoded as needed.", nameSchema("")),
		"alias":    p("alias", "The alias, percent-encoded as needed.", nameSchema("")),
	}
}

func jsonResp(desc string, s *schema) *response {
	return &response{Description: desc, Content: map[string]mediaType{"application/json": {Schema: s}}}
}

func okJSON(status, desc string, s *schema) map[string]*response {
	return map[string]*response{status: jsonResp(desc, s)}
}

func noContent() map[string]*response {
	return map[string]*response{"204": {Description: "Deleted."}}
}

func jsonBody(schemaName string) *requestBody {
	return &requestBody{Required: true, Content: map[string]mediaType{"application/json": {Schema: schemaRef(schemaName)}}}
}

var pathParamRE = regexp.MustCompile(`\{([^}]+)\}`)

func buildDocument() *document {
	doc := &document{
		OpenAPI: "3.1.0",
		Info: docInfo{Title: apiTitle, Version: apiVersion, Description: apiDesc,
			License: docLicense{Name: "MIT", Identifier: "MIT"}},
		Servers: []docServer{{URL: "/", Description: "The registry that serves this document (port 8110 by default)."}},
		Tags:    docTags(),
		Paths:   map[string]*pathItem{},
		Components: components{Schemas: schemas(), Responses: errorResponses(),
			SecuritySchemes: map[string]securityScheme{
				"bearer": {Type: "http", Scheme: "bearer",
					Description: "Authorization: Bearer <key>: the Supabase service key or MODEL_REGISTRY_API_KEY."},
				"apikey": {Type: "apiKey", In: "header", Name: "apikey",
					Description: "apikey: <key>: the Supabase service key or MODEL_REGISTRY_API_KEY."},
			}},
	}
	params := pathParams()
	for _, e := range endpoints() {
		doc.add(e, params)
	}
	return doc
}

func (d *document) add(e endpoint, params map[string]parameter) {
	item := d.Paths[e.path]
	if item == nil {
		item = &pathItem{}
		d.Paths[e.path] = item
	}
	slot := item.slot(e.method)
	if *slot != nil {
		panic("openapi: " + e.method + " " + e.path + " described twice")
	}
	op := &operation{Tags: []string{e.tag}, Summary: e.summary, Description: e.desc, OperationID: e.id,
		RequestBody: e.body, Responses: map[string]*response{}}
	for _, m := range pathParamRE.FindAllStringSubmatch(e.path, -1) {
		p, ok := params[m[1]]
		if !ok {
			panic("openapi: undescribed path parameter " + m[1])
		}
		op.Parameters = append(op.Parameters, p)
	}
	op.Parameters = append(op.Parameters, e.query...)
	for k, v := range e.ok {
		op.Responses[k] = v
	}
	errs := append([]int{}, e.errs...)
	if strings.HasPrefix(e.path, "/api/") {
		errs = append(errs, http.StatusBadRequest)
	}
	if e.access != accessPublic {
		errs = append(errs, http.StatusUnauthorized)
	}
	if e.body != nil {
		errs = append(errs, http.StatusRequestEntityTooLarge)
	}
	if !e.offline {
		errs = append(errs, http.StatusServiceUnavailable)
	}
	errs = append(errs, http.StatusInternalServerError)
	for _, status := range errs {
		op.Responses[statusKey(status)] = errorRef(status)
	}
	switch e.access {
	case accessPublic:
		op.Security = []map[string][]string{}
	case accessRead:
		op.Security = []map[string][]string{{}, {"bearer": {}}, {"apikey": {}}}
		op.Description = strings.TrimSpace(op.Description + " Needs a key only when MODEL_REGISTRY_REQUIRE_AUTH_READS=true.")
	case accessWrite:
		op.Security = []map[string][]string{{"bearer": {}}, {"apikey": {}}}
	}
	*slot = op
}
