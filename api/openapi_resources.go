package api

import (
	"strconv"

	"github.com/pmoves/model-registry/registry"
	"github.com/pmoves/model-registry/tomlgen"
)

// The schemas of the resources the API answers, and its error responses.

func providerSchema() *schema {
	return openObject("A serving endpoint: a local Ollama, a vLLM server, a hosted OpenAI-compatible API, Anthropic, or a custom server.", map[string]*schema{
		"id":              uuidStr(""),
		"name":            strSchema("Unique name."),
		"type":            enumSchema(registry.ProviderTypes, ""),
		"api_base":        nullable(strSchema("Base URL.")),
		"api_key_env_var": nullable(strSchema("The environment variable holding the API key.")),
		"description":     nullable(strSchema("")),
		"metadata":        freeObject("Free-form."),
		"active":          boolSchema(""),
		"created_at":      timeSchema(""),
		"updated_at":      timeSchema(""),
	}, "id", "name", "type", "api_base", "api_key_env_var", "description", "metadata", "active", "created_at", "updated_at")
}

func modelSchema() *schema {
	return openObject("A model offered by a provider, as the platform's v_active_models shows it: model_id is the provider's own id, id the registry's UUID.", map[string]*schema{
		"id":              uuidStr("The registry's id of the model."),
		"name":            strSchema("The registry's name of the model."),
		"model_id":        strSchema(`The provider's own id of the model, e.g. "qwen3:8b".`),
		"model_type":      enumSchema(registry.ModelTypes, ""),
		"capabilities":    arrayOf(&schema{Type: "string"}, ""),
		"vram_mb":         nullable(intSchema("MiB.", 0, 0)),
		"context_length":  nullable(intSchema("Tokens.", 0, 0)),
		"description":     nullable(strSchema("")),
		"provider_id":     uuidStr(""),
		"provider_name":   strSchema(""),
		"provider_type":   enumSchema(registry.ProviderTypes, ""),
		"api_base":        nullable(strSchema("The provider's base URL.")),
		"api_key_env_var": nullable(strSchema("The environment variable holding the provider's API key.")),
		"aliases":         arrayOf(aliasRefSchema(), "The model's aliases; [] when none."),
		"metadata":        freeObject("Free-form."),
		"active":          boolSchema("The model's own flag (lists by default show active models of active providers)."),
		"created_at":      timeSchema(""),
		"updated_at":      timeSchema(""),
		"provider_active": boolSchema("Present on single models and inactive lists."),
	}, "id", "name", "model_id", "model_type", "capabilities", "vram_mb", "context_length",
		"description", "provider_id", "api_base", "api_key_env_var", "aliases", "metadata", "active", "created_at", "updated_at")
}

func aliasRefSchema() *schema {
	return openObject("One alias of a model.", map[string]*schema{
		"alias":   strSchema(""),
		"context": nullable(strSchema("Null: no context.")),
	}, "alias", "context")
}

func serviceModelSchema() *schema {
	return openObject("A route of a service as the platform's v_service_models shows it: model_id and fallback_model_id are the providers' own ids; the registry's ids are id, model_uuid and fallback_model_uuid.", map[string]*schema{
		"service_name":        strSchema(""),
		"function_name":       strSchema(""),
		"variant_name":        strSchema(""),
		"priority":            intSchema("Lower is preferred.", 0, 1_000_000),
		"weight":              numberSchema("Share among equal priorities.", 0, registry.MaxWeight),
		"model_id":            strSchema(`The provider's own id of the model, e.g. "qwen3:8b".`),
		"model_name":          strSchema("The registry's name of the model."),
		"model_type":          enumSchema(registry.ModelTypes, ""),
		"vram_mb":             nullable(intSchema("MiB.", 0, 0)),
		"context_length":      nullable(intSchema("Tokens.", 0, 0)),
		"provider_name":       strSchema(""),
		"provider_type":       enumSchema(registry.ProviderTypes, ""),
		"api_base":            nullable(strSchema("The provider's base URL.")),
		"fallback_model_id":   nullable(strSchema("The fallback model's provider id.")),
		"fallback_model_name": nullable(strSchema("")),
		"id":                  uuidStr("The mapping's id."),
		"model_uuid":          uuidStr("The registry's id of the model."),
		"fallback_model_uuid": nullable(uuidStr("The registry's id of the fallback model.")),
		"provider_id":         uuidStr(""),
		"params":              freeObject("Variant parameters."),
		"created_at":          timeSchema(""),
		"updated_at":          timeSchema(""),
	}, "service_name", "function_name", "variant_name", "priority", "weight", "model_id", "model_name", "model_type",
		"vram_mb", "context_length", "provider_name", "provider_type", "api_base", "fallback_model_id", "fallback_model_name",
		"id", "model_uuid", "fallback_model_uuid", "provider_id", "params", "created_at", "updated_at")
}

