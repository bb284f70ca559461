package tomlgen

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Lint checks a tensorzero.toml against the startup rules of the TensorZero
// gateway (release 2026.4.1) that hold without the gateway itself: unknown
// and missing keys, provider types and their keys, routing, reserved names,
// model and tool references, variants, json_mode, experimentation, timeouts
// and metrics. Environment variables, credentials and referenced files are
// not checked. The error is non-nil only when doc is not TOML.
func Lint(doc []byte) ([]Finding, error) {
	root, err := parseDoc(doc)
	if err != nil {
		return nil, fmt.Errorf("not TOML: %w", err)
	}
	l := &linter{root: root, timeout: 900000}
	l.run()
	return l.fs.sorted(), nil
}

type linter struct {
	root    map[string]any
	fs      findings
	timeout float64 // gateway.global_outbound_http_timeout_ms

	models, embeddingModels, tools, metrics map[string]bool
}

var rootKeys = set("gateway", "clickhouse", "postgres", "rate_limiting", "object_storage", "models", "embedding_models",
	"functions", "metrics", "tools", "evaluations", "provider_types", "optimizers", "autopilot")

func (l *linter) run() {
	for _, k := range sortedKeys(l.root) {
		if !rootKeys[k] {
			l.fs.errorf(path(k), "unknown field `%s` at the top level", k)
		}
	}
	l.models = l.names("models")
	l.embeddingModels = l.names("embedding_models")
	l.tools = l.names("tools")
	l.metrics = l.names("metrics")
	l.gateway()
	l.sections()
	l.modelSection("models", false)
	l.modelSection("embedding_models", true)
	l.functions()
}

// names returns the keys of a top-level table.
func (l *linter) names(section string) map[string]bool {
	out := map[string]bool{}
	t, _ := table(l.root[section])
	for k := range t {
		out[k] = true
	}
	return out
}

// set builds a key set.
func set(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

func union(sets ...[]string) map[string]bool {
	m := map[string]bool{}
	for _, s := range sets {
		for _, k := range s {
			m[k] = true
		}
	}
	return m
}

// table returns v as a table, reporting a value of another type.
func (l *linter) table(p string, v any) (map[string]any, bool) {
	t, ok := table(v)
	if !ok && v != nil {
		l.fs.errorf(p, "invalid type: %s, expected a table", tomlType(v))
	}
	return t, ok
}

// unknown reports keys of t that are not allowed.
func (l *linter) unknown(p []string, t map[string]any, allowed map[string]bool) {
	for _, k := range sortedKeys(t) {
		if !allowed[k] {
			l.fs.errorf(path(join(p, k)...), "unknown field `%s`, expected one of %s", k, list(allowed))
		}
	}
}

func list(allowed map[string]bool) string {
	keys := sortedKeys(allowed)
	for i, k := range keys {
		keys[i] = "`" + k + "`"
	}
	return strings.Join(keys, ", ")
}

// required reports required keys missing from t.
func (l *linter) required(p []string, t map[string]any, keys ...string) {
	for _, k := range keys {
		if _, ok := t[k]; !ok {
			l.fs.errorf(path(p...), "missing field `%s`", k)
		}
	}
}

// str reports a value that is present but not a string.
func (l *linter) str(p []string, t map[string]any, k string) (string, bool) {
	v, ok := t[k]
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		l.fs.errorf(path(join(p, k)...), "invalid type: %s, expected a string", tomlType(v))
	}
	return s, ok
}

func (l *linter) boolean(p []string, t map[string]any, keys ...string) {
	for _, k := range keys {
		if v, ok := t[k]; ok {
			if _, isBool := v.(bool); !isBool {
				l.fs.errorf(path(join(p, k)...), "invalid type: %s, expected a boolean", tomlType(v))
			}
		}
	}
}

// enum reports a present value that is not one of the allowed strings.
func (l *linter) enum(p []string, t map[string]any, k string, allowed ...string) {
	s, ok := l.str(p, t, k)
	if !ok {
		return
	}
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	l.fs.errorf(path(join(p, k)...), "unknown variant `%s`, expected one of %s", s, list(set(allowed...)))
}

// strList returns the strings at k, reporting a value that is not an array of strings.
func (l *linter) strList(p []string, t map[string]any, k string) ([]string, bool) {
	v, ok := t[k]
	if !ok {
		return nil, false
	}
	s, ok := stringList(v)
	if !ok {
		l.fs.errorf(path(join(p, k)...), "invalid type: %s, expected an array of strings", tomlType(v))
	}
	return s, ok
}

