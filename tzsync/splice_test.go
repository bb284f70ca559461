package tzsync

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func lane(name, model string) Lane {
	return Lane{Name: name, TOML: []byte("[models." + name + "]\nrouting = [\"p\"]\n\n[models." + name + ".providers.p]\n" +
		"api_base = \"http://ollama:11434/v1\"\napi_key_location = \"none\"\nmodel_name = \"" + model + "\"\ntype = \"openai\"\n")}
}

const spliceDoc = `# static part
[models.chat_static]
routing = ["p"]

[models.chat_static.providers.p]
type = "openai"
model_name = "m"
api_key_location = "none"

# BEGIN REGISTRY-MANAGED MODELS (generated - do not hand-edit)
# Source of truth: the registry.

# a lane the registry renders
[models.registry_a]
routing = ["old"]

[models.registry_a.providers.old]
type = "openai"
model_name = "old-a"
api_key_location = "none"

# a bootstrap lane the registry does not know
[models.registry_b]
routing = ["cloud"]

[models.registry_b.providers.cloud]
type = "openai"
model_name = "cloud-b" # kept as it is
api_key_location = "none"

# END REGISTRY-MANAGED MODELS

[functions.f]
type = "chat"

[functions.f.variants.v]
type = "chat_completion"
model = "registry_b"
`

// TestSpliceReplacesAndAddsLanes: a lane the registry renders is replaced in
// its place, a lane it does not render keeps its bytes, a new one is added
// after the region's last table; comments and everything outside stay.
func TestSpliceReplacesAndAddsLanes(t *testing.T) {
	lanes := []Lane{lane("registry_a", "new-a"), lane("registry_c", "new-c")}
	got, err := Splice([]byte(spliceDoc), lanes)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(spliceDoc, `# a lane the registry renders
[models.registry_a]
routing = ["old"]

[models.registry_a.providers.old]
type = "openai"
model_name = "old-a"
api_key_location = "none"
`, "# a lane the registry renders\n"+string(lanes[0].TOML), 1)
	want = strings.Replace(want, `model_name = "cloud-b" # kept as it is
api_key_location = "none"
`, `model_name = "cloud-b" # kept as it is
api_key_location = "none"

`+string(lanes[1].TOML), 1)
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("splice (-want +got):\n%s", diff)
	}
	if err := Check(got); err != nil {
		t.Errorf("the spliced file: %v", err)
	}
	again, err := Splice(got, lanes)
	if err != nil || !bytes.Equal(again, got) {
		t.Errorf("a second splice changed the file (%v):\n%s", err, again)
	}
}

// TestSpliceEmptyRegion adds lanes between adjacent markers, after a comment
// preamble, and keeps the file's missing final newline.
func TestSpliceEmptyRegion(t *testing.T) {
	lanes := []Lane{lane("registry_a", "a"), lane("registry_b", "b")}
	for name, c := range map[string]struct{ doc, want string }{
		"adjacent markers": {
			doc:  "[gateway]\n# BEGIN REGISTRY-MANAGED MODELS\n# END REGISTRY-MANAGED MODELS",
			want: "[gateway]\n# BEGIN REGISTRY-MANAGED MODELS\n" + string(lanes[0].TOML) + "\n" + string(lanes[1].TOML) + "# END REGISTRY-MANAGED MODELS",
		},
		"comment and blank lines": {
			doc: "# BEGIN REGISTRY-MANAGED MODELS\n# owned by the registry\n\n\n# END REGISTRY-MANAGED MODELS\n",
			want: "# BEGIN REGISTRY-MANAGED MODELS\n# owned by the registry\n\n" + string(lanes[0].TOML) + "\n" + string(lanes[1].TOML) +
				"\n\n# END REGISTRY-MANAGED MODELS\n",
		},
		"crlf outside": {
			doc:  "[gateway]\r\n  # BEGIN REGISTRY-MANAGED MODELS\r\n  # END REGISTRY-MANAGED MODELS\r\n[functions.f]\r\ntype = \"chat\"\r\n",
			want: "[gateway]\r\n  # BEGIN REGISTRY-MANAGED MODELS\r\n" + string(lanes[0].TOML) + "\n" + string(lanes[1].TOML) + "  # END REGISTRY-MANAGED MODELS\r\n[functions.f]\r\ntype = \"chat\"\r\n",
		},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := Splice([]byte(c.doc), lanes)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, string(got)); diff != "" {
				t.Errorf("splice (-want +got):\n%s", diff)
			}
			if again, _ := Splice(got, lanes); !bytes.Equal(again, got) {
				t.Errorf("not idempotent:\n%s", again)
			}
			if none, _ := Splice(got, nil); !bytes.Equal(none, got) {
				t.Errorf("without lanes the region changed:\n%s", none)
			}
		})
	}
}

