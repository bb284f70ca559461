package api

import (
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestOpenAPIIsBuiltOnce(t *testing.T) {
	a, err := openapiJSON()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := openapiJSON()
	if &a[0] != &b[0] {
		t.Error("the document is rebuilt on each call")
	}
}

func TestDocsPage(t *testing.T) {
	r := serve(t, New(Config{}), "/docs")
	body, _ := io.ReadAll(r.Body)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /docs: %d %s", r.StatusCode, body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q", ct)
	}
	page := string(body)
	for key, op := range documentedOperations(servedDocument(t)) {
		_, path, _ := strings.Cut(key, " ")
		if !strings.Contains(page, ">"+html.EscapeString(path)+"<") {
			t.Errorf("the page lacks %s", path)
		}
		if id := op["operationId"].(string); !strings.Contains(page, `id="op-`+id+`"`) {
			t.Errorf("the page lacks operation %s", id)
		}
	}
	for _, name := range []string{"ProviderInput", "DeploymentRegistration", "Error"} {
		if !strings.Contains(page, `id="schema-`+name+`"`) {
			t.Errorf("the page lacks schema %s", name)
		}
	}
	// Nothing is fetched: no scripts, no external styles or fonts.
	external := regexp.MustCompile(`(?i)<script|<link|@import|url\(|(src|href)\s*=\s*["']?(https?:)?//`)
	if m := external.FindString(page); m != "" {
		t.Errorf("the page references something external: %q", m)
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
}
