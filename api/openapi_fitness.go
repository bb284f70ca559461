package api

import (
	"net/http"

	"github.com/pmoves/model-registry/registry"
)

// The model-fitness and model-candidate pipeline in the OpenAPI document.

func fitnessEndpoints() []endpoint {
	filters := func(extra ...parameter) []parameter {
		return append(append([]parameter{
			queryParam("model_id", "Only this model (the provider's or Hugging Face id).", strSchema("")),
			queryParam("lane", "Only this lane.", strSchema("")),
		}, extra...), pageParams()...)
	}
	return []endpoint{
		{method: http.MethodPost, path: "/api/model-fitness", access: accessWrite, id: "recordFitness", tag: "fitness",
			summary: "Record a model's fitness, scored and signed by the registry",
			desc: "The score is computed from the metrics (any score sent is ignored) and the event signed with HMAC-SHA256 " +
				"(CHIT_SIGNING_KEY...). Needs a key, or an agent_id listed in MODEL_REGISTRY_KEYLESS_AGENTS; without " +
				"agent_id, MODEL_REGISTRY_DEFAULT_AGENT. 503 and nothing written without a signing key; 409 for a " +
				"second record of one model_id and run_id. Announced on model.fitness.recorded.v1.",
			body: jsonBody("FitnessInput"), ok: okJSON("200", "The recorded event.", schemaRef("FitnessEvent")), errs: []int{409}},
		{method: http.MethodGet, path: "/api/model-fitness", access: accessWrite, id: "listFitness", tag: "fitness",
			summary: "List fitness records", desc: "Needs a key, whatever MODEL_REGISTRY_REQUIRE_AUTH_READS says: the platform keeps these from anon.", query: filters(queryParam("source", "Only this source.", enumSchema(registry.FitnessSources, ""))),
			ok: okJSON("200", "Records, newest first.", schemaRef("FitnessRecordList"))},
		{method: http.MethodPost, path: "/api/model-candidates", access: accessWrite, id: "registerCandidate", tag: "fitness",
			summary: "Propose a Hugging Face model for a lane",
			desc: "An upsert on (hf_id, intended_lane) that changes only the fields sent; a re-registration never demotes a " +
				"validated, activated or rejected candidate, and an existing row keeps its first agent_id. signed_trail_ref is " +
				"required. Authorised like POST /api/model-fitness. 201 when new, 200 when it existed.",
			body: jsonBody("ModelCandidateInput"),
			ok: map[string]*response{
				"200": jsonResp("Updated.", schemaRef("ModelCandidateAnswer")),
				"201": jsonResp("Created.", schemaRef("ModelCandidateAnswer")),
			}},
		{method: http.MethodGet, path: "/api/model-candidates", access: accessWrite, id: "listCandidates", tag: "fitness",
			summary: "List model candidates",
			desc:    "Needs a key, whatever MODEL_REGISTRY_REQUIRE_AUTH_READS says: the platform keeps these from anon.",
			query: filters(queryParam("source", "Only this source.", strSchema("")),
				queryParam("validation_status", "Only this status.", enumSchema(registry.CandidateStatuses, ""))),
			ok: okJSON("200", "Candidates, most recently changed first.", schemaRef("ModelCandidateList"))},
	}
}

