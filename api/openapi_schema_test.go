package api

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pmoves/model-registry/registry"
	"github.com/pmoves/model-registry/tomlgen"
)

// TestOpenAPISchemasMatchTheGoTypes checks each component schema against
// the Go type it describes: the same JSON field names, required exactly
// when always present (no omitempty), nullable exactly when null can be
// sent or answered, the JSON type of each field, and enums equal to
// registry's lists.
func TestOpenAPISchemasMatchTheGoTypes(t *testing.T) {
	doc := servedDocument(t)
	components := doc["components"].(map[string]any)["schemas"].(map[string]any)
	cases := []struct {
		schema string
		typ    any
		input  bool
		// required overrides the fields without omitempty.
		required []string
	}{
		{"ProviderInput", registry.ProviderInput{}, true, nil},
		{"ProviderPatch", registry.ProviderPatch{}, true, nil},
		{"ModelInput", registry.ModelInput{}, true, nil},
		{"ModelPatch", registry.ModelPatch{}, true, nil},
		{"MappingInput", registry.MappingInput{}, true, nil},
		{"MappingPut", mappingBody{}, true, []string{"model_id"}},
		{"AliasInput", registry.AliasInput{}, true, nil},
		{"DeploymentRegistration", registry.DeploymentRegistration{}, true, nil},
		{"StatusChange", registry.StatusChange{}, true, nil},
		{"Provider", registry.Provider{}, false, nil},
		{"Model", registry.Model{}, false, nil},
		{"Mapping", registry.Mapping{}, false, nil},
		{"Alias", registry.Alias{}, false, nil},
		{"Deployment", registry.Deployment{}, false, nil},
		{"ProviderList", list[registry.Provider]{}, false, nil},
		{"ModelList", list[registry.Model]{}, false, nil},
		{"MappingList", list[registry.Mapping]{}, false, nil},
		{"AliasList", list[registry.Alias]{}, false, nil},
		{"DeploymentList", list[registry.Deployment]{}, false, nil},
		{"FunctionList", list[tomlgen.Function]{}, false, nil},
		{"Function", tomlgen.Function{}, false, nil},
		{"Candidate", tomlgen.Candidate{}, false, nil},
		{"Variant", tomlgen.Variant{}, false, nil},
		{"Finding", tomlgen.Finding{}, false, nil},
		{"Validation", validation{}, false, nil},
		{"Health", healthBody{}, false, nil},
		{"Index", indexBody{}, false, nil},
		{"FitnessInput", registry.FitnessInput{}, true, []string{"model_id", "source", "lane"}},
		{"FitnessEvent", registry.FitnessEvent{}, false, nil},
		{"FitnessRecord", registry.FitnessRecord{}, false, nil},
		{"FitnessRecordList", list[registry.FitnessRecord]{}, false, nil},
		{"ModelCandidateInput", registry.CandidateInput{}, true, []string{"model_id", "hf_id"}},
		{"ModelCandidate", registry.Candidate{}, false, nil},
		{"ModelCandidateList", list[registry.Candidate]{}, false, nil},
		{"ModelCandidateAnswer", candidateAnswer{}, false, nil},
		{"Enrichment", enrichment{}, false, nil},
		{"EnrichResult", enrichResult{}, false, nil},
		{"EnrichBulkResult", enrichBulkResult{}, false, nil},
		{"AliasRef", registry.AliasRef{}, false, nil},
		{"ServiceModel", registry.ServiceModel{}, false, nil},
		{"Error", errorBody{}, false, nil},
		{"ErrorDetail", errorDetail{}, false, nil},
	}
	checked := map[string]bool{"Ready": true} // a map[string]string in readyz
	for _, c := range cases {
		checked[c.schema] = true
		t.Run(c.schema, func(t *testing.T) {
			s, ok := components[c.schema].(map[string]any)
			if !ok {
				t.Fatalf("no schema %s", c.schema)
			}
			checkSchema(t, doc, s, reflect.TypeOf(c.typ), c.input, c.required)
		})
	}
	for name := range components {
		if !checked[name] {
			t.Errorf("schema %s is not checked against a Go type; add it to the cases", name)
		}
	}
}

type goField struct {
	name      string
	typ       reflect.Type
	omitempty bool
}

// jsonFields lists the fields encoding/json reads and writes, with
// embedded structs flattened.
func jsonFields(t reflect.Type) []goField {
	var out []goField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, goField{name: name, typ: f.Type, omitempty: strings.Contains(opts, "omitempty")})
	}
	return out
}

var (
	rawMessageType = reflect.TypeOf(json.RawMessage{})
	timeType       = reflect.TypeOf(time.Time{})
	enumLists      = map[reflect.Type][]any{
		reflect.TypeOf(registry.ProviderType("")):       enumOf(registry.ProviderTypes),
		reflect.TypeOf(registry.ModelType("")):          enumOf(registry.ModelTypes),
		reflect.TypeOf(registry.DeploymentProvider("")): enumOf(registry.DeploymentProviders),
		reflect.TypeOf(registry.DeploymentStatus("")):   enumOf(registry.DeploymentStatuses),
	}
)

func checkSchema(t *testing.T, doc, s map[string]any, typ reflect.Type, input bool, required []string) {
	props, _ := s["properties"].(map[string]any)
	fields := jsonFields(typ)
	var goNames, schemaNames, wantRequired, gotRequired []string
	for _, f := range fields {
		goNames = append(goNames, f.name)
		if !f.omitempty {
			wantRequired = append(wantRequired, f.name)
		}
	}
	for n := range props {
		schemaNames = append(schemaNames, n)
	}
	req, _ := s["required"].([]any)
	for _, r := range req {
		gotRequired = append(gotRequired, r.(string))
	}
	if required != nil {
		wantRequired = required
	}
	sameSet(t, "properties (schema vs Go)", schemaNames, goNames)
	sameSet(t, "required (schema vs Go fields without omitempty)", gotRequired, wantRequired)

	for _, f := range fields {
		p := deref(doc, props[f.name])
		if p == nil {
			continue
		}
		types := schemaTypes(p)
		ptr := f.typ.Kind() == reflect.Pointer
		wantNull := ptr && !f.omitempty
		if input { // null decodes to nil: the same as leaving the field out
			wantNull = ptr || f.typ.Kind() == reflect.Slice || f.typ.Kind() == reflect.Map
		}
		if gotNull := slices.Contains(types, "null"); gotNull != wantNull {
			t.Errorf("%s: nullable = %v, want %v (Go %s)", f.name, gotNull, wantNull, f.typ)
		}
		base := f.typ
		for base.Kind() == reflect.Pointer {
			base = base.Elem()
		}
		if base == rawMessageType && len(types) > 0 && !slices.Contains(types, "object") {
			continue // raw JSON: the schema says which kind (a list, say)
		}
		if want := jsonType(base); !slices.Contains(types, want) {
			t.Errorf("%s: type %v, want %s (Go %s)", f.name, types, want, f.typ)
		}
		if want, ok := enumLists[base]; ok {
			got, _ := p["enum"].([]any)
			got = slices.DeleteFunc(slices.Clone(got), func(v any) bool { return v == nil })
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: enum %v, want registry's %v", f.name, got, want)
			}
		}
	}
}

func schemaTypes(s map[string]any) []string {
	switch t := s["type"].(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, v := range t {
			out = append(out, v.(string))
		}
		return out
	}
	return nil
}

func jsonType(t reflect.Type) string {
	switch {
	case t == rawMessageType:
		return "object"
	case t == timeType:
		return "string"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	}
	return "object"
}

func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}
