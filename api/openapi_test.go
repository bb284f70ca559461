package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// These tests build the server without a store: the two documentation
// routes never touch it.

func serve(t *testing.T, s *Server, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Result()
}

// servedDocument fetches /openapi.json and decodes it generically, so the
// tests check what clients get, not the Go values it was built from.
func servedDocument(t *testing.T) map[string]any {
	t.Helper()
	r := serve(t, New(Config{}), "/openapi.json")
	body, _ := io.ReadAll(r.Body)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d %s", r.StatusCode, body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("/openapi.json is not JSON: %v", err)
	}
	return doc
}

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// documentedOperations lists "METHOD /path" for every operation of doc.
func documentedOperations(doc map[string]any) map[string]map[string]any {
	ops := map[string]map[string]any{}
	for path, item := range doc["paths"].(map[string]any) {
		for _, m := range httpMethods {
			if op, ok := item.(map[string]any)[m].(map[string]any); ok {
				ops[strings.ToUpper(m)+" "+path] = op
			}
		}
	}
	return ops
}

var echoParamRE = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// registeredRoutes lists "METHOD /path" for every route on the Echo
// instance, with Echo's :name parameters written as OpenAPI's {name}.
// Echo's pseudo-methods (RouteNotFound's "echo_route_not_found") are not
// operations.
func registeredRoutes(e *echo.Echo) map[string]bool {
	routes := map[string]bool{}
	for _, r := range e.Routes() {
		if strings.HasPrefix(r.Method, "echo_") {
			continue
		}
		routes[r.Method+" "+echoParamRE.ReplaceAllString(r.Path, "{$1}")] = true
	}
	return routes
}

// coverage reports the routes the document lacks and the operations no
// route serves.
func coverage(routes map[string]bool, ops map[string]map[string]any) (undocumented, unserved []string) {
	for r := range routes {
		if _, ok := ops[r]; !ok {
			undocumented = append(undocumented, r)
		}
	}
	for o := range ops {
		if !routes[o] {
			unserved = append(unserved, o)
		}
	}
	sort.Strings(undocumented)
	sort.Strings(unserved)
	return undocumented, unserved
}

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	ops := documentedOperations(servedDocument(t))
	s := New(Config{})
	routes := registeredRoutes(s.echo)
	if len(routes) < 30 {
		t.Fatalf("only %d routes registered: %v", len(routes), routes)
	}
	undocumented, unserved := coverage(routes, ops)
	for _, r := range undocumented {
		t.Errorf("route %s is registered but not in the OpenAPI document (openapi_paths.go)", r)
	}
	for _, o := range unserved {
		t.Errorf("operation %s is documented but no route serves it", o)
	}

	// The check notices a route added without documentation.
	s.echo.PATCH("/api/deployments/:id", func(echo.Context) error { return nil })
	if undocumented, _ := coverage(registeredRoutes(s.echo), ops); !slices.Equal(undocumented, []string{"PATCH /api/deployments/{id}"}) {
		t.Errorf("an undocumented route went unnoticed: %v", undocumented)
	}
}

func TestOpenAPIDocumentIsWellFormed(t *testing.T) {
	doc := servedDocument(t)
	if v, _ := doc["openapi"].(string); !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(v) {
		t.Errorf("openapi = %q, want 3.1.x", v)
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] == "" || info["version"] == "" {
		t.Errorf("info lacks title or version: %v", info)
	}

	// Every $ref resolves.
	var refs []string
	walk(doc, func(m map[string]any) {
		if r, ok := m["$ref"].(string); ok {
			refs = append(refs, r)
		}
	})
	if len(refs) < 50 {
		t.Errorf("only %d $refs", len(refs))
	}
	for _, r := range refs {
		if _, err := resolve(doc, r); err != "" {
			t.Errorf("$ref %s: %s", r, err)
		}
	}

	tags := map[string]bool{}
	for _, tag := range doc["tags"].([]any) {
		tags[tag.(map[string]any)["name"].(string)] = true
	}
	schemes := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
	ids := map[string]string{}
	for key, op := range documentedOperations(doc) {
		method, path, _ := strings.Cut(key, " ")
		id, _ := op["operationId"].(string)
		if id == "" || ids[id] != "" {
			t.Errorf("%s: operationId %q missing or also used by %s", key, id, ids[id])
		}
		ids[id] = key
		for _, tag := range op["tags"].([]any) {
			if !tags[tag.(string)] {
				t.Errorf("%s: tag %q is not declared", key, tag)
			}
		}
		checkParameters(t, doc, key, path, op)
		checkResponses(t, doc, key, path, op)
		checkSecurity(t, key, method, path, op, schemes)
		if rb, ok := op["requestBody"].(map[string]any); ok {
			for ct, media := range rb["content"].(map[string]any) {
				s := deref(doc, media.(map[string]any)["schema"])
				if ct == "application/json" && s["additionalProperties"] != false {
					t.Errorf("%s: request body schema accepts unknown fields; decode refuses them", key)
				}
			}
		}
	}
}

