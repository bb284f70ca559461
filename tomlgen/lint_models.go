package tomlgen

import (
	"strings"
)

// modelSection checks [models] or [embedding_models].
func (l *linter) modelSection(section string, embedding bool) {
	l.eachTable(section, func(p []string, name string, t map[string]any) {
		if pfx := reservedPrefix(name); pfx != "" {
			l.fs.errorf(path(p...), "Model name '%s' contains a reserved prefix (%s)", name, pfx)
		}
		if embedding {
			l.unknown(p, t, set("routing", "providers", "timeout_ms"))
			l.ms(p, t, "timeout_ms", 1)
		} else {
			l.unknown(p, t, set("routing", "providers", "timeouts", "skip_relay", "namespace"))
			if v, ok := t["timeouts"]; ok {
				l.timeouts(p, v)
			}
			l.boolean(p, t, "skip_relay")
			if ns, ok := l.str(p, t, "namespace"); ok {
				l.reserved(join(p, "namespace"), ns, "namespace")
			}
		}
		l.required(p, t, "routing", "providers")
		providers, _ := l.table(path(join(p, "providers")...), t["providers"])
		l.routing(p, t, providers, embedding)
		for _, pn := range sortedKeys(providers) {
			bp := join(p, "providers", pn)
			if b, ok := l.table(path(bp...), providers[pn]); ok {
				l.providerBlock(bp, b, embedding)
			}
		}
	})
}

// routing checks a model's routing against its providers. The gateway checks
// it at startup for [models] only; for [embedding_models] a mismatch fails
// at request time, so it is a warning there.
func (l *linter) routing(p []string, t, providers map[string]any, embedding bool) {
	routing, ok := l.strList(p, t, "routing")
	if !ok {
		return
	}
	report := l.fs.errorf
	if embedding {
		report = l.fs.warnf
	}
	rp := path(join(p, "routing")...)
	if len(routing) == 0 {
		report(path(p...), "`routing` must not be empty")
	}
	seen := map[string]bool{}
	for _, r := range routing {
		switch {
		case seen[r]:
			report(rp, "duplicate entry `%s`", r)
		case strings.HasPrefix(r, "tensorzero::"):
			report(rp, "entry `%s` uses the reserved prefix tensorzero::", r)
		case providers != nil && providers[r] == nil:
			report(rp, "`routing` contains entry `%s` that does not exist in `providers`", r)
		}
		seen[r] = true
	}
	for _, pn := range sortedKeys(providers) {
		if !seen[pn] {
			report(path(join(p, "providers", pn)...), "Provider `%s` is not listed in `routing`", pn)
		}
	}
}

// providerBlock checks one provider of a model.
func (l *linter) providerBlock(p []string, b map[string]any, embedding bool) {
	l.required(p, b, "type")
	typ, ok := l.str(p, b, "type")
	if !ok {
		return
	}
	spec, known := providerSpecs[typ]
	switch {
	case !known:
		l.fs.errorf(path(join(p, "type")...), "unknown variant `%s`, expected one of %s", typ, list(knownTypes()))
		return
	case spec.testOnly:
		l.fs.errorf(path(join(p, "type")...), "provider type `%s` exists only in test builds of the gateway; a release gateway rejects it", typ)
	case embedding && !spec.embedding:
		l.fs.errorf(path(join(p, "type")...), "Unsupported provider config for embedding: type `%s` (openai, azure and openrouter can embed)", typ)
		return
	}
	required, optional := spec.required, spec.optional
	allowed := union(providerCommonKeys, required, optional)
	if embedding {
		required = spec.embedRequired
		allowed = union(embeddingCommonKeys, required, spec.embedOptional)
	}
	l.unknown(p, b, allowed)
	l.required(p, b, required...)
	if typ == "gcp_vertex_gemini" && !embedding {
		_, a := b["model_id"]
		_, e := b["endpoint_id"]
		if a == e {
			l.fs.errorf(path(p...), "gcp_vertex_gemini needs exactly one of `model_id` and `endpoint_id`")
		}
	}
	for _, k := range []string{"api_key_location", "credential_location"} {
		if v, ok := b[k]; ok && allowed[k] {
			l.credential(join(p, k), v)
		}
	}
	l.awsCredentials(p, b)
	if base, ok := l.str(p, b, "api_base"); ok && strings.HasSuffix(strings.TrimRight(base, "/"), "/chat/completions") {
		l.fs.warnf(path(join(p, "api_base")...), "api_base should be the API root, not end in /chat/completions")
	}
	if typ == "openai" {
		l.enum(p, b, "api_type", "chat_completions", "responses")
		if _, tools := b["provider_tools"]; tools && b["api_type"] != "responses" {
			l.fs.warnf(path(join(p, "provider_tools")...), "provider tools work with openai only with api_type = \"responses\"")
		}
	}
	if typ == "aws_sagemaker" {
		l.enum(p, b, "hosted_provider", "openai", "tgi")
	}
	l.boolean(p, b, "discard_unknown_chunks", "include_encrypted_reasoning", "beta_structured_outputs", "parse_think_blocks", "allow_auto_detect_region")
	if v, ok := b["timeouts"]; ok && !embedding {
		l.timeouts(p, v)
	}
	if embedding {
		l.ms(p, b, "timeout_ms", 1)
	}
	l.extras(p, b)
	for _, k := range []string{"cost", "batch_cost"} {
		if v, ok := b[k]; ok {
			l.cost(join(p, k), v)
		}
	}
}

