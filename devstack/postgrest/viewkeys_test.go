package postgrest

import (
	"reflect"
	"testing"
)

func TestParseTargetList(t *testing.T) {
	// Abridged ev_action of: CREATE VIEW v AS SELECT id AS "my id", a || 'x' AS "{odd}" FROM t
	// with a nested target list inside the range table that must be skipped.
	action := `({QUERY :commandType 1 :rtable ({RANGETBLENTRY :subquery {QUERY :targetList ({TARGETENTRY :resno 1 ` +
		`:resorigtbl 999 :resorigcol 9 :resjunk false})}}) :jointree <> :targetList ({TARGETENTRY :expr {VAR :varno 1 ` +
		`:varattno 1 :location 7} :resno 1 :resname my\ id :ressortgroupref 0 :resorigtbl 16390 :resorigcol 1 ` +
		`:resjunk false} {TARGETENTRY :expr {OPEXPR :args ({VAR :varattno 2} {CONST :constvalue 5 [ 20 0 0 0 120 ]})} ` +
		`:resno 2 :resname \{odd\} :resorigtbl 0 :resorigcol 0 :resjunk false} {TARGETENTRY :resno 3 :resorigtbl 5 ` +
		`:resorigcol 5 :resjunk true}) :override 0})`
	got := parseTargetList(action)
	want := []targetEntry{{resno: 1, origRel: 16390, origCol: 1}, {resno: 2}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseTargetList = %+v, want %+v", got, want)
	}
	if toks := nodeTokens(`:resname a\ b\(c\) {X}`); !reflect.DeepEqual(toks, []string{":resname", "a b(c)", "{", "X", "}"}) {
		t.Errorf("nodeTokens = %q", toks)
	}
}
