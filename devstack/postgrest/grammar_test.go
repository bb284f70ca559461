package postgrest

import "testing"

// The expected strings are PostgREST's own doctests and conformance cases.
func TestParseErrorsMatchPostgREST(t *testing.T) {
	type tc struct {
		name, input, wantMsg, wantDetails string
		run                               func(input string) *qpError
	}
	order := func(in string) *qpError { _, e := runParser(pOrder, "", in); return e }
	logic := func(in string) *qpError { _, e := runParser(pLogicTree, "", in); return e }
	sel := func(in string) *qpError { _, e := runParser(pSelect, "", in); return e }
	selItem := func(in string) *qpError { _, e := runParser(pFieldSelect(), "", in); return e }
	flt := func(in string) *qpError { _, e := runParser(pFilterExpr, "", in); return e }
	name := func(in string) *qpError { _, e := runParser(pFieldName, "", in); return e }
	cases := []tc{
		{"order descc", "id.descc", "(line 1, column 8)", `unexpected 'c' expecting delimiter (.), "," or end of input`, order},
		{"order ac", "id.ac", "(line 1, column 4)", `unexpected "c" expecting "asc", "desc", "nullsfirst" or "nullslast"`, order},
		{"order nullslasttt", "id.nullslasttt", "(line 1, column 13)", `unexpected 't' expecting "," or end of input`, order},
		{"order asc nullslasttt", "id.asc.nullslasttt", "(line 1, column 17)", `unexpected 't' expecting "," or end of input`, order},
		{"order asc nlsfst", "id.asc.nlsfst", "(line 1, column 8)", `unexpected "l" expecting "nullsfirst" or "nullslast"`, order},
		{"order relation", "clients(name,id)", "(line 1, column 8)", `unexpected '(' expecting letter, digit, "-", "->>", "->", delimiter (.), "," or end of input`, order},
		{"logic empty", "or()", "(line 1, column 4)", `unexpected ")" expecting field name (* or [a..z0..9_$]), negation operator (not) or logic operator (and, or)`, logic},
		{"logic in no parens", "or(id.in.1,2,id.eq.3)", "(line 1, column 10)", `unexpected "1" expecting "("`, logic},
		{"logic bad op", "or(id.eq.1,not.xor(id.eq.2,id.eq.3))", "(line 1, column 16)", `unexpected "x" expecting logic operator (and, or)`, logic},
		{"logic ord", "and(ord(id.eq.1,id.eq.1),id.eq.2)", "(line 1, column 7)", `unexpected "d" expecting "("`, logic},
		{"select bracket", "id,clients(name[])", "(line 1, column 16)", `unexpected '[' expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input`, sel},
		{"select json idx", "data->>-78xy", "(line 1, column 11)", `unexpected 'x' expecting digit, "->", "::", ".", "," or end of input`, sel},
		{"select hint", "name!hint", "(line 1, column 5)", `unexpected '!' expecting letter, digit, "-", "->>", "->", "::", ".", ")", "," or end of input`, sel},
		{"select star hint", "*!hint", "(line 1, column 2)", `unexpected '!' expecting ")", "," or end of input`, selItem},
		{"select cast end", "name::", "(line 1, column 7)", `unexpected end of input expecting letter or digit`, sel},
		{"filter val", "val", "(line 1, column 1)", `unexpected "v" expecting "not" or operator (eq, gt, ...)`, flt},
		{"filter fts()", "fts().value", "(line 1, column 5)", `unexpected ")" expecting operator (eq, gt, ...)`, flt},
		{"filter eq()", "eq().value", "(line 1, column 4)", `unexpected ")" expecting operator (eq, gt, ...)`, flt},
		{"filter in()", "in().value", "(line 1, column 3)", `unexpected "(" expecting operator (eq, gt, ...)`, flt},
		{"field name colon", ":", "(line 1, column 1)", `unexpected ":" expecting field name (* or [a..z0..9_$])`, name},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := c.run(c.input)
			if e == nil {
				t.Fatalf("parse %q succeeded", c.input)
			}
			if e.message != `"" `+c.wantMsg {
				t.Errorf("message = %q, want %q", e.message, c.wantMsg)
			}
			if e.details != c.wantDetails {
				t.Errorf("details\n got %s\nwant %s", e.details, c.wantDetails)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	if v, e := runParser(pFieldName, "", " no leading or trailing spaces "); e != nil || v != "no leading or trailing spaces" {
		t.Errorf("field name = %q, %v", v, e)
	}
	if v, e := runParser(pFieldName, "", `":"`); e != nil || v != ":" {
		t.Errorf("quoted field name = %q, %v", v, e)
	}
	items, e := runParser(pSelect, "", "ciId:id::text,ciName:name")
	if e != nil || len(items) != 2 || items[0].alias != "ciId" || items[0].cast != "text" || items[0].fld.name != "id" {
		t.Errorf("select = %+v, %v", items, e)
	}
	ord, e := runParser(pOrder, "", "client_id.desc.nullslast,id.desc")
	if e != nil || len(ord) != 2 || ord[0].dir != "desc" || ord[0].nulls != "nullslast" {
		t.Errorf("order = %+v, %v", ord, e)
	}
	tree, e := runParser(pLogicTree, "", `or(name.eq."(grandchild,entity,4)",name.eq."(grandchild,entity,5)")`)
	if e != nil || len(tree.children) != 2 || tree.children[0].stmt.expr.val != "(grandchild,entity,4)" {
		t.Errorf("logic = %+v, %v", tree, e)
	}
	op, e := runParser(pFilterExpr, "", "in.( ,3,4)")
	if e != nil || len(op.list) != 3 || op.list[0] != "" {
		t.Errorf("in list = %#v, %v", op.list, e)
	}
	op, e = runParser(pFilterExpr, "", "not.is.not_null")
	if e != nil || !op.not || op.kind != opIs || op.val != "not_null" {
		t.Errorf("not.is = %+v, %v", op, e)
	}
}