func knownTypes() map[string]bool {
	m := map[string]bool{}
	for t, s := range providerSpecs {
		if !s.testOnly {
			m[t] = true
		}
	}
	return m
}

// awsCredentials reports AWS keys taken from different kinds of source.
func (l *linter) awsCredentials(p []string, b map[string]any) {
	kinds := map[string]bool{}
	for _, k := range []string{"access_key_id", "secret_access_key", "session_token"} {
		if s, ok := b[k].(string); ok {
			kind := credentialKind(s)
			if kind == "" {
				l.fs.errorf(path(join(p, k)...), "Invalid credential location format `%s`", s)
			}
			kinds[kind] = true
		}
	}
	if len(kinds) > 1 {
		l.fs.errorf(path(p...), "access_key_id, secret_access_key and session_token must come from the same kind of source")
	}
}

// extras checks extra_body ([{pointer, value} | {pointer, delete = true}])
// and extra_headers ([{name, value} | {name, delete = true}]).
func (l *linter) extras(p []string, t map[string]any) {
	for _, k := range []string{"extra_body", "extra_headers"} {
		v, ok := t[k]
		if !ok {
			continue
		}
		key := "pointer"
		if k == "extra_headers" {
			key = "name"
		}
		arr, ok := v.([]any)
		if !ok {
			l.fs.errorf(path(join(p, k)...), "invalid type: %s, expected an array of {%s, value} tables (the table form was removed in 2026.3.1)", tomlType(v), key)
			continue
		}
		for i, e := range arr {
			ep := path(join(p, k)...) + "[" + itoa(i) + "]"
			et, ok := l.table(ep, e)
			if !ok {
				continue
			}
			for _, ek := range sortedKeys(et) {
				if ek != key && ek != "value" && ek != "delete" {
					l.fs.errorf(ep, "unknown field `%s`", ek)
				}
			}
			_, hasKey := et[key]
			_, hasValue := et["value"]
			if !hasKey {
				l.fs.errorf(ep, "missing field `%s`", key)
			}
			if hasValue == (et["delete"] == true) {
				l.fs.errorf(ep, "needs either `value` or `delete = true`")
			}
			if name, _ := et["name"].(string); k == "extra_headers" && hasValue && secretHeader(name) {
				l.fs.warnf(ep, "header %s holds a literal credential; prefer api_key_location", name)
			}
		}
	}
}

// secretHeader reports header names that carry credentials.
func secretHeader(name string) bool {
	switch strings.ToLower(name) {
	case "authorization", "proxy-authorization", "api-key", "x-api-key":
		return true
	}
	return false
}

// cost checks a cost or batch_cost array.
func (l *linter) cost(p []string, v any) {
	arr, ok := v.([]any)
	if !ok {
		l.fs.errorf(path(p...), "invalid type: %s, expected an array of tables", tomlType(v))
		return
	}
	allowed := set("pointer", "pointer_nonstreaming", "pointer_streaming", "cost_per_million", "cost_per_unit", "required")
	for i, e := range arr {
		ep := path(p...) + "[" + itoa(i) + "]"
		et, ok := l.table(ep, e)
		if !ok {
			continue
		}
		for _, k := range sortedKeys(et) {
			if !allowed[k] {
				l.fs.errorf(ep, "unknown field `%s`", k)
			}
		}
		_, ptr := et["pointer"]
		_, ns := et["pointer_nonstreaming"]
		_, st := et["pointer_streaming"]
		if !(ptr && !ns && !st) && !(!ptr && ns && st) {
			l.fs.errorf(ep, "needs `pointer`, or both `pointer_nonstreaming` and `pointer_streaming`")
		}
		_, m := et["cost_per_million"]
		_, u := et["cost_per_unit"]
		if m == u {
			l.fs.errorf(ep, "needs exactly one of `cost_per_million` and `cost_per_unit`")
		}
	}
}
