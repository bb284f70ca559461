package tomlgen

import "strings"

var (
	samplingKeys = []string{"temperature", "top_p", "max_tokens", "presence_penalty", "frequency_penalty", "seed",
		"stop_sequences", "reasoning_effort", "service_tier", "thinking_budget_tokens", "verbosity"}
	chatCompletionKeys = append([]string{"model", "weight", "system_template", "user_template", "assistant_template",
		"templates", "input_wrappers", "json_mode", "retries", "extra_body", "extra_headers"}, samplingKeys...)
	variantKeys = map[string]map[string]bool{
		"chat_completion":                 union([]string{"type", "timeouts", "namespace"}, chatCompletionKeys),
		"experimental_chain_of_thought":   union([]string{"type", "timeouts", "namespace"}, chatCompletionKeys),
		"experimental_best_of_n_sampling": set("type", "timeouts", "namespace", "candidates", "evaluator", "weight", "timeout_s"),
		"experimental_mixture_of_n":       set("type", "timeouts", "namespace", "candidates", "fuser", "weight", "timeout_s"),
		"experimental_dynamic_in_context_learning": union([]string{"type", "timeouts", "namespace", "embedding_model", "k",
			"model", "system_instructions", "json_mode", "retries", "extra_body", "extra_headers", "max_distance", "weight"}, samplingKeys),
	}
	innerKeys = union([]string{"timeouts"}, chatCompletionKeys) // best-of-n evaluator, mixture-of-n fuser
	roles     = []string{"system", "user", "assistant"}
)

func (l *linter) functions() {
	l.eachTable("functions", func(p []string, name string, f map[string]any) {
		l.reserved(p, name, "function")
		l.required(p, f, "type", "variants")
		l.enum(p, f, "type", "chat", "json")
		typ, _ := f["type"].(string)
		allowed := union([]string{"type", "variants", "system_schema", "user_schema", "assistant_schema", "schemas",
			"description", "experimentation", "evaluators"})
		if typ != "json" {
			allowed = union(sortedStrings(allowed), []string{"tools", "tool_choice", "parallel_tool_calls"})
		}
		if typ != "chat" {
			allowed["output_schema"] = true
		}
		l.unknown(p, f, allowed)
		l.functionTools(p, f)
		schemas := l.schemas(p, f)
		variants, _ := l.table(path(join(p, "variants")...), f["variants"])
		weighted := false
		for _, vn := range sortedKeys(variants) {
			vp := join(p, "variants", vn)
			l.reserved(vp, vn, "variant")
			v, ok := l.table(path(vp...), variants[vn])
			if !ok {
				continue
			}
			if _, ok := v["weight"]; ok {
				weighted = true
			}
			l.variant(vp, v, typ, variants, f, schemas)
		}
		if exp, ok := f["experimentation"]; ok {
			l.experimentation(join(p, "experimentation"), exp, variants, true)
			if weighted {
				l.fs.errorf(path(join(p, "experimentation")...), "Cannot mix `experimentation` configuration with individual variant `weight` values")
			}
		}
	})
}

func (l *linter) functionTools(p []string, f map[string]any) {
	tools, _ := l.strList(p, f, "tools")
	for _, t := range tools {
		if !l.tools[t] {
			l.fs.errorf(path(join(p, "tools")...), "tool `%s` is not present in the config", t)
		}
	}
	l.boolean(p, f, "parallel_tool_calls")
	switch tc := f["tool_choice"].(type) {
	case nil:
	case string:
		l.enum(p, f, "tool_choice", "none", "auto", "required")
	case map[string]any:
		l.unknown(join(p, "tool_choice"), tc, set("specific"))
		l.required(join(p, "tool_choice"), tc, "specific")
		l.str(join(p, "tool_choice"), tc, "specific")
	default:
		l.fs.errorf(path(join(p, "tool_choice")...), "invalid type: %s, expected a string or {specific = \"tool\"}", tomlType(tc))
	}
}

// schemas checks a function's schemas and returns the names variants must
// have templates for.
func (l *linter) schemas(p []string, f map[string]any) []string {
	var names []string
	named, _ := l.table(path(join(p, "schemas")...), f["schemas"])
	for _, n := range sortedKeys(named) {
		sp := join(p, "schemas", n)
		if s, ok := l.table(path(sp...), named[n]); ok {
			l.unknown(sp, s, set("path"))
			l.required(sp, s, "path")
		}
		names = append(names, n)
	}
	for _, r := range roles {
		if _, ok := f[r+"_schema"]; ok {
			if named[r] != nil {
				l.fs.errorf(path(p...), "schema `%s` is given both as %s_schema and as schemas.%s", r, r, r)
				continue
			}
			names = append(names, r)
		}
	}
	return names
}

