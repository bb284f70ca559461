package tomlgen

import "strings"

func (l *linter) gateway() {
	p := []string{"gateway"}
	g, ok := l.table("gateway", l.root["gateway"])
	if !ok {
		return
	}
	l.unknown(p, g, set("bind_address", "base_path", "debug", "disable_pseudonymous_usage_analytics",
		"fetch_and_encode_input_files_before_inference", "unstable_error_json", "unstable_disable_feedback_target_validation",
		"global_outbound_http_timeout_ms", "observability", "export", "template_filesystem_access", "auth", "relay", "metrics", "cache"))
	l.boolean(p, g, "debug", "disable_pseudonymous_usage_analytics", "fetch_and_encode_input_files_before_inference",
		"unstable_error_json", "unstable_disable_feedback_target_validation")
	l.str(p, g, "bind_address")
	if bp, ok := l.str(p, g, "base_path"); ok && !strings.HasPrefix(bp, "/") {
		l.fs.errorf(path("gateway", "base_path"), "base_path must start with /")
	}
	if v, ok := g["global_outbound_http_timeout_ms"]; ok {
		if n, isNum := number(v); isNum && n >= 0 {
			l.timeout = n
		} else {
			l.fs.errorf(path("gateway", "global_outbound_http_timeout_ms"), "expected a non-negative number")
		}
	}
	if o, ok := l.table(path("gateway", "observability"), g["observability"]); ok {
		op := join(p, "observability")
		l.unknown(op, o, set("enabled", "backend", "async_writes", "batch_writes"))
		l.boolean(op, o, "enabled", "async_writes")
		l.enum(op, o, "backend", "auto", "clickhouse", "postgres")
		if bw, ok := l.table(path(join(op, "batch_writes")...), o["batch_writes"]); ok {
			l.unknown(join(op, "batch_writes"), bw, set("enabled", "flush_interval_ms", "max_rows", "max_rows_postgres", "write_queue_capacity"))
			l.boolean(join(op, "batch_writes"), bw, "enabled")
			if bw["enabled"] == true && o["async_writes"] != false {
				l.fs.errorf(path(op...), "batch_writes and async_writes (on by default) cannot both be enabled")
			}
		}
	}
	if e, ok := l.table(path("gateway", "export"), g["export"]); ok {
		l.unknown(join(p, "export"), e, set("otlp"))
		if o, ok := l.table(path("gateway", "export", "otlp"), e["otlp"]); ok {
			l.unknown(join(p, "export", "otlp"), o, set("traces"))
			tp := join(p, "export", "otlp", "traces")
			if t, ok := l.table(path(tp...), o["traces"]); ok {
				l.unknown(tp, t, set("enabled", "format", "extra_headers", "include_content"))
				l.enum(tp, t, "format", "opentelemetry", "openinference")
				if t["enabled"] == true {
					l.fs.warnf(path(tp...), "OTLP export needs OTEL_EXPORTER_OTLP_TRACES_ENDPOINT where the gateway runs (not checked)")
				}
			}
		}
	}
	l.subTable(p, g, "template_filesystem_access", "enabled", "base_path")
	if a := l.subTable(p, g, "auth", "enabled", "cache"); a != nil {
		l.subTable(join(p, "auth"), a, "cache", "enabled", "ttl_ms")
		if a["enabled"] == true {
			l.fs.warnf(path("gateway", "auth"), "auth needs Postgres (TENSORZERO_POSTGRES_URL) where the gateway runs (not checked)")
		}
	}
	if r := l.subTable(p, g, "relay", "gateway_url", "api_key_location"); r != nil {
		if v, ok := r["api_key_location"]; ok {
			l.credential(join(p, "relay", "api_key_location"), v)
		}
	}
	l.subTable(p, g, "metrics", "tensorzero_inference_latency_overhead_seconds_buckets")
	if c := l.subTable(p, g, "cache", "enabled", "backend", "valkey"); c != nil {
		l.enum(join(p, "cache"), c, "backend", "auto", "clickhouse", "valkey")
		l.subTable(join(p, "cache"), c, "valkey", "ttl_s")
	}
}

// subTable checks the keys of an optional sub-table and returns it.
func (l *linter) subTable(p []string, parent map[string]any, k string, allowed ...string) map[string]any {
	v, ok := parent[k]
	if !ok {
		return nil
	}
	t, ok := l.table(path(join(p, k)...), v)
	if !ok {
		return nil
	}
	l.unknown(join(p, k), t, set(allowed...))
	return t
}

