package tomlgen

var experimentationKeys = map[string]map[string]bool{
	"static":         set("type", "candidate_variants", "fallback_variants", "namespaces"),
	"adaptive":       set("type", "candidate_variants", "fallback_variants", "namespaces", "metric", "delta", "epsilon", "min_prob", "min_samples_per_variant", "update_period_s"),
	"uniform":        set("type", "candidate_variants", "fallback_variants"),
	"static_weights": set("type", "candidate_variants", "fallback_variants"),
	"track_and_stop": set("type", "candidate_variants", "fallback_variants", "metric", "delta", "epsilon", "min_prob", "min_samples_per_variant", "update_period_s"),
}

// experimentation checks [functions.F.experimentation] or one of its
// namespaces.
func (l *linter) experimentation(p []string, v any, variants map[string]any, top bool) {
	e, ok := l.table(path(p...), v)
	if !ok {
		return
	}
	l.required(p, e, "type")
	typ, ok := l.str(p, e, "type")
	if !ok {
		return
	}
	allowed, known := experimentationKeys[typ]
	if !known {
		l.fs.errorf(path(join(p, "type")...), "unknown variant `%s`, expected one of %s", typ, list(keysOf(experimentationKeys)))
		return
	}
	switch typ {
	case "uniform", "static_weights", "track_and_stop":
		l.fs.warnf(path(join(p, "type")...), "experimentation type `%s` is deprecated; use static or adaptive", typ)
	}
	if !top {
		allowed = copyBools(allowed)
		delete(allowed, "namespaces")
	}
	l.unknown(p, e, allowed)
	adaptive := typ == "adaptive" || typ == "track_and_stop"
	if typ == "static" || adaptive {
		l.required(p, e, "candidate_variants")
	}
	cands := map[string]bool{}
	cp := path(join(p, "candidate_variants")...)
	switch cv := e["candidate_variants"].(type) {
	case nil:
	case []any:
		names, ok := stringList(cv)
		if !ok {
			l.fs.errorf(cp, "invalid type: expected an array of variant names")
		}
		for _, n := range names {
			if cands[n] {
				l.fs.errorf(cp, "duplicate candidate variant `%s`", n)
			}
			cands[n] = true
		}
	case map[string]any:
		if adaptive || typ == "uniform" {
			l.fs.errorf(cp, "%s experimentation takes a list of candidate variants, not weights", typ)
		}
		for _, n := range sortedKeys(cv) {
			if w, ok := number(cv[n]); !ok || w < 0 {
				l.fs.errorf(path(join(p, "candidate_variants", n)...), "candidate weights must be non-negative numbers")
			}
			cands[n] = true
		}
	default:
		l.fs.errorf(cp, "invalid type: %s, expected a list or a table of weights", tomlType(cv))
	}
	for _, n := range sortedStrings(cands) {
		if _, ok := variants[n]; !ok {
			l.fs.errorf(cp, "candidate variant `%s` does not exist in the function", n)
		}
	}
	fallbacks, _ := l.strList(p, e, "fallback_variants")
	seen := map[string]bool{}
	fp := path(join(p, "fallback_variants")...)
	for _, n := range fallbacks {
		switch {
		case seen[n]:
			l.fs.errorf(fp, "duplicate fallback variant `%s`", n)
		case cands[n]:
			l.fs.errorf(fp, "variant `%s` is both a candidate and a fallback", n)
		}
		if _, ok := variants[n]; !ok {
			l.fs.errorf(fp, "fallback variant `%s` does not exist in the function", n)
		}
		seen[n] = true
	}
	if adaptive {
		l.required(p, e, "metric")
		if m, ok := l.str(p, e, "metric"); ok && !l.metrics[m] {
			l.fs.errorf(path(join(p, "metric")...), "metric `%s` is not present in the config", m)
		}
		if top {
			l.fs.warnf(path(p...), "adaptive experimentation needs Postgres (TENSORZERO_POSTGRES_URL) where the gateway runs (not checked)")
		}
	}
	if ns, ok := l.table(path(join(p, "namespaces")...), e["namespaces"]); ok && top {
		for _, n := range sortedKeys(ns) {
			np := join(p, "namespaces", n)
			l.reserved(np, n, "namespace")
			l.experimentation(np, ns[n], variants, false)
		}
	}
}

func copyBools(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
