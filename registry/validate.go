package registry

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameLen is the longest name, alias or identifier the registry accepts.
const MaxNameLen = 200

var (
	uuidRE   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	envVarRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// ValidUUID reports whether s is a UUID in its canonical textual form.
func ValidUUID(s string) bool { return uuidRE.MatchString(s) }

// checkName reports what is wrong with a required name, or "".
func checkName(s string) string {
	switch {
	case s == "":
		return "is required"
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	case utf8.RuneCountInString(s) > MaxNameLen:
		return "must be at most 200 characters"
	case strings.TrimSpace(s) != s:
		return "must not start or end with white space"
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "must not contain control characters"
	}
	return ""
}

// checkGatewayName is checkName plus the TensorZero gateway's reserved prefix,
// for names that become keys of the rendered configuration.
func checkGatewayName(s string) string {
	if msg := checkName(s); msg != "" {
		return msg
	}
	if strings.HasPrefix(s, "tensorzero::") {
		return `must not start with the reserved prefix "tensorzero::"`
	}
	return ""
}

func checkUUID(f fieldErrors, field, v string) {
	switch {
	case v == "":
		f.add(field, "is required")
	case !ValidUUID(v):
		f.add(field, "must be a UUID")
	}
}

func checkOptionalUUID(f fieldErrors, field string, v *string) {
	if v != nil && *v != "" && !ValidUUID(*v) {
		f.add(field, "must be a UUID")
	}
}

func checkAPIBase(f fieldErrors, v *string) {
	if v == nil || *v == "" {
		return
	}
	u, err := url.Parse(*v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		f.add("api_base", "must be an http or https URL")
		return
	}
	if u.User != nil {
		f.add("api_base", "must not carry credentials; name an environment variable in api_key_env_var")
	}
}

func checkEnvVar(f fieldErrors, v *string) {
	if v == nil || *v == "" {
		return
	}
	if !envVarRE.MatchString(*v) || len(*v) > MaxNameLen {
		f.add("api_key_env_var", "must be the name of an environment variable (letters, digits, _), never the key itself")
	}
}

func checkText(f fieldErrors, field string, v *string, max int) {
	if v != nil && utf8.RuneCountInString(*v) > max {
		f.add(field, "must be at most %d characters", max)
	}
	if v != nil && !utf8.ValidString(*v) {
		f.add(field, "must be valid UTF-8")
	}
	if v != nil && strings.ContainsRune(*v, 0) {
		f.add(field, "must not contain NUL characters")
	}
}

// hasNUL reports whether a JSON value holds a NUL character in a string or
// key (PostgreSQL's text and jsonb refuse them).
func hasNUL(raw json.RawMessage) bool {
	if !bytes.Contains(raw, []byte(`\u0000`)) {
		return false
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case string:
			return strings.ContainsRune(x, 0)
		case []any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		case map[string]any:
			for k, e := range x {
				if strings.ContainsRune(k, 0) || walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

func checkNonNegative(f fieldErrors, field string, v *int) {
	if v != nil && *v < 0 {
		f.add(field, "must not be negative")
	}
}

// checkObject accepts an absent value, JSON null, or a JSON object.
func checkObject(f fieldErrors, field string, v json.RawMessage) {
	t := bytes.TrimSpace(v)
	if len(t) == 0 || string(t) == "null" {
		return
	}
	if t[0] != '{' || !json.Valid(t) {
		f.add(field, "must be a JSON object")
		return
	}
	if hasNUL(t) {
		f.add(field, "must not contain NUL characters")
	}
}
