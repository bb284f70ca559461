package postgrest

import (
	"context"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"
)

// column is one column of a relation in the schema cache.
type column struct {
	name    string
	num     int
	typ     string
	notNull bool
	dflt    *string
	// missingDefault is the SQL expression Prefer: missing=default writes
	// when the column is absent from a body object: the column's DEFAULT,
	// else its domain's, or the next value of its identity sequence.
	missingDefault *string
	position       int // index in relation.columns
}

// relation is a table, view, materialized view or foreign table.
type relation struct {
	oid        int64
	schema     string
	name       string
	kind       string // r, v, m, f, p
	insertable bool
	updatable  bool
	deletable  bool
	columns    []*column
	byName     map[string]*column
	pk         []string   // primary key (for views: traced to the base table)
	uniques    [][]string // unique, non-partial indexes (the primary key included)
	qualified  string     // "schema"."name"
}

func (r *relation) isTable() bool { return r.kind == "r" || r.kind == "p" }

// schemaCache is an immutable snapshot of the exposed schemas.
type schemaCache struct {
	rels     map[string]map[string]*relation  // schema -> name -> relation
	routines map[string]map[string][]*routine // schema -> name -> overloads
}

func (c *schemaCache) lookup(schema, name string) *relation { return c.rels[schema][name] }

const relationsSQL = `
SELECT c.oid::int8, n.nspname::text, c.relname::text, c.relkind::text,
       coalesce(pg_catalog.pg_relation_is_updatable(c.oid::regclass, true), 0)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'v', 'm', 'f', 'p')`

const columnsSQL = `
SELECT a.attrelid::int8, a.attnum::int4, a.attname::text,
       pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid),
       CASE
         WHEN a.attgenerated <> '' THEN NULL
         WHEN a.attidentity = 'd' THEN (
           SELECT pg_catalog.format('pg_catalog.nextval(%L::regclass)',
                    pg_catalog.quote_ident(sn.nspname) || '.' || pg_catalog.quote_ident(sc.relname))
           FROM pg_catalog.pg_depend dep
           JOIN pg_catalog.pg_class sc ON sc.oid = dep.objid AND sc.relkind = 'S'
           JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace
           WHERE dep.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND dep.refobjid = a.attrelid
             AND dep.refobjsubid = a.attnum AND dep.deptype = 'i')
         WHEN d.adbin IS NOT NULL THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid)
         WHEN t.typtype = 'd' THEN pg_catalog.pg_get_expr(t.typdefaultbin, 0)
       END
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'v', 'm', 'f', 'p')
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum`

const indexesSQL = `
SELECT i.indrelid::int8, i.indisprimary,
       ARRAY(SELECT a.attname::text
             FROM unnest(i.indkey) WITH ORDINALITY AS k(num, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.num
             ORDER BY k.ord)
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[]) AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
ORDER BY i.indrelid, NOT i.indisprimary, c.relname`

const viewRulesSQL = `
SELECT c.oid::int8, r.ev_action::text
FROM pg_catalog.pg_rewrite r
JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('v', 'm') AND r.rulename = '_RETURN'`

const basePKSQL = `
SELECT i.indrelid::int8, i.indkey::int2[]
FROM pg_catalog.pg_index i
WHERE i.indisprimary AND i.indrelid::int8 = ANY($1::int8[])`

