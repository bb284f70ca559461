// Package conformance runs the PostgREST conformance cases
// (milmazz/postgrest-conformance, YAML files) against a PostgREST-compatible
// server: it builds the fixture database, routes each case to a server
// configuration, sends its request and checks every expectation.
package conformance

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Case is one conformance case file.
type Case struct {
	ID      int
	Name    string // file name without ".yaml", e.g. "1000_path_relation_resolution"
	Feature string
	Schema  string
	Config  map[string]any // nil when the case has no config block
	Request Request
	Expect  map[string]any
}

// Request is a case's HTTP request.
type Request struct {
	Method  string
	Path    string
	Headers map[string]string
	JWT     *JWT
	Body    []byte // nil: no body
}

// JWT asks the runner to sign Payload and send it as a bearer token.
type JWT struct {
	SignWith string
	Payload  map[string]any
}

// LoadCases reads every *.yaml case in dir, sorted by id.
func LoadCases(dir string) ([]Case, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("conformance: no *.yaml cases in %s", dir)
	}
	var cases []Case
	var errs []error
	for _, f := range files {
		c, err := loadCase(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cases = append(cases, c)
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].ID < cases[j].ID })
	return cases, errors.Join(errs...)
}

func loadCase(path string) (Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Case{}, err
	}
	var raw struct {
		ID      int            `yaml:"id"`
		Feature string         `yaml:"feature"`
		Schema  string         `yaml:"schema"`
		Config  map[string]any `yaml:"config"`
		Request map[string]any `yaml:"request"`
		Expect  map[string]any `yaml:"expect"`
	}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return Case{}, fmt.Errorf("%s: %w", path, err)
	}
	c := Case{ID: raw.ID, Name: strings.TrimSuffix(filepath.Base(path), ".yaml"), Feature: raw.Feature,
		Schema: raw.Schema, Config: raw.Config, Expect: raw.Expect}
	if c.Expect == nil {
		return Case{}, fmt.Errorf("%s: no expect block", path)
	}
	req, err := parseRequest(raw.Request)
	if err != nil {
		return Case{}, fmt.Errorf("%s: %w", path, err)
	}
	c.Request = req
	return c, nil
}

func parseRequest(m map[string]any) (Request, error) {
	var r Request
	if kind, _ := m["kind"].(string); kind == "cli" {
		return r, errors.New("CLI cases are not supported")
	}
	r.Method, _ = m["method"].(string)
	r.Path, _ = m["path"].(string)
	if r.Method == "" || r.Path == "" {
		return r, errors.New("request needs method and path")
	}
	r.Headers = map[string]string{}
	if hs, ok := m["headers"].(map[string]any); ok {
		for k, v := range hs {
			r.Headers[k] = fmt.Sprint(v)
		}
	}
	if j, ok := m["jwt"].(map[string]any); ok {
		r.JWT = &JWT{}
		r.JWT.SignWith, _ = j["sign_with"].(string)
		r.JWT.Payload, _ = j["payload"].(map[string]any)
	}
	switch {
	case m["body_raw"] != nil:
		s, ok := m["body_raw"].(string)
		if !ok {
			return r, errors.New("body_raw must be a string")
		}
		r.Body = []byte(s)
	case m["body_json"] != nil:
		b, err := marshalJSON(m["body_json"])
		if err != nil {
			return r, err
		}
		r.Body = b
	case m["body"] != nil:
		if s, ok := m["body"].(string); ok {
			r.Body = []byte(s)
		} else {
			b, err := marshalJSON(m["body"])
			if err != nil {
				return r, err
			}
			r.Body = b
		}
	}
	return r, nil
}
