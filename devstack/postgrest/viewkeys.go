package postgrest

import "strconv"

// targetEntry is one output column of a view's top-level query, with the
// table column it passes through (origRel 0 when it is computed).
type targetEntry struct {
	resno   int
	origRel int64
	origCol int
}

// parseTargetList reads the top-level target list out of a view rule's
// node-tree text (pg_rewrite.ev_action), e.g.
//
//	({QUERY ... :targetList ({TARGETENTRY :expr {VAR ...} :resno 1
//	  :resname id ... :resorigtbl 16390 :resorigcol 1 :resjunk false}) ...})
func parseTargetList(action string) []targetEntry {
	toks := nodeTokens(action)
	braces := 0
	for i := 0; i < len(toks); i++ {
		switch toks[i] {
		case "{":
			braces++
		case "}":
			braces--
		case ":targetList":
			if braces == 1 {
				return readTargetEntries(toks[i+1:])
			}
		}
	}
	return nil
}

func readTargetEntries(toks []string) []targetEntry {
	if len(toks) == 0 || toks[0] != "(" {
		return nil
	}
	var out []targetEntry
	var cur *targetEntry
	parens, braces, junk := 0, 0, false
	for i := 0; i < len(toks); i++ {
		switch tok := toks[i]; tok {
		case "(":
			parens++
		case ")":
			parens--
			if parens == 0 {
				return out
			}
		case "{":
			braces++
			if braces == 1 {
				cur, junk = &targetEntry{}, false
			}
		case "}":
			braces--
			if braces == 0 && cur != nil {
				if !junk {
					out = append(out, *cur)
				}
				cur = nil
			}
		default:
			if braces != 1 || cur == nil || i+1 >= len(toks) {
				continue
			}
			val := toks[i+1]
			switch tok {
			case ":resno":
				cur.resno, _ = strconv.Atoi(val)
			case ":resorigtbl":
				cur.origRel, _ = strconv.ParseInt(val, 10, 64)
			case ":resorigcol":
				cur.origCol, _ = strconv.Atoi(val)
			case ":resjunk":
				junk = val == "true"
			}
		}
	}
	return out
}

// nodeTokens splits PostgreSQL's node output into tokens: the brackets
// "(){}" stand alone, other tokens end at unescaped white space or a
// bracket, and a backslash escapes the next character.
func nodeTokens(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case ' ', '\n', '\t', '\r':
			i++
			continue
		case '(', ')', '{', '}':
			toks = append(toks, s[i:i+1])
			i++
			continue
		}
		var b []byte
		for i < len(s) {
			c = s[i]
			if c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '(' || c == ')' || c == '{' || c == '}' {
				break
			}
			if c == '\\' && i+1 < len(s) {
				i++
				c = s[i]
			}
			b = append(b, c)
			i++
		}
		toks = append(toks, string(b))
	}
	return toks
}
