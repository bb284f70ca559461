package tomlgen

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/google/go-cmp/cmp"
	"github.com/pmoves/model-registry/registry"
)

// oracleEncodeDoc is how encodeDoc used to work, through BurntSushi/toml's
// encoder and a clean-up of its lines. encodeDoc must write the same bytes.
func oracleEncodeDoc(m map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := toml.NewEncoder(&buf)
	enc.Indent = ""
	if err := enc.Encode(wallClockForEncoder(m)); err != nil {
		return nil, err
	}
	// The encoder writes every string on one line (newlines are escaped), so
	// a line that starts with '[' is a table header. A header directly
	// followed by one of its sub-tables heads a table with no keys of its
	// own; the sub-table defines it implicitly, so it is dropped.
	var lines []string
	all := strings.Split(buf.String(), "\n")
	for i, line := range all {
		if line == "" || (strings.HasPrefix(line, "[") && !strings.HasPrefix(line, "[[") && impliedBy(line, all[i+1:])) {
			continue
		}
		lines = append(lines, line)
	}
	var out bytes.Buffer
	for i, line := range lines {
		if strings.HasPrefix(line, "[") && i > 0 && lines[i-1] != "" {
			out.WriteByte('\n')
		}
		out.WriteString(line)
		out.WriteByte('\n')
	}
	return out.Bytes(), nil
}

// wallClockForEncoder copies a tree for the encoder. The encoder writes a
// local date-time as its wall clock in UTC, encodeDoc as the wall clock it
// was read with; the two differ unless TZ is UTC. Handing the encoder the
// instant whose UTC wall clock is the value's makes them agree in any zone.
func wallClockForEncoder(v any) any {
	switch t := v.(type) {
	case map[string]any:
		if t == nil {
			return t
		}
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = wallClockForEncoder(e)
		}
		return out
	case []any:
		if t == nil {
			return t
		}
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = wallClockForEncoder(e)
		}
		return out
	case time.Time:
		z := decodedZones()
		if loc := t.Location(); loc == z.datetime || loc == z.date || loc == z.time {
			return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC).In(loc)
		}
	}
	return v
}

// TestLocalTimesKeepTheirWallClock runs in a child process whose TZ is not
// UTC (the decoder fixes its local zones at start-up): local date-times,
// dates and times come out as they went in.
func TestLocalTimesKeepTheirWallClock(t *testing.T) {
	const doc = "d = 1979-05-27\ndt = 1979-05-27T00:32:00.5\nt = 00:32:00\n"
	if os.Getenv("TOMLGEN_TZ_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLocalTimesKeepTheirWallClock$", "-test.count=1")
		cmd.Env = append(os.Environ(), "TOMLGEN_TZ_CHILD=1", "TZ=Asia/Kolkata")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("under TZ=Asia/Kolkata: %v\n%s", err, out)
		}
	}
	var m map[string]any
	if _, err := toml.Decode(doc, &m); err != nil {
		t.Fatal(err)
	}
	got, err := encodeDoc(m)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != doc {
		t.Errorf("TZ=%s: encodeDoc wrote\n%s\nwant\n%s", os.Getenv("TZ"), got, doc)
	}
}

// impliedBy reports whether the next non-empty line after header is a header
// of one of its sub-tables.
func impliedBy(header string, rest []string) bool {
	key := strings.TrimSuffix(strings.TrimPrefix(header, "["), "]")
	for _, l := range rest {
		if l == "" {
			continue
		}
		return strings.HasPrefix(l, "["+key+".") || strings.HasPrefix(l, "[["+key+".")
	}
	return false
}

// sameAsOracle checks that encodeDoc writes m as the oracle does, and that
// the output decodes to m again.
func sameAsOracle(t *testing.T, m map[string]any) {
	t.Helper()
	want, err := oracleEncodeDoc(m)
	if err != nil {
		t.Fatalf("oracle: %v", err)
	}
	got, err := encodeDoc(m)
	if err != nil {
		t.Fatalf("encodeDoc: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("encodeDoc differs from the encoder (-encoder +encodeDoc):\n%s", cmp.Diff(string(want), string(got)))
	}
	back, err := parseDoc(got)
	if err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, got)
	}
	if decoderMisreads(m, false) {
		return
	}
	if diff := cmp.Diff(m, back, cmp.Comparer(sameFloat)); diff != "" {
		t.Fatalf("output decodes to another tree (-tree +decoded):\n%s\n%s", diff, got)
	}
}

