package postgrest

import (
	"strconv"
	"strings"
)

type qparam struct {
	key, val string
	hasVal   bool
}

// splitQuery splits a raw query string like http-types' parseQueryReplacePlus:
// pairs separated by '&' or ';', '+' decoded as a space, invalid percent
// escapes kept literally.
func splitQuery(raw string) []qparam {
	raw = strings.TrimPrefix(raw, "?")
	if raw == "" {
		return nil
	}
	var out []qparam
	for raw != "" {
		i := strings.IndexAny(raw, "&;")
		var part string
		if i < 0 {
			part, raw = raw, ""
		} else {
			part, raw = raw[:i], raw[i+1:]
		}
		k, v, has := strings.Cut(part, "=")
		out = append(out, qparam{key: urlDecode(k), val: urlDecode(v), hasVal: has})
	}
	return out
}

func urlDecode(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// queryParams is the parsed query string of a request.
type queryParams struct {
	selectItems []selectItem
	order       []orderTerm
	logic       []logicTree
	filters     []filter
	columns     []string // nil when absent
	onConflict  []string
	limit       *int64
	offset      *int64
	args        []qparam // function arguments (/rpc/ only), in query order
}

// parseQuery classifies and parses the query parameters the way PostgREST
// does, reporting errors in its order (order, logic, columns, select,
// filters, on_conflict). Embedded-resource parameters are refused.
func parseQuery(raw string) (*queryParams, *apiError) { return parseQueryFor(raw, false) }

// parseCallQuery parses the query of a function call: a parameter that is
// not reserved, has no "." in its name and whose value has no operator is an
// argument (kept in args), not a filter.
func parseCallQuery(raw string) (*queryParams, *apiError) { return parseQueryFor(raw, true) }

func parseQueryFor(raw string, call bool) (*queryParams, *apiError) {
	qp := &queryParams{selectItems: []selectItem{{kind: selStar}}}
	var orders, logics, filters []qparam
	var sel, cols, onConflict *qparam
	seen := map[string]bool{}
	for _, p := range splitQuery(raw) {
		p := p
		first := !seen[p.key]
		seen[p.key] = true
		switch p.key {
		case "select", "columns", "on_conflict":
			if first && p.hasVal {
				switch p.key {
				case "select":
					sel = &p
				case "columns":
					cols = &p
				default:
					onConflict = &p
				}
			}
			continue
		}
		if !p.hasVal {
			continue
		}
		last := p.key[strings.LastIndexByte(p.key, '.')+1:]
		switch last {
		case "order":
			orders = append(orders, p)
		case "and", "or":
			logics = append(logics, p)
		case "limit", "offset":
			if strings.Contains(p.key, ".") {
				return nil, notEmbedded(p.key)
			}
			// Like Haskell's readMaybe: a value that is not an integer is ignored.
			n, err := strconv.ParseInt(p.val, 10, 64)
			if err != nil || strings.HasPrefix(p.val, "+") {
				continue
			}
			if last == "limit" {
				qp.limit = &n
			} else {
				qp.offset = &n
			}
		default:
			if call && !strings.Contains(p.key, ".") && !hasOperator(p.val) {
				qp.args = append(qp.args, p)
			} else {
				filters = append(filters, p)
			}
		}
	}
	for _, p := range orders {
		if strings.Contains(p.key, ".") {
			return nil, notEmbedded(p.key)
		}
		terms, err := runParser(pOrder, "failed to parse order ("+p.val+")", p.val)
		if err != nil {
			return nil, parseError(err)
		}
		qp.order = append(qp.order, terms...)
	}
	for _, p := range logics {
		key, err := runParser(pLogicPath, "failed to parse logic path ("+p.key+")", p.key)
		if err != nil {
			return nil, parseError(err)
		}
		tree, err := runParser(pLogicTree, "failed to parse logic tree ("+p.val+")", key.op+p.val)
		if err != nil {
			return nil, parseError(err)
		}
		if len(key.embed) > 0 {
			return nil, notEmbedded(key.embed[0])
		}
		qp.logic = append(qp.logic, tree)
	}
	if cols != nil {
		c, err := runParser(pColumns, "failed to parse columns parameter ("+cols.val+")", cols.val)
		if err != nil {
			return nil, parseError(err)
		}
		qp.columns = c
	}
	if sel != nil {
		items, ok := fastSelect(sel.val)
		if !ok {
			var err *qpError
			if items, err = runParser(pSelect, "failed to parse select parameter ("+sel.val+")", sel.val); err != nil {
				return nil, parseError(err)
			}
		}
		qp.selectItems = items
	}
	for _, p := range filters {
		path, ok := treePath{}, plainName(p.key)
		if ok {
			path.fld.name = p.key
		} else {
			var err *qpError
			if path, err = runParser(pTreePath, "failed to parse tree path ("+p.key+")", p.key); err != nil {
				return nil, parseError(err)
			}
		}
		expr, ok := fastFilter(p.val)
		if !ok {
			var err *qpError
			if expr, err = runParser(pFilterExpr, "failed to parse filter ("+p.val+")", p.val); err != nil {
				return nil, parseError(err)
			}
		}
		if len(path.embed) > 0 {
			return nil, notEmbedded(path.embed[0])
		}
		qp.filters = append(qp.filters, filter{fld: path.fld, expr: expr})
	}
	if onConflict != nil {
		c, err := runParser(pColumns, "failed to parse on_conflict parameter ("+onConflict.val+")", onConflict.val)
		if err != nil {
			return nil, parseError(err)
		}
		qp.onConflict = c
	}
	return qp, nil
}

func notEmbedded(resource string) *apiError {
	if i := strings.IndexByte(resource, '.'); i >= 0 {
		resource = resource[:i]
	}
	return newErr(400, "PGRST108", "'"+resource+"' is not an embedded resource in this request").
		withHint("Verify that '" + resource + "' is included in the 'select' query parameter.")
}

// Fast paths for the common shapes; each gives exactly what the full
// grammar gives (TestFastPathsMatchGrammar).

// plainName reports whether s is a field name made of ASCII letters, digits
// and underscores only.
func plainName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func fastSelect(v string) ([]selectItem, bool) {
	if v == "*" {
		return []selectItem{{kind: selStar}}, true
	}
	names := strings.Split(v, ",")
	items := make([]selectItem, len(names))
	for i, n := range names {
		if !plainName(n) {
			return nil, false
		}
		items[i] = selectItem{kind: selField, fld: field{name: n}}
	}
	return items, true
}

var quantOps = map[string]bool{"eq": true, "gte": true, "gt": true, "lte": true, "lt": true,
	"like": true, "ilike": true, "match": true, "imatch": true}

// fastFilter handles "<op>.<value>" for the operators without a list,
// quantifier or negation.
func fastFilter(v string) (opExpr, bool) {
	i := strings.IndexByte(v, '.')
	if i <= 0 {
		return opExpr{}, false
	}
	op := v[:i]
	if _, ok := simpleOps[op]; !ok {
		return opExpr{}, false
	}
	kind := opSimple
	if quantOps[op] {
		kind = opQuant
	}
	return opExpr{kind: kind, op: op, val: v[i+1:]}, true
}

// hasOperator reports whether a query value reads as a filter, like
// PostgREST's QueryParams.hasOperator and hasFtsOperator: its first
// "."-separated part is "is", "in", an operator name, or "not" followed by
// more, or a full-text operator comes before a "(".
func hasOperator(val string) bool {
	parts := strings.Split(val, ".")
	switch {
	case parts[0] == "not" && len(parts) > 1, parts[0] == "is", parts[0] == "in":
		return true
	case argOperators[parts[0]]:
		return true
	}
	head, _, found := strings.Cut(val, "(")
	return found && ftsFuncs[head] != ""
}

// argOperators are the operator names PostgREST's hasOperator knows.
var argOperators = map[string]bool{
	"eq": true, "gte": true, "gt": true, "lte": true, "lt": true, "neq": true, "like": true, "ilike": true,
	"cs": true, "cd": true, "ov": true, "sl": true, "sr": true, "nxr": true, "nxl": true, "adj": true,
	"match": true, "imatch": true, "fts": true, "plfts": true, "phfts": true, "wfts": true,
}
