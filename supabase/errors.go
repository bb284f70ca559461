package supabase

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/pmoves/model-registry/registry"
)

// Error is a failed PostgREST call: an error response, an answer that is not
// PostgREST's (an HTML page from a proxy, a truncated or non-JSON body), or no
// answer at all (connection refused, deadline exceeded; Status is then 0).
// errors.Is matches it against the registry sentinel of its kind (see Kind)
// and against the underlying transport error, if any.
type Error struct {
	Status  int    // HTTP status; 0 when no response arrived
	Code    string // PostgREST code (PGRSTnnn) or PostgreSQL SQLSTATE; "" if none
	Message string
	Details string
	Hint    string

	kind  error // registry sentinel, or nil for an internal error
	cause error // transport or decoding failure, if any
}

// Error describes the failure. It never holds the service key.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("supabase: ")
	if e.Status != 0 {
		fmt.Fprintf(&b, "HTTP %d ", e.Status)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, "(%s) ", e.Code)
	}
	b.WriteString(e.Message)
	if e.Details != "" {
		b.WriteString(": " + e.Details)
	}
	if e.Hint != "" {
		b.WriteString(" (hint: " + e.Hint + ")")
	}
	return b.String()
}

// Unwrap gives the registry sentinel of the error's kind (if it has one) and
// the transport error behind it (if any), for errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.kind != nil {
		errs = append(errs, e.kind)
	}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

// Kind returns the registry sentinel the error matches: ErrNotFound,
// ErrConflict, ErrInvalid or ErrUnavailable; nil means an internal error (a
// request PostgREST could not parse, which is a bug of this package).
func (e *Error) Kind() error { return e.kind }

// kindOf classifies a PostgREST answer. The code decides first, because some
// statuses mislead: PGRST205 (unknown table) is a 404 but means the database
// lacks our schema, and a 401/403 to the service key means misconfiguration,
// not a caller without rights. Both are ErrUnavailable, so the API answers
// 503 "upstream unavailable" instead of 404 or 401.
func kindOf(status int, code, details string) error {
	switch {
	case code == "PGRST116": // singular response with other than one row
		if strings.Contains(details, " 0 rows") {
			return registry.ErrNotFound
		}
		return nil
	case code == "PGRST103": // range not satisfiable
		return registry.ErrInvalid
	case code == "PGRST106", code == "PGRST125": // schema not exposed, bad path
		return registry.ErrUnavailable
	case strings.HasPrefix(code, "PGRST1"): // a request we built badly
		return nil
	case strings.HasPrefix(code, "PGRST"): // connection, schema cache, JWT
		return registry.ErrUnavailable
	case code == "23505", code == "23503", code == "23P01":
		return registry.ErrConflict
	case code == "23502", code == "23514", code == "P0001", strings.HasPrefix(code, "22"):
		return registry.ErrInvalid
	case code == "42501", code == "42P01", code == "42883", code == "42703":
		// no privilege, unknown table/function/column: the database or the
		// key does not match what this service expects.
		return registry.ErrUnavailable
	case code == "40001", code == "40P01": // serialization failure, deadlock
		return registry.ErrUnavailable
	}
	switch {
	case status == http.StatusConflict:
		return registry.ErrConflict
	case status == http.StatusNotFound && code != "":
		return registry.ErrNotFound
	case status == http.StatusBadRequest, status == http.StatusRequestEntityTooLarge,
		status == http.StatusRequestedRangeNotSatisfiable, status == http.StatusUnprocessableEntity:
		return registry.ErrInvalid
	}
	// 401/403 (the service key is wrong), 404 without a PostgREST code (the
	// URL does not point at PostgREST), 5xx, 429, anything else.
	return registry.ErrUnavailable
}

// apiError is PostgREST's error body. Details and hint are usually strings
// or null; anything else is kept as JSON text.
type apiError struct {
	Code    json.RawMessage `json:"code"`
	Message json.RawMessage `json:"message"`
	Details json.RawMessage `json:"details"`
	Hint    json.RawMessage `json:"hint"`
}

func jsonText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// responseError builds the Error for a response with status >= 400.
func (c *Client) responseError(status int, contentType string, body []byte) *Error {
	e := &Error{Status: status}
	var ae apiError
	if err := json.Unmarshal(body, &ae); err != nil || (ae.Code == nil && ae.Message == nil) {
		if contentType == "" {
			contentType = "no content type"
		}
		e.Message = fmt.Sprintf("unexpected %s answer (%s, %d bytes), not a PostgREST error",
			http.StatusText(status), contentType, len(body))
		e.kind = registry.ErrUnavailable
		return e
	}
	e.Code = c.redact(jsonText(ae.Code))
	e.Message = c.redact(jsonText(ae.Message))
	e.Details = c.redact(jsonText(ae.Details))
	e.Hint = c.redact(jsonText(ae.Hint))
	e.kind = kindOf(status, e.Code, e.Details)
	return e
}

// transportError builds the Error for a call that got no usable answer.
func (c *Client) transportError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	msg := err.Error()
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		msg = "no answer from PostgREST before the deadline"
	case errors.Is(err, context.Canceled):
		msg = "request cancelled"
	default:
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) && ue.Unwrap() != nil {
			// url.Error repeats method and URL; keep the reason.
			msg = ue.Unwrap().Error()
		}
	}
	return &Error{Message: "PostgREST unreachable: " + c.redact(msg), kind: registry.ErrUnavailable, cause: err}
}

