package postgrest

import (
	"context"
	"testing"

	"github.com/pmoves/model-registry/devstack/postgrest/conformance"
)

// TestConformance runs the PostgREST conformance subset in testdata against
// in-process servers over the fixture database.
func TestConformance(t *testing.T) {
	cases, err := conformance.LoadCases("testdata/conformance/cases")
	if err != nil {
		t.Fatal(err)
	}
	runner, err := NewConformanceRunner(fixtureDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer runner.Close()
	passed, failed := 0, 0
	for _, c := range cases {
		ok := t.Run(c.Name, func(t *testing.T) {
			if err := runner.Run(context.Background(), c); err != nil {
				t.Errorf("%s (%s)\n%v", c.Name, c.Feature, err)
			}
		})
		if ok {
			passed++
		} else {
			failed++
		}
	}
	t.Logf("%d passed, %d failed", passed, failed)
}
