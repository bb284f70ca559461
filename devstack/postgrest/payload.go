package postgrest

import (
	"bytes"
	"encoding/json"
	"sort"
)

// payload is a JSON request body prepared for json_populate_recordset.
type payload struct {
	keys []string // columns to write, sorted
	rows []byte   // a JSON array of objects
}

// parsePayload follows PostgREST's Payload.hs: an object or an array of
// objects sharing the same keys; anything else becomes an empty array. With
// columns=, those columns are used and other keys are ignored.
func parsePayload(body []byte, columns []string) (*payload, *apiError) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || !json.Valid(trimmed) {
		return nil, invalidBody("Empty or invalid json")
	}
	p := &payload{}
	switch trimmed[0] {
	case '{':
		p.rows = append(append([]byte{'['}, trimmed...), ']')
	case '[':
		p.rows = trimmed
	default:
		p.rows = []byte("[]")
	}
	if columns != nil {
		p.keys = sortedUnique(columns)
		return p, nil
	}
	switch trimmed[0] {
	case '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &obj); err != nil {
			return nil, invalidBody("Empty or invalid json")
		}
		p.keys = sortedKeys(obj)
	case '[':
		var elems []json.RawMessage
		if err := json.Unmarshal(trimmed, &elems); err != nil {
			return nil, invalidBody("Empty or invalid json")
		}
		for i, e := range elems {
			var obj map[string]json.RawMessage
			if len(e) == 0 || e[0] != '{' || json.Unmarshal(e, &obj) != nil {
				return nil, invalidBody("All object keys must match")
			}
			keys := sortedKeys(obj)
			if i == 0 {
				p.keys = keys
			} else if !equalStrings(keys, p.keys) {
				return nil, invalidBody("All object keys must match")
			}
		}
	}
	return p, nil
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedUnique(xs []string) []string {
	out := append([]string(nil), xs...)
	sort.Strings(out)
	j := 0
	for i, x := range out {
		if i == 0 || x != out[j-1] {
			out[j] = x
			j++
		}
	}
	return out[:j]
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