// malformed builds the Error for a 2xx answer whose body or headers cannot
// be read as PostgREST's.
func (c *Client) malformed(status int, what string, err error) *Error {
	msg := "malformed answer: " + what
	if err != nil {
		msg += ": " + c.redact(err.Error())
	}
	return &Error{Status: status, Message: msg, kind: registry.ErrUnavailable, cause: err}
}

// redact removes the service key from text that came from the network.
func (c *Client) redact(s string) string {
	if c.key == "" || !strings.Contains(s, c.key) {
		return s
	}
	return strings.ReplaceAll(s, c.key, "[REDACTED]")
}

// described gives a PostgREST error a message fit for the API's caller while
// keeping the *Error (and so its kind) reachable through errors.As/Is.
type described struct {
	msg string
	err error
}

func (d *described) Error() string { return d.msg }
func (d *described) Unwrap() error { return d.err }

// unavailable makes err match registry.ErrUnavailable whatever its kind.
type unavailable struct{ err error }

func (u *unavailable) Error() string   { return u.err.Error() }
func (u *unavailable) Unwrap() []error { return []error{registry.ErrUnavailable, u.err} }

var (
	constraintRE = regexp.MustCompile(`constraint "([^"]+)"`)
	keyColumnRE  = regexp.MustCompile(`^Key \(([a-z_]+)\)=`)
	notNullRE    = regexp.MustCompile(`null value in column "([^"]+)"`)
)

// constraint returns the SQLSTATE and constraint name of a PostgREST error
// caused by a constraint violation, or "" for other errors.
func constraint(err error) (code, name string) {
	var e *Error
	if !errors.As(err, &e) || !strings.HasPrefix(e.Code, "23") {
		return "", ""
	}
	if m := constraintRE.FindStringSubmatch(e.Message); m != nil {
		name = m[1]
	}
	return e.Code, name
}

// constraintFields names the input field each constraint of sql/0001_core.sql
// guards. The registry's validation catches these first; this is the
// database's word when it did not (or when another writer got there first).
var constraintFields = map[string][2]string{
	"model_providers_type_check":            {"type", "must be one of " + join(registry.ProviderTypes)},
	"model_providers_name_check":            {"name", "must not be blank"},
	"model_providers_metadata_check":        {"metadata", "must be a JSON object"},
	"models_model_type_check":               {"model_type", "must be one of " + join(registry.ModelTypes)},
	"models_name_check":                     {"name", "name and model_id must not be blank"},
	"models_capabilities_check":             {"capabilities", "must be a JSON array"},
	"models_metadata_check":                 {"metadata", "must be a JSON object"},
	"models_vram_mb_check":                  {"vram_mb", "must not be negative"},
	"models_context_length_check":           {"context_length", "must not be negative"},
	"model_aliases_alias_check":             {"alias", "must not be blank"},
	"service_model_mappings_weight_check":   {"weight", "must be between 0 and 1000"},
	"service_model_mappings_priority_check": {"priority", "must not be negative"},
	"service_model_mappings_params_check":   {"params", "must be a JSON object"},
	"model_deployments_provider_type_check": {"provider_type", "must be one of " + join(registry.DeploymentProviders)},
	"model_deployments_status_check":        {"status", "must be one of " + join(registry.DeploymentStatuses)},
	"model_deployments_vram_check":          {"vram_allocated_mb", "must not be negative"},

	"models_provider_id_fkey":                       {"provider_id", "no such provider"},
	"model_aliases_model_id_fkey":                   {"model_id", "no such model"},
	"service_model_mappings_model_id_fkey":          {"model_id", "no such model"},
	"service_model_mappings_fallback_model_id_fkey": {"fallback_model_id", "no such model"},
	"model_deployments_model_id_fkey":               {"model_id", "no such model"},
}

func join[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// translate turns a constraint violation of a write into what the API's
// caller can act on: a unique violation named in conflicts becomes a conflict
// with that message; a check, not-null or foreign-key violation of the
// written row becomes a *registry.ValidationError on the field. Other errors
// pass unchanged.
func translate(err error, conflicts map[string]string) error {
	code, name := constraint(err)
	if code == "" {
		return err
	}
	var e *Error
	errors.As(err, &e)
	switch code {
	case "23505":
		if msg, ok := conflicts[name]; ok {
			return &described{msg: msg, err: err}
		}
		return &described{msg: "conflict: " + strings.TrimSuffix(e.Details, "."), err: err}
	case "23503":
		if strings.Contains(e.Details, "is still referenced") {
			return &described{msg: "still in use: " + strings.TrimSuffix(e.Details, "."), err: err}
		}
		if f, ok := constraintFields[name]; ok {
			return registry.Invalid(f[0], "%s", f[1])
		}
		if m := keyColumnRE.FindStringSubmatch(e.Details); m != nil {
			return registry.Invalid(m[1], "refers to a row that does not exist")
		}
	case "23514":
		if f, ok := constraintFields[name]; ok {
			return registry.Invalid(f[0], "%s", f[1])
		}
	case "23502":
		if m := notNullRE.FindStringSubmatch(e.Message); m != nil {
			return registry.Invalid(m[1], "is required")
		}
	}
	return err
}
