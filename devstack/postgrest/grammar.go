package postgrest

// PostgREST's query-parameter grammar (ApiRequest/QueryParams.hs), transcribed
// onto the Parsec-like core in pc.go.

import (
	"strings"
	"unicode"
)

// jsonOp is one JSON path step: "->" or "->>" followed by a key or an index.
type jsonOp struct {
	double bool   // ->>
	key    string // key name, or the signed index for idx
	idx    bool
}

type field struct {
	name string
	path []jsonOp
}

type selectKind int

const (
	selField selectKind = iota
	selStar
	selRelation
	selSpread
	selCount // count() aggregate
)

type selectItem struct {
	kind     selectKind
	fld      field
	cast     string
	alias    string
	agg      string // sum, avg, count, max, min (aggregates are refused)
	children []selectItem
}

type orderTerm struct {
	relation string // non-empty for related orders (refused)
	fld      field
	dir      string // "", "asc", "desc"
	nulls    string // "", "nullsfirst", "nullslast"
}

type opKind int

const (
	opSimple     opKind = iota // neq, cs, cd, ov, sl, sr, nxr, nxl, adj
	opQuant                    // eq, gt, ... optionally with (any)/(all)
	opIn                       // in.(a,b)
	opIs                       // is.null etc.
	opIsDistinct               // isdistinct.v
	opFts                      // fts, plfts, phfts, wfts
)

type opExpr struct {
	not   bool
	kind  opKind
	op    string
	quant string // "", "any", "all"
	val   string
	list  []string
	lang  *string // fts language
}

type filter struct {
	fld  field
	expr opExpr
}

type logicTree struct {
	stmt     *filter
	not      bool
	or       bool
	children []logicTree
}

var (
	pWS         = many(oneOf(" \t"))
	pDelimiter  = label(char('.'), "delimiter (.)")
	pIdentifier = fmap(many1(alt(letter, digit, oneOf("_ $"))), func(rs []rune) string {
		return strings.TrimFunc(string(rs), unicode.IsSpace)
	})
	pQuotedValue = fmap(between(char('"'), char('"'),
		many(alt(noneOf("\\\""), right(char('\\'), anyChar)))), runesToString)
	pDash      = as(try(right(char('-'), notFollowedBy(char('>'), hsShowChar))), '-')
	pFieldName = label(alt(pQuotedValue, sepByDash(pIdentifier)), "field name (* or [a..z0..9_$])")

	pJsonKeyName = label(alt(pQuotedValue, sepByDash(fmap(many1(noneOf("(-:.,>)")), func(rs []rune) string {
		return strings.TrimFunc(string(rs), unicode.IsSpace)
	}))), "any non reserved character different from: .,>()")

	pJsonPath = many(pJsonOperation())
	pField    = lexeme(bind(pFieldName, func(n string) parser[field] {
		return fmap(option(nil, pJsonPath), func(p []jsonOp) field { return field{n, p} })
	}))
	pAliasSep = right(char(':'), notFollowedBy(char(':'), hsShowChar))
	pAlias    = optionMaybe(try(left(pFieldName, pAliasSep)))
	pCast     = optionMaybe(right(str("::"), pIdentifier))
)

func lexeme[T any](p parser[T]) parser[T] { return left(right(pWS, p), pWS) }

func sepByDash(ident parser[string]) parser[string] {
	return fmap(sepBy1(ident, pDash), func(xs []string) string { return strings.Join(xs, "-") })
}

