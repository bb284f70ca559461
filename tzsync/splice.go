package tzsync

import (
	"bytes"
	"errors"
	"fmt"
)

// The marker comments of the platform's convention: the registry owns the
// lines between them. A marker line starts with the text (after optional
// indentation) and may go on, e.g. "# BEGIN REGISTRY-MANAGED MODELS
// (generated - do not hand-edit)".
const (
	BeginMarker = "# BEGIN REGISTRY-MANAGED MODELS"
	EndMarker   = "# END REGISTRY-MANAGED MODELS"
)

// ErrMarkers is wrapped by the errors about missing or misplaced marker
// lines.
var ErrMarkers = errors.New("registry-managed markers")

// Lane is the rendered block of one model of the marker region:
// [models.<Name>] and its sub-tables, ending in a newline.
type Lane struct {
	Name string
	TOML []byte
}

// Splice returns doc with the region between the marker lines brought up to
// date with lanes: the tables of a lane already in the region are replaced
// by its block, in the place of the first of them, and the other lanes are
// added after the region's last table, in the order given. Everything else
// is kept byte for byte: the bytes outside the markers, the marker lines,
// and, inside the region, comments and blank lines between tables and the
// tables of models that lanes do not name. The lanes' names must be unique.
func Splice(doc []byte, lanes []Lane) ([]byte, error) {
	lines := scanLines(doc)
	b, e, err := findMarkers(doc, lines)
	if err != nil {
		return nil, err
	}
	byName := make(map[string][]byte, len(lanes))
	for _, l := range lanes {
		byName[l.Name] = l.TOML
	}
	rg := splitRegion(doc, lines[b+1:e])
	regionStart, regionEnd := lines[b].end, lines[e].start

	out := bytes.NewBuffer(make([]byte, 0, len(doc)+len(lanes)*256))
	out.Write(doc[:regionStart])
	out.Write(rg.preamble)
	placed := make(map[string]bool, len(lanes))
	for i, c := range rg.chunks {
		text, managed := byName[c.lane]
		managed = managed && c.lane != ""
		switch {
		case !managed:
			out.Write(c.body)
		case !placed[c.lane]:
			out.Write(text)
			placed[c.lane] = true
		}
		last := i == len(rg.chunks)-1
		// The blank lines between the tables of a replaced lane go with them.
		inner := managed && !last && rg.chunks[i+1].lane == c.lane
		if !last && !inner {
			out.Write(c.tail)
		}
	}
	added := false
	for _, l := range lanes {
		if placed[l.Name] {
			continue
		}
		if added || out.Len() > regionStart && !endsWithBlankLine(out.Bytes()) {
			out.WriteByte('\n')
		}
		out.Write(l.TOML)
		added = true
	}
	out.Write(rg.tail)
	out.Write(doc[regionEnd:])
	return out.Bytes(), nil
}

// findMarkers returns the indexes of the BEGIN and END lines.
func findMarkers(doc []byte, lines []line) (begin, end int, err error) {
	var begins, ends []int
	for i, l := range lines {
		if l.kind != kindComment {
			continue
		}
		t := bytes.TrimSpace(doc[l.start:l.end])
		switch {
		case bytes.HasPrefix(t, []byte(BeginMarker)):
			begins = append(begins, i)
		case bytes.HasPrefix(t, []byte(EndMarker)):
			ends = append(ends, i)
		}
	}
	switch {
	case len(begins) == 0 && len(ends) == 0:
		return 0, 0, fmt.Errorf("%w: the file has neither a %q line nor a %q line; put both around the registry-managed [models] tables",
			ErrMarkers, BeginMarker, EndMarker)
	case len(begins) == 0:
		return 0, 0, fmt.Errorf("%w: the file has no %q line (%q is on line %d)", ErrMarkers, BeginMarker, EndMarker, ends[0]+1)
	case len(ends) == 0:
		return 0, 0, fmt.Errorf("%w: the file has no %q line (%q is on line %d)", ErrMarkers, EndMarker, BeginMarker, begins[0]+1)
	case len(begins) > 1:
		return 0, 0, fmt.Errorf("%w: %q is on %d lines (%s); keep one", ErrMarkers, BeginMarker, len(begins), lineNumbers(begins))
	case len(ends) > 1:
		return 0, 0, fmt.Errorf("%w: %q is on %d lines (%s); keep one", ErrMarkers, EndMarker, len(ends), lineNumbers(ends))
	case ends[0] < begins[0]:
		return 0, 0, fmt.Errorf("%w: %q (line %d) comes before %q (line %d)", ErrMarkers, EndMarker, ends[0]+1, BeginMarker, begins[0]+1)
	}
	return begins[0], ends[0], nil
}

func lineNumbers(idx []int) string {
	var b []byte
	for i, n := range idx {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = fmt.Appendf(b, "%d", n+1)
	}
	return string(b)
}

// region is the content between the marker lines: a preamble before its
// first table, then one chunk per table, then the tail (the last chunk's
// trailing blank and comment lines, or the preamble's trailing blank lines
// when there is no table), where added lanes go before.
type region struct {
	preamble []byte
	chunks   []chunk
	tail     []byte
}

// chunk is one table of the region: its header and key lines (body), and
// the blank and comment lines after them (tail). lane is the model a
// [models.<lane>...] header belongs to, "" for any other table.
type chunk struct {
	lane       string
	body, tail []byte
}

func splitRegion(doc []byte, lines []line) region {
	var rg region
	if len(lines) == 0 {
		return rg
	}
	from, to := lines[0].start, lines[len(lines)-1].end
	var headers []int
	for i, l := range lines {
		if l.kind == kindHeader {
			headers = append(headers, i)
		}
	}
	if len(headers) == 0 {
		// Added lanes go after the last line that is not blank.
		cut := from
		for _, l := range lines {
			if l.kind != kindBlank {
				cut = l.end
			}
		}
		rg.preamble, rg.tail = doc[from:cut], doc[cut:to]
		return rg
	}
	rg.preamble = doc[from:lines[headers[0]].start]
	for n, h := range headers {
		next := len(lines)
		if n+1 < len(headers) {
			next = headers[n+1]
		}
		cut := lines[h].end
		for _, l := range lines[h+1 : next] {
			if l.kind != kindBlank && l.kind != kindComment {
				cut = l.end
			}
		}
		c := chunk{body: doc[lines[h].start:cut], tail: doc[cut:lines[next-1].end]}
		if p := headerPath(doc[lines[h].start:lines[h].end]); len(p) >= 2 && p[0] == "models" {
			c.lane = p[1]
		}
		rg.chunks = append(rg.chunks, c)
	}
	last := &rg.chunks[len(rg.chunks)-1]
	rg.tail, last.tail = last.tail, nil
	return rg
}

// endsWithBlankLine reports whether b ends with a blank line (or is empty).
func endsWithBlankLine(b []byte) bool {
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	i := bytes.LastIndexByte(b, '\n')
	return len(bytes.TrimSpace(b[i+1:])) == 0
}
