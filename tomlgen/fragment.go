package tomlgen

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// Values decoded from TOML are normalised to map[string]any, []any, string,
// int64, float64, bool and time.Time (whose Location tells a local date,
// time or datetime from an offset datetime), so that a table read from an
// inline array and one read from [[array]] compare equal.

// parseDoc decodes a TOML document into a normalised table.
func parseDoc(doc []byte) (map[string]any, error) {
	var m map[string]any
	if _, err := toml.Decode(string(doc), &m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]any{}
	}
	return normalize(m).(map[string]any), nil
}

// normalize converts []map[string]any to []any, recursively.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = normalize(e)
		}
		return t
	case []map[string]any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = normalize(e)
		}
		return out
	case []any:
		for i, e := range t {
			t[i] = normalize(e)
		}
		return t
	}
	return v
}

// fragment encodes m as a TOML document for the pass-through; an empty table
// gives "".
func fragment(m map[string]any) (string, error) {
	if len(m) == 0 {
		return "", nil
	}
	b, err := encodeDoc(m)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// parseFragment decodes a pass-through TOML document; "" is an empty table.
func parseFragment(s string) (map[string]any, error) {
	if strings.TrimSpace(s) == "" {
		return map[string]any{}, nil
	}
	return parseDoc([]byte(s))
}

// deepCopy copies a normalised value.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// copyTable copies a table one level deep.
func copyTable(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func equalValue(a, b any) bool { return reflect.DeepEqual(a, b) }

// diffTable returns the keys of actual that differ from derived (to set) and
// the keys of derived missing from actual (to omit).
func diffTable(derived, actual map[string]any) (set map[string]any, omit []string) {
	set = map[string]any{}
	for k, v := range actual {
		if d, ok := derived[k]; !ok || !equalValue(d, v) {
			set[k] = v
		}
	}
	for k := range derived {
		if _, ok := actual[k]; !ok {
			omit = append(omit, k)
		}
	}
	sort.Strings(omit)
	return set, omit
}

// applyOverrides sets the keys of set in m and deletes the keys in omit.
func applyOverrides(m, set map[string]any, omit []string) {
	for k, v := range set {
		m[k] = deepCopy(v)
	}
	for _, k := range omit {
		delete(m, k)
	}
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// path formats a dotted TOML key path, quoting keys that are not bare.
func path(parts ...string) string { return toml.Key(parts).String() }

// table returns v as a table.
func table(v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	return m, ok
}

// stringList returns v as a list of strings.
func stringList(v any) ([]string, bool) {
	arr, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			return nil, false
		}
		out[i] = s
	}
	return out, true
}

// number returns v as a float64 if it is a TOML integer or float.
func number(v any) (float64, bool) {
	switch t := v.(type) {
	case int64:
		return float64(t), true
	case float64:
		return t, true
	}
	return 0, false
}

// tomlType names the TOML type of a decoded value for messages.
func tomlType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "table"
	case []any:
		return "array"
	case string:
		return "string"
	case int64:
		return "integer"
	case float64:
		return "float"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}
