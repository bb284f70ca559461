package tomlgen

import (
	"strings"
	"testing"
)

// TestLintRules checks each startup rule on a small document: the finding
// at path whose message contains the fragment must be there.
func TestLintRules(t *testing.T) {
	const model = "[models.m]\nrouting = [\"p\"]\n[models.m.providers.p]\ntype = \"openai\"\nmodel_name = \"x\"\n"
	const metric = "[metrics.ok]\ntype = \"float\"\noptimize = \"max\"\nlevel = \"inference\"\n"
	fn := func(body string) string {
		return model + metric + "[functions.f]\ntype = \"chat\"\n[functions.f.variants.a]\ntype = \"chat_completion\"\nmodel = \"m\"\n[functions.f.variants.b]\ntype = \"chat_completion\"\nmodel = \"m\"\n" + body
	}
	tests := []struct {
		name, doc, path, msg string
	}{
		{"unknown root key", "foo = 1\n", "foo", "unknown field"},
		{"unknown model key", model + "[models.m.extra]\n", "models.m.extra", "unknown field"},
		{"unknown provider key", model + "[models.m.providers.p.deployment_id]\n", "models.m.providers.p.deployment_id", "unknown field"},
		{"unknown provider type", "[models.m]\nrouting = [\"p\"]\n[models.m.providers.p]\ntype = \"nope\"\n", "models.m.providers.p.type", "unknown variant"},
		{"required provider key", "[models.m]\nrouting = [\"p\"]\n[models.m.providers.p]\ntype = \"vllm\"\nmodel_name = \"x\"\n", "models.m.providers.p", "missing field `api_base`"},
		{"azure needs endpoint", "[models.m]\nrouting = [\"p\"]\n[models.m.providers.p]\ntype = \"azure\"\ndeployment_id = \"x\"\n", "models.m.providers.p", "missing field `endpoint`"},
		{"bedrock region", "[models.m]\nrouting = [\"p\"]\n[models.m.providers.p]\ntype = \"aws_bedrock\"\nmodel_id = \"x\"\n", "models.m.providers.p", "missing field `region`"},
		{"gemini one of", "[models.m]\nrouting = [\"p\"]\n[models.m.providers.p]\ntype = \"gcp_vertex_gemini\"\nlocation = \"l\"\nproject_id = \"p\"\n", "models.m.providers.p", "exactly one of"},
		{"tgi has no model_name", "[models.m]\nrouting = [\"p\"]\n[models.m.providers.p]\ntype = \"tgi\"\napi_base = \"http://x/v1\"\nmodel_name = \"x\"\n", "models.m.providers.p.model_name", "unknown field"},
		{"missing routing", "[models.m.providers.p]\ntype = \"openai\"\nmodel_name = \"x\"\n", "models.m", "missing field `routing`"},
		{"empty routing", "[models.m]\nrouting = []\nproviders = {}\n", "models.m", "must not be empty"},
		{"duplicate routing", "[models.m]\nrouting = [\"p\", \"p\"]\n[models.m.providers.p]\ntype = \"openai\"\nmodel_name = \"x\"\n", "models.m.routing", "duplicate entry"},
		{"routing not in providers", "[models.m]\nrouting = [\"p\", \"q\"]\n[models.m.providers.p]\ntype = \"openai\"\nmodel_name = \"x\"\n", "models.m.routing", "does not exist in `providers`"},
		{"provider not routed", "[models.m]\nrouting = [\"p\"]\n[models.m.providers.p]\ntype = \"openai\"\nmodel_name = \"x\"\n[models.m.providers.q]\ntype = \"openai\"\nmodel_name = \"x\"\n", "models.m.providers.q", "not listed in `routing`"},
		{"reserved model name", "[models.\"openai::x\"]\nrouting = [\"p\"]\n[models.\"openai::x\".providers.p]\ntype = \"openai\"\nmodel_name = \"x\"\n", `models."openai::x"`, "reserved prefix"},
		{"reserved routing entry", "[models.m]\nrouting = [\"tensorzero::p\"]\n[models.m.providers.\"tensorzero::p\"]\ntype = \"openai\"\nmodel_name = \"x\"\n", "models.m.routing", "reserved prefix"},
		{"bad credential", strings.Replace(model, "model_name", "api_key_location = \"OPENAI_KEY\"\nmodel_name", 1), "models.m.providers.p.api_key_location", "Invalid credential location"},
		{"credential table", strings.Replace(model, "model_name", "api_key_location = { default = \"env::A\", fallback = \"x\" }\nmodel_name", 1), "models.m.providers.p.api_key_location.fallback", "Invalid credential location"},
		{"mixed aws sources", "[models.m]\nrouting = [\"p\"]\n[models.m.providers.p]\ntype = \"aws_bedrock\"\nmodel_id = \"x\"\nregion = \"r\"\naccess_key_id = \"env::A\"\nsecret_access_key = \"dynamic::b\"\n", "models.m.providers.p", "same kind of source"},
		{"timeout above global", "[gateway]\nglobal_outbound_http_timeout_ms = 1000\n" + model + "timeouts = { non_streaming = { total_ms = 2000 } }\n", "models.m.providers.p.timeouts.non_streaming.total_ms", "above gateway.global_outbound_http_timeout_ms"},
		{"streaming total below ttft", model + "timeouts = { streaming = { ttft_ms = 500, total_ms = 100 } }\n", "models.m.providers.p.timeouts.streaming", "below streaming.ttft_ms"},
		{"extra_body table form", model + "extra_body = { temperature = 1 }\n", "models.m.providers.p.extra_body", "expected an array"},
		{"extra_body entry", model + "extra_body = [{ pointer = \"/a\" }]\n", "models.m.providers.p.extra_body[0]", "either `value` or `delete = true`"},
		{"secret header", model + "extra_headers = [{ name = \"Authorization\", value = \"Bearer x\" }]\n", "models.m.providers.p.extra_headers[0]", "literal credential"},
		{"cost entry", model + "cost = [{ pointer = \"/a\" }]\n", "models.m.providers.p.cost[0]", "exactly one of `cost_per_million`"},
		{"chat completions api_base", strings.Replace(model, "model_name", "api_base = \"http://x/v1/chat/completions\"\nmodel_name", 1), "models.m.providers.p.api_base", "not end in /chat/completions"},
		{"embedding provider type", "[embedding_models.e]\nrouting = [\"p\"]\n[embedding_models.e.providers.p]\ntype = \"anthropic\"\nmodel_name = \"x\"\n", "embedding_models.e.providers.p.type", "Unsupported provider config for embedding"},
		{"embedding timeouts key", "[embedding_models.e]\nrouting = [\"p\"]\ntimeouts = {}\n[embedding_models.e.providers.p]\ntype = \"openai\"\nmodel_name = \"x\"\n", "embedding_models.e.timeouts", "unknown field"},
		{"embedding routing mismatch", "[embedding_models.e]\nrouting = [\"q\"]\n[embedding_models.e.providers.p]\ntype = \"openai\"\nmodel_name = \"x\"\n", "embedding_models.e.routing", "does not exist"},
		{"dummy type", "[models.m]\nrouting = [\"p\"]\n[models.m.providers.p]\ntype = \"dummy\"\nmodel_name = \"x\"\n", "models.m.providers.p.type", "test builds"},
		{"unknown function key", fn("[functions.f.output_schema]\n"), "functions.f.output_schema", "unknown field"},
		{"function type", model + "[functions.f]\ntype = \"other\"\nvariants = {}\n", "functions.f.type", "unknown variant"},
		{"reserved function", model + "[functions.\"tensorzero::f\"]\ntype = \"chat\"\nvariants = {}\n", `functions."tensorzero::f"`, "reserved prefix"},
		{"reserved variant", fn("[functions.f.variants.\"tensorzero::v\"]\ntype = \"chat_completion\"\nmodel = \"m\"\n"), `functions.f.variants."tensorzero::v"`, "reserved prefix"},
		{"unknown variant type", fn("[functions.f.variants.c]\ntype = \"experimental_best_of_n\"\n"), "functions.f.variants.c.type", "unknown variant"},
		{"unknown model", fn("[functions.f.variants.c]\ntype = \"chat_completion\"\nmodel = \"nope\"\n"), "functions.f.variants.c.model", "not found in model table"},
		{"shorthand ok", fn("[functions.f.variants.c]\ntype = \"chat_completion\"\nmodel = \"anthropic::claude\"\n"), "", ""},
		{"no vllm shorthand", fn("[functions.f.variants.c]\ntype = \"chat_completion\"\nmodel = \"vllm::x\"\n"), "functions.f.variants.c.model", "not found in model table"},
		{"json_mode in chat", fn("[functions.f.variants.c]\ntype = \"chat_completion\"\nmodel = \"m\"\njson_mode = \"strict\"\n"), "functions.f.variants.c.json_mode", "not supported"},
		{"json_mode missing", model + "[functions.f]\ntype = \"json\"\n[functions.f.variants.a]\ntype = \"chat_completion\"\nmodel = \"m\"\n", "functions.f.variants.a", "`json_mode` must be specified"},
		{"json_mode value", model + "[functions.f]\ntype = \"json\"\n[functions.f.variants.a]\ntype = \"chat_completion\"\nmodel = \"m\"\njson_mode = \"yes\"\n", "functions.f.variants.a.json_mode", "unknown variant"},
		{"fuser json_mode", model + "[functions.f]\ntype = \"json\"\n[functions.f.variants.a]\ntype = \"chat_completion\"\nmodel = \"m\"\njson_mode = \"on\"\n[functions.f.variants.x]\ntype = \"experimental_mixture_of_n\"\ncandidates = [\"a\"]\nfuser = { model = \"m\" }\n", "functions.f.variants.x.fuser", "`json_mode` must be specified"},
		{"unknown candidate", fn("[functions.f.variants.c]\ntype = \"experimental_best_of_n_sampling\"\ncandidates = [\"a\", \"z\"]\nevaluator = { model = \"m\" }\n"), "functions.f.variants.c.candidates", "Unknown candidate variant: z"},
		{"dicl embedding model", fn("[functions.f.variants.c]\ntype = \"experimental_dynamic_in_context_learning\"\nmodel = \"m\"\nk = 3\nembedding_model = \"nope\"\n"), "functions.f.variants.c.embedding_model", "not found in embedding model table"},
		{"dicl shorthand", fn("[functions.f.variants.c]\ntype = \"experimental_dynamic_in_context_learning\"\nmodel = \"m\"\nk = 3\nembedding_model = \"openai::text-embedding-3-small\"\n"), "", ""},
		{"negative max_distance", fn("[functions.f.variants.c]\ntype = \"experimental_dynamic_in_context_learning\"\nmodel = \"m\"\nk = 3\nembedding_model = \"openai::e\"\nmax_distance = -1\n"), "functions.f.variants.c.max_distance", "non-negative"},
		{"negative weight", fn("[functions.f.variants.c]\ntype = \"chat_completion\"\nmodel = \"m\"\nweight = -1\n"), "functions.f.variants.c.weight", "non-negative"},
		{"schema without template", fn("") + "[functions.f.schemas.turn]\npath = \"s.json\"\n", "functions.f.variants.a", "template is required"},
		{"legacy schema without template", strings.Replace(fn(""), "type = \"chat\"\n", "type = \"chat\"\nsystem_schema = \"s.json\"\n", 1), "functions.f.variants.b", "template is required"},
		{"schema twice", strings.Replace(fn(""), "type = \"chat\"\n", "type = \"chat\"\nsystem_schema = \"s.json\"\nschemas.system.path = \"t.json\"\n", 1), "functions.f", "given both"},
		{"unknown tool", strings.Replace(fn(""), "type = \"chat\"\n", "type = \"chat\"\ntools = [\"t\"]\n", 1), "functions.f.tools", "tool `t` is not present"},
		{"tool_choice", strings.Replace(fn(""), "type = \"chat\"\n", "type = \"chat\"\ntool_choice = \"any\"\n", 1), "functions.f.tool_choice", "unknown variant"},
		{"experimentation candidate", fn("[functions.f.experimentation]\ntype = \"static\"\ncandidate_variants = [\"a\", \"z\"]\n"), "functions.f.experimentation.candidate_variants", "candidate variant `z` does not exist"},
		{"experimentation duplicate", fn("[functions.f.experimentation]\ntype = \"static\"\ncandidate_variants = [\"a\", \"a\"]\n"), "functions.f.experimentation.candidate_variants", "duplicate"},
		{"experimentation both lists", fn("[functions.f.experimentation]\ntype = \"static\"\ncandidate_variants = [\"a\"]\nfallback_variants = [\"a\"]\n"), "functions.f.experimentation.fallback_variants", "both a candidate and a fallback"},
		{"experimentation fallback", fn("[functions.f.experimentation]\ntype = \"static\"\ncandidate_variants = [\"a\"]\nfallback_variants = [\"z\"]\n"), "functions.f.experimentation.fallback_variants", "does not exist"},
		{"experimentation negative weight", fn("[functions.f.experimentation]\ntype = \"static\"\ncandidate_variants = { a = -1.0 }\n"), "functions.f.experimentation.candidate_variants.a", "non-negative"},
		{"experimentation type", fn("[functions.f.experimentation]\ntype = \"random\"\n"), "functions.f.experimentation.type", "unknown variant"},
		{"adaptive metric", fn("[functions.f.experimentation]\ntype = \"adaptive\"\ncandidate_variants = [\"a\"]\nmetric = \"nope\"\n"), "functions.f.experimentation.metric", "metric `nope` is not present"},
		{"adaptive weights", fn("[functions.f.experimentation]\ntype = \"adaptive\"\ncandidate_variants = { a = 1.0 }\nmetric = \"ok\"\n"), "functions.f.experimentation.candidate_variants", "takes a list"},
		{"mixing weights", strings.Replace(fn("[functions.f.experimentation]\ntype = \"static\"\ncandidate_variants = [\"a\"]\n"), "model = \"m\"\n", "model = \"m\"\nweight = 1\n", 1), "functions.f.experimentation", "Cannot mix"},
		{"namespace", fn("[functions.f.experimentation]\ntype = \"static\"\ncandidate_variants = [\"a\"]\n[functions.f.experimentation.namespaces.\"tensorzero::n\"]\ntype = \"static\"\ncandidate_variants = [\"z\"]\n"), `functions.f.experimentation.namespaces."tensorzero::n".candidate_variants`, "does not exist"},
		{"metric name", "[metrics.comment]\ntype = \"float\"\noptimize = \"max\"\nlevel = \"inference\"\n", "metrics.comment", "reserved"},
		{"metric chars", "[metrics.\"a b\"]\ntype = \"float\"\noptimize = \"max\"\nlevel = \"inference\"\n", `metrics."a b"`, "must match"},
		{"metric required", "[metrics.m]\ntype = \"float\"\n", "metrics.m", "missing field `level`"},
		{"tool required", "[tools.t]\ndescription = \"d\"\n", "tools.t", "missing field `parameters`"},
		{"base_path", "[gateway]\nbase_path = \"api\"\n", "gateway.base_path", "must start with /"},
		{"batch and async", "[gateway.observability.batch_writes]\nenabled = true\n", "gateway.observability", "cannot both be enabled"},
		{"gateway unknown", "[gateway]\nport = 3000\n", "gateway.port", "unknown field"},
		{"provider_types aws", "[provider_types.aws_bedrock.defaults]\n", "provider_types.aws_bedrock", "unknown provider type"},
		{"provider_types sft", "[provider_types.openai.sft]\n", "provider_types.openai.sft", "unknown field"},
		{"evaluation name", "[evaluations.\"a::b\"]\n", `evaluations."a::b"`, "must not contain ::"},
		{"rate limit rule", "[rate_limiting]\nrules = [{ tokens_per_minute = 10 }]\n", "rate_limiting.rules[0]", "priority or always"},
		{"object storage", "[object_storage]\ntype = \"gcs\"\n", "object_storage.type", "unknown variant"},
		{"postgres extra keys", "[postgres]\nanything = 1\n", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs, err := Lint([]byte(tc.doc))
			if err != nil {
				t.Fatalf("Lint: %v\n%s", err, tc.doc)
			}
			if tc.path == "" {
				if HasErrors(fs) {
					t.Errorf("unexpected errors:\n%s", findingLines(fs))
				}
				return
			}
			for _, f := range fs {
				if f.Path == tc.path && strings.Contains(f.Message, tc.msg) {
					return
				}
			}
			t.Errorf("no finding at %s containing %q; got:\n%s", tc.path, tc.msg, findingLines(fs))
		})
	}
}

// TestReservedPrefix compares reservedPrefix with trying every prefix.
func TestReservedPrefix(t *testing.T) {
	tryAll := func(name string) string {
		for _, typ := range append(sortedKeys(providerSpecs), "tensorzero") {
			if strings.HasPrefix(name, typ+"::") {
				return typ + "::"
			}
		}
		return ""
	}
	for _, name := range []string{"", "qwen3_8b", "openai", "openai:", "openai::", "openai::gpt-4o", "openai:::x",
		"tensorzero::x", "tensorzero:x", "::openai", "a:b::c", "vllm::openai::x", "unknown::x", "open::ai::x",
		"dummy::m", "gcp_vertex_gemini::gemini", "OpenAI::x", " openai::x"} {
		if got, want := reservedPrefix(name), tryAll(name); got != want {
			t.Errorf("reservedPrefix(%q) = %q, want %q", name, got, want)
		}
	}
}
