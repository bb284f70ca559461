package api

import (
	"net/http"
	"slices"

	"github.com/pmoves/model-registry/registry"
)

// access is who may call an operation.
type access int

const (
	accessPublic access = iota // never needs a key
	accessRead                 // needs a key only when MODEL_REGISTRY_REQUIRE_AUTH_READS=true
	accessWrite                // always needs a key
)

// endpoint describes one route. The builder adds the path parameters, the
// security requirement and the error responses every route of its kind has:
// 400 for /api routes (bad parameters, unknown query parameters), 401 unless
// accessPublic, 503 for routes that read the store, 413 with a body, 500 always.
type endpoint struct {
	method, path string
	access       access
	id, tag      string
	summary      string
	desc         string
	query        []parameter
	body         *requestBody
	ok           map[string]*response
	errs         []int // 404, 409: what only some routes answer
	offline      bool  // does not use the store: no 503
}

const (
	apiTitle   = "model-registry"
	apiVersion = "1.0.0"
	apiDesc    = "The source of truth for the platform's AI models: providers, models, service mappings (which " +
		"service uses which model), aliases, deployments on GPU nodes, and the TensorZero gateway configuration " +
		"rendered from them.\n\n" +
		"Reads are open unless MODEL_REGISTRY_REQUIRE_AUTH_READS=true. Writes need `Authorization: Bearer <key>` " +
		"or `apikey: <key>` with the Supabase service key or MODEL_REGISTRY_API_KEY.\n\n" +
		"Lists answer `{\"items\": [...], \"count\": <total matching>}` (limit 1..1000, default 100). Routes with query " +
		"parameters refuse unknown ones, and unknown body fields are refused, with 400; bodies are limited to 1 MiB. Errors answer " +
		"`{\"error\": {\"code\", \"message\", \"fields\"}}`; a 5xx never carries internal detail. Every response " +
		"carries X-Request-Id (the caller's, when sane, or a new one)."
)

func docTags() []docTag {
	return []docTag{
		{"health", "Liveness, readiness and Prometheus metrics. Never need a key."},
		{"providers", "Serving endpoints: Ollama, vLLM, OpenAI-compatible APIs, Anthropic, custom servers."},
		{"models", "Models offered by providers."},
		{"mappings", "Which model each variant of a service's function uses."},
		{"aliases", "Friendly names for models, optionally per context."},
		{"deployments", "Which model is loaded on which GPU node, with how much VRAM."},
		{"fitness", "How well models do (fitness records, scored and signed) and which Hugging Face models are candidates for a lane."},
		{"tensorzero", "The gateway's tensorzero.toml, rendered from the registry, and its linter."},
		{"docs", "This document and its HTML rendering. Never need a key."},
	}
}

