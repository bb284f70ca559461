package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestOpenAPIQueryParametersAreTheHandlers checks the documented query
// parameters against the handlers: a handler refuses an unknown parameter,
// before it reads the store, with a message that lists the ones it knows.
// Routes that document no query parameter are skipped (some of them never
// look at the query, and would go on to the store this server lacks).
func TestOpenAPIQueryParametersAreTheHandlers(t *testing.T) {
	const key = "test-key"
	s := New(Config{Keys: []string{key}})
	knownRE := regexp.MustCompile(`\(known: (.*)\)$`)
	pathValue := strings.NewReplacer("{id}", "8b5d3a0e-6f1c-4b2e-9a77-0c1d2e3f4a5b",
		"{service}", "svc", "{function}", "fn", "{variant}", "v", "{alias}", "a")
	checked := 0
	for op, def := range documentedOperations(servedDocument(t)) {
		var documented []string
		params, _ := def["parameters"].([]any)
		for _, p := range params {
			if p := p.(map[string]any); p["in"] == "query" {
				documented = append(documented, p["name"].(string))
			}
		}
		if len(documented) == 0 {
			continue
		}
		checked++
		method, path, _ := strings.Cut(op, " ")
		req := httptest.NewRequest(method, pathValue.Replace(path)+"?zz_unknown=1", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s: the handler went past the query check: %v", op, p)
				}
			}()
			s.ServeHTTP(rec, req)
		}()
		var body errorBody
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		m := knownRE.FindStringSubmatch(body.Error.Fields["zz_unknown"])
		if rec.Code != http.StatusBadRequest || m == nil {
			t.Errorf("%s: an unknown parameter got %d %s", op, rec.Code, rec.Body)
			continue
		}
		sameSet(t, op+": query parameters (documented vs handler)", documented, strings.Split(m[1], ", "))
	}
	if checked < 9 {
		t.Errorf("only %d operations with query parameters", checked)
	}
}