func (l *linter) variant(p []string, v map[string]any, fnType string, variants, f map[string]any, schemas []string) {
	l.required(p, v, "type")
	typ, ok := l.str(p, v, "type")
	if !ok {
		return
	}
	allowed, known := variantKeys[typ]
	if !known {
		l.fs.errorf(path(join(p, "type")...), "unknown variant `%s`, expected one of %s", typ, list(keysOf(variantKeys)))
		return
	}
	l.unknown(p, v, allowed)
	if typ == "experimental_chain_of_thought" {
		l.fs.warnf(path(join(p, "type")...), "experimental_chain_of_thought is deprecated since 2026.2")
	}
	if w, ok := v["weight"]; ok {
		if n, isNum := number(w); !isNum || n < 0 {
			l.fs.errorf(path(join(p, "weight")...), "`weight` must be non-negative")
		}
		l.fs.warnf(path(join(p, "weight")...), "variant `weight` is deprecated; use [%s]", path(p[0], p[1], "experimentation"))
	}
	if _, ok := v["timeout_s"]; ok {
		l.fs.warnf(path(join(p, "timeout_s")...), "`timeout_s` is deprecated; use timeouts")
	}
	if t, ok := v["timeouts"]; ok {
		l.timeouts(p, t)
	}
	if ns, ok := l.str(p, v, "namespace"); ok {
		l.reserved(join(p, "namespace"), ns, "namespace")
	}
	l.enum(p, v, "service_tier", "auto", "default", "priority", "flex")
	l.extras(p, v)
	switch typ {
	case "chat_completion", "experimental_chain_of_thought":
		l.required(p, v, "model")
		l.modelRef(p, v, "model")
		l.jsonMode(p, v, fnType)
		l.templates(p, v, f, schemas)
	case "experimental_dynamic_in_context_learning":
		l.required(p, v, "embedding_model", "k", "model")
		l.modelRef(p, v, "model")
		l.jsonMode(p, v, fnType)
		if e, ok := l.str(p, v, "embedding_model"); ok && !l.embeddingModels[e] && !shorthandOK(e, true) {
			l.fs.errorf(path(join(p, "embedding_model")...), "Embedding model name '%s' not found in embedding model table", e)
		}
		if d, ok := number(v["max_distance"]); ok && d < 0 {
			l.fs.errorf(path(join(p, "max_distance")...), "`max_distance` must be non-negative")
		}
	case "experimental_best_of_n_sampling", "experimental_mixture_of_n":
		inner := "evaluator"
		if typ == "experimental_mixture_of_n" {
			inner = "fuser"
		}
		l.required(p, v, "candidates", inner)
		cands, _ := l.strList(p, v, "candidates")
		for _, c := range cands {
			if _, ok := variants[c]; !ok {
				l.fs.errorf(path(join(p, "candidates")...), "Unknown candidate variant: %s", c)
			}
		}
		if it, ok := l.table(path(join(p, inner)...), v[inner]); ok {
			ip := join(p, inner)
			l.unknown(ip, it, innerKeys)
			l.required(ip, it, "model")
			l.modelRef(ip, it, "model")
			l.extras(ip, it)
			if inner == "fuser" {
				l.jsonMode(ip, it, fnType)
			} else {
				l.enum(ip, it, "json_mode", "off", "on", "strict", "tool", "implicit_tool")
			}
		}
	}
}

func keysOf[V any](m map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

// modelRef checks that a model name is a [models] key or a valid shorthand.
func (l *linter) modelRef(p []string, v map[string]any, k string) {
	name, ok := l.str(p, v, k)
	switch {
	case !ok || l.models[name] || shorthandOK(name, false):
	case strings.HasPrefix(name, "dummy::"):
		l.fs.errorf(path(join(p, k)...), "Model name '%s' not found in model table: the dummy:: shorthand exists only in test builds of the gateway", name)
	default:
		l.fs.errorf(path(join(p, k)...), "Model name '%s' not found in model table", name)
	}
}

// jsonMode checks json_mode: required in json functions, forbidden in chat ones.
func (l *linter) jsonMode(p []string, v map[string]any, fnType string) {
	_, has := v["json_mode"]
	switch {
	case has && fnType == "chat":
		l.fs.errorf(path(join(p, "json_mode")...), "JSON mode is not supported for variants of chat functions")
	case !has && fnType == "json":
		l.fs.errorf(path(p...), "`json_mode` must be specified for [%s]", path(p...))
	}
	l.enum(p, v, "json_mode", "off", "on", "strict", "tool", "implicit_tool")
}

// templates checks that a chat_completion has a template for every schema.
func (l *linter) templates(p []string, v, f map[string]any, schemas []string) {
	named, _ := table(v["templates"])
	for _, s := range schemas {
		_, legacy := v[s+"_template"]
		isRole := s == "system" || s == "user" || s == "assistant"
		if named[s] == nil && !(isRole && legacy) {
			l.fs.errorf(path(p...), "template is required when schema is specified: schema `%s` has no template", s)
		}
	}
}
