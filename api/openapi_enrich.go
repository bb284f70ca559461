package api

import (
	"net/http"

	"github.com/pmoves/model-registry/registry"
)

func enrichEndpoints() []endpoint {
	badGateway := &response{Description: "The Hugging Face Hub failed (its status is named) or did not answer; nothing was written.",
		Content: map[string]mediaType{"application/json": {Schema: schemaRef("Error"),
			Example: map[string]any{"error": map[string]any{"code": codeUnavailable,
				"message": "the Hugging Face Hub answered 401 for acme/gated-model"}}}}}
	return []endpoint{
		{method: http.MethodPost, path: "/api/models/{id}/enrich-hf", access: accessWrite, id: "enrichModelHF", tag: "models",
			summary: "Enrich a model from the Hugging Face Hub",
			desc: "Reads the hub's model info and config.json of the model's metadata.hf_id (HF_ENDPOINT, with HF_TOKEN if set) " +
				"and merges hf_last_modified, hf_downloads, hf_likes, hf_tags, hf_library_name, hf_pipeline_tag, hf_license, " +
				"cuda_supported and dimensions into its metadata; keys already there win. Only the metadata is written. " +
				"400 naming metadata.hf_id when it has none; 502 when the hub fails, nothing written; 503 without a hub configured.",
			// 502 is this route's own; the error responses are shared components.
			ok: map[string]*response{
				"200": jsonResp("The enrichment, merged into the model's metadata.", schemaRef("EnrichResult")),
				"502": badGateway,
			},
			errs: []int{404}},
		{method: http.MethodPost, path: "/api/models/enrich-hf-bulk", access: accessWrite, id: "enrichModelsHFBulk", tag: "models",
			summary: "Enrich every active model of a type from the Hugging Face Hub",
			desc: "Enriches each active model of model_type as POST /api/models/{id}/enrich-hf does. A model without " +
				"metadata.hf_id is skipped; a model the hub fails for is listed with the hub's status, nothing written for it, " +
				"and the others go on. 503 without a hub configured.",
			query: []parameter{queryParam("model_type", "The models to enrich.",
				withDefault(enumSchema(registry.ModelTypes, ""), string(registry.ModelEmbedding)))},
			ok: okJSON("200", "What was enriched, skipped and failed, in the catalogue's order.", schemaRef("EnrichBulkResult"))},
	}
}

func enrichSchemas() map[string]*schema {
	count := func(desc string) *schema { return intSchema(desc, 0, 0) }
	return map[string]*schema{
		"Enrichment": openObject("What the Hugging Face Hub says of a model, as metadata keys. What the hub does not say is left out.",
			map[string]*schema{
				"hf_id":            strSchema("The hub repository (org/name)."),
				"hf_last_modified": strSchema("The hub's lastModified."),
				"hf_downloads":     count("The hub's downloads."),
				"hf_likes":         count("The hub's likes."),
				"hf_tags":          arrayOf(&schema{Type: "string"}, "The hub's tags."),
				"hf_library_name":  strSchema("The hub's library_name."),
				"hf_pipeline_tag":  strSchema("The hub's pipeline_tag."),
				"hf_license":       strSchema("cardData.license (a list is joined with commas)."),
				"cuda_supported":   boolSchema("A tag is pytorch, cuda, transformers or safetensors."),
				"dimensions":       intSchema("The first positive integer of config.json's embedding_dimension, hidden_size, d_model, n_embd; absent without config.json.", 1, 0),
			}, "hf_id", "hf_tags", "cuda_supported"),
		"EnrichResult": openObject("A model's enrichment from the Hugging Face Hub.", map[string]*schema{
			"model_id":   uuidStr("The model."),
			"hf_id":      strSchema("Its hub repository."),
			"enrichment": schemaRef("Enrichment"),
		}, "model_id", "hf_id", "enrichment"),
		"EnrichBulkResult": openObject("The outcome of each active model of the type, in the catalogue's order.", map[string]*schema{
			"enriched": arrayOf(openObject("", map[string]*schema{
				"id":         uuidStr(""),
				"hf_id":      strSchema(""),
				"dimensions": nullable(intSchema("null without config.json or a size in it.", 1, 0)),
			}, "id", "hf_id", "dimensions"), "Enriched, its metadata written when it changed."),
			"skipped": arrayOf(openObject("", map[string]*schema{
				"id":     uuidStr(""),
				"name":   strSchema(""),
				"reason": {Type: "string", Enum: []any{reasonNoHFID, reasonInvalidHFID}},
			}, "id", "name", "reason"), "Not tried: no (or no valid) metadata.hf_id."),
			"failed": arrayOf(openObject("", map[string]*schema{
				"id":    uuidStr(""),
				"hf_id": strSchema(""),
				"error": strSchema(`What failed, in a few words: "the Hugging Face Hub answered 401".`),
			}, "id", "hf_id", "error"), "Nothing written for these."),
		}, "enriched", "skipped", "failed"),
	}
}
