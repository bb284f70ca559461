package tomlgen

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
)

// encodeDoc encodes a normalised table (see parseDoc) as a TOML document.
//
// The bytes are those BurntSushi/toml's encoder writes with Indent "" for the
// same table, after two clean-ups: a table with no keys of its own heads no
// header when a sub-table follows (the sub-table's header defines it), and
// every header but a first line has one blank line before it. Keys are sorted,
// a table's plain values come before its sub-tables and arrays of tables, and
// keys and strings are quoted as the encoder quotes them (appendQuoted).
// Writing the document directly, rather than through the encoder's
// reflection, is what keeps Render fast on large catalogues; the tests hold
// the two byte for byte equal.
//
// A value of any other Go type, or a nil, is an error naming the type and
// the key: the tree is built from decoded TOML and strings only, so such a
// value is a bug to report, not something to guess an encoding for.
func encodeDoc(m map[string]any) ([]byte, error) {
	var w docWriter
	if err := w.table(m, false); err != nil {
		return nil, err
	}
	return w.buf, nil
}

// docWriter writes one document. path is the dotted, quoted key of the table
// being written, as its header shows it. keys is a stack of sorted keys that
// nested tables share: each table pushes its keys and pops them when done, so
// sorting allocates nothing once the stack has grown.
type docWriter struct {
	buf  []byte
	path []byte
	keys []string
}