func pJsonOperation() parser[jsonOp] {
	arrow := alt(as(try(str("->>")), true), as(try(str("->")), false))
	end := alt(try(void(lookAhead(str("->")))), try(void(lookAhead(str("::")))),
		try(void(lookAhead(str(".")))), try(void(lookAhead(str(",")))), try(eof))
	idx := left(bind(option('+', char('-')), func(sign rune) parser[string] {
		return fmap(many1(digit), func(ds []rune) string { return string(sign) + string(ds) })
	}), end)
	return bind(arrow, func(double bool) parser[jsonOp] {
		return alt(
			try(fmap(idx, func(v string) jsonOp { return jsonOp{double: double, key: v, idx: true} })),
			try(fmap(pJsonKeyName, func(k string) jsonOp { return jsonOp{double: double, key: k} })),
		)
	})
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// pSelect parses select= (pFieldForest).
var pSelect parser[[]selectItem]

func init() {
	pSelect = sepBy(pFieldTree(), lexeme(char(',')))
}

func pFieldTree() parser[selectItem] {
	forest := func(s pstate) reply[[]selectItem] { return pSelect(s) }
	kids := between(char('('), char(')'), parser[[]selectItem](forest))
	withKids := func(p parser[selectItem]) parser[selectItem] {
		return bind(try(p), func(it selectItem) parser[selectItem] {
			return fmap(kids, func(ks []selectItem) selectItem { it.children = ks; return it })
		})
	}
	return alt(withKids(pSpreadRelation()), withKids(pRelation()), pFieldSelect())
}

func pEmbedParams() parser[struct{}] {
	param := right(char('!'), alt(void(try(str("left"))), void(try(str("inner"))), void(try(pFieldName))))
	return right(optionMaybe(param), void(optionMaybe(param)))
}

func pRelation() parser[selectItem] {
	return lexeme(bind(pAlias, func(alias *string) parser[selectItem] {
		return bind(pFieldName, func(name string) parser[selectItem] {
			if name == "count" {
				return zero[selectItem]()
			}
			return right(pEmbedParams(), as(try(void(lookAhead(str("(")))),
				selectItem{kind: selRelation, fld: field{name: name}, alias: deref(alias)}))
		})
	}))
}

func pSpreadRelation() parser[selectItem] {
	return lexeme(right(str("..."), bind(pFieldName, func(name string) parser[selectItem] {
		return right(pEmbedParams(), as(try(void(lookAhead(str("(")))),
			selectItem{kind: selSpread, fld: field{name: name}}))
	})))
}

func pFieldSelect() parser[selectItem] {
	end := alt(try(void(lookAhead(str(")")))), try(void(lookAhead(str(",")))), try(eof))
	star := try(right(str("*"), as(end, selectItem{kind: selStar})))
	count := try(bind(pAlias, func(alias *string) parser[selectItem] {
		return right(str("count()"), bind(pCast, func(c *string) parser[selectItem] {
			return as(end, selectItem{kind: selCount, alias: deref(alias), cast: deref(c)})
		}))
	}))
	agg := alt(as(str("sum"), "sum"), as(str("avg"), "avg"), as(str("count"), "count"),
		as(try(str("max")), "max"), as(try(str("min")), "min"))
	plain := bind(pAlias, func(alias *string) parser[selectItem] {
		return bind(pField, func(f field) parser[selectItem] {
			return bind(pCast, func(c *string) parser[selectItem] {
				return bind(optionMaybe(try(left(right(char('.'), agg), str("()")))), func(a *string) parser[selectItem] {
					return bind(pCast, func(*string) parser[selectItem] {
						return as(end, selectItem{kind: selField, fld: f, cast: deref(c), alias: deref(alias), agg: deref(a)})
					})
				})
			})
		})
	})
	return lexeme(alt(star, count, plain))
}

var (
	pFilterExpr = pOpExpr(fmap(many(anyChar), runesToString))
	pLogicVal   = alt(
		try(left(pQuotedValue, notFollowedBy(noneOf(",)"), hsShowChar))),
		try(bind(str("{"), func(a string) parser[string] {
			return bind(many(noneOf("{}")), func(b []rune) parser[string] {
				return fmap(str("}"), func(c string) string { return a + string(b) + c })
			})
		})),
		fmap(many(noneOf(",)")), runesToString),
	)
)

func pOpExpr(sval parser[string]) parser[opExpr] {
	ci := func(lit string) parser[string] {
		var p parser[string] = pure("")
		for _, c := range lit {
			c := c
			p = bind(p, func(acc string) parser[string] {
				return fmap(alt(char(c), char(unicode.ToUpper(c))), func(r rune) string { return acc + string(r) })
			})
		}
		return p
	}
	listElem := alt(try(left(pQuotedValue, notFollowedBy(noneOf(",)"), hsShowChar))), fmap(many(noneOf(",)")), runesToString))
	list := right(lexeme(char('(')), left(sepBy1(listElem, char(',')), lexeme(char(')'))))
	pIn := fmap(right(try(right(str("in"), pDelimiter)), list), func(l []string) opExpr { return opExpr{kind: opIn, list: l} })
	isVal := label(alt(
		try(as(ci("null"), "null")), try(as(ci("not_null"), "not_null")), try(as(ci("true"), "true")),
		try(as(ci("false"), "false")), try(as(ci("unknown"), "unknown")),
	), "isVal: (null, not_null, true, false, unknown)")
	pIs := fmap(right(try(right(str("is"), pDelimiter)), isVal), func(v string) opExpr { return opExpr{kind: opIs, val: v} })
	pIsDist := fmap(right(try(right(str("isdistinct"), pDelimiter)), sval), func(v string) opExpr {
		return opExpr{kind: opIsDistinct, val: v}
	})
	keyword := func(words ...string) parser[string] {
		ps := make([]parser[string], len(words))
		for i, w := range words {
			ps[i] = try(str(w))
		}
		return alt(ps...)
	}
	pFts := bind(keyword("fts", "plfts", "phfts", "wfts"), func(op string) parser[opExpr] {
		return bind(optionMaybe(try(between(char('('), char(')'), pIdentifier))), func(lang *string) parser[opExpr] {
			return right(pDelimiter, fmap(sval, func(v string) opExpr { return opExpr{kind: opFts, op: op, lang: lang, val: v} }))
		})
	})
	simple := label(keyword("neq", "cs", "cd", "ov", "sl", "sr", "nxr", "nxl", "adj"), "unknown single value operator")
	pSimple := bind(simple, func(op string) parser[opExpr] {
		return right(pDelimiter, fmap(sval, func(v string) opExpr { return opExpr{kind: opSimple, op: op, val: v} }))
	})
	quantOp := label(keyword("eq", "gte", "gt", "lte", "lt", "like", "ilike", "match", "imatch"), "unknown single value operator")
	quantifier := optionMaybe(try(between(char('('), char(')'), alt(try(str("any")), str("all")))))
	pQuant := bind(quantOp, func(op string) parser[opExpr] {
		return bind(quantifier, func(q *string) parser[opExpr] {
			return right(pDelimiter, fmap(sval, func(v string) opExpr {
				return opExpr{kind: opQuant, op: op, quant: deref(q), val: v}
			}))
		})
	})
	operation := label(alt(pIn, pIs, pIsDist, try(pFts), try(pSimple), try(pQuant)), "operator (eq, gt, ...)")
	not := alt(try(as(right(str("not"), pDelimiter), true)), pure(false))
	return bind(not, func(n bool) parser[opExpr] {
		return fmap(operation, func(e opExpr) opExpr { e.not = n; return e })
	})
}

// pTreePath parses a filter key: embed path segments, a field name and an
// optional JSON path.
var pTreePath = bind(sepBy1(pFieldName, pDelimiter), func(names []string) parser[treePath] {
	return fmap(option(nil, pJsonPath), func(jp []jsonOp) treePath {
		return treePath{embed: names[:len(names)-1], fld: field{names[len(names)-1], jp}}
	})
})

type treePath struct {
	embed []string
	fld   field
}

var pOrder = sepBy1(lexeme(alt(try(pOrderTerm(true)), pOrderTerm(false))), char(','))

func pOrderTerm(related bool) parser[orderTerm] {
	end := alt(try(void(lookAhead(char(',')))), try(eof))
	dir := optionMaybe(alt(try(right(pDelimiter, str("asc"))), try(right(pDelimiter, str("desc")))))
	nulls := alt(
		left(optionMaybe(alt(try(right(pDelimiter, str("nullsfirst"))), try(right(pDelimiter, str("nullslast"))))), end),
		as(end, (*string)(nil)),
	)
	rest := func(t orderTerm) parser[orderTerm] {
		return bind(dir, func(d *string) parser[orderTerm] {
			return fmap(nulls, func(n *string) orderTerm { t.dir, t.nulls = deref(d), deref(n); return t })
		})
	}
	if !related {
		return bind(pField, func(f field) parser[orderTerm] { return rest(orderTerm{fld: f}) })
	}
	return bind(pFieldName, func(rel string) parser[orderTerm] {
		return bind(between(char('('), char(')'), pField), func(f field) parser[orderTerm] {
			return rest(orderTerm{relation: rel, fld: f})
		})
	})
}

var pLogicTree parser[logicTree]

func init() {
	self := func(s pstate) reply[logicTree] { return pLogicTree(s) }
	stmt := bind(pField, func(f field) parser[logicTree] {
		return right(pDelimiter, fmap(pOpExpr(pLogicVal), func(e opExpr) logicTree {
			return logicTree{stmt: &filter{fld: f, expr: e}}
		}))
	})
	not := label(alt(try(as(right(str("not"), pDelimiter), true)), pure(false)), "negation operator (not)")
	op := label(alt(try(as(str("and"), false)), as(str("or"), true)), "logic operator (and, or)")
	kids := right(lexeme(char('(')), left(sepBy1(parser[logicTree](self), lexeme(char(','))), lexeme(char(')'))))
	expr := bind(not, func(n bool) parser[logicTree] {
		return bind(op, func(or bool) parser[logicTree] {
			return fmap(kids, func(ks []logicTree) logicTree { return logicTree{not: n, or: or, children: ks} })
		})
	})
	pLogicTree = alt(try(stmt), expr)
}

// pLogicPath parses an and/or key such as "not.or" or "child.and".
var pLogicPath = fmap(sepBy1(pFieldName, pDelimiter), func(path []string) logicKey {
	op := path[len(path)-1]
	var embed []string
	neg := false
	for _, p := range path[:len(path)-1] {
		if p == "not" {
			neg = true
		} else {
			embed = append(embed, p)
		}
	}
	if op == "not" {
		neg = true
	}
	if neg {
		op = "not." + op
	}
	return logicKey{embed: embed, op: op}
})

type logicKey struct {
	embed []string
	op    string
}

var pColumns = sepBy1(pFieldName, lexeme(char(',')))
