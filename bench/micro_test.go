package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/pmoves/model-registry/registry"
	"github.com/pmoves/model-registry/tomlgen"
)

// Micro-benchmarks of the two hot paths the load tool found, without the
// stack, for profiling:
//
//	go test -run '^$' -bench . -benchmem -cpuprofile cpu.out ./bench
//	go tool pprof -top -cum cpu.out

// syntheticCatalog is the catalogue seedCatalogue stores, as the registry
// reads it back (v_active_models, v_mappings).
func syntheticCatalog(nProviders, nModels int) registry.Catalog {
	var cat registry.Catalog
	now := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	id := func(kind, i int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", kind, i) }
	for i := range nProviders {
		t := providerTypes[i%len(providerTypes)]
		p := registry.Provider{ID: id(1, i), Name: fmt.Sprintf("bench_provider_%02d", i), Type: registry.ProviderType(t),
			Description: ptr("load-test provider"), Metadata: json.RawMessage(`{}`), Active: true, CreatedAt: now, UpdatedAt: now}
		switch t {
		case "ollama":
			p.APIBase = ptr(fmt.Sprintf("http://bench-ollama-%d:11434", i))
		case "vllm":
			p.APIBase = ptr(fmt.Sprintf("http://bench-vllm-%d:8000/v1", i))
		case "anthropic":
			p.APIBase, p.APIKeyEnvVar = ptr("https://api.anthropic.com/v1/messages"), ptr(fmt.Sprintf("BENCH_ANTHROPIC_%d_API_KEY", i))
		default:
			p.APIBase, p.APIKeyEnvVar = ptr(fmt.Sprintf("https://api.bench-%d.example/v1", i)), ptr(fmt.Sprintf("BENCH_%d_API_KEY", i))
		}
		cat.Providers = append(cat.Providers, p)
	}
	var chat []registry.Model
	for i := range nModels {
		p := cat.Providers[i%nProviders]
		m := registry.Model{ID: id(2, i), ProviderID: p.ID, Name: fmt.Sprintf("bench_model_%05d", i),
			ModelID: fmt.Sprintf("bench/model-%05d", i), ModelType: registry.ModelChat, Capabilities: []string{"chat", "tools"},
			VRAMMB: ptr(4000 + i%16*1000), ContextLength: ptr(8192 << (i % 4)), Description: ptr("load-test model"),
			Metadata: json.RawMessage(`{}`), Active: true, CreatedAt: now, UpdatedAt: now,
			ProviderName: p.Name, ProviderType: p.Type, APIBase: p.APIBase, APIKeyEnvVar: p.APIKeyEnvVar}
		switch {
		case i%10 == 9 && p.Type != registry.ProviderAnthropic:
			m.ModelType, m.Capabilities = registry.ModelEmbedding, []string{"embedding"}
		case i%20 == 1:
			m.Name = cat.Models[i-1].Name
		}
		if m.ModelType == registry.ModelChat {
			chat = append(chat, m)
		}
		cat.Models = append(cat.Models, m)
	}
	for f := range max(1, nModels/30) {
		for v, w := range []float64{70, 30, 1} {
			m := chat[(3*f+v)%len(chat)]
			prio := 1
			if v == 2 {
				prio = 2
			}
			cat.Mappings = append(cat.Mappings, registry.Mapping{ID: id(3, 3*f+v), ServiceName: fmt.Sprintf("bench-service-%02d", f%20),
				FunctionName: fmt.Sprintf("bench_fn_%04d", f), VariantName: fmt.Sprintf("variant_%d", v), ModelID: m.ID,
				Priority: prio, Weight: w, Params: json.RawMessage(`{}`), CreatedAt: now, UpdatedAt: now,
				ModelName: m.Name, ProviderModelID: m.ModelID, ModelType: m.ModelType, ProviderID: m.ProviderID,
				ProviderName: m.ProviderName, ProviderType: m.ProviderType})
		}
	}
	cat.Passthrough = map[string]json.RawMessage{}
	return cat
}

// BenchmarkRender is target (b): rendering 1,000 models.
func BenchmarkRender(b *testing.B) {
	cat := syntheticCatalog(10, 1000)
	tc := tomlgen.Catalog{Providers: cat.Providers, Models: cat.Models, Mappings: cat.Mappings, Passthrough: cat.Passthrough}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if _, err := tomlgen.Render(&buf, tc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes")
}

// BenchmarkModelsPage is the registry's own work for one page of
// GET /api/models?limit=100: decode PostgREST's 100 rows, encode the answer.
func BenchmarkModelsPage(b *testing.B) {
	rows, err := json.Marshal(syntheticCatalog(10, 100).Models)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decode+encode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(rows)))
		for b.Loop() {
			var ms []registry.Model
			if err := json.Unmarshal(rows, &ms); err != nil {
				b.Fatal(err)
			}
			if _, err := json.Marshal(map[string]any{"items": ms, "count": 1000}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("splice", func(b *testing.B) { // what passing the rows through would cost
		b.ReportAllocs()
		b.SetBytes(int64(len(rows)))
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			buf.WriteString(`{"items":`)
			buf.Write(rows)
			buf.WriteString(`,"count":1000}`)
		}
	})
}

func TestSyntheticCatalogRenders(t *testing.T) {
	cat := syntheticCatalog(10, 1000)
	var buf bytes.Buffer
	fs, err := tomlgen.Render(&buf, tomlgen.Catalog{Providers: cat.Providers, Models: cat.Models, Mappings: cat.Mappings})
	if err != nil || len(fs) != 0 || buf.Len() < 100000 {
		t.Fatalf("%d bytes, findings %v, %v", buf.Len(), fs, err)
	}
}