// loadSchemaCache introspects the exposed schemas.
func loadSchemaCache(ctx context.Context, conn *pgx.Conn, schemas []string) (*schemaCache, error) {
	c := &schemaCache{rels: map[string]map[string]*relation{}}
	for _, s := range schemas {
		c.rels[s] = map[string]*relation{}
	}
	byOID := map[int64]*relation{}
	rows, _ := conn.Query(ctx, relationsSQL, schemas)
	var r relation
	var upd int32
	_, err := pgx.ForEachRow(rows, []any{&r.oid, &r.schema, &r.name, &r.kind, &upd}, func() error {
		rel := r
		rel.insertable, rel.updatable, rel.deletable = upd&8 != 0, upd&4 != 0, upd&16 != 0
		rel.byName = map[string]*column{}
		rel.qualified = quoteIdent(rel.schema) + "." + quoteIdent(rel.name)
		c.rels[rel.schema][rel.name] = &rel
		byOID[rel.oid] = &rel
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("introspect relations: %w", err)
	}
	var oid int64
	var col column
	rows, _ = conn.Query(ctx, columnsSQL, schemas)
	_, err = pgx.ForEachRow(rows, []any{&oid, &col.num, &col.name, &col.typ, &col.notNull, &col.dflt, &col.missingDefault}, func() error {
		if rel := byOID[oid]; rel != nil {
			cc := col
			cc.position = len(rel.columns)
			rel.columns = append(rel.columns, &cc)
			rel.byName[cc.name] = &cc
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("introspect columns: %w", err)
	}
	var primary bool
	var cols []string
	rows, _ = conn.Query(ctx, indexesSQL, schemas)
	_, err = pgx.ForEachRow(rows, []any{&oid, &primary, &cols}, func() error {
		if rel := byOID[oid]; rel != nil {
			rel.uniques = append(rel.uniques, cols)
			if primary {
				rel.pk = cols
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("introspect indexes: %w", err)
	}
	if err := traceViewKeys(ctx, conn, schemas, byOID); err != nil {
		return nil, err
	}
	if c.routines, err = loadRoutines(ctx, conn, schemas); err != nil {
		return nil, err
	}
	return c, nil
}

// traceViewKeys gives views the primary key of the table they select from,
// when every key column is passed through unchanged.
func traceViewKeys(ctx context.Context, conn *pgx.Conn, schemas []string, byOID map[int64]*relation) error {
	var oid int64
	var action string
	targets := map[int64][]targetEntry{}
	rows, _ := conn.Query(ctx, viewRulesSQL, schemas)
	_, err := pgx.ForEachRow(rows, []any{&oid, &action}, func() error {
		targets[oid] = parseTargetList(action)
		return nil
	})
	if err != nil {
		return fmt.Errorf("introspect views: %w", err)
	}
	var external []int64
	for _, entries := range targets {
		for _, e := range entries {
			if byOID[e.origRel] == nil && e.origRel != 0 {
				external = append(external, e.origRel)
			}
		}
	}
	basePK := map[int64][]int{}
	if len(external) > 0 {
		var keys []int16
		rows, _ = conn.Query(ctx, basePKSQL, external)
		_, err = pgx.ForEachRow(rows, []any{&oid, &keys}, func() error {
			for _, k := range keys {
				basePK[oid] = append(basePK[oid], int(k))
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("introspect base keys: %w", err)
		}
	}
	t := &keyTracer{byOID: byOID, targets: targets, basePK: basePK, memo: map[int64][]int{}}
	oids := make([]int64, 0, len(targets))
	for o := range targets {
		oids = append(oids, o)
	}
	sort.Slice(oids, func(i, j int) bool { return oids[i] < oids[j] })
	for _, o := range oids {
		rel := byOID[o]
		if rel == nil || len(rel.pk) > 0 {
			continue
		}
		for _, num := range t.pkAttnums(o, 0) {
			for _, col := range rel.columns {
				if col.num == num {
					rel.pk = append(rel.pk, col.name)
				}
			}
		}
	}
	return nil
}

type keyTracer struct {
	byOID   map[int64]*relation
	targets map[int64][]targetEntry
	basePK  map[int64][]int
	memo    map[int64][]int
}

// pkAttnums returns the attribute numbers of oid's primary key columns.
func (t *keyTracer) pkAttnums(oid int64, depth int) []int {
	if k, ok := t.memo[oid]; ok {
		return k
	}
	t.memo[oid] = nil // cycle guard
	var out []int
	if rel := t.byOID[oid]; rel != nil && rel.isTable() {
		for _, name := range rel.pk {
			out = append(out, rel.byName[name].num)
		}
	} else if entries, ok := t.targets[oid]; ok && depth < 16 {
		out = t.viewKey(entries, depth)
	} else {
		out = t.basePK[oid]
	}
	t.memo[oid] = out
	return out
}

// viewKey maps the key of the single relation a view's key columns come from
// onto the view's own attribute numbers.
func (t *keyTracer) viewKey(entries []targetEntry, depth int) []int {
	for _, src := range distinctSources(entries) {
		key := t.pkAttnums(src, depth+1)
		if len(key) == 0 {
			continue
		}
		var out []int
		for _, k := range key {
			found := 0
			for _, e := range entries {
				if e.origRel == src && e.origCol == k {
					found = e.resno
					break
				}
			}
			if found == 0 {
				out = nil
				break
			}
			out = append(out, found)
		}
		if out != nil {
			return out
		}
	}
	return nil
}

func distinctSources(entries []targetEntry) []int64 {
	var out []int64
	seen := map[int64]bool{}
	for _, e := range entries {
		if e.origRel != 0 && !seen[e.origRel] {
			seen[e.origRel] = true
			out = append(out, e.origRel)
		}
	}
	return out
}
