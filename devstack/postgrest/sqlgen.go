package postgrest

import (
	"regexp"
	"strings"
)

// sqlBuf builds one statement. Identifiers are always quoted and checked
// against the schema cache; every value is a bind parameter.
type sqlBuf struct {
	strings.Builder
	args []any
}

// param appends a bind parameter and returns its placeholder.
func (b *sqlBuf) param(v any) string {
	b.args = append(b.args, v)
	return "$" + itoa(len(b.args))
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// fieldSQL renders a column reference with its JSON path. src is the
// (quoted) relation or alias the column is read from.
func (b *sqlBuf) fieldSQL(rel *relation, src string, f field) (string, *apiError) {
	if rel.byName[f.name] == nil {
		return "", undefinedColumn(rel.name, f.name)
	}
	out := src + "." + quoteIdent(f.name)
	for _, op := range f.path {
		arrow := "->"
		if op.double {
			arrow = "->>"
		}
		if op.idx {
			out += arrow + "(" + b.param(op.key) + "::int)"
		} else {
			out += arrow + "(" + b.param(op.key) + "::text)"
		}
	}
	return out, nil
}

// fieldName is the JSON key PostgREST gives an unaliased field.
func fieldName(f field) string {
	for i := len(f.path) - 1; i >= 0; i-- {
		if !f.path[i].idx {
			return f.path[i].key
		}
	}
	return f.name
}

var (
	castWordRE = regexp.MustCompile(`^[a-z_][a-z0-9_$]*$`)
	// SQL spellings of types whose catalog name differs; the cast is emitted
	// as a quoted catalog name, so a keyword can never reach the SQL text.
	typeAliases = map[string]string{
		"int": "int4", "integer": "int4", "smallint": "int2", "bigint": "int8",
		"real": "float4", "float": "float8", "double precision": "float8",
		"boolean": "bool", "decimal": "numeric", "dec": "numeric",
		"char": "bpchar", "character": "bpchar", "character varying": "varchar", "bit varying": "varbit",
		"timestamp with time zone": "timestamptz", "timestamp without time zone": "timestamp",
		"time with time zone": "timetz", "time without time zone": "time",
	}
)

// castSQL validates a ::type cast (PostgREST allows letters, digits, "_",
// "$" and spaces) and renders it as ::"catalog_name".
func castSQL(t string) (string, *apiError) {
	name := strings.ToLower(strings.Join(strings.Fields(t), " "))
	if alias, ok := typeAliases[name]; ok {
		name = alias
	}
	if !castWordRE.MatchString(name) {
		return "", parseError(&qpError{message: "failed to parse select parameter", details: "invalid cast type " + hsShowString(t)})
	}
	return "::" + quoteIdent(name), nil
}

// selectList renders the select items for rows read from src.
func (b *sqlBuf) selectList(rel *relation, src string, items []selectItem) (string, *apiError) {
	var parts []string
	for _, it := range items {
		switch it.kind {
		case selStar:
			parts = append(parts, src+".*")
			continue
		case selRelation, selSpread:
			return "", notImplemented("resource embedding ('" + it.fld.name + "') is not supported by this server")
		case selCount:
			return "", newErr(400, "PGRST123", "Use of aggregate functions is not allowed")
		}
		if it.agg != "" {
			return "", newErr(400, "PGRST123", "Use of aggregate functions is not allowed")
		}
		expr, err := b.fieldSQL(rel, src, it.fld)
		if err != nil {
			return "", err
		}
		if it.cast != "" {
			c, err := castSQL(it.cast)
			if err != nil {
				return "", err
			}
			expr = "(" + expr + ")" + c
		}
		name := it.alias
		if name == "" {
			name = fieldName(it.fld)
		}
		if strings.ContainsRune(name, 0) {
			return "", parseError(&qpError{message: "failed to parse select parameter", details: "NUL character in alias"})
		}
		parts = append(parts, expr+" AS "+quoteIdent(name))
	}
	return strings.Join(parts, ", "), nil
}

// whereSQL renders the filters and logic trees joined with AND; "" if none.
func (b *sqlBuf) whereSQL(rel *relation, src string, qp *queryParams) (string, *apiError) {
	var conds []string
	for i := range qp.filters {
		c, err := b.filterSQL(rel, src, &qp.filters[i])
		if err != nil {
			return "", err
		}
		conds = append(conds, c)
	}
	for i := range qp.logic {
		c, err := b.logicSQL(rel, src, &qp.logic[i])
		if err != nil {
			return "", err
		}
		conds = append(conds, c)
	}
	return strings.Join(conds, " AND "), nil
}

func (b *sqlBuf) logicSQL(rel *relation, src string, t *logicTree) (string, *apiError) {
	if t.stmt != nil {
		return b.filterSQL(rel, src, t.stmt)
	}
	sep := " AND "
	if t.or {
		sep = " OR "
	}
	parts := make([]string, 0, len(t.children))
	for i := range t.children {
		c, err := b.logicSQL(rel, src, &t.children[i])
		if err != nil {
			return "", err
		}
		parts = append(parts, c)
	}
	out := "(" + strings.Join(parts, sep) + ")"
	if t.not {
		out = "NOT " + out
	}
	return out, nil
}

var simpleOps = map[string]string{
	"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=",
	"like": "LIKE", "ilike": "ILIKE", "match": "~", "imatch": "~*",
	"cs": "@>", "cd": "<@", "ov": "&&", "sl": "<<", "sr": ">>", "nxr": "&<", "nxl": "&>", "adj": "-|-",
}

var ftsFuncs = map[string]string{
	"fts": "to_tsquery", "plfts": "plainto_tsquery", "phfts": "phraseto_tsquery", "wfts": "websearch_to_tsquery",
}

func (b *sqlBuf) filterSQL(rel *relation, src string, f *filter) (string, *apiError) {
	col, err := b.fieldSQL(rel, src, f.fld)
	if err != nil {
		return "", err
	}
	e := &f.expr
	var out string
	switch e.kind {
	case opIs:
		switch strings.ToLower(e.val) {
		case "null":
			out = col + " IS NULL"
		case "not_null":
			out = col + " IS NOT NULL"
		default:
			out = col + " IS " + strings.ToUpper(e.val)
		}
	case opIsDistinct:
		out = col + " IS DISTINCT FROM " + b.param(e.val)
	case opIn:
		out = col + " = ANY(" + b.param(arrayLiteral(e.list)) + ")"
	case opFts:
		if e.lang != nil {
			out = col + " @@ " + ftsFuncs[e.op] + "(" + b.param(*e.lang) + "::regconfig, " + b.param(e.val) + ")"
		} else {
			out = col + " @@ " + ftsFuncs[e.op] + "(" + b.param(e.val) + ")"
		}
	case opQuant:
		val := e.val
		if e.op == "like" || e.op == "ilike" {
			val = strings.ReplaceAll(val, "*", "%")
		}
		if e.quant != "" {
			out = col + " " + simpleOps[e.op] + " " + strings.ToUpper(e.quant) + "(" + b.param(val) + ")"
		} else {
			out = col + " " + simpleOps[e.op] + " " + b.param(val)
		}
	default:
		out = col + " " + simpleOps[e.op] + " " + b.param(e.val)
	}
	if e.not {
		out = "NOT (" + out + ")"
	}
	return out, nil
}

// arrayLiteral renders an in.() list as a PostgreSQL array literal; the
// empty list "()" (one empty element) is the empty array.
func arrayLiteral(items []string) string {
	if len(items) == 1 && items[0] == "" {
		return "{}"
	}
	var sb strings.Builder
	sb.WriteByte('{')
	for i, it := range items {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('"')
		for _, c := range it {
			if c == '"' || c == '\\' {
				sb.WriteByte('\\')
			}
			sb.WriteRune(c)
		}
		sb.WriteByte('"')
	}
	sb.WriteByte('}')
	return sb.String()
}

// orderSQL renders ORDER BY terms; "" if none.
func (b *sqlBuf) orderSQL(rel *relation, src string, terms []orderTerm) (string, *apiError) {
	var parts []string
	for _, t := range terms {
		if t.relation != "" {
			return "", notImplemented("ordering by an embedded resource ('" + t.relation + "') is not supported by this server")
		}
		col, err := b.fieldSQL(rel, src, t.fld)
		if err != nil {
			return "", err
		}
		switch t.dir {
		case "asc":
			col += " ASC"
		case "desc":
			col += " DESC"
		}
		switch t.nulls {
		case "nullsfirst":
			col += " NULLS FIRST"
		case "nullslast":
			col += " NULLS LAST"
		}
		parts = append(parts, col)
	}
	return strings.Join(parts, ", "), nil
}
