package postgrest

import (
	"reflect"
	"testing"
)

func TestFastPathsMatchGrammar(t *testing.T) {
	for _, v := range []string{"eq.5", "gte.2020-01-01", "gt.", "lte.a.b.c", "lt.x", "like.*a*", "ilike.A*",
		"match.^a", "imatch.b", "neq.1", "cs.{1,2}", "cd.{1}", "ov.[1,2]", "sl.(1,2)", "sr.x", "nxr.x", "nxl.x", "adj.x",
		"eq.not.x", "eq.in.(1)", "neq.is.null"} {
		fast, ok := fastFilter(v)
		if !ok {
			t.Errorf("fastFilter(%q) not handled", v)
			continue
		}
		full, err := runParser(pFilterExpr, "", v)
		if err != nil || !reflect.DeepEqual(fast, full) {
			t.Errorf("fastFilter(%q) = %+v, grammar = %+v (%v)", v, fast, full, err)
		}
	}
	for _, v := range []string{"not.eq.1", "in.(1)", "is.null", "eq(any).{1}", "fts.x", "isdistinct.1", "foo.1", ".eq", "EQ.1"} {
		if _, ok := fastFilter(v); ok {
			t.Errorf("fastFilter(%q) handled; it must fall back", v)
		}
	}
	for _, v := range []string{"*", "id", "id,name", "a_1,B2,count"} {
		fast, ok := fastSelect(v)
		full, err := runParser(pSelect, "", v)
		if !ok || err != nil || !reflect.DeepEqual(fast, full) {
			t.Errorf("fastSelect(%q) = %+v, grammar = %+v (%v)", v, fast, full, err)
		}
	}
	for _, v := range []string{"", "id,", "*,id", "a:b", "id::text", "a-b", "a b", "é"} {
		if _, ok := fastSelect(v); ok {
			t.Errorf("fastSelect(%q) handled; it must fall back", v)
		}
	}
	for _, k := range []string{"id", "Name_2", "9"} {
		full, err := runParser(pTreePath, "", k)
		if !plainName(k) || err != nil || full.fld.name != k || len(full.embed) > 0 || full.fld.path != nil {
			t.Errorf("plainName(%q) disagrees with the grammar: %+v %v", k, full, err)
		}
	}
}
