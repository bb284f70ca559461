package conformance

import (
	"net/http"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	resp := &http.Response{StatusCode: 201, Header: http.Header{
		"Content-Range": {"*/*"}, "Vary": {"a", "b"}, "Content-Length": {"0"},
	}}
	pass := map[string]any{
		"status":          201,
		"headers":         map[string]any{"content-range": "*/*", "Vary": "a, b"},
		"headers_absent":  []any{"Location"},
		"headers_present": []any{"Content-Length"},
		"headers_match":   map[string]any{"Vary": "^a, "},
		"body_exact":      "",
	}
	if err := check(pass, resp, nil); err != nil {
		t.Errorf("passing expectations failed: %v", err)
	}
	fail := map[string]any{
		"status":         200,
		"headers":        map[string]any{"Location": "/x"},
		"headers_absent": []any{"Vary"},
		"body_exact":     []any{map[string]any{"id": 1}},
		"surprise":       true,
	}
	err := check(fail, resp, nil)
	if err == nil {
		t.Fatal("failing expectations passed")
	}
	for _, want := range []string{"status: got 201, want 200", "header Location: got (absent)", "header Vary: got",
		"body_exact", `expectation "surprise" is not supported`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestJSONBody(t *testing.T) {
	body := []byte(`[{"id": 1, "n": 2.5, "tags": ["a"]}]`)
	if err := checkBodyJSON([]any{map[string]any{"tags": []any{"a"}, "n": 2.5, "id": 1}}, body); err != nil {
		t.Errorf("equal JSON differs: %v", err)
	}
	if err := checkBodyJSON([]any{map[string]any{"id": 2}}, body); err == nil {
		t.Error("different JSON is equal")
	}
	resp := []byte(`{"code": "23503", "list": [{"x": null}]}`)
	for _, tc := range []struct {
		entry map[string]any
		ok    bool
	}{
		{map[string]any{"path": "$.code", "equals": "23503"}, true},
		{map[string]any{"path": "$.code", "equals": "23505"}, false},
		{map[string]any{"path": "$.list[0].x", "present": true}, true},
		{map[string]any{"path": "$.list[1]", "absent": true}, true},
		{map[string]any{"path": "$.nope", "exists": true}, false},
	} {
		if err := checkJSONPath(tc.entry, resp); (err == nil) != tc.ok {
			t.Errorf("%v: err = %v", tc.entry, err)
		}
	}
}

func TestEncodeTargetAndSign(t *testing.T) {
	if got := encodeTarget(`/e?or=(a.eq."x y",b.eq.1)&n=eq.é`); got != `/e?or=(a.eq.%22x%20y%22,b.eq.1)&n=eq.%C3%A9` {
		t.Errorf("encodeTarget = %s", got)
	}
	// The literal token of case 1492, which carries {"role":"postgrest_test_author"}.
	tok, err := SignHS256(map[string]any{"role": "postgrest_test_author"}, TestSecret)
	if err != nil || tok != "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoicG9zdGdyZXN0X3Rlc3RfYXV0aG9yIn0.Xod-F15qsGL0WhdOCr2j3DdKuTw9QJERVgoFD3vGaWA" {
		t.Errorf("SignHS256 = %s, %v", tok, err)
	}
}

func TestLoadCases(t *testing.T) {
	cases, err := LoadCases("../testdata/conformance/cases")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 170 || cases[0].ID != 1000 || cases[len(cases)-1].ID != 10214 {
		t.Errorf("loaded %d cases, first %d, last %d", len(cases), cases[0].ID, cases[len(cases)-1].ID)
	}
	r := &Runner{DBUser: "postgres"}
	for _, c := range cases {
		if _, err := r.InstanceFor(c); err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
	}
}
