package postgrest

// A small parser-combinator core that follows Parsec's semantics (consumed
// versus empty replies, try, error merging and labels), so that parse errors
// read exactly like PostgREST's: `"failed to parse order (x)" (line 1,
// column 17)` with details such as `unexpected 't' expecting "," or end of
// input`.

import (
	"strconv"
	"strings"
	"unicode"
)

type srcPos struct{ line, col int }

func (p srcPos) cmp(o srcPos) int {
	switch {
	case p.line != o.line:
		return cmpInt(p.line, o.line)
	default:
		return cmpInt(p.col, o.col)
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (p srcPos) next(c rune) srcPos {
	switch c {
	case '\n':
		return srcPos{p.line + 1, 1}
	case '\t':
		return srcPos{p.line, p.col + 8 - (p.col-1)%8}
	}
	return srcPos{p.line, p.col + 1}
}

// Message kinds, in Parsec's sort order.
const (
	msgSysUnExpect = iota
	msgUnExpect
	msgExpect
	msgMessage
)

type pmsg struct {
	kind int
	text string
}

// perr is a Parsec ParseError; no messages means an "unknown" error.
type perr struct {
	pos  srcPos
	msgs []pmsg
}

func mergeErr(e1, e2 perr) perr {
	if len(e2.msgs) == 0 && len(e1.msgs) > 0 {
		return e1
	}
	if len(e1.msgs) == 0 && len(e2.msgs) > 0 {
		return e2
	}
	switch e1.pos.cmp(e2.pos) {
	case 0:
		msgs := make([]pmsg, 0, len(e1.msgs)+len(e2.msgs))
		return perr{e1.pos, append(append(msgs, e1.msgs...), e2.msgs...)}
	case 1:
		return e1
	}
	return e2
}

func setExpect(e perr, label string) perr {
	msgs := make([]pmsg, 1, len(e.msgs)+1)
	msgs[0] = pmsg{msgExpect, label}
	for _, m := range e.msgs {
		if m.kind != msgExpect {
			msgs = append(msgs, m)
		}
	}
	return perr{e.pos, msgs}
}

// describe renders the messages like Parsec's showErrorMessages with
// newlines turned into spaces and the result trimmed, as PostgREST does.
func (e perr) describe() string {
	if len(e.msgs) == 0 {
		return "unknown parse error"
	}
	var byKind [4][]string
	for _, m := range e.msgs { // stable "sort" by kind
		byKind[m.kind] = append(byKind[m.kind], m.text)
	}
	var parts []string
	if len(byKind[msgUnExpect]) == 0 && len(byKind[msgSysUnExpect]) > 0 {
		first := byKind[msgSysUnExpect][0]
		if first == "" {
			parts = append(parts, "unexpected end of input")
		} else {
			parts = append(parts, "unexpected "+first)
		}
	}
	if s := showMany("unexpected", byKind[msgUnExpect]); s != "" {
		parts = append(parts, s)
	}
	if s := showMany("expecting", byKind[msgExpect]); s != "" {
		parts = append(parts, s)
	}
	if s := showMany("", byKind[msgMessage]); s != "" {
		parts = append(parts, s)
	}
	return strings.TrimSpace(strings.Join(parts, " "))
}

func showMany(pre string, msgs []string) string {
	ms := clean(msgs)
	if len(ms) == 0 {
		return ""
	}
	var s string
	if len(ms) == 1 {
		s = ms[0]
	} else {
		s = strings.Join(ms[:len(ms)-1], ", ") + " or " + ms[len(ms)-1]
	}
	if pre == "" {
		return s
	}
	return pre + " " + s
}

func clean(msgs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range msgs {
		if m != "" && !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}

type pstate struct {
	in  []rune
	i   int
	pos srcPos
}

type reply[T any] struct {
	val      T
	st       pstate
	err      perr
	consumed bool
	ok       bool
}

type parser[T any] func(pstate) reply[T]

// runParser parses input and reports a failure as PostgREST's QPError pair.
func runParser[T any](p parser[T], name, input string) (T, *qpError) {
	r := p(pstate{in: []rune(input), pos: srcPos{1, 1}})
	if !r.ok {
		var zero T
		return zero, &qpError{
			message: `"` + name + `" (line ` + strconv.Itoa(r.err.pos.line) + ", column " + strconv.Itoa(r.err.pos.col) + ")",
			details: r.err.describe(),
		}
	}
	return r.val, nil
}

// qpError is a query parameter parse error (PGRST100).
type qpError struct{ message, details string }

func satisfy(f func(rune) bool) parser[rune] {
	return func(s pstate) reply[rune] {
		if s.i >= len(s.in) {
			return reply[rune]{st: s, err: perr{s.pos, []pmsg{{msgSysUnExpect, ""}}}}
		}
		c := s.in[s.i]
		if !f(c) {
			return reply[rune]{st: s, err: perr{s.pos, []pmsg{{msgSysUnExpect, hsShowString(string(c))}}}}
		}
		ns := pstate{s.in, s.i + 1, s.pos.next(c)}
		return reply[rune]{val: c, st: ns, err: perr{pos: ns.pos}, consumed: true, ok: true}
	}
}

func char(c rune) parser[rune] {
	return label(satisfy(func(r rune) bool { return r == c }), hsShowString(string(c)))
}

func oneOf(cs string) parser[rune] {
	return satisfy(func(r rune) bool { return strings.ContainsRune(cs, r) })
}

func noneOf(cs string) parser[rune] {
	return satisfy(func(r rune) bool { return !strings.ContainsRune(cs, r) })
}

var (
	anyChar = satisfy(func(rune) bool { return true })
	letter  = label(satisfy(unicode.IsLetter), "letter")
	digit   = label(satisfy(func(r rune) bool { return r >= '0' && r <= '9' }), "digit")
)

// anyToken accepts any character without moving the position (Parsec's
// generic anyToken cannot compute one).
func anyToken(s pstate) reply[rune] {
	if s.i >= len(s.in) {
		return reply[rune]{st: s, err: perr{s.pos, []pmsg{{msgSysUnExpect, ""}}}}
	}
	ns := pstate{s.in, s.i + 1, s.pos}
	return reply[rune]{val: s.in[s.i], st: ns, err: perr{pos: ns.pos}, consumed: true, ok: true}
}

var eof = label(notFollowedBy(anyToken, hsShowChar), "end of input")

// str is Parsec's string (tokens): the error is reported at the start.
func str(lit string) parser[string] {
	rs := []rune(lit)
	shown := hsShowString(lit)
	return func(s pstate) reply[string] {
		for k, t := range rs {
			if s.i+k >= len(s.in) {
				return reply[string]{st: s, consumed: k > 0,
					err: perr{s.pos, []pmsg{{msgExpect, shown}, {msgSysUnExpect, ""}}}}
			}
			if x := s.in[s.i+k]; x != t {
				return reply[string]{st: s, consumed: k > 0,
					err: perr{s.pos, []pmsg{{msgExpect, shown}, {msgSysUnExpect, hsShowString(string(x))}}}}
			}
		}
		if len(rs) == 0 {
			return reply[string]{val: lit, st: s, err: perr{pos: s.pos}, ok: true}
		}
		ns := s
		for _, c := range rs {
			ns.pos = ns.pos.next(c)
		}
		ns.i += len(rs)
		return reply[string]{val: lit, st: ns, err: perr{pos: ns.pos}, consumed: true, ok: true}
	}
}

func pure[T any](v T) parser[T] {
	return func(s pstate) reply[T] { return reply[T]{val: v, st: s, err: perr{pos: s.pos}, ok: true} }
}

// zero is Parsec's mzero: an empty failure with an unknown error.
func zero[T any]() parser[T] {
	return func(s pstate) reply[T] { return reply[T]{st: s, err: perr{pos: s.pos}} }
}

func unexpected[T any](msg string) parser[T] {
	return func(s pstate) reply[T] {
		return reply[T]{st: s, err: perr{s.pos, []pmsg{{msgUnExpect, msg}}}}
	}
}

func label[T any](p parser[T], msg string) parser[T] {
	return func(s pstate) reply[T] {
		r := p(s)
		if r.consumed || (r.ok && len(r.err.msgs) == 0) {
			return r
		}
		r.err = setExpect(r.err, msg)
		return r
	}
}

func try[T any](p parser[T]) parser[T] {
	return func(s pstate) reply[T] {
		r := p(s)
		if r.consumed && !r.ok {
			r.consumed = false
		}
		return r
	}
}

func alt[T any](ps ...parser[T]) parser[T] {
	return func(s pstate) reply[T] {
		r := ps[0](s)
		for _, q := range ps[1:] {
			if r.consumed || r.ok {
				return r
			}
			r2 := q(s)
			if r2.consumed {
				return r2
			}
			r2.err = mergeErr(r.err, r2.err)
			r = r2
		}
		return r
	}
}

func bind[A, B any](p parser[A], f func(A) parser[B]) parser[B] {
	return func(s pstate) reply[B] {
		r := p(s)
		if !r.ok {
			return reply[B]{st: r.st, err: r.err, consumed: r.consumed}
		}
		r2 := f(r.val)(r.st)
		if r2.consumed {
			return r2
		}
		if len(r.err.msgs) > 0 {
			r2.err = mergeErr(r.err, r2.err)
		}
		r2.consumed = r.consumed
		return r2
	}
}

func fmap[A, B any](p parser[A], f func(A) B) parser[B] {
	return func(s pstate) reply[B] {
		r := p(s)
		out := reply[B]{st: r.st, err: r.err, consumed: r.consumed, ok: r.ok}
		if r.ok {
			out.val = f(r.val)
		}
		return out
	}
}

// right is p *> q; left is p <* q.
func right[A, B any](p parser[A], q parser[B]) parser[B] {
	return bind(p, func(A) parser[B] { return q })
}

func left[A, B any](p parser[A], q parser[B]) parser[A] {
	return bind(p, func(a A) parser[A] { return fmap(q, func(B) A { return a }) })
}

func as[A, B any](p parser[A], v B) parser[B] { return fmap(p, func(A) B { return v }) }

func many[T any](p parser[T]) parser[[]T] {
	return func(s pstate) reply[[]T] {
		var out []T
		consumed := false
		for {
			r := p(s)
			if r.consumed {
				if !r.ok {
					return reply[[]T]{st: r.st, err: r.err, consumed: true}
				}
				out = append(out, r.val)
				s, consumed = r.st, true
				continue
			}
			if r.ok {
				panic("postgrest: many applied to a parser that accepts the empty string")
			}
			return reply[[]T]{val: out, st: s, err: r.err, consumed: consumed, ok: true}
		}
	}
}

func many1[T any](p parser[T]) parser[[]T] {
	return bind(p, func(x T) parser[[]T] {
		return fmap(many(p), func(xs []T) []T { return append([]T{x}, xs...) })
	})
}

func sepBy1[T, S any](p parser[T], sep parser[S]) parser[[]T] {
	return bind(p, func(x T) parser[[]T] {
		return fmap(many(right(sep, p)), func(xs []T) []T { return append([]T{x}, xs...) })
	})
}

func sepBy[T, S any](p parser[T], sep parser[S]) parser[[]T] {
	return alt(sepBy1(p, sep), pure[[]T](nil))
}

func optionMaybe[T any](p parser[T]) parser[*T] {
	return alt(fmap(p, func(v T) *T { return &v }), pure[*T](nil))
}

func option[T any](def T, p parser[T]) parser[T] { return alt(p, pure(def)) }

func between[O, C, T any](open parser[O], close parser[C], p parser[T]) parser[T] {
	return right(open, left(p, close))
}

func lookAhead[T any](p parser[T]) parser[T] {
	return func(s pstate) reply[T] {
		r := p(s)
		if r.ok {
			return reply[T]{val: r.val, st: s, err: perr{pos: s.pos}, ok: true}
		}
		return r
	}
}

// notFollowedBy p = try (do { c <- try p; unexpected (show c) } <|> return ()).
func notFollowedBy[T any](p parser[T], show func(T) string) parser[struct{}] {
	return try(alt(
		bind(try(p), func(c T) parser[struct{}] { return unexpected[struct{}](show(c)) }),
		pure(struct{}{}),
	))
}

func void[T any](p parser[T]) parser[struct{}] { return as(p, struct{}{}) }

func runesToString(rs []rune) string { return string(rs) }

// hsShowString renders s like Haskell's show for String.
func hsShowString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	rs := []rune(s)
	for i, c := range rs {
		if c == '"' {
			b.WriteString(`\"`)
			continue
		}
		writeHsChar(&b, c, i+1 < len(rs) && rs[i+1] >= '0' && rs[i+1] <= '9')
	}
	b.WriteByte('"')
	return b.String()
}

// hsShowChar renders c like Haskell's show for Char.
func hsShowChar(c rune) string {
	var b strings.Builder
	b.WriteByte('\'')
	if c == '\'' {
		b.WriteString(`\'`)
	} else {
		writeHsChar(&b, c, false)
	}
	b.WriteByte('\'')
	return b.String()
}

var hsAsciiNames = [...]string{"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "a", "b", "t", "n", "v", "f", "r",
	"SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US"}

func writeHsChar(b *strings.Builder, c rune, nextIsDigit bool) {
	switch {
	case c == '\\':
		b.WriteString(`\\`)
	case c < 0x20:
		b.WriteString(`\` + hsAsciiNames[c])
	case c == 0x7f:
		b.WriteString(`\DEL`)
	case c > 0x7f:
		b.WriteString(`\` + strconv.Itoa(int(c)))
		if nextIsDigit {
			b.WriteString(`\&`)
		}
	default:
		b.WriteRune(c)
	}
}
