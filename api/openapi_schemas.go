package api

import (
	"maps"

	"github.com/pmoves/model-registry/registry"
)

// Schema helpers. Request schemas are closed (additionalProperties: false)
// because decode refuses unknown fields; response schemas stay open so
// clients tolerate fields added later.

func schemaRef(name string) *schema { return &schema{Ref: "#/components/schemas/" + name} }

func strSchema(desc string) *schema { return &schema{Type: "string", Description: desc} }

func uuidStr(desc string) *schema { return &schema{Type: "string", Format: "uuid", Description: desc} }

func timeSchema(desc string) *schema {
	return &schema{Type: "string", Format: "date-time", Description: desc}
}

func boolSchema(desc string) *schema { return &schema{Type: "boolean", Description: desc} }

func intSchema(desc string, min, max float64) *schema {
	s := &schema{Type: "integer", Description: desc, Minimum: &min}
	if max > 0 {
		s.Maximum = &max
	}
	return s
}

func numberSchema(desc string, min, max float64) *schema {
	return &schema{Type: "number", Description: desc, Minimum: &min, Maximum: &max}
}

func intp(n int) *int { return &n }

// name is a required name: checkName's rules.
func nameSchema(desc string) *schema {
	return &schema{Type: "string", Description: desc, MinLength: intp(1), MaxLength: intp(registry.MaxNameLen)}
}

// gatewayName is a name that becomes a key of the rendered configuration.
func gatewayName(desc string) *schema {
	return nameSchema(desc + ` Must not start with the gateway's reserved prefix "tensorzero::".`)
}

func textSchema(desc string, max int) *schema {
	return &schema{Type: "string", Description: desc, MaxLength: intp(max)}
}

func freeObject(desc string) *schema { return &schema{Type: "object", Description: desc} }

func arrayOf(items *schema, desc string) *schema {
	return &schema{Type: "array", Items: items, Description: desc}
}

func stringMap(desc string) *schema {
	return &schema{Type: "object", Description: desc, AdditionalProperties: &schema{Type: "string"}}
}

// enumOf turns one of registry's enum lists into a schema's allowed values.
func enumOf[T ~string](values []T) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

func enumSchema[T ~string](values []T, desc string) *schema {
	return &schema{Type: "string", Enum: enumOf(values), Description: desc}
}

// nullable lets a schema also be null. In a request body, null is the same
// as leaving the field out.
func nullable(s *schema) *schema {
	c := *s
	if t, ok := c.Type.(string); ok {
		c.Type = []string{t, "null"}
	}
	if c.Enum != nil {
		c.Enum = append(append([]any{}, c.Enum...), nil)
	}
	return &c
}

func withDefault(s *schema, v any) *schema {
	c := *s
	c.Default = v
	return &c
}

func closedObject(desc string, props map[string]*schema, required ...string) *schema {
	return &schema{Type: "object", Description: desc, Properties: props, Required: required, AdditionalProperties: false}
}

func openObject(desc string, props map[string]*schema, required ...string) *schema {
	return &schema{Type: "object", Description: desc, Properties: props, Required: required}
}

func listOf(item, desc string) *schema {
	return openObject(desc, map[string]*schema{
		"items": arrayOf(schemaRef(item), "The page of results, in the route's order."),
		"count": intSchema("How many rows match in total, ignoring limit and offset.", 0, 0),
	}, "items", "count")
}

// patchOf turns an input schema into its patch: every field optional and
// nullable (null leaves the field as it is), at least one present.
func patchOf(in *schema, desc string) *schema {
	props := map[string]*schema{}
	for k, v := range in.Properties {
		props[k] = nullable(v)
		props[k].Default = nil
	}
	return &schema{Type: "object", Description: desc, Properties: props, MinProperties: intp(1), AdditionalProperties: false}
}

