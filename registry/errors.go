package registry

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Sentinel errors. Callers branch on the kind with errors.Is, never on the
// message; lower layers wrap these with context.
var (
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("conflict")
	ErrInvalid      = errors.New("invalid")
	ErrUnauthorized = errors.New("unauthorized")
	ErrUnavailable  = errors.New("upstream unavailable")
)

// ValidationError reports invalid input field by field. Its keys are the JSON
// field names of the input; its values say what is wrong. It matches
// ErrInvalid under errors.Is.
type ValidationError struct {
	Fields map[string]string
}

// Error lists the fields in a stable order.
func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Invalid returns a ValidationError for one field.
func Invalid(field, format string, args ...any) *ValidationError {
	return &ValidationError{Fields: map[string]string{field: fmt.Sprintf(format, args...)}}
}

// fieldErrors collects field problems while a Validate method runs.
type fieldErrors map[string]string

func (f fieldErrors) add(field, format string, args ...any) {
	if _, dup := f[field]; !dup {
		f[field] = fmt.Sprintf(format, args...)
	}
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &ValidationError{Fields: f}
}

func (f fieldErrors) set(field, msg string) {
	if _, dup := f[field]; !dup {
		f[field] = msg
	}
}