// decoderMisreads reports whether m has an empty key in an array, or an
// empty key whose value holds a table in an array. BurntSushi/toml v1.6.0
// decodes such documents wrongly (`a = [1, {"" = 1}]` gives a = [{"" = 1}],
// and `"" = [{}, 0]` gives [{}]; BurntSushi/toml pull request 492), so
// their output cannot decode to the same tree.
func decoderMisreads(v any, inArray bool) bool {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if k == "" && (inArray || hasTableInArray(e, false)) || decoderMisreads(e, inArray) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if decoderMisreads(e, true) {
				return true
			}
		}
	}
	return false
}

func hasTableInArray(v any, inArray bool) bool {
	switch t := v.(type) {
	case map[string]any:
		if inArray {
			return true
		}
		for _, e := range t {
			if hasTableInArray(e, false) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if hasTableInArray(e, true) {
				return true
			}
		}
	}
	return false
}

// sameFloat tells -0.0 from 0.0, which == does not.
func sameFloat(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b) && math.Signbit(a) == math.Signbit(b)
	}
	return a == b && math.Signbit(a) == math.Signbit(b)
}

// tomlFiles returns every TOML document under testdata.
func tomlFiles(t testing.TB) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir("testdata", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".toml") || strings.HasSuffix(p, ".toml.golden")) {
			names = append(names, p)
		}
		return err
	})
	if err != nil || len(names) < 10 {
		t.Fatalf("%d TOML files under testdata: %v", len(names), err)
	}
	return names
}

// TestEncodeDocFiles encodes every TOML document under testdata, each of its
// top-level tables alone (as the importer's pass-through does), and the
// tree Render builds from importing it.
func TestEncodeDocFiles(t *testing.T) {
	for _, name := range tomlFiles(t) {
		t.Run(filepath.ToSlash(name), func(t *testing.T) {
			doc := mustRead(t, name)
			m, err := parseDoc(doc)
			if err != nil {
				t.Fatal(err)
			}
			sameAsOracle(t, m)
			for k, v := range m {
				sameAsOracle(t, map[string]any{k: v})
			}
			plan, err := Import(doc)
			if err != nil {
				return // not a gateway configuration
			}
			c, err := plan.Catalog(planIDs(plan))
			if err != nil {
				t.Fatal(err)
			}
			sameAsOracle(t, build(throughJSONB(t, c)).root)
		})
	}
}

