package tomlgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pmoves/model-registry/registry"
)

// fixtures returns the names of the TensorZero configs in testdata/fixtures.
func fixtures(tb testing.TB) []string {
	tb.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "fixtures", "*.toml"))
	if err != nil || len(names) == 0 {
		tb.Fatalf("no fixtures: %v", err)
	}
	return names
}

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// fakeID returns a deterministic UUID for the n-th row of a kind.
func fakeID(kind byte, n int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", kind, n)
}

// planIDs gives every row of a plan a fake id.
func planIDs(p *Plan) IDs {
	ids := IDs{Providers: map[string]string{}, Models: map[ModelKey]string{}, Mappings: map[registry.MappingKey]string{}}
	for i, pr := range p.Providers {
		ids.Providers[pr.Name] = fakeID('p', i)
	}
	for i, m := range p.Models {
		ids.Models[m.Key()] = fakeID('m', i)
	}
	for i, m := range p.Mappings {
		ids.Mappings[m.Input.Key()] = fakeID('s', i)
	}
	return ids
}

// throughJSONB sends a catalogue through what storage does to it: the
// registry structs through encoding/json, and every jsonb value (metadata,
// params, pass-through) decoded to plain Go values (float64 numbers, maps in
// no order) and encoded again, as PostgreSQL's jsonb normalises documents.
func throughJSONB(tb testing.TB, c Catalog) Catalog {
	tb.Helper()
	var out Catalog
	roundTrip(tb, c.Providers, &out.Providers)
	roundTrip(tb, c.Models, &out.Models)
	roundTrip(tb, c.Mappings, &out.Mappings)
	for i := range out.Providers {
		out.Providers[i].Metadata = jsonb(tb, out.Providers[i].Metadata)
	}
	for i := range out.Models {
		out.Models[i].Metadata = jsonb(tb, out.Models[i].Metadata)
	}
	for i := range out.Mappings {
		out.Mappings[i].Params = jsonb(tb, out.Mappings[i].Params)
	}
	out.Passthrough = Passthrough{}
	for k, v := range c.Passthrough {
		out.Passthrough[k] = jsonb(tb, v)
	}
	return out
}

func roundTrip(tb testing.TB, in, out any) {
	tb.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		tb.Fatal(err)
	}
}

func jsonb(tb testing.TB, raw json.RawMessage) json.RawMessage {
	tb.Helper()
	if len(bytes.TrimSpace(raw)) == 0 {
		return json.RawMessage(`{}`) // the columns default to '{}'
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		tb.Fatalf("not JSON: %v: %s", err, raw)
	}
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// renderString renders c and fails the test on an error.
func renderString(tb testing.TB, c Catalog) (string, []Finding) {
	tb.Helper()
	var buf bytes.Buffer
	fs, err := Render(&buf, c)
	if err != nil {
		tb.Fatalf("Render: %v", err)
	}
	return buf.String(), fs
}

func findingLines(fs []Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String())
		b.WriteByte('\n')
	}
	return b.String()
}
