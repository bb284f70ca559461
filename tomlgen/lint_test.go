package tomlgen

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestLintFixtures pins what the lint finds in every fixture: the findings
// are in testdata/lint/<fixture>.golden, and the counts are spelled out here.
func TestLintFixtures(t *testing.T) {
	want := map[string]struct{ errors, warnings int }{
		// Legacy per-variant weights, deprecated.
		"al-codaio-grammarly-tz.toml": {0, 6},
		"pmoves-4d409f35.toml":        {0, 0},
		"pmoves-afad45de.toml":        {0, 0},
		// Top-level [evaluations] and "uniform" experimentation, deprecated.
		"shuyangli-llm-plays-balatro.toml": {0, 2},
		// Top-level [evaluations], deprecated.
		"tensorzero-core-fixture.toml": {0, 1},
		// 45 provider blocks of the test-only type dummy; an Authorization
		// header with a literal value.
		"tensorzero-e2e-models.toml": {45, 1},
		// Three variants use the test-only dummy:: shorthand; [evaluations]
		// is deprecated; adaptive experimentation needs Postgres.
		"tensorzero-ui-fixture.toml": {3, 2},
	}
	for _, name := range fixtures(t) {
		base := filepath.Base(name)
		t.Run(base, func(t *testing.T) {
			fs, err := Lint(mustRead(t, name))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("lint", strings.TrimSuffix(base, ".toml")+".golden"), []byte(findingLines(fs)))
			var errs, warns int
			for _, f := range fs {
				if f.Severity == SeverityError {
					errs++
				} else {
					warns++
				}
			}
			w, ok := want[base]
			if !ok {
				t.Fatalf("no expectation for %s", base)
			}
			if errs != w.errors || warns != w.warnings {
				t.Errorf("%d errors and %d warnings, want %d and %d:\n%s", errs, warns, w.errors, w.warnings, findingLines(fs))
			}
			for _, f := range fs {
				if f.Severity == SeverityError && !strings.Contains(f.Message, "dummy") {
					t.Errorf("unexpected error: %s", f)
				}
			}
		})
	}
}

func TestLintNotTOML(t *testing.T) {
	if _, err := Lint([]byte("[models\n")); err == nil {
		t.Fatal("no error for a document that is not TOML")
	}
	fs, err := Lint(nil)
	if err != nil || len(fs) != 0 {
		t.Fatalf("empty document: %v %v", fs, err)
	}
}