// TestEncodeDocCatalogs encodes the trees Render builds from the test
// catalogues, the benchmark's and those of the FuzzRender seeds.
func TestEncodeDocCatalogs(t *testing.T) {
	cats := map[string]Catalog{"small": smallCatalog(), "realistic": realisticCatalog(), "bench": benchCatalog(10, 1000)}
	seeds, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzRender", "*"))
	for _, name := range seeds {
		line := strings.Split(string(mustRead(t, name)), "\n")[1]
		data, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(line, "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cats["fuzz/"+filepath.Base(name)] = fuzzCatalog([]byte(data))
	}
	for name, c := range cats {
		t.Run(name, func(t *testing.T) { sameAsOracle(t, build(c).root) })
	}
}

// awkwardKeys are keys that must be quoted, or look like something else.
var awkwardKeys = []string{"a", "A-b_9", "-", "_", "1", "01", "1.5", "-3", "+3", "1e5", "inf", "nan", "true",
	"1979-05-27", "07:32:00", "1979-05-27T07:32:00Z", "a.b", ".", "a b", " ", "ü", "✓", "日本", "\u00a0",
	`"`, `'`, `\`, `\u0000`, "\x00", "\t", "\n", "\r\n", "\x1f", "\x7f", "\u0085", "\u2028", "\ufeff",
	"[x]", "x]", "]", "[[", "#", "=", "a=b", "models", "models.x", `a"b\c`, "é\x01", "x\"\\\b\f"}

// treeGen makes random tables with awkward keys and every TOML value type.
type treeGen struct{ r *rand.Rand }

func (g treeGen) key() string {
	if g.r.IntN(100) == 0 {
		return "" // rare: it often hits a decoder bug (decoderMisreads)
	}
	switch g.r.IntN(4) {
	case 0:
		return awkwardKeys[g.r.IntN(len(awkwardKeys))]
	case 1:
		return awkwardKeys[g.r.IntN(len(awkwardKeys))] + awkwardKeys[g.r.IntN(len(awkwardKeys))]
	case 2:
		if k := g.text(); k != "" {
			return k
		}
	}
	return fmt.Sprintf("k%d", g.r.IntN(20))
}

// text is a random valid UTF-8 string, biased to characters with escapes.
func (g treeGen) text() string {
	var b strings.Builder
	for n := g.r.IntN(8); n > 0; n-- {
		switch g.r.IntN(5) {
		case 0:
			b.WriteByte(byte(g.r.IntN(0x80)))
		case 1:
			b.WriteRune(rune(g.r.IntN(0x800)))
		case 2:
			b.WriteRune(rune(0x10000 + g.r.IntN(0x1000)))
		default:
			const plain = "az09_-.\"\\ "
			b.WriteByte(plain[g.r.IntN(len(plain))])
		}
	}
	return b.String()
}

var awkwardFloats = []float64{0, math.Copysign(0, -1), 1, 1.0 / 3, -2.5, 0.1, 1e21, 1e20, 123456789, 1e300, -1e-300,
	6.626e-34, math.MaxFloat64, math.SmallestNonzeroFloat64, math.Inf(1), math.Inf(-1), math.NaN(), math.Copysign(math.NaN(), -1)}

func (g treeGen) scalar() any {
	z := decodedZones()
	switch g.r.IntN(8) {
	case 0:
		return g.text()
	case 1:
		return awkwardKeys[g.r.IntN(len(awkwardKeys))]
	case 2:
		return []int64{0, -1, 42, math.MaxInt64, math.MinInt64, 0xdead}[g.r.IntN(6)] + int64(g.r.IntN(3))
	case 3:
		return awkwardFloats[g.r.IntN(len(awkwardFloats))]
	case 4:
		return g.r.NormFloat64() * math.Pow(10, float64(g.r.IntN(40)-20))
	case 5:
		return g.r.IntN(2) == 0
	case 6:
		ns := []int{0, 500_000_000, 999_999_000, 123_456_789}[g.r.IntN(4)]
		switch g.r.IntN(4) {
		case 0:
			return time.Date(1979, 5, 27, 7, 32, 0, ns, z.datetime)
		case 1:
			return time.Date(2024, 2, 29, 0, 0, 0, 0, z.date)
		case 2:
			return time.Date(0, 1, 1, 23, 59, 59, ns, z.time)
		}
		return time.Date(1979, 5, 27, 0, 32, 0, ns, time.FixedZone("", -7*3600))
	}
	return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
}

// value is a plain value: a scalar or an array (of anything, including
// inline tables).
func (g treeGen) value(depth int) any {
	if depth <= 0 || g.r.IntN(3) > 0 {
		return g.scalar()
	}
	arr := []any{}
	for n := g.r.IntN(4); n > 0; n-- {
		if g.r.IntN(4) == 0 {
			arr = append(arr, g.table(depth-1))
		} else {
			arr = append(arr, g.value(depth-1))
		}
	}
	return arr
}

func (g treeGen) table(depth int) map[string]any {
	m := map[string]any{}
	for n := g.r.IntN(5); n > 0; n-- {
		k := g.key()
		switch {
		case depth > 0 && g.r.IntN(4) == 0:
			m[k] = g.table(depth - 1)
		case depth > 0 && g.r.IntN(6) == 0:
			arr := []any{}
			for n := 1 + g.r.IntN(3); n > 0; n-- {
				arr = append(arr, g.table(depth-1))
			}
			m[k] = arr
		default:
			m[k] = g.value(depth)
		}
	}
	return m
}

// TestEncodeDocRandom compares encodeDoc with the encoder on random tables.
func TestEncodeDocRandom(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	g := treeGen{rand.New(rand.NewPCG(1, 2))}
	for i := range n {
		m := g.table(4)
		t.Run(fmt.Sprint(i), func(t *testing.T) { sameAsOracle(t, m) })
		if t.Failed() {
			break
		}
	}
}

// FuzzEncodeDoc compares encodeDoc with the encoder on every document the
// decoder accepts. Seeds are the TOML files under testdata.
func FuzzEncodeDoc(f *testing.F) {
	for _, name := range tomlFiles(f) {
		f.Add(mustRead(f, name))
	}
	f.Add([]byte("a = 1\n[b.c]\n[[d]]\ne = {f = [1, {g = 2}]}\n"))
	f.Add([]byte("\"\" = \"\\u0000\"\n\"a.b\" = -nan\nc = -0.0\nd = 1979-05-27\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		m, err := parseDoc(doc)
		if err != nil {
			return
		}
		sameAsOracle(t, m)
	})
}

// TestQuoting checks keys and strings of every byte, and of every byte
// between others, against the encoder. The encoder escapes byte by byte
// (a strings.Replacer of single bytes), so this covers every string.
func TestQuoting(t *testing.T) {
	for c := range 256 {
		b := string([]byte{byte(c)})
		for _, s := range []string{b, "a" + b + "b", b + "é" + b} {
			want, err := oracleEncodeDoc(map[string]any{s: s})
			if err != nil {
				t.Fatal(err)
			}
			got := appendKey(nil, s)
			got = append(got, " = "...)
			got = append(appendQuoted(got, s), '\n')
			if !bytes.Equal(got, want) {
				t.Errorf("byte %#x: got %q, encoder %q", c, got, want)
			}
		}
	}
}

// TestEncodeDocUnsupported: a value of a type the tree never holds is an
// error naming the type and the key, not a guess.
func TestEncodeDocUnsupported(t *testing.T) {
	for _, tc := range []struct {
		m    map[string]any
		want string
	}{
		{map[string]any{"a": map[string]any{"b c": 1}}, `cannot encode int as TOML (key a."b c")`},
		{map[string]any{"x": nil}, `cannot encode <nil> as TOML (key x)`},
		{map[string]any{"x": []any(nil)}, `cannot encode []interface {} as TOML (key x)`},
		{map[string]any{"x": map[string]any(nil)}, `cannot encode map[string]interface {} as TOML (key x)`},
		{map[string]any{"t": map[string]any{"x": []any{1.0, nil}}}, `cannot encode <nil> as TOML (key t.x)`},
		{map[string]any{"x": []string{"a"}}, `cannot encode []string as TOML (key x)`},
		{map[string]any{"x": []any{map[string]any{"y": float32(1)}}}, `cannot encode float32 as TOML (key x.y)`},
		{map[string]any{"x": []any{1.0, map[string]any{"y": uint8(1)}}}, `cannot encode uint8 as TOML (key y)`},
	} {
		_, err := encodeDoc(tc.m)
		if err == nil || err.Error() != tc.want {
			t.Errorf("encodeDoc(%v) = %v, want %s", tc.m, err, tc.want)
		}
	}
}

// benchCatalog is like the bench command's catalogue: nModels models on
// nProviders providers of the common types, every tenth an embedding model,
// every twentieth sharing the name of the one before, and a function of
// three weighted variants per 30 models.
func benchCatalog(nProviders, nModels int) Catalog {
	b := newBuilder()
	types := []registry.ProviderType{registry.ProviderOllama, registry.ProviderVLLM, registry.ProviderOpenAICompatible,
		registry.ProviderAnthropic, registry.ProviderOpenAICompatible}
	for i := range nProviders {
		t := types[i%len(types)]
		base, env := fmt.Sprintf("https://api.bench-%d.example/v1", i), fmt.Sprintf("BENCH_%d_API_KEY", i)
		switch t {
		case registry.ProviderOllama:
			base, env = fmt.Sprintf("http://bench-ollama-%d:11434", i), ""
		case registry.ProviderVLLM:
			base, env = fmt.Sprintf("http://bench-vllm-%d:8000/v1", i), ""
		case registry.ProviderAnthropic:
			base = "https://api.anthropic.com/v1/messages"
		}
		b.provider(fmt.Sprintf("bench_provider_%02d", i), t, base, env, nil)
	}
	var chat []string
	for i := range nModels {
		p := b.c.Providers[i%nProviders]
		name, typ := fmt.Sprintf("bench_model_%05d", i), registry.ModelChat
		switch {
		case i%10 == 9 && p.Type != registry.ProviderAnthropic:
			typ = registry.ModelEmbedding
		case i%20 == 1:
			name = b.c.Models[i-1].Name
		}
		id := fmt.Sprintf("bench/model-%05d", i)
		b.model(p.Name, name, id, typ, nil)
		if typ == registry.ModelChat {
			chat = append(chat, p.Name+"/"+id)
		}
	}
	for f := range max(1, nModels/30) {
		for v, w := range []float64{70, 30, 1} {
			prio := 1
			if v == 2 {
				prio = 2
			}
			b.mapping(fmt.Sprintf("bench-service-%02d", f%20), fmt.Sprintf("bench_fn_%04d", f), fmt.Sprintf("variant_%d", v),
				chat[(3*f+v)%len(chat)], prio, w, "")
		}
	}
	return b.c
}

// BenchmarkRenderSteps times Render's steps on 1,000 models: building the
// tree, and encoding it (and, for comparison, encoding it the old way).
func BenchmarkRenderSteps(b *testing.B) {
	c := benchCatalog(10, 1000)
	root := build(c).root
	b.Run("build", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			build(c)
		}
	})
	b.Run("encodeDoc", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := encodeDoc(root); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("oracle", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := oracleEncodeDoc(root); err != nil {
				b.Fatal(err)
			}
		}
	})
}
