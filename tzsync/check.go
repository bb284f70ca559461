package tzsync

import (
	"fmt"
	"strings"

	"github.com/pmoves/model-registry/tomlgen"
)

// RejectedError says why a candidate file was not written: it is not TOML
// (Parse), or the lint found errors (Findings holds them all, warnings
// included).
type RejectedError struct {
	Parse    error
	Findings []tomlgen.Finding
}

func (e *RejectedError) Error() string {
	if e.Parse != nil {
		return "the candidate file is " + e.Parse.Error()
	}
	errs := e.errors()
	var parts []string
	for i, f := range errs {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(errs)-3))
			break
		}
		parts = append(parts, f.Path+": "+f.Message)
	}
	return fmt.Sprintf("the candidate file fails the lint with %d errors: %s", len(errs), strings.Join(parts, "; "))
}

func (e *RejectedError) errors() []tomlgen.Finding {
	var out []tomlgen.Finding
	for _, f := range e.Findings {
		if f.Severity == tomlgen.SeverityError {
			out = append(out, f)
		}
	}
	return out
}

// Check accepts a candidate file that parses as TOML and has no error-level
// finding of tomlgen.Lint; otherwise it returns a *RejectedError.
func Check(doc []byte) error {
	findings, err := tomlgen.Lint(doc)
	if err != nil {
		return &RejectedError{Parse: err}
	}
	if tomlgen.HasErrors(findings) {
		return &RejectedError{Findings: findings}
	}
	return nil
}
