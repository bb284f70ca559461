package registry_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pmoves/model-registry/registry"
)

func ptr[T any](v T) *T { return &v }

const uuid = "8b5d3a0e-6f1c-4b2e-9a77-0c1d2e3f4a5b"

// fields returns the field errors of err, or nil when err is nil.
func fields(t *testing.T, err error) map[string]string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ve *registry.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a *ValidationError", err)
	}
	if !errors.Is(err, registry.ErrInvalid) {
		t.Errorf("a ValidationError must match ErrInvalid")
	}
	keys := map[string]string{}
	for k := range ve.Fields {
		keys[k] = "x"
	}
	return keys
}

func TestValidate(t *testing.T) {
	set := func(names ...string) map[string]string {
		m := map[string]string{}
		for _, n := range names {
			m[n] = "x"
		}
		return m
	}
	cases := []struct {
		name string
		v    interface{ Validate() error }
		want map[string]string
	}{
		{"provider ok", registry.ProviderInput{Name: "ollama_local", Type: "ollama", APIBase: ptr("http://pmoves-ollama:11434")}, nil},
		{"provider everything wrong", registry.ProviderInput{Name: " x", Type: "gpt", APIBase: ptr("ftp://x"),
			APIKeyEnvVar: ptr("sk-live-123"), Metadata: json.RawMessage(`[1]`)}, set("name", "type", "api_base", "api_key_env_var", "metadata")},
		{"provider credentials in URL", registry.ProviderInput{Name: "p", Type: "vllm", APIBase: ptr("http://u:pw@host/v1")}, set("api_base")},
		{"empty provider patch", registry.ProviderPatch{}, set("body")},
		{"provider patch", registry.ProviderPatch{Active: ptr(false)}, nil},
		{"model ok", registry.ModelInput{ProviderID: uuid, Name: "qwen3_8b", ModelID: "qwen3:8b", ModelType: "chat", VRAMMB: ptr(6000)}, nil},
		{"model everything wrong", registry.ModelInput{ProviderID: "42", Name: "tensorzero::x", ModelID: "", ModelType: "llm",
			VRAMMB: ptr(-1), ContextLength: ptr(-5), Capabilities: []string{""}}, set("provider_id", "name", "model_id", "model_type", "vram_mb", "context_length", "capabilities")},
		{"model control characters", registry.ModelInput{ProviderID: uuid, Name: "a\x00b", ModelID: "m", ModelType: "chat"}, set("name")},
		{"model patch bad type", registry.ModelPatch{ModelType: ptr(registry.ModelType("x"))}, set("model_type")},
		{"mapping ok", registry.MappingInput{ServiceName: "agent-zero", FunctionName: "chat", VariantName: "primary", ModelID: uuid,
			Priority: ptr(1), Weight: ptr(70.0), Params: json.RawMessage(`{"temperature":0.2}`)}, nil},
		{"mapping everything wrong", registry.MappingInput{ModelID: "nope", FallbackModelID: ptr("nope"), Priority: ptr(-1),
			Weight: ptr(1000.5), Params: json.RawMessage(`"x"`)}, set("service_name", "function_name", "variant_name", "model_id", "fallback_model_id", "priority", "weight", "params")},
		{"mapping fallback to itself", registry.MappingInput{ServiceName: "s", FunctionName: "f", VariantName: "v", ModelID: uuid, FallbackModelID: ptr(uuid)}, set("fallback_model_id")},
		{"alias ok", registry.AliasInput{ModelID: uuid, Alias: "fast", Context: ptr("ui")}, nil},
		{"alias wrong", registry.AliasInput{ModelID: "", Alias: "", Context: ptr("")}, set("model_id", "alias", "context")},
		{"registration by uuid", registry.DeploymentRegistration{ModelID: uuid, NodeID: "gpu-1", ProviderType: "ollama"}, nil},
		{"registration by provider id", registry.DeploymentRegistration{ProviderModelID: "qwen3:8b", NodeID: "gpu-1", ProviderType: "ollama", Status: "loading"}, nil},
		{"registration without model", registry.DeploymentRegistration{NodeID: "gpu-1", ProviderType: "ollama"}, set("model_id")},
		{"registration by the provider's id in model_id", registry.DeploymentRegistration{ModelID: "qwen3:8b", NodeID: "gpu-1", ProviderType: "ollama"}, nil},
		{"registration with both ids", registry.DeploymentRegistration{ModelID: uuid, ProviderModelID: "qwen3:8b", NodeID: "gpu-1", ProviderType: "ollama"}, set("model_id")},
		{"registration wrong", registry.DeploymentRegistration{ModelID: " qwen3:8b", ProviderType: "docker", Status: "up", VRAMAllocatedMB: ptr(-1)},
			set("model_id", "node_id", "provider_type", "status", "vram_allocated_mb")},
		{"status ok", registry.StatusChange{Status: "error", ErrorMessage: ptr("OOM")}, nil},
		{"status wrong", registry.StatusChange{Status: "gone"}, set("status")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, fields(t, c.v.Validate())); diff != "" {
				t.Errorf("invalid fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPageNormalize(t *testing.T) {
	p, err := registry.Page{}.Normalize()
	if err != nil || p.Limit != registry.DefaultLimit {
		t.Errorf("default page = %+v, %v", p, err)
	}
	for _, bad := range []registry.Page{{Limit: -1}, {Limit: registry.MaxLimit + 1}, {Offset: -1}} {
		if _, err := bad.Normalize(); !errors.Is(err, registry.ErrInvalid) {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestInUseErrorIsAConflictNamingTheMappings(t *testing.T) {
	err := &registry.InUseError{Resource: "model", ID: uuid, Mappings: []registry.MappingKey{{Service: "s", Function: "f", Variant: "v"}}}
	if !errors.Is(err, registry.ErrConflict) {
		t.Error("InUseError must match ErrConflict")
	}
	if want := "model " + uuid + " is used by service mappings s/f/v; delete them first or pass ?cascade=true"; err.Error() != want {
		t.Errorf("message = %q", err.Error())
	}
}

func TestRegistrationNormalized(t *testing.T) {
	const uuid = "00000000-0000-4000-8000-000000000001"
	for _, c := range []struct {
		in, want registry.DeploymentRegistration
	}{
		{registry.DeploymentRegistration{ModelID: "qwen3:8b"}, registry.DeploymentRegistration{ProviderModelID: "qwen3:8b"}},
		{registry.DeploymentRegistration{ModelID: uuid}, registry.DeploymentRegistration{ModelID: uuid}},
		{registry.DeploymentRegistration{ProviderModelID: "a"}, registry.DeploymentRegistration{ProviderModelID: "a"}},
	} {
		if got := c.in.Normalized(); got != c.want {
			t.Errorf("%+v.Normalized() = %+v, want %+v", c.in, got, c.want)
		}
	}
}

func TestCapabilitiesReadLeniently(t *testing.T) {
	for raw, want := range map[string][]string{
		`["chat","tools"]`:                      {"chat", "tools"},
		`["chat",7,null]`:                       {"chat"},
		`{"vision":true,"json":false,"a":true}`: {"a", "vision"},
		`"chat"`:                                {"chat"},
		`42`:                                    {},
		`[]`:                                    {},
	} {
		var m registry.Model
		if err := json.Unmarshal([]byte(`{"capabilities":`+raw+`}`), &m); err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if !slices.Equal([]string(m.Capabilities), want) || m.Capabilities == nil {
			t.Errorf("%s: %#v, want %v", raw, m.Capabilities, want)
		}
	}
}
