package tzsync

import (
	"bytes"
	"strconv"
	"strings"
)

// lineKind is what a line of a TOML document is at the top level of the
// document, outside any multi-line value.
type lineKind uint8

const (
	kindValue   lineKind = iota // a key/value line, or a line inside a multi-line value
	kindBlank                   // only white space
	kindComment                 // a comment line
	kindHeader                  // a table header: [table] or [[array.of.tables]]
)

// line is one line of a document: its bytes are doc[start:end], newline
// included.
type line struct {
	start, end int
	kind       lineKind
}

// scanLines splits doc into lines and says what each is. It follows strings
// (basic, literal and multi-line), comments and the brackets of arrays and
// inline tables through the lines, so that a line inside a multi-line string
// or array is never taken for a header, a comment or a marker.
func scanLines(doc []byte) []line {
	var lines []line
	var st scanState
	for start := 0; start < len(doc); {
		end := len(doc)
		if i := bytes.IndexByte(doc[start:], '\n'); i >= 0 {
			end = start + i + 1
		}
		text := doc[start:end]
		kind := kindValue
		if st.top() {
			switch t := bytes.TrimSpace(text); {
			case len(t) == 0:
				kind = kindBlank
			case t[0] == '#':
				kind = kindComment
			case t[0] == '[':
				kind = kindHeader
			}
		}
		if kind == kindValue {
			st.scan(text)
		}
		lines = append(lines, line{start: start, end: end, kind: kind})
		start = end
	}
	return lines
}

// scanState is where a scan stands between lines: inside a multi-line
// string, or inside brackets of a value.
type scanState struct {
	multi byte // '"' or '\'' inside a multi-line string, else 0
	depth int  // open [ and { of a value
}

func (s *scanState) top() bool { return s.multi == 0 && s.depth == 0 }

// scan follows one line of a value.
func (s *scanState) scan(text []byte) {
	for i := 0; i < len(text); i++ {
		c := text[i]
		if s.multi != 0 {
			switch {
			case c == '\\' && s.multi == '"':
				i++ // an escaped character, possibly a quote
			case c == s.multi:
				// Three or more quotes close the string; up to two of them
				// may belong to its content.
				n := run(text[i:], c)
				if n >= 3 {
					s.multi = 0
				}
				i += n - 1
			}
			continue
		}
		switch c {
		case '#':
			return // a comment runs to the end of the line
		case '"', '\'':
			if run(text[i:], c) >= 3 {
				s.multi = c
				i += 2
				continue
			}
			// A one-line string: skip to its closing quote.
			for i++; i < len(text) && text[i] != c && text[i] != '\n'; i++ {
				if c == '"' && text[i] == '\\' {
					i++
				}
			}
		case '[', '{':
			s.depth++
		case ']', '}':
			if s.depth > 0 {
				s.depth--
			}
		}
	}
}

// run counts the bytes c at the start of b.
func run(b []byte, c byte) int {
	n := 0
	for n < len(b) && b[n] == c {
		n++
	}
	return n
}

// headerPath returns the keys of a table header line ([a."b.c".d] gives a,
// b.c, d), or nil when the line does not read as one.
func headerPath(text []byte) []string {
	s := strings.TrimSpace(string(text))
	closing := "]"
	switch {
	case strings.HasPrefix(s, "[["):
		s, closing = s[2:], "]]"
	case strings.HasPrefix(s, "["):
		s = s[1:]
	default:
		return nil
	}
	var path []string
	for {
		s = strings.TrimLeft(s, " \t")
		key, rest, ok := cutKey(s)
		if !ok {
			return nil
		}
		path = append(path, key)
		s = strings.TrimLeft(rest, " \t")
		switch {
		case strings.HasPrefix(s, "."):
			s = s[1:]
		case strings.HasPrefix(s, closing):
			if rest := strings.TrimSpace(s[len(closing):]); rest == "" || rest[0] == '#' {
				return path
			}
			return nil
		default:
			return nil
		}
	}
}

// cutKey reads one key at the start of s: bare, "basic" (with escapes) or
// 'literal'.
func cutKey(s string) (key, rest string, ok bool) {
	switch {
	case s == "":
		return "", "", false
	case s[0] == '"':
		for i := 1; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case '"':
				key, err := strconv.Unquote(s[:i+1])
				return key, s[i+1:], err == nil
			}
		}
		return "", "", false
	case s[0] == '\'':
		i := strings.IndexByte(s[1:], '\'')
		if i < 0 {
			return "", "", false
		}
		return s[1 : i+1], s[i+2:], true
	}
	i := 0
	for i < len(s) && (s[i] >= 'A' && s[i] <= 'Z' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= '0' && s[i] <= '9' || s[i] == '_' || s[i] == '-') {
		i++
	}
	return s[:i], s[i:], i > 0
}