// ms checks a timeout in milliseconds against the global outbound timeout.
func (l *linter) ms(p []string, t map[string]any, k string, scale float64) (float64, bool) {
	v, ok := t[k]
	if !ok {
		return 0, false
	}
	n, ok := number(v)
	switch {
	case !ok:
		l.fs.errorf(path(join(p, k)...), "invalid type: %s, expected a number", tomlType(v))
	case n < 0:
		l.fs.errorf(path(join(p, k)...), "timeout must not be negative")
	case n*scale > l.timeout:
		l.fs.errorf(path(join(p, k)...), "timeout of %g ms is above gateway.global_outbound_http_timeout_ms (%g)", n*scale, l.timeout)
	}
	return n, ok
}

// timeouts checks a {non_streaming.total_ms, streaming.{ttft_ms,total_ms}} table.
func (l *linter) timeouts(p []string, v any) {
	p = join(p, "timeouts")
	t, ok := l.table(path(p...), v)
	if !ok {
		return
	}
	l.unknown(p, t, set("non_streaming", "streaming"))
	if ns, ok := l.table(path(join(p, "non_streaming")...), t["non_streaming"]); ok {
		l.unknown(join(p, "non_streaming"), ns, set("total_ms"))
		l.ms(join(p, "non_streaming"), ns, "total_ms", 1)
	}
	if st, ok := l.table(path(join(p, "streaming")...), t["streaming"]); ok {
		sp := join(p, "streaming")
		l.unknown(sp, st, set("ttft_ms", "total_ms"))
		ttft, a := l.ms(sp, st, "ttft_ms", 1)
		total, b := l.ms(sp, st, "total_ms", 1)
		if a && b && total < ttft {
			l.fs.warnf(path(sp...), "streaming.total_ms (%g) is below streaming.ttft_ms (%g)", total, ttft)
		}
	}
}

var credentialPrefixes = []string{"env::", "dynamic::", "path::", "path_from_env::"}

// credential checks a credential location: env::X, dynamic::X, path::X,
// path_from_env::X, sdk, none, or {default, fallback}.
func (l *linter) credential(p []string, v any) {
	switch t := v.(type) {
	case string:
		if credentialKind(t) == "" {
			l.fs.errorf(path(p...), "Invalid credential location format `%s`: expected env::VAR, dynamic::ARG, path::FILE, path_from_env::VAR, sdk or none", t)
		}
	case map[string]any:
		l.unknown(p, t, set("default", "fallback"))
		l.required(p, t, "default", "fallback")
		for _, k := range []string{"default", "fallback"} {
			if s, ok := t[k].(string); ok {
				l.credential(join(p, k), s)
			} else if v, ok := t[k]; ok {
				l.fs.errorf(path(join(p, k)...), "invalid type: %s, expected a string", tomlType(v))
			}
		}
	default:
		l.fs.errorf(path(p...), "invalid type: %s, expected a credential location", tomlType(v))
	}
}

// credentialKind returns the source kind of a credential string, or "".
func credentialKind(s string) string {
	if s == "sdk" || s == "none" {
		return s
	}
	for _, pfx := range credentialPrefixes {
		if rest, ok := strings.CutPrefix(s, pfx); ok && rest != "" {
			return pfx
		}
	}
	return ""
}

var metricNameRE = regexp.MustCompile(`^[A-Za-z0-9_\-.:/]+$`)

// reserved reports a name with the tensorzero:: prefix.
func (l *linter) reserved(p []string, name, what string) {
	if strings.HasPrefix(name, "tensorzero::") {
		l.fs.errorf(path(p...), "%s name `%s` uses the reserved prefix tensorzero::", what, name)
	}
}

// eachTable calls f for each entry of a top-level section, in order.
func (l *linter) eachTable(section string, f func(p []string, name string, t map[string]any)) {
	sec, ok := l.table(path(section), l.root[section])
	if !ok {
		return
	}
	for _, name := range sortedKeys(sec) {
		p := []string{section, name}
		if t, ok := l.table(path(p...), sec[name]); ok {
			f(p, name, t)
		}
	}
}

// sortedStrings returns the keys of a bool set in order.
func sortedStrings(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = join(out, k)
	}
	sort.Strings(out)
	return out
}

// join returns a new path: p followed by keys. It never shares p's array, so
// paths kept in variables stay intact.
func join(p []string, keys ...string) []string {
	out := make([]string, 0, len(p)+len(keys))
	out = append(out, p...)
	return append(out, keys...)
}

var rateKeyRE = regexp.MustCompile(`^(model_inferences|tokens|cost)_per_(second|minute|hour|day|week|month)$`)

func itoa(i int) string { return strconv.Itoa(i) }