func mappingSchema() *schema {
	return openObject("Routes one variant of a service's function to a model, with the model's and provider's fields.", map[string]*schema{
		"id":                  uuidStr(""),
		"service_name":        strSchema(""),
		"function_name":       strSchema(""),
		"variant_name":        strSchema(""),
		"model_id":            uuidStr(""),
		"priority":            intSchema("Lower is preferred.", 0, 1_000_000),
		"weight":              numberSchema("Share among equal priorities.", 0, registry.MaxWeight),
		"fallback_model_id":   nullable(uuidStr("")),
		"params":              freeObject("Variant parameters."),
		"created_at":          timeSchema(""),
		"updated_at":          timeSchema(""),
		"model_name":          strSchema(""),
		"provider_model_id":   strSchema(""),
		"model_type":          enumSchema(registry.ModelTypes, ""),
		"provider_id":         uuidStr(""),
		"provider_name":       strSchema(""),
		"provider_type":       enumSchema(registry.ProviderTypes, ""),
		"fallback_model_name": strSchema(""),
	}, "id", "service_name", "function_name", "variant_name", "model_id", "priority", "weight",
		"fallback_model_id", "params", "created_at", "updated_at")
}

func aliasSchema() *schema {
	return openObject("A friendly name for a model, optionally scoped to a context.", map[string]*schema{
		"id":         uuidStr(""),
		"model_id":   uuidStr(""),
		"alias":      strSchema(""),
		"context":    nullable(strSchema("Null: no context.")),
		"created_at": timeSchema(""),
		"updated_at": timeSchema(""),
	}, "id", "model_id", "alias", "context", "created_at", "updated_at")
}

func deploymentSchema() *schema {
	return openObject("A model on a GPU node (at most one per model and node), with the model's fields.", map[string]*schema{
		"id":                  uuidStr(""),
		"model_id":            uuidStr(""),
		"node_id":             strSchema(""),
		"provider_type":       enumSchema(registry.DeploymentProviders, ""),
		"status":              enumSchema(registry.DeploymentStatuses, ""),
		"vram_allocated_mb":   nullable(intSchema("MiB.", 0, 0)),
		"loaded_at":           nullable(timeSchema("")),
		"last_used_at":        nullable(timeSchema("")),
		"last_seen_at":        nullable(timeSchema("")),
		"error_message":       nullable(strSchema("")),
		"created_at":          timeSchema(""),
		"updated_at":          timeSchema(""),
		"model_name":          strSchema(""),
		"provider_model_id":   strSchema(""),
		"model_type":          enumSchema(registry.ModelTypes, ""),
		"provider_name":       strSchema(""),
		"model_provider_type": enumSchema(registry.ProviderTypes, ""),
	}, "id", "model_id", "node_id", "provider_type", "status", "vram_allocated_mb", "loaded_at",
		"last_used_at", "last_seen_at", "error_message", "created_at", "updated_at")
}