// table writes the keys of m under the header for w.path: [path], or
// [[path]] for an element of an array of tables (element true). The root
// table (empty path) has no header.
func (w *docWriter) table(m map[string]any, element bool) error {
	start := len(w.keys)
	plain, sub := 0, 0
	for k, v := range m {
		switch {
		case isNil(v):
			return w.errorf(k, v)
		case isTable(v):
			sub++
		default:
			plain++
		}
		w.keys = append(w.keys, k)
	}
	keys := w.keys[start:]
	defer func() { w.keys = w.keys[:start] }()
	slices.Sort(keys)

	switch {
	case element:
		w.header("[[", "]]")
	case len(w.path) > 0 && (plain > 0 || sub == 0):
		w.header("[", "]")
	}
	for _, k := range keys {
		if v := m[k]; !isTable(v) {
			w.buf = appendKey(w.buf, k)
			w.buf = append(w.buf, " = "...)
			if err := w.value(k, v); err != nil {
				return err
			}
			w.buf = append(w.buf, '\n')
		}
	}
	for _, k := range keys {
		if v := m[k]; isTable(v) {
			if err := w.subTable(k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// subTable writes v, the value of key k, which is a table or an array of
// tables.
func (w *docWriter) subTable(k string, v any) error {
	n := len(w.path)
	defer func() { w.path = w.path[:n] }()
	if n > 0 {
		w.path = append(w.path, '.')
	}
	w.path = appendKey(w.path, k)
	if t, ok := v.(map[string]any); ok {
		return w.table(t, false)
	}
	for _, e := range v.([]any) {
		if err := w.table(e.(map[string]any), true); err != nil {
			return err
		}
	}
	return nil
}

// header writes a table header for w.path, after a blank line unless it is
// the first line.
func (w *docWriter) header(open, close string) {
	// Make room for the table by doubling the buffer: append grows a large
	// slice by only a quarter at a time, which copies a big document over
	// and over.
	if cap(w.buf)-len(w.buf) < 4<<10 {
		w.buf = slices.Grow(w.buf, max(4<<10, len(w.buf)))
	}
	if len(w.buf) > 0 {
		w.buf = append(w.buf, '\n')
	}
	w.buf = append(w.buf, open...)
	w.buf = append(w.buf, w.path...)
	w.buf = append(w.buf, close...)
	w.buf = append(w.buf, '\n')
}

// value writes v, the value of key k, on one line: a scalar, an array or an
// inline table.
func (w *docWriter) value(k string, v any) error {
	switch t := v.(type) {
	case string:
		w.buf = appendQuoted(w.buf, t)
	case int64:
		w.buf = strconv.AppendInt(w.buf, t, 10)
	case float64:
		w.buf = appendFloat(w.buf, t)
	case bool:
		w.buf = strconv.AppendBool(w.buf, t)
	case time.Time:
		w.buf = appendTime(w.buf, t)
	case []any:
		w.buf = append(w.buf, '[')
		for i, e := range t {
			if i > 0 {
				w.buf = append(w.buf, ", "...)
			}
			if isNil(e) {
				return w.errorf(k, e)
			}
			if err := w.value(k, e); err != nil {
				return err
			}
		}
		w.buf = append(w.buf, ']')
	case map[string]any:
		return w.inlineTable(t)
	default:
		return w.errorf(k, v)
	}
	return nil
}

// inlineTable writes m as {k = v, ...}: plain values first, then tables and
// arrays of tables, each group sorted, as the encoder orders them.
func (w *docWriter) inlineTable(m map[string]any) error {
	start := len(w.keys)
	for k, v := range m {
		if isNil(v) {
			return w.errorf(k, v)
		}
		w.keys = append(w.keys, k)
	}
	keys := w.keys[start:]
	defer func() { w.keys = w.keys[:start] }()
	slices.SortFunc(keys, func(a, b string) int {
		if ta, tb := isTable(m[a]), isTable(m[b]); ta != tb {
			if ta {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	w.buf = append(w.buf, '{')
	for i, k := range keys {
		if i > 0 {
			w.buf = append(w.buf, ", "...)
		}
		w.buf = appendKey(w.buf, k)
		w.buf = append(w.buf, " = "...)
		if err := w.value(k, m[k]); err != nil {
			return err
		}
	}
	w.buf = append(w.buf, '}')
	return nil
}

// errorf reports a value of key k, in the table at w.path, that the writer
// cannot encode.
func (w *docWriter) errorf(k string, v any) error {
	var p []byte
	if len(w.path) > 0 {
		p = append(append(p, w.path...), '.')
	}
	return fmt.Errorf("cannot encode %T as TOML (key %s)", v, appendKey(p, k))
}

// isNil reports whether v is nil, or a nil table or array. The encoder would
// leave such a key out; the tree never holds one, so it is an error here.
func isNil(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case map[string]any:
		return t == nil
	case []any:
		return t == nil
	}
	return false
}

// isTable reports whether v is written under a header of its own: a table,
// or a non-empty array whose elements are all tables (an array of tables).
func isTable(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		return true
	case []any:
		if len(t) == 0 {
			return false
		}
		for _, e := range t {
			if _, ok := e.(map[string]any); !ok {
				return false
			}
		}
		return true
	}
	return false
}

// appendKey appends k as a TOML key: bare when it is non-empty and all
// A-Za-z0-9_-, quoted otherwise, as the encoder decides.
func appendKey(b []byte, k string) []byte {
	if isBareKey(k) {
		return append(b, k...)
	}
	return appendQuoted(b, k)
}

func isBareKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// appendQuoted appends s as a TOML basic string. A string with nothing to
// escape is copied between quotes; any other is quoted by the library itself
// (toml.Key's String quotes and escapes a key that cannot be bare exactly as
// the encoder quotes keys and strings), so the escapes are the encoder's.
func appendQuoted(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c == '"' || c == '\\' {
			return append(b, toml.Key{s}.String()...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendFloat appends f as the encoder writes a float64: nan and inf (signed
// when negative), otherwise the shortest representation, with ".0" added
// when it has neither a decimal point nor an exponent.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		if math.Signbit(f) {
			b = append(b, '-')
		}
		if math.IsNaN(f) {
			return append(b, "nan"...)
		}
		return append(b, "inf"...)
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, 'g', -1, 64)
	for _, c := range b[start:] {
		if c == '.' || c == 'e' {
			return b
		}
	}
	return append(b, ".0"...)
}

// appendTime appends t as the encoder writes a decoded date or time: a local
// datetime, local date or local time (told apart by the Location the decoder
// gives them) without an offset, anything else as RFC 3339. Local values are
// written as the wall clock they were read with. (BurntSushi's encoder
// converts them to UTC first, which shifts them unless TZ is UTC.)
func appendTime(b []byte, t time.Time) []byte {
	z := decodedZones()
	switch t.Location() {
	case z.datetime:
		return t.AppendFormat(b, "2006-01-02T15:04:05.999999999")
	case z.date:
		return t.AppendFormat(b, "2006-01-02")
	case z.time:
		return t.AppendFormat(b, "15:04:05.999999999")
	}
	return t.AppendFormat(b, time.RFC3339Nano)
}

// localZones are the Locations of decoded local datetimes, dates and times.
type localZones struct{ datetime, date, time *time.Location }

// decodedZones asks the decoder for its local Locations once; they are not
// exported by the library.
var decodedZones = sync.OnceValue(func() localZones {
	var v map[string]any
	if _, err := toml.Decode("dt = 2000-01-01T00:00:00\nd = 2000-01-01\nt = 00:00:00\n", &v); err != nil {
		panic("tomlgen: decoding local date-times: " + err.Error())
	}
	zone := func(k string) *time.Location { return v[k].(time.Time).Location() }
	return localZones{zone("dt"), zone("d"), zone("t")}
})