func schemas() map[string]*schema {
	apiBase := nullable(&schema{Type: "string", Format: "uri",
		Description: "The provider's base URL: http or https, without credentials. An empty string means none."})
	envVar := nullable(&schema{Type: "string", Pattern: `^([A-Za-z_][A-Za-z0-9_]*)?$`, MaxLength: intp(registry.MaxNameLen),
		Description: "The name of the environment variable that holds the API key, never the key itself. An empty string means none."})
	description := func(max int) *schema { return nullable(textSchema("Free text.", max)) }
	metadata := nullable(freeObject("A free-form JSON object; operators' keys survive TensorZero re-imports."))
	active := nullable(withDefault(boolSchema("Whether the row is in use."), true))
	nonNeg := func(desc string) *schema { return nullable(intSchema(desc, 0, 0)) }

	providerInput := closedObject("Creates a provider, or replaces one (PUT).", map[string]*schema{
		"name":            nameSchema("Unique name; the provider block key of the rendered configuration."),
		"type":            enumSchema(registry.ProviderTypes, "The kind of API the provider speaks."),
		"api_base":        apiBase,
		"api_key_env_var": envVar,
		"description":     description(2000),
		"metadata":        metadata,
		"active":          active,
	}, "name", "type")

	modelInput := closedObject("Creates a model, or replaces one (PUT).", map[string]*schema{
		"provider_id":    uuidStr("The provider that serves the model."),
		"name":           gatewayName("The registry's name of the model; rows with the same name on several providers render as one gateway model."),
		"model_id":       nameSchema("The provider's own id of the model, e.g. qwen3:8b."),
		"model_type":     enumSchema(registry.ModelTypes, "What the model does."),
		"capabilities":   nullable(&schema{Type: "array", Items: nameSchema("A capability."), MaxItems: intp(64), Description: "Free-form capability names, at most 64."}),
		"vram_mb":        nonNeg("VRAM the model needs, in MiB."),
		"context_length": nonNeg("Context window, in tokens."),
		"description":    description(2000),
		"metadata":       metadata,
		"active":         active,
	}, "provider_id", "name", "model_id", "model_type")

	mappingProps := func(keyDesc string) map[string]*schema {
		return map[string]*schema{
			"service_name":      nameSchema("The service that uses the model." + keyDesc),
			"function_name":     gatewayName("The gateway function." + keyDesc),
			"variant_name":      gatewayName("The function's variant." + keyDesc),
			"model_id":          uuidStr("The model the variant uses."),
			"priority":          nullable(intSchema("Lower is preferred: the lowest priority gives the candidates, higher ones the ordered fallbacks.", 0, 1_000_000)),
			"weight":            nullable(numberSchema("Share of traffic among mappings of equal priority; 0 takes the variant out.", 0, registry.MaxWeight)),
			"fallback_model_id": nullable(&schema{Type: "string", Description: "A model UUID rendered as an extra variant <variant>__fallback; must differ from model_id. An empty string means none."}),
			"params":            nullable(freeObject("Variant parameters rendered into the variant, e.g. temperature.")),
		}
	}
	mappingInput := closedObject("Creates a mapping (POST; 409 if its key exists).", mappingProps(""),
		"service_name", "function_name", "variant_name", "model_id")
	mappingPut := closedObject("Creates or replaces the mapping named by the path. The names may be left out; if given they must equal the path's.",
		mappingProps(" Optional: taken from the path."), "model_id")

	registration := closedObject("Announces a model on a node. Name the model by its registry UUID (model_id), or by provider_type and the provider's own id, in model_id (as the platform's services send it) or provider_model_id, not both.", map[string]*schema{
		"model_id":          nameSchema("The model's registry UUID, or the provider's own id of the model (e.g. qwen3:8b) resolved with provider_type."),
		"provider_model_id": nameSchema("The provider's own id of the model, e.g. qwen3:8b; it must name one active model of a provider of provider_type."),
		"node_id":           nameSchema("The GPU node."),
		"provider_type":     enumSchema(registry.DeploymentProviders, "The serving runtime on the node."),
		"status":            withDefault(enumSchema(registry.DeploymentStatuses, "The deployment's state."), string(registry.StatusLoaded)),
		"vram_allocated_mb": nonNeg("VRAM held on the node, in MiB."),
		"error_message":     nullable(textSchema("Why loading failed.", 4000)),
	}, "node_id", "provider_type")
	registration.OneOf = []*schema{{Required: []string{"model_id"}}, {Required: []string{"provider_model_id"}}}

	all := map[string]*schema{
		"ProviderInput": providerInput,
		"ProviderPatch": patchOf(providerInput, "Changes some fields of a provider; absent or null fields stay as they are. An empty string clears api_base, api_key_env_var or description."),
		"ModelInput":    modelInput,
		"ModelPatch":    patchOf(modelInput, "Changes some fields of a model; absent or null fields stay as they are."),
		"MappingInput":  mappingInput,
		"MappingPut":    mappingPut,
		"AliasInput": closedObject("Creates an alias.", map[string]*schema{
			"model_id": uuidStr("The model the alias names."),
			"alias":    nameSchema("The friendly name; unique within its context."),
			"context":  nullable(nameSchema("A UI or service the alias is scoped to; absent or null: no context.")),
		}, "model_id", "alias"),
		"DeploymentRegistration": registration,
		"StatusChange": closedObject("Moves a deployment to a new status.", map[string]*schema{
			"status":            enumSchema(registry.DeploymentStatuses, "The new state."),
			"error_message":     nullable(textSchema("Why loading failed.", 4000)),
			"vram_allocated_mb": nonNeg("VRAM held on the node, in MiB."),
		}, "status"),

		"Provider":       providerSchema(),
		"Model":          modelSchema(),
		"AliasRef":       aliasRefSchema(),
		"ServiceModel":   serviceModelSchema(),
		"Mapping":        mappingSchema(),
		"Alias":          aliasSchema(),
		"Deployment":     deploymentSchema(),
		"ProviderList":   listOf("Provider", "Providers by name."),
		"ModelList":      listOf("Model", "Models by name, then provider name."),
		"MappingList":    listOf("Mapping", "Mappings by service, function, priority and variant."),
		"AliasList":      listOf("Alias", "Aliases by alias, then context (none first)."),
		"DeploymentList": listOf("Deployment", "Deployments by node, then model name."),
		"FunctionList":   listOf("Function", "Functions by name."),
		"Function":       functionSchema(),
		"Candidate":      candidateSchema(),
		"Variant":        variantSchema(),
		"Finding":        findingSchema(),
		"Validation": openObject("The findings of a lint of tensorzero.toml.", map[string]*schema{
			"valid":    boolSchema("True when there is no error-level finding."),
			"errors":   intSchema("Error-level findings.", 0, 0),
			"warnings": intSchema("Warning-level findings.", 0, 0),
			"findings": arrayOf(schemaRef("Finding"), "Every finding."),
		}, "valid", "errors", "warnings", "findings"),
		"Health": openObject("Liveness and the state of each dependency; never a URL, key or error text.", map[string]*schema{
			"status":       {Type: "string", Enum: []any{"healthy"}},
			"timestamp":    timeSchema("When the answer was made (UTC)."),
			"services":     stringMap(`Each dependency's state by name, as the platform's monitors read it: "postgrest": "ok" or "unavailable", "nats": "connected"...`),
			"version":      strSchema("The build's version."),
			"dependencies": stringMap(`The same states as services.`),
		}, "status", "timestamp", "services", "dependencies"),
		"Index": openObject("The service, its version and its routes.", map[string]*schema{
			"service": strSchema(`"model-registry".`),
			"version": strSchema("The build's version."),
			"docs":    strSchema("Where the readable API document is."),
			"routes":  arrayOf(&schema{Type: "string"}, `Every route as "METHOD /path".`),
		}, "service", "version", "docs", "routes"),
		"Ready": openObject("Ready to serve.", map[string]*schema{
			"status": {Type: "string", Enum: []any{"ready"}},
		}, "status"),
		"Error": openObject("The envelope of every error.", map[string]*schema{
			"error": schemaRef("ErrorDetail"),
		}, "error"),
		"ErrorDetail": openObject("What went wrong. A 5xx never carries internal detail.", map[string]*schema{
			"code":    {Type: "string", Enum: []any{codeNotFound, codeInvalid, codeConflict, codeUnauthorized, codeUnavailable, codeInternal}, Description: "Stable; branch on it, not on the message."},
			"message": strSchema("For people."),
			"fields":  stringMap("For invalid input: each offending field (or body) and what is wrong with it."),
		}, "code", "message"),
	}
	maps.Copy(all, fitnessSchemas())
	maps.Copy(all, enrichSchemas())
	return all
}