func fitnessSchemas() map[string]*schema {
	metrics := func(desc string) *schema { return nullable(freeObject(desc)) }
	strList := func(desc string) *schema { return nullable(arrayOf(&schema{Type: "string"}, desc)) }
	count := func(desc string) *schema { return nullable(intSchema(desc, 0, 0)) }
	return map[string]*schema{
		"FitnessInput": closedObject("How well a model did in a run; the registry scores and signs it.", map[string]*schema{
			"model_id":           nameSchema("The model (the provider's or Hugging Face id)."),
			"source":             enumSchema(registry.FitnessSources, "Where the metrics come from."),
			"lane":               nameSchema("The lane the model ran in."),
			"agent_id":           nameSchema("Who reports; absent: MODEL_REGISTRY_DEFAULT_AGENT."),
			"tensorzero_metrics": metrics("success_rate, task_score, tool_success_rate, structured_output_valid_rate, latency_ms, tokens_per_second, cost_per_1k_tokens, fallback_rate..."),
			"training_metrics":   metrics("eval_score, loss, publish_eligible..."),
			"run_id":             nameSchema("The run; absent: a new UUID."),
			"score":              nullable(&schema{Type: "number", Description: "Ignored: the registry computes the score."}),
		}, "model_id", "source", "lane"),
		"FitnessEvent": openObject("A model.fitness.recorded.v1 event, signed.", map[string]*schema{
			"model_id":  strSchema(""),
			"source":    enumSchema(registry.FitnessSources, ""),
			"lane":      strSchema(""),
			"score":     numberSchema("0..1, rounded to 6 decimals.", 0, 1),
			"metrics":   freeObject("tensorzero and training as sent, and the nine normalized components."),
			"run_id":    strSchema(""),
			"timestamp": strSchema("ISO 8601 with the UTC offset, as Python's isoformat writes it."),
			"agent_id":  strSchema(""),
			"signature": freeObject(`{"alg":"HMAC-SHA256","kid","hmac"} over the canonical event without its signature.`),
		}, "model_id", "source", "lane", "score", "metrics", "run_id", "timestamp", "agent_id", "signature"),
		"FitnessRecord": openObject("A stored fitness record.", map[string]*schema{
			"id":          uuidStr(""),
			"model_id":    strSchema(""),
			"source":      enumSchema(registry.FitnessSources, ""),
			"lane":        strSchema(""),
			"score":       numberSchema("", 0, 1),
			"metrics":     freeObject(""),
			"run_id":      strSchema(""),
			"agent_id":    strSchema(""),
			"signature":   freeObject(""),
			"recorded_at": timeSchema(""),
			"created_at":  timeSchema(""),
		}, "id", "model_id", "source", "lane", "score", "metrics", "run_id", "agent_id", "signature", "recorded_at", "created_at"),
		"FitnessRecordList": listOf("FitnessRecord", "Fitness records, newest first."),
		"ModelCandidateInput": closedObject("A Hugging Face model proposed for a lane. Only the fields sent change an existing candidate.", map[string]*schema{
			"id":                   nullable(&schema{Type: "string", Description: "Ignored."}),
			"model_id":             nameSchema(""),
			"hf_id":                nameSchema("The Hugging Face id."),
			"task":                 nullable(strSchema("")),
			"license":              nullable(strSchema("")),
			"params":               count("Parameters."),
			"context_length":       count("Tokens."),
			"vram_mb_estimate":     count("MiB."),
			"capabilities":         strList(""),
			"backend_fit":          strList(""),
			"quantization_support": strList(""),
			"intended_lane":        nullable(withDefault(nameSchema(""), registry.DefaultCandidateLane)),
			"validation_status":    nullable(enumSchema(registry.CandidateStatuses, "A decided status is never set back to candidate.")),
			"source":               nullable(withDefault(nameSchema(""), registry.DefaultCandidateSource)),
			"agent_id":             nullable(nameSchema("Who proposes; absent: MODEL_REGISTRY_DEFAULT_AGENT.")),
			"signed_trail_ref":     nullable(nameSchema("Required: the reference of the signed trail behind the proposal.")),
			"metadata":             nullable(freeObject("")),
			"lane":                 nullable(nameSchema("Another name of intended_lane.")),
			"pipeline_tag":         nullable(strSchema("Ignored.")),
		}, "model_id", "hf_id"),
		"ModelCandidate": openObject("A model candidate.", map[string]*schema{
			"id":                   uuidStr(""),
			"model_id":             strSchema(""),
			"hf_id":                strSchema(""),
			"task":                 nullable(strSchema("")),
			"license":              nullable(strSchema("")),
			"params":               nullable(intSchema("", 0, 0)),
			"context_length":       nullable(intSchema("", 0, 0)),
			"vram_mb_estimate":     nullable(intSchema("", 0, 0)),
			"capabilities":         arrayOf(&schema{Type: "string"}, ""),
			"backend_fit":          arrayOf(&schema{Type: "string"}, ""),
			"quantization_support": arrayOf(&schema{Type: "string"}, ""),
			"intended_lane":        strSchema(""),
			"validation_status":    enumSchema(registry.CandidateStatuses, ""),
			"source":               strSchema(""),
			"agent_id":             strSchema(""),
			"signed_trail_ref":     nullable(strSchema("")),
			"metadata":             freeObject(""),
			"created_at":           timeSchema(""),
			"updated_at":           timeSchema(""),
		}, "id", "model_id", "hf_id", "task", "license", "params", "context_length", "vram_mb_estimate", "capabilities",
			"backend_fit", "quantization_support", "intended_lane", "validation_status", "source", "agent_id",
			"signed_trail_ref", "metadata", "created_at", "updated_at"),
		"ModelCandidateList": listOf("ModelCandidate", "Candidates, most recently changed first."),
		"ModelCandidateAnswer": openObject("Who wrote, and the candidate as stored.", map[string]*schema{
			"identity": openObject("", map[string]*schema{
				"agent_id": strSchema(""),
				"via":      strSchema(`"key", or "keyless_agents" for a listed agent without a key.`),
				"trusted":  boolSchema(""),
				"errors":   arrayOf(&schema{Type: "string"}, ""),
			}, "agent_id", "via", "trusted", "errors"),
			"items": arrayOf(schemaRef("ModelCandidate"), ""),
		}, "identity", "items"),
	}
}