func functionSchema() *schema {
	return openObject("A gateway function as rendered into tensorzero.toml.", map[string]*schema{
		"name":            strSchema(""),
		"type":            strSchema("chat or json."),
		"services":        arrayOf(&schema{Type: "string"}, "The services whose mappings make the function."),
		"experimentation": strSchema(`static, adaptive, a legacy type, "weights" for legacy variant weights, or "none" (uniform).`),
		"source":          strSchema(`"stored" when rendered as imported, "derived" when computed from priorities and weights.`),
		"candidates":      arrayOf(schemaRef("Candidate"), "Variants sampled first."),
		"fallbacks":       arrayOf(&schema{Type: "string"}, "Variants tried next, in order."),
		"variants":        arrayOf(schemaRef("Variant"), ""),
	}, "name", "type", "services", "experimentation", "source", "candidates", "fallbacks", "variants")
}

func candidateSchema() *schema {
	return openObject("A candidate variant.", map[string]*schema{
		"variant": strSchema(""),
		"weight":  nullable(&schema{Type: "number", Description: "Null for adaptive experimentation."}),
	}, "variant", "weight")
}

func variantSchema() *schema {
	return openObject("A variant of a rendered function.", map[string]*schema{
		"name":         strSchema(""),
		"type":         strSchema("e.g. chat_completion."),
		"model":        strSchema(""),
		"mapping_id":   uuidStr("The mapping the variant comes from."),
		"service_name": strSchema(""),
		"priority":     {Type: "integer"},
		"weight":       {Type: "number"},
		"fallback_for": strSchema("The variant whose fallback_model_id generated this one."),
	}, "name", "type")
}

func findingSchema() *schema {
	return openObject("One problem in a configuration.", map[string]*schema{
		"severity": {Type: "string", Enum: []any{tomlgen.SeverityError, tomlgen.SeverityWarning}},
		"path":     strSchema("The dotted TOML path of the key concerned."),
		"message":  strSchema(""),
	}, "severity", "path", "message")
}

// errorResponses are the error answers, by status, as components.
func errorResponses() map[string]*response {
	mk := func(desc, code, message string, fields map[string]string) *response {
		detail := map[string]any{"code": code, "message": message}
		if fields != nil {
			detail["fields"] = fields
		}
		return &response{Description: desc, Content: map[string]mediaType{
			"application/json": {Schema: schemaRef("Error"), Example: map[string]any{"error": detail}}}}
	}
	unauthorized := mk("A valid API key is required: always for writes; for reads when MODEL_REGISTRY_REQUIRE_AUTH_READS=true.",
		codeUnauthorized, "a valid API key is required", nil)
	unauthorized.Headers = map[string]header{"WWW-Authenticate": {Schema: &schema{Type: "string", Examples: []any{`Bearer realm="model-registry"`}}}}
	return map[string]*response{
		"Invalid": mk("The request is invalid: a path or query parameter, an unknown query parameter, malformed JSON, an unknown body field, or a field that fails validation.",
			codeInvalid, "the request is invalid", map[string]string{"model_type": "must be one of chat, embedding, reranker, vl, tts, audio, image"}),
		"Unauthorized": unauthorized,
		"NotFound":     mk("No such resource.", codeNotFound, "model 6fb4a057-4452-4e84-b47d-268246807b32: not found", nil),
		"Conflict":     mk("The change conflicts with existing rows: a unique name or key is taken, or the row is still in use.", codeConflict, "conflict: Key (name)=(ollama_lab) already exists", nil),
		"TooLarge":     mk("The request body exceeds 1 MiB.", codeInvalid, "request body exceeds 1 MiB", nil),
		"Unavailable":  mk("PostgREST is unreachable or past its deadline; try again shortly.", codeUnavailable, "the database is unavailable; try again shortly", nil),
		"Internal":     mk("An unexpected failure; logged with the request id, never detailed in the body.", codeInternal, "internal error", nil),
	}
}

// errorStatus maps a status to its component in errorResponses.
var errorStatus = map[int]string{400: "Invalid", 401: "Unauthorized", 404: "NotFound", 409: "Conflict",
	413: "TooLarge", 500: "Internal", 503: "Unavailable"}

func errorRef(status int) *response {
	return &response{Ref: "#/components/responses/" + errorStatus[status]}
}

func statusKey(status int) string { return strconv.Itoa(status) }