// checkParameters: each {name} of the path is a required path parameter,
// and there are no others; each query parameter has a schema.
func checkParameters(t *testing.T, doc map[string]any, key, path string, op map[string]any) {
	t.Helper()
	want := map[string]bool{}
	for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(path, -1) {
		want[m[1]] = true
	}
	params, _ := op["parameters"].([]any)
	seen := map[string]bool{}
	for _, p := range params {
		p := deref(doc, p)
		name, in := p["name"].(string), p["in"].(string)
		if seen[in+" "+name] {
			t.Errorf("%s: parameter %s in %s twice", key, name, in)
		}
		seen[in+" "+name] = true
		if p["schema"] == nil {
			t.Errorf("%s: parameter %s has no schema", key, name)
		}
		if in != "path" {
			continue
		}
		if !want[name] || p["required"] != true {
			t.Errorf("%s: path parameter %s is not in the path or not required", key, name)
		}
		delete(want, name)
	}
	for name := range want {
		t.Errorf("%s: path parameter {%s} is not described", key, name)
	}
}

// checkResponses: some success, and every error (4xx, 5xx) answers the
// Error envelope. /api routes all answer 400; routes with a body, 413.
func checkResponses(t *testing.T, doc map[string]any, key, path string, op map[string]any) {
	t.Helper()
	responses, _ := op["responses"].(map[string]any)
	success := false
	for status, r := range responses {
		r := deref(doc, r)
		if r["description"] == nil || r["description"] == "" {
			t.Errorf("%s %s: no description", key, status)
		}
		if status < "400" {
			success = true
			continue
		}
		content, _ := r["content"].(map[string]any)
		media, _ := content["application/json"].(map[string]any)
		if s, _ := media["schema"].(map[string]any); s == nil || s["$ref"] != "#/components/schemas/Error" {
			t.Errorf("%s %s: not the Error envelope", key, status)
		}
	}
	if !success {
		t.Errorf("%s: no success response", key)
	}
	var required []string
	if strings.HasPrefix(path, "/api/") {
		required = append(required, "400", "401", "500")
	}
	if op["requestBody"] != nil {
		required = append(required, "413")
	}
	for _, status := range required {
		if responses[status] == nil {
			t.Errorf("%s: no %s response", key, status)
		}
	}
}

// checkSecurity: writes need a key; reads under /api may (an empty
// requirement first makes it optional); the rest never.
func checkSecurity(t *testing.T, key, method, path string, op map[string]any, schemes map[string]any) {
	t.Helper()
	sec, _ := op["security"].([]any)
	optional := len(sec) > 0 && len(sec[0].(map[string]any)) == 0
	for _, req := range sec {
		for name := range req.(map[string]any) {
			if schemes[name] == nil {
				t.Errorf("%s: security scheme %q is not declared", key, name)
			}
		}
	}
	// The fitness pipeline's lists always need a key (see requireKey).
	keyed := key == "GET /api/model-fitness" || key == "GET /api/model-candidates"
	read := (method == http.MethodGet && !keyed) || key == "POST /api/tensorzero/validate"
	switch {
	case !strings.HasPrefix(path, "/api/"):
		if sec == nil || len(sec) != 0 {
			t.Errorf("%s: must say it needs no key (security: [])", key)
		}
	case read && (!optional || len(sec) != 3):
		t.Errorf("%s: a read must take bearer or apikey optionally: %v", key, sec)
	case !read && (optional || len(sec) != 2):
		t.Errorf("%s: a write must need bearer or apikey: %v", key, sec)
	}
}

// walk calls fn on every object of v.
func walk(v any, fn func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		fn(v)
		for _, c := range v {
			walk(c, fn)
		}
	case []any:
		for _, c := range v {
			walk(c, fn)
		}
	}
}

// resolve follows a local JSON pointer reference.
func resolve(doc map[string]any, ref string) (any, string) {
	pointer, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, "not a local reference"
	}
	var cur any = doc
	for _, part := range strings.Split(pointer, "/") {
		part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
		m, ok := cur.(map[string]any)
		if !ok || m[part] == nil {
			return nil, "no " + part
		}
		cur = m[part]
	}
	return cur, ""
}

// deref returns the object v is, following a $ref.
func deref(doc map[string]any, v any) map[string]any {
	m, _ := v.(map[string]any)
	if r, ok := m["$ref"].(string); ok {
		target, _ := resolve(doc, r)
		m, _ = target.(map[string]any)
	}
	return m
}