// sections checks the top-level sections other than models and functions.
func (l *linter) sections() {
	if c, ok := l.table("clickhouse", l.root["clickhouse"]); ok {
		l.unknown([]string{"clickhouse"}, c, set("disable_automatic_migrations"))
	}
	l.table("postgres", l.root["postgres"])
	if o, ok := l.table("object_storage", l.root["object_storage"]); ok {
		l.required([]string{"object_storage"}, o, "type")
		l.enum([]string{"object_storage"}, o, "type", "s3_compatible", "filesystem", "disabled")
	}
	l.rateLimiting()
	l.eachTable("metrics", func(p []string, name string, t map[string]any) {
		l.unknown(p, t, set("type", "optimize", "level", "description"))
		l.required(p, t, "type", "optimize", "level")
		l.enum(p, t, "type", "boolean", "float")
		l.enum(p, t, "optimize", "min", "max")
		l.enum(p, t, "level", "inference", "episode")
		l.reserved(p, name, "metric")
		switch {
		case name == "comment" || name == "demonstration":
			l.fs.errorf(path(p...), "metric name `%s` is reserved", name)
		case !metricNameRE.MatchString(name):
			l.fs.errorf(path(p...), "metric name `%s` must match [A-Za-z0-9_\\-.:/]+", name)
		}
	})
	l.eachTable("tools", func(p []string, name string, t map[string]any) {
		l.unknown(p, t, set("description", "parameters", "name", "strict"))
		l.required(p, t, "description", "parameters")
		l.str(p, t, "description")
		l.str(p, t, "parameters")
		l.str(p, t, "name")
		l.boolean(p, t, "strict")
		l.reserved(p, name, "tool")
	})
	l.eachTable("provider_types", func(p []string, name string, t map[string]any) {
		spec, known := providerSpecs[name]
		if !known || strings.HasPrefix(name, "aws_") || spec.testOnly {
			l.fs.errorf(path(p...), "unknown provider type `%s` for [provider_types]", name)
			return
		}
		allowed := set("defaults")
		if name == "fireworks" || name == "together" || name == "gcp_vertex_gemini" {
			allowed["sft"] = true
		}
		if name == "gcp_vertex_gemini" {
			allowed["batch"] = true
		}
		l.unknown(p, t, allowed)
		if d := l.subTable(p, t, "defaults", spec.credKey); d != nil && spec.credKey != "" {
			if v, ok := d[spec.credKey]; ok {
				l.credential(join(p, "defaults", spec.credKey), v)
			}
		}
	})
	if _, ok := l.root["evaluations"]; ok {
		l.fs.warnf("evaluations", "top-level [evaluations] is deprecated")
	}
	l.eachTable("evaluations", func(p []string, name string, t map[string]any) {
		if strings.Contains(name, "::") {
			l.fs.errorf(path(p...), "evaluation name `%s` must not contain ::", name)
		}
	})
}

func (l *linter) rateLimiting() {
	p := []string{"rate_limiting"}
	r, ok := l.table("rate_limiting", l.root["rate_limiting"])
	if !ok {
		return
	}
	l.unknown(p, r, set("enabled", "default_cost", "rules"))
	l.boolean(p, r, "enabled")
	v, ok := r["rules"]
	if !ok {
		return
	}
	rules, isArr := v.([]any)
	if !isArr {
		l.fs.errorf(path("rate_limiting", "rules"), "invalid type: %s, expected an array of tables", tomlType(v))
		return
	}
	if len(rules) > 0 && r["enabled"] != false {
		l.fs.warnf(path(p...), "rate limiting needs Postgres or Valkey where the gateway runs (not checked)")
	}
	for i, e := range rules {
		rp := path("rate_limiting", "rules") + "[" + itoa(i) + "]"
		rule, ok := l.table(rp, e)
		if !ok {
			continue
		}
		for _, k := range sortedKeys(rule) {
			if k != "priority" && k != "always" && k != "scope" && !rateKeyRE.MatchString(k) {
				l.fs.errorf(rp, "unknown field `%s`", k)
			}
		}
		if _, has := rule["priority"]; !has && rule["always"] != true {
			l.fs.errorf(rp, "a rule needs a priority or always = true")
		}
	}
}
