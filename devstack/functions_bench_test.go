package devstack_test

import (
	"context"
	"testing"

	"github.com/pmoves/model-registry/devstack/dbtest"
)

// BenchmarkCatalogRefresh compares, in PostgreSQL, what a refresh of an
// unchanged catalogue of about 1,000 models costs: the catalogue version
// the registry asks for now, against reading the four lists it rendered
// from (what every refresh read before).
//
//	go test -run '^$' -bench CatalogRefresh ./devstack/
func BenchmarkCatalogRefresh(b *testing.B) {
	ctx := context.Background()
	conn := dbtest.Connect(b, dbtest.New(b, dbtest.TemplateSeeded))
	if _, err := conn.Exec(ctx, `
INSERT INTO pmoves_core.models (provider_id, name, model_id, model_type)
SELECT p.id, 'bulk_' || i, 'bulk-' || i || ':7b', 'chat'
  FROM pmoves_core.model_providers p, generate_series(1, 950) i WHERE p.name = 'ollama_local';
ANALYZE;`); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, sql string }{
		{"version", `SELECT pmoves_core.registry_catalog_version()`},
		{"read", `SELECT (SELECT json_agg(p) FROM pmoves_core.model_providers p WHERE active)::text,
			(SELECT json_agg(m) FROM pmoves_core.v_active_models m)::text,
			(SELECT json_agg(s) FROM pmoves_core.v_mappings s)::text,
			(SELECT json_agg(t) FROM pmoves_core.tensorzero_passthrough t)::text`},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				var out []any
				rows, err := conn.Query(ctx, c.sql)
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
					if out, err = rows.Values(); err != nil {
						b.Fatal(err)
					}
				}
				rows.Close()
				if rows.Err() != nil || len(out) == 0 {
					b.Fatal(rows.Err())
				}
			}
		})
	}
}