// TestSpliceMarkerErrors: missing, repeated or misplaced markers, and
// markers hidden in a multi-line string, are errors naming the problem.
func TestSpliceMarkerErrors(t *testing.T) {
	for name, c := range map[string]struct{ doc, want string }{
		"none":         {"[models.x]\nrouting = []\n", "neither"},
		"no end":       {"# BEGIN REGISTRY-MANAGED MODELS\n[models.x]\n", "no \"# END REGISTRY-MANAGED MODELS\" line"},
		"no begin":     {"[models.x]\n# END REGISTRY-MANAGED MODELS\n", "no \"# BEGIN REGISTRY-MANAGED MODELS\" line"},
		"two begins":   {"# BEGIN REGISTRY-MANAGED MODELS\n# BEGIN REGISTRY-MANAGED MODELS\n# END REGISTRY-MANAGED MODELS\n", "on 2 lines (1, 2)"},
		"two ends":     {"# BEGIN REGISTRY-MANAGED MODELS\n# END REGISTRY-MANAGED MODELS\n# END REGISTRY-MANAGED MODELS\n", "keep one"},
		"end first":    {"# END REGISTRY-MANAGED MODELS\n\n# BEGIN REGISTRY-MANAGED MODELS\n", "(line 1) comes before"},
		"in a string":  {"[gateway]\nx = \"\"\"\n# BEGIN REGISTRY-MANAGED MODELS\n\"\"\"\n# END REGISTRY-MANAGED MODELS\n", "no \"# BEGIN"},
		"in an array":  {"[models.a]\nrouting = [\n# BEGIN REGISTRY-MANAGED MODELS\n\"p\",\n]\n# END REGISTRY-MANAGED MODELS\n", "no \"# BEGIN"},
		"not comments": {"x = \"# BEGIN REGISTRY-MANAGED MODELS\"\ny = \"# END REGISTRY-MANAGED MODELS\"\n", "neither"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Splice([]byte(c.doc), []Lane{lane("registry_a", "a")})
			if !errors.Is(err, ErrMarkers) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want ErrMarkers saying %q", err, c.want)
			}
		})
	}
}

// withMarkers puts an empty marker region into doc before the line that
// starts with before, or at the end.
func withMarkers(doc []byte, before string) []byte {
	const markers = "# BEGIN REGISTRY-MANAGED MODELS (generated - do not hand-edit)\n# END REGISTRY-MANAGED MODELS\n"
	if before != "" {
		if i := bytes.Index(doc, []byte("\n"+before)); i >= 0 {
			return []byte(string(doc[:i+1]) + markers + "\n" + string(doc[i+1:]))
		}
	}
	if len(doc) > 0 && doc[len(doc)-1] != '\n' {
		return []byte(markers + string(doc)) // keep the missing final newline at the end
	}
	return append(append(doc, '\n'), markers...)
}

// outside returns the bytes before the region and from the END line on.
func outside(t *testing.T, doc []byte) (head, tail string) {
	t.Helper()
	b := bytes.Index(doc, []byte(BeginMarker))
	e := bytes.Index(doc, []byte(EndMarker))
	if b < 0 || e < b {
		t.Fatalf("no markers in\n%s", doc)
	}
	nl := bytes.IndexByte(doc[b:], '\n')
	return string(doc[:b+nl+1]), string(doc[e:])
}

// TestSpliceFixtures splices lanes into copies of the real configurations of
// ../shared/fixtures/tensorzero with markers added: the bytes outside the
// region do not change and the result passes the lint.
func TestSpliceFixtures(t *testing.T) {
	lanes := []Lane{lane("registry_worker_a", "qwen3:8b"), lane("registry_worker_b", "llama3.1:8b")}
	for file, before := range map[string]string{
		"pmoves-4d409f35.toml": "[functions.",
		"pmoves-afad45de.toml": "[embedding_models.",
		// No [models] at all, and no final newline.
		"al-codaio-grammarly-tz.toml":      "",
		"shuyangli-llm-plays-balatro.toml": "[functions.",
		"tensorzero-core-fixture.toml":     "",
	} {
		t.Run(file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("..", "..", "shared", "fixtures", "tensorzero", file))
			if err != nil {
				t.Fatalf("the fixtures are needed beside the repository: %v", err)
			}
			doc := withMarkers(raw, before)
			got, err := Splice(doc, lanes)
			if err != nil {
				t.Fatal(err)
			}
			h0, t0 := outside(t, doc)
			h1, t1 := outside(t, got)
			if h0 != h1 || t0 != t1 {
				t.Errorf("bytes outside the markers changed")
			}
			if err := Check(got); err != nil {
				t.Errorf("the spliced file: %v", err)
			}
			for _, l := range lanes {
				if !bytes.Contains(got, l.TOML) {
					t.Errorf("lane %s missing", l.Name)
				}
			}
		})
	}
}

// TestScanLines classifies lines inside multi-line strings and arrays as
// values, whatever they look like.
func TestScanLines(t *testing.T) {
	doc := "a = '''\n[not.a.header]\n'''\nb = \"\"\"x\\\"\"\"\n# still in b\n\"\"\"\n" +
		"c = [ # comment [\n  [1, 2],\n]\n[real]\n# comment\n\n" + `d = "]" # ]` + "\n[[arr.\"q.k\"]]\n"
	var kinds []lineKind
	for _, l := range scanLines([]byte(doc)) {
		kinds = append(kinds, l.kind)
	}
	want := []lineKind{kindValue, kindValue, kindValue, kindValue, kindValue, kindValue,
		kindValue, kindValue, kindValue, kindHeader, kindComment, kindBlank, kindValue, kindHeader}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("kinds (-want +got):\n%s", diff)
	}
	if p := headerPath([]byte(`[[arr."q.k"]] # x`)); !cmp.Equal(p, []string{"arr", "q.k"}) {
		t.Errorf("header path = %q", p)
	}
}

// TestHeaderPath reads the keys of table headers as TOML does.
func TestHeaderPath(t *testing.T) {
	for line, want := range map[string][]string{
		"[models.registry_a]":                              {"models", "registry_a"},
		"  [ models . \"qwen2.5:7b\" . providers.p ]  # x": {"models", "qwen2.5:7b", "providers", "p"},
		`[models.'a.b'."c\"d"]`:                            {"models", "a.b", `c"d`},
		"[[arr.x]]":                                        {"arr", "x"},
		"[models.x] y":                                     nil,
		"[models.]":                                        nil,
		"[models.x":                                        nil,
		"models.x":                                         nil,
	} {
		if got := headerPath([]byte(line)); !cmp.Equal(got, want) {
			t.Errorf("headerPath(%q) = %q, want %q", line, got, want)
		}
	}
}
