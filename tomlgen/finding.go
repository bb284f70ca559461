package tomlgen

import (
	"fmt"
	"sort"
)

// Severity of a Finding.
const (
	SeverityError   = "error"   // the gateway would refuse to start, or the item was left out
	SeverityWarning = "warning" // accepted, but deprecated, test-only, unverifiable or left out on purpose
)

// Finding is one problem in a configuration: its severity, the dotted TOML
// path of the key it concerns (non-bare keys quoted), and what is wrong.
type Finding struct {
	Severity string `json:"severity"`
	Path     string `json:"path"`
	Message  string `json:"message"`
}

// String formats a finding as "severity: path: message".
func (f Finding) String() string { return f.Severity + ": " + f.Path + ": " + f.Message }

// findings collects findings while a document is checked or rendered.
type findings []Finding

func (fs *findings) errorf(p, format string, args ...any) {
	*fs = append(*fs, Finding{SeverityError, p, fmt.Sprintf(format, args...)})
}

func (fs *findings) warnf(p, format string, args ...any) {
	*fs = append(*fs, Finding{SeverityWarning, p, fmt.Sprintf(format, args...)})
}

// sorted returns the findings ordered by path, severity and message, without
// duplicates.
func (fs findings) sorted() []Finding {
	out := append([]Finding(nil), fs...)
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Severity != b.Severity {
			return a.Severity < b.Severity
		}
		return a.Message < b.Message
	})
	n := 0
	for i, f := range out {
		if i > 0 && f == out[n-1] {
			continue
		}
		out[n] = f
		n++
	}
	return out[:n]
}

// HasErrors reports whether any finding is an error.
func HasErrors(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}
