package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Python-compatible canonical JSON, the bytes the platform signs.

func isIntLiteral(s string) bool { return !strings.ContainsAny(s, ".eE") }

// CanonicalJSON writes v as Python's json.dumps(v, sort_keys=True,
// separators=(",", ":")) writes the same value:
//   - object keys sorted by code point, no white space;
//   - strings ASCII-only: \" \\ \b \f \n \r \t, other characters outside
//     0x20..0x7e as lowercase \uXXXX, astral ones as surrogate pairs, and no
//     HTML escaping;
//   - json.Number literals without '.', 'e' or 'E' as Python ints (the digits
//     as written, -0 as 0), others as Python floats;
//   - float64 as Python's repr: shortest round-trip digits, fixed notation
//     with at least one decimal ("1.0") when -4 <= exponent < 16, otherwise
//     "1e-05" or "1.5e+16"; NaN and ±Inf as NaN and ±Infinity;
//   - true, false, null.
//
// v may hold nil, bool, string, json.Number, float64, int, int64,
// json.RawMessage (parsed with json.Number), map[string]any,
// map[string]float64, []any and []string.
func CanonicalJSON(v any) ([]byte, error) {
	return appendCanonical(nil, v)
}

func appendCanonical(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case string:
		return appendPyString(b, x), nil
	case json.Number:
		return appendPyNumber(b, string(x))
	case float64:
		return appendPyFloat(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case json.RawMessage:
		dec := json.NewDecoder(bytes.NewReader(x))
		dec.UseNumber()
		var g any
		if err := dec.Decode(&g); err != nil {
			return nil, fmt.Errorf("canonical JSON: %w", err)
		}
		return appendCanonical(b, g)
	case map[string]float64:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = e
		}
		return appendCanonical(b, m)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(appendPyString(b, k), ':')
			var err error
			if b, err = appendCanonical(b, x[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []string:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = e
		}
		return appendCanonical(b, a)
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendCanonical(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	return nil, fmt.Errorf("canonical JSON: unsupported type %T", v)
}

const hexDigits = "0123456789abcdef"

func appendPyString(b []byte, s string) []byte {
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"':
			b = append(b, '\\', '"')
		case r == '\\':
			b = append(b, '\\', '\\')
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r == '\b':
			b = append(b, '\\', 'b')
		case r == '\f':
			b = append(b, '\\', 'f')
		case r >= 0x20 && r <= 0x7e:
			b = append(b, byte(r))
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			b = appendU4(appendU4(b, r1), r2)
		default:
			b = appendU4(b, r)
		}
	}
	return append(b, '"')
}

func appendU4(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

func appendPyNumber(b []byte, lit string) ([]byte, error) {
	if isIntLiteral(lit) {
		digits := strings.TrimPrefix(lit, "-")
		if digits == "" || strings.Trim(digits, "0123456789") != "" {
			return nil, fmt.Errorf("canonical JSON: %q is not a number", lit)
		}
		digits = strings.TrimLeft(digits, "0")
		if digits == "" {
			return append(b, '0'), nil
		}
		if lit[0] == '-' {
			b = append(b, '-')
		}
		return append(b, digits...), nil
	}
	n, err := strconv.ParseFloat(lit, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return nil, fmt.Errorf("canonical JSON: %q is not a number", lit)
	}
	return appendPyFloat(b, n), nil
}

// appendPyFloat writes Python's repr(f).
func appendPyFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // [-]d[.ddd]e±dd
	if s[0] == '-' {
		b = append(b, '-')
		s = s[1:]
	}
	mant, exps, _ := strings.Cut(s, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(exps)
	if exp < -4 || exp >= 16 {
		b = append(b, digits[0])
		if len(digits) > 1 {
			b = append(append(b, '.'), digits[1:]...)
		}
		b = append(b, 'e')
		if exp < 0 {
			b, exp = append(b, '-'), -exp
		} else {
			b = append(b, '+')
		}
		if exp < 10 {
			b = append(b, '0')
		}
		return strconv.AppendInt(b, int64(exp), 10)
	}
	switch point := exp + 1; {
	case point <= 0:
		b = append(append(b, "0."...), strings.Repeat("0", -point)...)
		return append(b, digits...)
	case point < len(digits):
		return append(append(append(b, digits[:point]...), '.'), digits[point:]...)
	default:
		b = append(append(b, digits...), strings.Repeat("0", point-len(digits))...)
		return append(b, ".0"...)
	}
}
