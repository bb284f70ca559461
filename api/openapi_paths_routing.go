package api

import "net/http"

// routingEndpoints describes the routes of mappings, aliases, deployments and
// the TensorZero configuration.
func routingEndpoints() []endpoint {
	return []endpoint{
		{method: http.MethodGet, path: "/api/mappings", access: accessRead, id: "listMappings", tag: "mappings", summary: "List mappings",
			query: append([]parameter{
				queryParam("service_name", "Only this service's mappings.", strSchema("")),
				queryParam("function_name", "Only this function's mappings.", strSchema("")),
				queryParam("model_id", "Only mappings to this model.", uuidStr("")),
			}, pageParams()...),
			ok: okJSON("200", "Mappings in routing order.", schemaRef("MappingList"))},
		{method: http.MethodPost, path: "/api/mappings", access: accessWrite, id: "createMapping", tag: "mappings", summary: "Create a mapping",
			desc: "409 if a mapping with the same service, function and variant exists; PUT creates or replaces.",
			body: jsonBody("MappingInput"), ok: okJSON("201", "Created.", schemaRef("Mapping")), errs: []int{409}},
		{method: http.MethodGet, path: "/api/mappings/{service}", access: accessRead, id: "listServiceMappings", tag: "mappings", summary: "List a service's mappings",
			query: append([]parameter{queryParam("function_name", "Only this function's mappings.", strSchema(""))}, pageParams()...),
			ok:    okJSON("200", "Mappings in routing order.", schemaRef("MappingList"))},
		{method: http.MethodPut, path: "/api/mappings/{service}/{function}/{variant}", access: accessWrite, id: "putMapping", tag: "mappings", summary: "Create or replace a mapping",
			body: jsonBody("MappingPut"),
			ok: map[string]*response{
				"200": jsonResp("Replaced.", schemaRef("Mapping")),
				"201": jsonResp("Created.", schemaRef("Mapping")),
			}, errs: []int{409}},
		{method: http.MethodDelete, path: "/api/mappings/{service}/{function}/{variant}", access: accessWrite, id: "deleteMapping", tag: "mappings", summary: "Delete a mapping",
			ok: noContent(), errs: []int{404}},
		{method: http.MethodGet, path: "/api/services/{service}/models", access: accessRead, id: "serviceModels", tag: "mappings", summary: "The models a service should use, best first",
			desc:  "A bare array of v_service_models rows (the contract of the registry this one replaces), not a list envelope: the service's routes to active models of active providers by priority (ascending), weight (descending), function and variant. model_id is the provider's own id.",
			query: []parameter{queryParam("function", "Only routes of this function.", strSchema(""))},
			ok:    okJSON("200", "The routes, best first.", arrayOf(schemaRef("ServiceModel"), ""))},

		{method: http.MethodGet, path: "/api/aliases", access: accessRead, id: "listAliases", tag: "aliases", summary: "List aliases",
			query: append([]parameter{
				queryParam("model_id", "Only aliases of this model.", uuidStr("")),
				queryParam("context", "Only aliases in this context; given empty (context=), only aliases without a context.", strSchema("")),
			}, pageParams()...),
			ok: okJSON("200", "Aliases by alias, then context.", schemaRef("AliasList"))},
		{method: http.MethodPost, path: "/api/aliases", access: accessWrite, id: "createAlias", tag: "aliases", summary: "Create an alias",
			body: jsonBody("AliasInput"), ok: okJSON("201", "Created.", schemaRef("Alias")), errs: []int{409}},
		{method: http.MethodDelete, path: "/api/aliases/{id}", access: accessWrite, id: "deleteAlias", tag: "aliases", summary: "Delete an alias",
			ok: noContent(), errs: []int{404}},
		{method: http.MethodGet, path: "/api/aliases/resolve/{alias}", access: accessRead, id: "resolveAlias", tag: "aliases", summary: "Resolve an alias to its model",
			desc:  "Looks in the given context first, then among aliases without a context.",
			query: []parameter{queryParam("context", "The context to look in first.", strSchema(""))},
			ok:    okJSON("200", "The model the alias names.", schemaRef("Model")), errs: []int{404}},

		{method: http.MethodGet, path: "/api/deployments", access: accessRead, id: "listDeployments", tag: "deployments", summary: "List deployments",
			query: append([]parameter{
				queryParam("node_id", "Only deployments on this node.", strSchema("")),
				statusList(),
				queryParam("model_id", "Only deployments of this model.", uuidStr("")),
			}, pageParams()...),
			ok: okJSON("200", "Deployments by node, then model name.", schemaRef("DeploymentList"))},
		{method: http.MethodPost, path: "/api/deployments/register", access: accessWrite, id: "registerDeployment", tag: "deployments", summary: "Register a deployment",
			desc: "Idempotent on (model, node): registering again updates the one row. 404 when the model is unknown; 409 naming the candidates when a provider's model id names models of several providers.",
			body: jsonBody("DeploymentRegistration"),
			ok: map[string]*response{
				"200": jsonResp("Updated.", schemaRef("Deployment")),
				"201": jsonResp("Created.", schemaRef("Deployment")),
			}, errs: []int{404, 409}},
		{method: http.MethodPost, path: "/api/deployments", access: accessWrite, id: "postDeployment", tag: "deployments", summary: "Register a deployment (the original service's route)",
			desc: "The same upsert as /api/deployments/register, with the same body.",
			body: jsonBody("DeploymentRegistration"),
			ok: map[string]*response{
				"200": jsonResp("Updated.", schemaRef("Deployment")),
				"201": jsonResp("Created.", schemaRef("Deployment")),
			}, errs: []int{404, 409}},
		{method: http.MethodPut, path: "/api/deployments/{id}/status", access: accessWrite, id: "setDeploymentStatus", tag: "deployments", summary: "Change a deployment's status",
			body: jsonBody("StatusChange"), ok: okJSON("200", "Changed.", schemaRef("Deployment")), errs: []int{404}},

		{method: http.MethodGet, path: "/api/tensorzero/config", access: accessRead, id: "tensorzeroConfig", tag: "tensorzero", summary: "The rendered tensorzero.toml",
			desc: "Rendered from the active catalogue. A strong ETag identifies the rendering; If-None-Match with it answers 304. Models and providers the gateway cannot express are left out and counted in X-Render-Warnings and X-Render-Errors.",
			query: []parameter{{Name: "If-None-Match", In: "header", Description: "An ETag from an earlier answer (a list, or *).",
				Schema: strSchema("")}},
			ok: map[string]*response{
				"200": {Description: "The configuration (application/toml; charset=utf-8).",
					Headers: map[string]header{
						"ETag":              {Description: "Strong validator of the rendering.", Schema: strSchema("")},
						"Cache-Control":     {Description: "no-cache: revalidate with If-None-Match.", Schema: strSchema("")},
						"X-Render-Warnings": {Description: "Warning-level findings of the rendering.", Schema: intSchema("", 0, 0)},
						"X-Render-Errors":   {Description: "Error-level findings: items left out.", Schema: intSchema("", 0, 0)},
					},
					Content: map[string]mediaType{"application/toml": {Schema: strSchema("TOML text.")}}},
				"304": {Description: "Unchanged since the ETag given in If-None-Match.",
					Headers: map[string]header{"ETag": {Description: "Strong validator of the rendering.", Schema: strSchema("")}}},
			}},
		{method: http.MethodGet, path: "/api/tensorzero/functions", access: accessRead, id: "tensorzeroFunctions", tag: "tensorzero", summary: "The rendered functions and variants, as JSON",
			ok: okJSON("200", "Functions by name.", schemaRef("FunctionList"))},
		{method: http.MethodPost, path: "/api/tensorzero/validate", access: accessRead, id: "tensorzeroValidate", tag: "tensorzero", summary: "Lint a tensorzero.toml",
			desc: "Changes nothing, so it is authorised like a read. 200 with the findings, whatever they are; 400 only when the body is not TOML. The body is read whatever its Content-Type.",
			body: &requestBody{Required: true, Description: "A tensorzero.toml.",
				Content: map[string]mediaType{"application/toml": {Schema: strSchema("TOML text.")}}},
			ok: okJSON("200", "The findings.", schemaRef("Validation")), offline: true},
	}
}
