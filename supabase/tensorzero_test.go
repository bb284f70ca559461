package supabase

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/pmoves/model-registry/registry"
)

// BenchmarkActiveRead is what reading a changed catalogue of 1,000 models
// costs the registry in process: decoding the answers, against decoding
// them and hashing json.Marshal of the result (the digest the API took
// before). An unchanged catalogue is not read at all (CatalogVersion).
func BenchmarkActiveRead(b *testing.B) {
	c := &Client{}
	a := syntheticRead(b, 10, 1000, 100)
	size := 0
	for _, l := range [][][]byte{a.providers, a.models, a.mappings, a.passthrough} {
		for _, body := range l {
			size += len(body)
		}
	}
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(size))
		for b.Loop() {
			if _, err := a.decode(c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode+marshal+sha256", func(b *testing.B) {
		b.SetBytes(int64(size))
		for b.Loop() {
			cat, err := a.decode(c)
			if err != nil {
				b.Fatal(err)
			}
			raw, err := json.Marshal(cat)
			if err != nil {
				b.Fatal(err)
			}
			_ = sha256.Sum256(raw)
		}
	})
}

func syntheticRead(b *testing.B, providers, models, mappings int) activeRead {
	b.Helper()
	now := time.Date(2026, 11, 25, 12, 0, 0, 123456000, time.UTC)
	id := func(kind, i int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", kind, i) }
	page := func(v any) [][]byte {
		raw, err := json.Marshal(v)
		if err != nil {
			b.Fatal(err)
		}
		return [][]byte{raw}
	}
	var ps []registry.Provider
	for i := range providers {
		base := fmt.Sprintf("http://node-%d:11434", i)
		ps = append(ps, registry.Provider{ID: id(1, i), Name: fmt.Sprintf("provider_%d", i), Type: registry.ProviderOllama,
			APIBase: &base, Active: true, Metadata: json.RawMessage(`{"region":"lab"}`), CreatedAt: now, UpdatedAt: now})
	}
	var ms []registry.Model
	for i := range models {
		vram, ctxLen, desc := 8192, 32768, fmt.Sprintf("Model %d of the benchmark catalogue", i)
		p := ps[i%providers]
		ms = append(ms, registry.Model{ID: id(2, i), ProviderID: p.ID, Name: fmt.Sprintf("model_%04d", i),
			ModelID: fmt.Sprintf("family-%d:7b-q4", i), ModelType: registry.ModelChat, Capabilities: []string{"chat", "tools"},
			VRAMMB: &vram, ContextLength: &ctxLen, Description: &desc, Metadata: json.RawMessage(`{"family":"llama","quant":"q4_k_m"}`),
			Active: true, CreatedAt: now, UpdatedAt: now, ProviderName: p.Name, ProviderType: p.Type, APIBase: p.APIBase,
			Aliases: registry.AliasRefs{{Alias: fmt.Sprintf("alias-%d", i)}}})
	}
	var maps []registry.Mapping
	for i := range mappings {
		maps = append(maps, registry.Mapping{ID: id(3, i), ServiceName: "svc", FunctionName: fmt.Sprintf("fn_%d", i),
			VariantName: "v", ModelID: ms[i].ID, CreatedAt: now, UpdatedAt: now})
	}
	return activeRead{providers: page(ps), models: page(ms), mappings: page(maps),
		passthrough: page([]passthroughRow{{Key: "section:gateway", Value: json.RawMessage(`{"debug":false}`)}})}
}
