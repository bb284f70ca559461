package tomlgen

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// strictMeta decodes metadata or params: absent, or an object whose only
// key is "tensorzero", holding exactly the fields of v.
func strictMeta(t *testing.T, what string, raw json.RawMessage, v any) {
	t.Helper()
	if raw == nil {
		return
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		t.Fatalf("%s: not a JSON object: %s", what, raw)
	}
	if len(obj) != 1 || obj[MetadataKey] == nil {
		t.Errorf("%s: keys other than %q: %s", what, MetadataKey, raw)
	}
	strictJSON(t, what, obj[MetadataKey], v)
}

func strictJSON(t *testing.T, what string, raw json.RawMessage, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Errorf("%s: %v: %s", what, err, raw)
	}
}

func mustFragment(t *testing.T, what, s string) {
	t.Helper()
	if _, err := parseFragment(s); err != nil {
		t.Errorf("%s: stored TOML does not parse: %v\n%s", what, err, s)
	}
}

// TestStorageContract checks every imported row against the documented
// shape of the pass-through.
func TestStorageContract(t *testing.T) {
	extra, _ := filepath.Glob(filepath.Join("testdata", "roundtrip", "*.toml"))
	for _, name := range append(fixtures(t), extra...) {
		plan, err := Import(mustRead(t, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range plan.Providers {
			var m ProviderMeta
			strictMeta(t, "provider "+p.Name, p.Metadata, &m)
			mustFragment(t, "provider "+p.Name, m.TOML)
			if (p.Type == "custom") != (m.Type != "") {
				t.Errorf("provider %s: type %s with gateway type %q", p.Name, p.Type, m.Type)
			}
		}
		for _, p := range plan.Models {
			var m ModelMeta
			strictMeta(t, "model "+p.Input.Name, p.Input.Metadata, &m)
			mustFragment(t, "model "+p.Input.Name, m.TOML)
			mustFragment(t, "model "+p.Input.Name, m.ModelTOML)
		}
		for _, p := range plan.Mappings {
			var m MappingMeta
			strictMeta(t, "mapping "+p.Input.VariantName, p.Input.Params, &m)
			mustFragment(t, "mapping "+p.Input.VariantName, m.TOML)
		}
		for k, v := range plan.Passthrough {
			switch {
			case strings.HasPrefix(k, SectionPrefix):
				var e SectionEntry
				strictJSON(t, k, v, &e)
				doc, err := parseFragment(e.TOML)
				if err != nil || len(doc) != 1 || doc[strings.TrimPrefix(k, SectionPrefix)] == nil {
					t.Errorf("%s: %v %v", k, err, doc)
				}
			case strings.HasPrefix(k, FunctionPrefix):
				var e FunctionEntry
				strictJSON(t, k, v, &e)
				mustFragment(t, k, e.TOML)
				mustFragment(t, k, e.Experimentation)
			default:
				t.Errorf("unknown pass-through key %q", k)
			}
		}
	}
}

func TestWithMeta(t *testing.T) {
	got, err := WithMeta(json.RawMessage(`{"owner":"ops","tensorzero":{"routing":3}}`), json.RawMessage(`{"tensorzero":{"routing":0}}`))
	if err != nil || string(got) != `{"owner":"ops","tensorzero":{"routing":0}}` {
		t.Errorf("WithMeta = %s, %v", got, err)
	}
	got, err = WithMeta(json.RawMessage(`{"owner":"ops","tensorzero":{"routing":3}}`), nil)
	if err != nil || string(got) != `{"owner":"ops"}` {
		t.Errorf("WithMeta without import = %s, %v", got, err)
	}
	if _, err := WithMeta(json.RawMessage(`[1]`), nil); err == nil {
		t.Error("WithMeta accepted an array")
	}
}

// TestCorruptPassThrough: broken stored data leaves out what it concerns,
// with an error finding, and never breaks the render.
func TestCorruptPassThrough(t *testing.T) {
	c := smallCatalog()
	c.Models[0].Metadata = json.RawMessage(`{"tensorzero":{"toml":"= broken"}}`)
	c.Providers[3].Metadata = json.RawMessage(`{"tensorzero":"not an object"}`)
	c.Mappings[1].Params = json.RawMessage(`{"tensorzero":{"toml":"[[x]"}}`)
	c.Passthrough[SectionPrefix+"gateway"] = json.RawMessage(`{"toml":"[gateway"}`)
	c.Passthrough[FunctionPrefix+"agent_zero"] = json.RawMessage(`{"toml":3}`)
	c.Passthrough["other"] = json.RawMessage(`{}`)
	out, fs := renderString(t, c)
	lint, err := Lint([]byte(out))
	if err != nil || HasErrors(lint) {
		t.Fatalf("output does not lint: %v\n%s", err, findingLines(lint))
	}
	golden(t, "render/corrupt.findings.golden", []byte(findingLines(fs)))
}