func endpoints() []endpoint {
	return append([]endpoint{
		{method: http.MethodGet, path: "/", access: accessPublic, id: "index", tag: "health", summary: "The service, its version and its routes",
			ok: okJSON("200", "The index.", schemaRef("Index")), offline: true},
		{method: http.MethodGet, path: "/healthz", access: accessPublic, id: "healthz", tag: "health", summary: "Liveness",
			desc: `200 {"status":"healthy"} while the process serves, naming the state of each dependency (PostgREST is pinged).`,
			ok:   okJSON("200", "Serving.", schemaRef("Health")), offline: true},
		{method: http.MethodGet, path: "/readyz", access: accessPublic, id: "readyz", tag: "health", summary: "Readiness",
			desc: "503 while PostgREST is unreachable.", ok: okJSON("200", "Ready.", schemaRef("Ready"))},
		{method: http.MethodGet, path: "/metrics", access: accessPublic, id: "metrics", tag: "health", summary: "Prometheus metrics",
			ok: map[string]*response{"200": {Description: "Metrics in the Prometheus text format (version 0.0.4).",
				Content: map[string]mediaType{"text/plain": {Schema: strSchema("")}}}}, offline: true},
		{method: http.MethodGet, path: "/openapi.json", access: accessPublic, id: "openapi", tag: "docs", summary: "This OpenAPI document",
			ok: okJSON("200", "The OpenAPI 3.1 document.", &schema{Type: "object"}), offline: true},
		{method: http.MethodGet, path: "/docs", access: accessPublic, id: "docs", tag: "docs", summary: "The API as an HTML page",
			desc: "Self-contained: no scripts, no external styles or fonts.",
			ok: map[string]*response{"200": {Description: "The page.",
				Content: map[string]mediaType{"text/html": {Schema: strSchema("")}}}}, offline: true},

		{method: http.MethodGet, path: "/api/providers", access: accessRead, id: "listProviders", tag: "providers", summary: "List providers",
			query: append([]parameter{
				queryParam("type", "Only providers of this type.", enumSchema(registry.ProviderTypes, "")),
				queryParam("active", "Only active (true) or inactive (false) providers; absent: all.", boolSchema("")),
			}, pageParams()...),
			ok: okJSON("200", "Providers by name.", schemaRef("ProviderList"))},
		{method: http.MethodPost, path: "/api/providers", access: accessWrite, id: "createProvider", tag: "providers", summary: "Create a provider",
			body: jsonBody("ProviderInput"), ok: okJSON("201", "Created.", schemaRef("Provider")), errs: []int{409}},
		{method: http.MethodGet, path: "/api/providers/{id}", access: accessRead, id: "getProvider", tag: "providers", summary: "Get a provider",
			ok: okJSON("200", "The provider.", schemaRef("Provider")), errs: []int{404}},
		{method: http.MethodPut, path: "/api/providers/{id}", access: accessWrite, id: "replaceProvider", tag: "providers", summary: "Replace a provider",
			desc: "Fields left out take their defaults.",
			body: jsonBody("ProviderInput"), ok: okJSON("200", "Replaced.", schemaRef("Provider")), errs: []int{404, 409}},
		{method: http.MethodPatch, path: "/api/providers/{id}", access: accessWrite, id: "updateProvider", tag: "providers", summary: "Change a provider",
			body: jsonBody("ProviderPatch"), ok: okJSON("200", "Changed.", schemaRef("Provider")), errs: []int{404, 409}},
		{method: http.MethodDelete, path: "/api/providers/{id}", access: accessWrite, id: "deleteProvider", tag: "providers", summary: "Delete a provider",
			desc:  "Refused with 409 while the provider has models or its models have mappings, unless cascade=true, which deletes the mappings, then the models, then the provider.",
			query: []parameter{cascadeParam()}, ok: noContent(), errs: []int{404, 409}},

		{method: http.MethodGet, path: "/api/models", access: accessRead, id: "listModels", tag: "models", summary: "List models",
			desc: "Without active: the active models of active providers. Without limit: every matching model (count equals the items); with limit, one page.",
			query: []parameter{
				queryParam("model_type", "Only models of this type.", enumSchema(registry.ModelTypes, "")),
				queryParam("provider", "Only models of the provider with this name, or of providers of this type.", strSchema("")),
				queryParam("active", "true: active models of active providers; false: inactive models, whatever their provider.", boolSchema("")),
				queryParam("q", "Case-insensitive substring of the name, model_id or description.", textSchema("", registry.MaxNameLen)),
				queryParam("limit", "Page size; absent: every matching model.", intSchema("", 1, registry.MaxLimit)),
				queryParam("offset", "Rows to skip.", withDefault(intSchema("", 0, 0), 0)),
			},
			ok: okJSON("200", "Models by name, then provider name.", schemaRef("ModelList"))},
		{method: http.MethodPost, path: "/api/models", access: accessWrite, id: "createModel", tag: "models", summary: "Create a model",
			body: jsonBody("ModelInput"), ok: okJSON("201", "Created.", schemaRef("Model")), errs: []int{409}},
		{method: http.MethodGet, path: "/api/models/{id}", access: accessRead, id: "getModel", tag: "models", summary: "Get a model",
			desc: "Active or not, with its provider's fields and aliases.",
			ok:   okJSON("200", "The model.", schemaRef("Model")), errs: []int{404}},
		{method: http.MethodPut, path: "/api/models/{id}", access: accessWrite, id: "replaceModel", tag: "models", summary: "Replace a model",
			desc: "Fields left out take their defaults.",
			body: jsonBody("ModelInput"), ok: okJSON("200", "Replaced.", schemaRef("Model")), errs: []int{404, 409}},
		{method: http.MethodPatch, path: "/api/models/{id}", access: accessWrite, id: "updateModel", tag: "models", summary: "Change a model",
			body: jsonBody("ModelPatch"), ok: okJSON("200", "Changed.", schemaRef("Model")), errs: []int{404, 409}},
		{method: http.MethodDelete, path: "/api/models/{id}", access: accessWrite, id: "deleteModel", tag: "models", summary: "Delete a model",
			desc:  "Refused with 409 while service mappings use the model, unless cascade=true, which deletes them first.",
			query: []parameter{cascadeParam()}, ok: noContent(), errs: []int{404, 409}},
	}, slices.Concat(routingEndpoints(), fitnessEndpoints(), enrichEndpoints())...)
}
