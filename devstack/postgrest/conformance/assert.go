package conformance

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// check verifies every key under expect; an unknown key is an error.
func check(expect map[string]any, resp *http.Response, body []byte) error {
	var diffs []string
	add := func(format string, args ...any) { diffs = append(diffs, fmt.Sprintf(format, args...)) }
	keys := make([]string, 0, len(expect))
	for k := range expect {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := expect[k]
		switch k {
		case "status":
			if n, ok := v.(int); !ok || n != resp.StatusCode {
				add("status: got %d, want %v", resp.StatusCode, v)
			}
		case "headers":
			for name, want := range asMap(v) {
				got, present := header(resp.Header, name)
				if !present || got != fmt.Sprint(want) {
					add("header %s: got %s, want %q", name, showHeader(got, present), fmt.Sprint(want))
				}
			}
		case "headers_present":
			for _, name := range asList(v) {
				if _, ok := header(resp.Header, fmt.Sprint(name)); !ok {
					add("header %s: missing", name)
				}
			}
		case "headers_absent":
			for _, name := range asList(v) {
				if got, ok := header(resp.Header, fmt.Sprint(name)); ok {
					add("header %s: got %q, want absent", name, got)
				}
			}
		case "headers_match":
			for name, pattern := range asMap(v) {
				got, ok := header(resp.Header, name)
				re, err := regexp.Compile(fmt.Sprint(pattern))
				if err != nil {
					add("headers_match %s: bad pattern: %v", name, err)
				} else if !ok || !re.MatchString(got) {
					add("header %s: got %s, want match %q", name, showHeader(got, ok), pattern)
				}
			}
		case "headers_absent_in_value":
			for name, subs := range asMap(v) {
				got, _ := header(resp.Header, name)
				for _, sub := range asList(subs) {
					if strings.Contains(got, fmt.Sprint(sub)) {
						add("header %s: %q contains %q", name, got, sub)
					}
				}
			}
		case "headers_no_blank":
			if v == true {
				for name, vals := range resp.Header {
					for _, val := range vals {
						if strings.TrimSpace(val) == "" {
							add("header %s is blank", name)
						}
					}
				}
			}
		case "body_exact", "body_json":
			if err := checkBodyJSON(v, body); err != nil {
				add("%s: %v", k, err)
			}
		case "body_contains":
			for _, sub := range asList(v) {
				if !strings.Contains(string(body), fmt.Sprint(sub)) {
					add("body does not contain %q; body: %s", sub, body)
				}
			}
		case "body_raw":
			if string(body) != fmt.Sprint(v) {
				add("body_raw: got %q, want %q", body, v)
			}
		case "body_jsonpath":
			for _, e := range asList(v) {
				if err := checkJSONPath(asMap(e), body); err != nil {
					add("body_jsonpath: %v", err)
				}
			}
		default:
			add("expectation %q is not supported by this runner", k)
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	return errors.New(strings.Join(diffs, "\n"))
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asList(v any) []any {
	switch l := v.(type) {
	case []any:
		return l
	case nil:
		return nil
	}
	return []any{v}
}

// header folds repeated values with ", " (Set-Cookie with newlines).
func header(h http.Header, name string) (string, bool) {
	vals, ok := h[http.CanonicalHeaderKey(name)]
	if !ok {
		return "", false
	}
	sep := ", "
	if strings.EqualFold(name, "Set-Cookie") {
		sep = "\n"
	}
	return strings.Join(vals, sep), true
}

func showHeader(v string, present bool) string {
	if !present {
		return "(absent)"
	}
	return strconv.Quote(v)
}

// checkBodyJSON compares decoded JSON; null or "" means an empty body.
func checkBodyJSON(want any, body []byte) error {
	if want == nil || want == "" {
		if len(body) != 0 {
			return fmt.Errorf("want an empty body, got %s", body)
		}
		return nil
	}
	var got any
	if err := json.Unmarshal(body, &got); err != nil {
		return fmt.Errorf("body is not JSON (%v): %q", err, body)
	}
	wantJSON, err := normalize(want)
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(got, wantJSON) {
		w, _ := marshalJSON(wantJSON)
		return fmt.Errorf("\n got %s\nwant %s", body, w)
	}
	return nil
}

// normalize turns a YAML value into what encoding/json would decode.
func normalize(v any) (any, error) {
	b, err := marshalJSON(v)
	if err != nil {
		return nil, err
	}
	var out any
	return out, json.Unmarshal(b, &out)
}

var pathStepRE = regexp.MustCompile(`\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\['([^']*)'\]`)

func checkJSONPath(e map[string]any, body []byte) error {
	path := fmt.Sprint(e["path"])
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return fmt.Errorf("%s: body is not JSON: %q", path, body)
	}
	val, found := lookupPath(doc, path)
	switch {
	case e["equals"] != nil || hasKey(e, "equals"):
		want, err := normalize(e["equals"])
		if err != nil {
			return err
		}
		if !found || !reflect.DeepEqual(val, want) {
			return fmt.Errorf("%s: got %v (found %v), want %v", path, val, found, want)
		}
	case e["present"] == true || e["exists"] == true:
		if !found {
			return fmt.Errorf("%s: missing", path)
		}
	case e["absent"] == true:
		if found {
			return fmt.Errorf("%s: present (%v), want absent", path, val)
		}
	default:
		return fmt.Errorf("%s: no predicate", path)
	}
	return nil
}

func hasKey(m map[string]any, k string) bool { _, ok := m[k]; return ok }

func lookupPath(doc any, path string) (any, bool) {
	if !strings.HasPrefix(path, "$") {
		return nil, false
	}
	rest := path[1:]
	cur := doc
	for rest != "" {
		m := pathStepRE.FindStringSubmatchIndex(rest)
		if m == nil || m[0] != 0 {
			return nil, false
		}
		sub := pathStepRE.FindStringSubmatch(rest)
		rest = rest[m[1]:]
		switch {
		case sub[1] != "" || sub[3] != "":
			key := sub[1] + sub[3]
			obj, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			if cur, ok = obj[key]; !ok {
				return nil, false
			}
		default:
			i, _ := strconv.Atoi(sub[2])
			arr, ok := cur.([]any)
			if !ok || i >= len(arr) {
				return nil, false
			}
			cur = arr[i]
		}
	}
	return cur, true
}
