// Package tomlgen renders the TensorZero gateway's tensorzero.toml from
// registry rows (Render, Functions), checks a configuration against the
// gateway's startup rules (Lint), and reads an existing configuration into
// registry rows plus pass-through data (Import), such that rendering an
// imported file gives the file back as parsed TOML. It is pure: no I/O beyond
// an io.Writer and byte slices. It imports registry, BurntSushi/toml and the
// standard library only. Documents may be TOML 1.0 or 1.1, as the gateway
// accepts; BurntSushi/toml v1.6.0 parses 1.1 without BURNTSUSHI_TOML_110.
//
// # Rendering
//
// Chat and vl models render under [models.NAME], embedding models under
// [embedding_models.NAME]; NAME is the model's name, and the key of each
// provider block is the provider's name. Active rows with the same name on
// different providers are one model whose routing lists them by stored
// routing position (metadata.tensorzero.routing), then provider name.
// Registry provider types map to gateway types: ollama and openai_compatible
// to openai, anthropic to anthropic, vllm to vllm (openai for embedding
// models, which the gateway's vllm type cannot serve), and custom to the
// type stored in metadata.tensorzero.type. The model's model_id goes to the
// type's id key (model_name; deployment_id for azure; model_id for
// aws_bedrock and the gcp types; none for tgi). api_base goes to api_base
// (endpoint for azure, endpoint_url for the AWS types); for the openai type,
// an Ollama api_base gets /v1 appended unless its path ends in /v1, and an
// openai_compatible one only when it has no path. api_key_env_var becomes
// api_key_location = "env::VAR" (credential_location for the gcp types; the
// AWS types have none); without one, ollama, openai_compatible, anthropic
// and vllm providers render "none" and custom providers leave the key out
// (the gateway's default), unless metadata.tensorzero.credential says
// otherwise.
//
// Each mapping renders as [functions.F.variants.V], a chat_completion of its
// model (json_mode = "strict" is added in json functions), plus the
// variant parameters kept in params. A mapping's fallback_model_id adds a
// variant "V__fallback" (or V__fallback2, ... if taken) with the same
// parameters and the fallback model. The function's experimentation comes
// from priorities and weights: among variants with weight > 0 (all, if every
// weight is 0), the lowest priority value gives the candidates (a list when
// their weights are equal, else a map of weights), the higher priorities
// give the fallback variants in (priority, name) order, each tier followed by
// its generated fallback variants. Weight 0 takes a variant out of the
// experimentation. Functions without pass-through are type "chat".
//
// Render leaves out, with a warning finding, what the gateway cannot serve:
// models of type reranker, tts, audio or image; custom providers without a
// stored gateway type; embedding models on types that cannot embed; and the
// mappings to any of these. It leaves out, with an error finding, rows
// whose stored data is broken or incomplete (unreadable metadata, a name with
// a reserved prefix, a provider block without the keys its type requires).
// Output is deterministic: table keys are sorted, lists ordered by rule.
//
// # Importing
//
// Each provider key becomes one registry provider, named by the key, even
// when many models use it. Its gateway type is the one most of its blocks
// use; openai becomes ollama when the api_base has port 11434 and
// openai_compatible otherwise; anthropic and vllm keep their type; all other
// types (azure, aws_bedrock, gcp_*, groq, mistral, tgi, sglang, dummy, ...)
// become custom with the gateway type in metadata.tensorzero.type. The
// provider's api_base and api_key_env_var are the ones most blocks use
// (env::VAR only; dynamic::, path:: and the like stay with the models);
// region, location and project_id go to the provider when all its blocks
// agree.
//
// Each provider block becomes one model row: name = model key, model_type
// chat or embedding by section, model_id = the block's id key. When that id
// is already taken on the provider (two TOML models with the same model_name
// on one provider key), the model named like the id keeps it and the others
// get "<id>#<model name>"; the TOML value is then kept as pass-through and
// Import reports a warning. The importer derives each block from the rows
// exactly as Render does and stores only the difference: keys to set
// (metadata.tensorzero.toml) and derived keys to leave out (omit). Model-level
// keys (timeouts, skip_relay, namespace, timeout_ms) go to every row of the
// model (model_toml).
//
// A chat_completion variant whose model is a [models] key becomes a mapping
// with service_name = function_name = the function, variant_name = the
// variant, pointing at the first model row in routing order; its other keys
// go to params. Every other variant (shorthand models such as openai::gpt-4o,
// best-of-n, mixture-of-n, DICL, chain-of-thought), the function's own keys
// (type, schemas, tools, tool_choice, description, evaluators, ...) and the
// experimentation go to the pass-through row "function:F". Every other
// top-level section (gateway, metrics, tools, evaluations, optimizers,
// provider_types, rate_limiting, object_storage, postgres, clickhouse,
// autopilot, and empty models/functions tables) goes to a "section:NAME" row.
//
// # Experimentation and legacy weights
//
// Import gives every variant a priority and weight that derive the file's
// experimentation (candidates priority 0 with their weights, fallbacks 1, 2,
// ... in order, variants that take no part weight 0; legacy per-variant
// weights: weight > 0 candidate, weight 0 out, no weight a priority-1
// fallback; neither: all candidates of weight 1). Mappings hold theirs in the
// priority and weight columns, other variants in FunctionEntry.Roles. The
// file's own experimentation table and legacy weights are stored verbatim in
// FunctionEntry.Experimentation together with a fingerprint of all variants,
// priorities, weights and fallback models. Render emits the stored form while
// the fingerprint matches, so an unchanged import renders as the file did;
// once an operator changes a priority, weight or fallback, or adds or
// removes a variant, the fingerprint differs and Render derives the
// experimentation from the rows instead (never with variant weights, which
// the gateway refuses to mix with a table). A stored adaptive experimentation
// keeps its type, metric and settings with the new candidate list.
//
// # Storage
//
// Pass-through is stored as JSON in jsonb columns: provider and model
// metadata and mapping params under the key "tensorzero" (ProviderMeta,
// ModelMeta, MappingMeta; other keys belong to the operator), and a
// key/value table whose keys are "section:NAME" (SectionEntry) and
// "function:NAME" (FunctionEntry). Arbitrary TOML values are stored as TOML
// documents inside JSON strings, so integers stay integers, floats stay
// floats, datetimes keep their kind and arrays of tables their shape,
// whatever jsonb does to numbers and key order; only plain strings, integers
// (routing position, priority) and weights are native JSON.
package tomlgen
