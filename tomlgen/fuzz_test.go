package tomlgen

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/pmoves/model-registry/registry"
)

// FuzzRender builds a catalogue of registry-valid rows from the input; the
// rendered document always parses and lints with no error. Seeds are in
// testdata/fuzz/FuzzRender.
func FuzzRender(f *testing.F) {
	f.Add([]byte("seed"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := fuzzCatalog(data)
		var buf bytes.Buffer
		if _, err := Render(&buf, c); err != nil {
			t.Fatalf("Render: %v", err)
		}
		fs, err := Lint(buf.Bytes())
		if err != nil {
			t.Fatalf("output does not parse: %v\n%s", err, buf.String())
		}
		if HasErrors(fs) {
			t.Fatalf("output has lint errors:\n%s\n%s", findingLines(fs), buf.String())
		}
	})
}

// FuzzImport feeds arbitrary documents to Import and Lint: they never panic,
// an imported plan holds valid rows, and when it renders without findings
// the render equals the input as parsed TOML. Seeds are the fixtures and
// testdata/fuzz/FuzzImport.
func FuzzImport(f *testing.F) {
	for _, name := range fixtures(f) {
		f.Add(mustRead(f, name))
	}
	extra, _ := filepath.Glob(filepath.Join("testdata", "roundtrip", "*.toml"))
	for _, name := range extra {
		f.Add(mustRead(f, name))
	}
	f.Fuzz(checkImportProperty)
}

// checkImportProperty is what FuzzImport checks for one document.
func checkImportProperty(t *testing.T, doc []byte) {
	_, lintErr := Lint(doc)
	plan, err := Import(doc)
	if err != nil {
		return
	}
	if lintErr != nil {
		t.Fatalf("Import accepts what Lint cannot parse: %v", lintErr)
	}
	c, err := plan.Catalog(planIDs(plan))
	if err != nil {
		t.Fatalf("Catalog: %v", err)
	}
	for _, m := range plan.Models {
		in := m.Input
		in.ProviderID = fakeUUID
		if err := in.Validate(); err != nil {
			t.Fatalf("invalid model row: %v", err)
		}
	}
	var buf bytes.Buffer
	fs, err := Render(&buf, throughJSONB(t, c))
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	got, err := parseDoc(buf.Bytes())
	if err != nil {
		t.Fatalf("rendered document does not parse: %v", err)
	}
	if len(fs) > 0 {
		return // something was left out on purpose
	}
	want, _ := parseDoc(doc)
	if diff := cmp.Diff(want, got, cmpopts.EquateNaNs()); diff != "" {
		t.Fatalf("render(import(doc)) differs (-want +got):\n%s", diff)
	}
}

// byteReader hands out the fuzz input a byte at a time, then zeros.
type byteReader struct {
	data []byte
	n    int
}

func (r *byteReader) byte() byte {
	if r.n >= len(r.data) {
		r.n++
		return 0
	}
	r.n++
	return r.data[r.n-1]
}

func (r *byteReader) intn(n int) int { return int(r.byte()) % n }

// name returns a short string from the input, or fallback when the registry
// would refuse it (as name or as gateway name).
func (r *byteReader) name(fallback string, ok func(string) bool) string {
	n := r.intn(6)
	b := make([]byte, 0, n)
	for i := 0; i < n; i++ {
		b = append(b, r.byte())
	}
	if s := string(b); ok(s) {
		return s
	}
	return fallback
}

var fuzzGatewayTypes = []string{"openai", "anthropic", "azure", "aws_bedrock", "aws_sagemaker", "gcp_vertex_gemini",
	"gcp_vertex_anthropic", "google_ai_studio_gemini", "groq", "mistral", "fireworks", "together", "deepseek",
	"hyperbolic", "xai", "openrouter", "vllm", "sglang", "tgi", ""}

func fuzzCatalog(data []byte) Catalog {
	r := &byteReader{data: data}
	b := newBuilder()
	gwName := func(s string) bool { return nameProblem(s, true) == "" }
	plain := func(s string) bool { return nameProblem(s, false) == "" }
	nProviders := 1 + r.intn(5)
	var provs []string
	for i := 0; i < nProviders; i++ {
		name := r.name(fmt.Sprintf("p%d", i), plain)
		if b.providers[name] != "" {
			name = fmt.Sprintf("p%d", i)
		}
		typ := registry.ProviderTypes[r.intn(len(registry.ProviderTypes))]
		base := []string{"", "http://host:11434", "https://api.example.com", "http://gpu:8000/v1", "https://x.example.com/api/v1/"}[r.intn(5)]
		env := []string{"", "API_KEY"}[r.intn(2)]
		var meta *ProviderMeta
		if typ == registry.ProviderCustom {
			meta = &ProviderMeta{Type: fuzzGatewayTypes[r.intn(len(fuzzGatewayTypes))]}
			if r.intn(2) == 0 {
				meta.TOML = "region = \"r\"\nlocation = \"l\"\nproject_id = \"p\"\n"
			}
		}
		b.provider(name, typ, base, env, meta)
		provs = append(provs, name)
	}
	var models []string
	for i, n := 0, r.intn(12); i < n; i++ {
		prov := provs[r.intn(len(provs))]
		name := r.name(fmt.Sprintf("m%d", r.intn(4)), gwName)
		id := r.name(fmt.Sprintf("id%d", i), plain)
		if b.models[prov+"/"+id] != "" {
			id = fmt.Sprintf("id%d", i)
		}
		var meta *ModelMeta
		if r.intn(3) == 0 {
			meta = &ModelMeta{Routing: ptr(r.intn(3))}
		}
		b.model(prov, name, id, registry.ModelTypes[r.intn(len(registry.ModelTypes))], meta)
		models = append(models, prov+"/"+id)
	}
	if len(models) == 0 {
		return b.c
	}
	seen := map[registry.MappingKey]bool{}
	for i, n := 0, r.intn(10); i < n; i++ {
		k := registry.MappingKey{
			Service:  r.name("svc", plain),
			Function: r.name(fmt.Sprintf("f%d", r.intn(3)), gwName),
			Variant:  r.name(fmt.Sprintf("v%d", i), gwName),
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		fallback := ""
		if r.intn(3) == 0 {
			fallback = models[r.intn(len(models))]
		}
		model := models[r.intn(len(models))]
		if fallback == model {
			fallback = ""
		}
		b.mapping(k.Service, k.Function, k.Variant, model, r.intn(4), float64(r.intn(5))*2.5, fallback)
	}
	return b.c
}
