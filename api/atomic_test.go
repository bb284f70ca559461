package api_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/pmoves/model-registry/devstack/dbtest"
	"github.com/pmoves/model-registry/registry"
)

// TestDeleteAndConcurrentMappingThroughTheAPI: a mapping created through
// the API while its model is deleted without cascade is never lost: either
// the delete answers 409 or the mapping's creation fails, never both win.
func TestDeleteAndConcurrentMappingThroughTheAPI(t *testing.T) {
	t.Parallel()
	s := newStack(t, dbtest.TemplateEmpty)
	var p registry.Provider
	s.do("POST", "/api/providers", map[string]any{"name": "ollama", "type": "ollama"}).must(t, 201, &p)
	conn := dbtest.Connect(t, s.db)
	for i := range 25 {
		var m registry.Model
		s.do("POST", "/api/models", map[string]any{"provider_id": p.ID, "name": "m", "model_id": fmt.Sprint("m", i),
			"model_type": "chat"}).must(t, 201, &m)
		var wg sync.WaitGroup
		var del, mapping response
		wg.Go(func() { del = s.do("DELETE", "/api/models/"+m.ID, nil) })
		wg.Go(func() {
			mapping = s.do("POST", "/api/mappings", map[string]any{"service_name": "svc", "function_name": "chat",
				"variant_name": fmt.Sprint("v", i), "model_id": m.ID})
		})
		wg.Wait()
		if del.Status == 204 && mapping.Status == 201 {
			t.Fatalf("round %d: the model was deleted and the mapping created: the mapping is lost", i)
		}
		if del.Status != 204 && del.Status != 409 || mapping.Status != 201 && mapping.Status/100 != 4 {
			t.Fatalf("round %d: delete %d %s, mapping %d %s", i, del.Status, del.Body, mapping.Status, mapping.Body)
		}
		var orphans int
		if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pmoves_core.service_model_mappings s
			WHERE NOT EXISTS (SELECT FROM pmoves_core.models m WHERE m.id = s.model_id)`).Scan(&orphans); err != nil || orphans != 0 {
			t.Fatalf("round %d: %d mappings on deleted models (%v)", i, orphans, err)
		}
	}
}
