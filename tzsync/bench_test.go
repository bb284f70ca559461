package tzsync

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// bigConfig is a configuration of n models, about 260 bytes each, like the
// load tool's rendering of its catalogue.
func bigConfig(n int, tag string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "[models.bench_model_%05d]\nrouting = [\"bench_provider\"]\n\n[models.bench_model_%05d.providers.bench_provider]\n"+
			"api_base = \"http://bench-vllm:8000/v1\"\napi_key_location = \"none\"\nmodel_name = \"bench/model-%05d-%s\"\ntype = \"vllm\"\n\n",
			i, i, i, tag)
	}
	return b.String()
}

// BenchmarkSyncWrite is one pass of sync that writes: a GET of a changed
// configuration of 1000 models from a local server, the lint, the
// generation and the file (each fsynced), as after an API write. The time
// of the change event and its coalescing are not included.
func BenchmarkSyncWrite(b *testing.B) {
	configs := []string{bigConfig(1000, "a"), bigConfig(1000, "b")}
	reg, srv := newFakeRegistry(b, configs[0])
	s, err := New(Options{File: filepath.Join(b.TempDir(), "tensorzero.toml"), Source: &Source{URL: srv.URL}, Keep: 5})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if o := s.Sync(ctx, true); o.Result != Written {
		b.Fatal(o.Err)
	}
	b.SetBytes(int64(len(configs[0])))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		reg.set(configs[(i+1)%2])
		if o := s.Sync(ctx, false); o.Result != Written {
			b.Fatalf("pass %d: %s %v", i, o.Result, o.Err)
		}
	}
}

// BenchmarkSplice splices two lanes into a file of 1000 models.
func BenchmarkSplice(b *testing.B) {
	doc := withMarkers([]byte(bigConfig(1000, "a")), "[models.bench_model_00500]")
	lanes := []Lane{lane("registry_a", "a"), lane("registry_b", "b")}
	b.SetBytes(int64(len(doc)))
	for i := 0; i < b.N; i++ {
		if _, err := Splice(doc, lanes); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheck is the lint of a candidate of 1000 models.
func BenchmarkCheck(b *testing.B) {
	doc := []byte(bigConfig(1000, "a"))
	b.SetBytes(int64(len(doc)))
	for i := 0; i < b.N; i++ {
		if err := Check(doc); err != nil {
			b.Fatal(err)
		}
	}
}
