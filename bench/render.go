package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"time"

	"github.com/pmoves/model-registry/registry"
	"github.com/pmoves/model-registry/tomlgen"
)

// renderStats is the in-process cost of what GET /api/tensorzero/config does,
// step by step, for the seeded catalogue.
type renderStats struct {
	Models       int     `json:"models"`
	Providers    int     `json:"providers"`
	Mappings     int     `json:"mappings"`
	Iterations   int     `json:"iterations"`
	MedianMs     float64 `json:"median_ms"`
	P99Ms        float64 `json:"p99_ms"`
	AllocsPerOp  float64 `json:"allocs_per_op"`
	KBAllocPerOp float64 `json:"kb_alloc_per_op"`
	OutputBytes  int     `json:"output_bytes"`
	Findings     int     `json:"findings"`
	// The steps before the render, single-threaded, median of five:
	// reading the four lists from PostgREST (wall time), decoding them, and
	// the catalogue version the registry asks for (one registry_catalog_version
	// call through PostgREST, wall time) to learn whether its cached render
	// still stands: an unchanged catalogue costs only that call.
	FetchMs   float64 `json:"fetch_ms"`
	DecodeMs  float64 `json:"decode_ms"`
	VersionMs float64 `json:"version_ms"`
	// SameAsRegistry: the registry served exactly these bytes.
	SameAsRegistry bool `json:"same_as_registry"`
}

// rawCatalog is the four reads of supabase.ActiveCatalog, undecoded.
type rawCatalog struct{ providers, models, mappings, passthrough [][]byte }

// catalogVersion asks the database for the catalogue version, as the
// registry does before it reads the catalogue.
func catalogVersion(ctx context.Context, r *rest) error {
	_, _, err := r.do(ctx, http.MethodPost, "rpc/registry_catalog_version", "", "", struct{}{})
	return err
}

// fetchCatalog reads what the registry reads for a render, page by page.
func fetchCatalog(ctx context.Context, r *rest) (rawCatalog, error) {
	var rc rawCatalog
	var err error
	for _, q := range []struct {
		dst   *[][]byte
		rel   string
		query string
	}{
		{&rc.providers, "model_providers", "select=*&active=eq.true&order=id.asc"},
		{&rc.models, "v_active_models", "select=*&order=id.asc"},
		{&rc.mappings, "v_mappings", "select=*&order=id.asc"},
		{&rc.passthrough, "tensorzero_passthrough", "select=key,value&order=key.asc"},
	} {
		if *q.dst, err = pages(ctx, r, q.rel, q.query); err != nil {
			return rc, err
		}
	}
	return rc, nil
}

func pages(ctx context.Context, r *rest, rel, query string) ([][]byte, error) {
	var out [][]byte
	for offset := 0; ; offset += 1000 {
		_, data, err := r.do(ctx, http.MethodGet, rel, query+"&limit=1000&offset="+strconv.Itoa(offset), "count=exact", nil)
		if err != nil {
			return nil, err
		}
		out = append(out, data)
		var n []json.RawMessage
		if json.Unmarshal(data, &n) != nil || len(n) < 1000 {
			return out, nil
		}
	}
}

func decodeCatalog(rc rawCatalog) (registry.Catalog, error) {
	var cat registry.Catalog
	if err := decodePages(rc.providers, &cat.Providers); err != nil {
		return cat, err
	}
	if err := decodePages(rc.models, &cat.Models); err != nil {
		return cat, err
	}
	if err := decodePages(rc.mappings, &cat.Mappings); err != nil {
		return cat, err
	}
	var pt []struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
	}
	if err := decodePages(rc.passthrough, &pt); err != nil {
		return cat, err
	}
	cat.Passthrough = make(map[string]json.RawMessage, len(pt))
	for _, p := range pt {
		cat.Passthrough[p.Key] = p.Value
	}
	return cat, nil
}

func decodePages[T any](pages [][]byte, out *[]T) error {
	for _, p := range pages {
		var rows []T
		if err := json.Unmarshal(p, &rows); err != nil {
			return err
		}
		*out = append(*out, rows...)
	}
	return nil
}

// measureRender times the steps of a render of the stored catalogue, then
// renders it repeatedly for about d. registryBody is what the registry
// answered, to check that both render the same thing.
// With profile set, the render loop is CPU-profiled into that file.
func measureRender(ctx context.Context, r *rest, d time.Duration, registryBody []byte, profile string) (renderStats, error) {
	var st renderStats
	// The steps before the render, five times each; the medians count.
	var fetch, decode, version []time.Duration
	var cat registry.Catalog
	for range 5 {
		t0 := time.Now()
		rc, err := fetchCatalog(ctx, r)
		if err != nil {
			return st, err
		}
		t1 := time.Now()
		if cat, err = decodeCatalog(rc); err != nil {
			return st, err
		}
		t2 := time.Now()
		if err := catalogVersion(ctx, r); err != nil {
			return st, err
		}
		fetch, decode, version = append(fetch, t1.Sub(t0)), append(decode, t2.Sub(t1)), append(version, time.Since(t2))
	}
	st.FetchMs, st.DecodeMs, st.VersionMs = ms(median(fetch)), ms(median(decode)), ms(median(version))
	st.Models, st.Providers, st.Mappings = len(cat.Models), len(cat.Providers), len(cat.Mappings)

	tc := tomlgen.Catalog{Providers: cat.Providers, Models: cat.Models, Mappings: cat.Mappings,
		Passthrough: tomlgen.Passthrough(cat.Passthrough)}
	var buf bytes.Buffer
	findings, err := tomlgen.Render(&buf, tc) // warms caches, and is the reference output
	if err != nil {
		return st, err
	}
	st.OutputBytes, st.Findings = buf.Len(), len(findings)
	st.SameAsRegistry = bytes.Equal(buf.Bytes(), registryBody)

	var times []time.Duration
	var before, after runtime.MemStats
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return st, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return st, err
		}
		defer pprof.StopCPUProfile()
	}
	runtime.GC()
	runtime.ReadMemStats(&before)
	deadline := time.Now().Add(d)
	for len(times) < 5 || (time.Now().Before(deadline) && ctx.Err() == nil) {
		buf.Reset()
		t0 := time.Now()
		if _, err := tomlgen.Render(&buf, tc); err != nil {
			return st, err
		}
		times = append(times, time.Since(t0))
	}
	runtime.ReadMemStats(&after)
	slices.Sort(times)
	st.Iterations = len(times)
	st.MedianMs, st.P99Ms = ms(quantile(times, 0.5)), ms(quantile(times, 0.99))
	st.AllocsPerOp = float64(after.Mallocs-before.Mallocs) / float64(len(times))
	st.KBAllocPerOp = float64(after.TotalAlloc-before.TotalAlloc) / 1024 / float64(len(times))
	return st, ctx.Err()
}

func median(d []time.Duration) time.Duration {
	d = slices.Clone(d)
	slices.Sort(d)
	return quantile(d, 0.5)
}
