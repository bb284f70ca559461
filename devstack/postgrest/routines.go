package postgrest

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// routine is a function of an exposed schema in the schema cache, with what
// PostgREST's schema cache knows of it (SchemaCache/Routine.hs).
type routine struct {
	schema   string
	name     string
	params   []routineParam // the input parameters, in order
	volatile bool           // VOLATILE (STABLE and IMMUTABLE calls run read-only)
	setOf    bool           // RETURNS SETOF or TABLE
	// composite: the result is a row (a composite type, or OUT, INOUT or
	// TABLE parameters); otherwise it is a scalar (arrays included).
	composite bool
	void      bool
	// retName is the return type's name (the composite's relation name);
	// PostgREST names the result after it when the result is a row.
	retName string
	// columns are the result's column names: the composite's attributes, the
	// OUT parameters, or "pgrst_scalar" for a scalar.
	columns []string
	rel     *relation // the result as a relation named alias()
}

// routineParam is one input parameter.
type routineParam struct {
	name     string // "" when unnamed
	typ      string // as PostgREST renders it (regtype text, character → character varying)
	required bool   // has no DEFAULT
	variadic bool
}

// scalarColumn names the value of a function that returns a scalar.
const scalarColumn = "pgrst_scalar"

// alias is the name the function's result is read under: the returned
// composite's name, or the function's own for a scalar (Plan.hs
// callReadPlan's relIdentifier).
func (r *routine) alias() string {
	if r.composite {
		return r.retName
	}
	return r.name
}

// routinesSQL lists the callable functions of the exposed schemas like
// PostgREST's funcsSqlQuery: plain functions (no procedures, aggregates or
// window functions), not returning trigger, with at most one unnamed input
// parameter, which must then be of a type a request body can be (json,
// jsonb, text, xml or bytea). Domains are resolved to their base type for
// the return type. Unlike PostgREST, input parameters are taken from
// proallargtypes, so OUT parameters declared before IN ones do not shift
// them.
const routinesSQL = `
WITH RECURSIVE fns AS (
  SELECT p.oid, n.nspname, p.proname, p.provolatile, p.proretset, p.prorettype, p.pronargs, p.pronargdefaults,
         p.proargnames, p.proargmodes, coalesce(p.proallargtypes, p.proargtypes::oid[]) AS argtypes
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = ANY($1::text[]) AND p.prokind = 'f'
), rettypes AS (
  SELECT t.oid AS start, t.oid, t.typtype, t.typbasetype, 0 AS depth
  FROM pg_catalog.pg_type t WHERE t.oid IN (SELECT prorettype FROM fns)
  UNION ALL
  SELECT r.start, t.oid, t.typtype, t.typbasetype, r.depth + 1
  FROM rettypes r JOIN pg_catalog.pg_type t ON t.oid = r.typbasetype
  WHERE r.typtype = 'd' AND r.depth < 32
)
SELECT f.nspname::text, f.proname::text, f.provolatile = 'v', f.proretset,
       (t.typtype = 'c' OR coalesce(f.proargmodes::text[] && '{t,b,o}', false)),
       t.oid = 'pg_catalog.void'::pg_catalog.regtype,
       coalesce(comp.relname, t.typname)::text,
       coalesce(ins.names, '{}'), coalesce(ins.types, '{}'), coalesce(ins.required, '{}'),
       coalesce(ins.variadic, '{}'),
       CASE WHEN t.typtype = 'c' THEN
         ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
               WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)
       ELSE coalesce(outs.names, '{}') END
FROM fns f
JOIN rettypes r ON r.start = f.prorettype AND r.typtype <> 'd'
JOIN pg_catalog.pg_type t ON t.oid = r.oid
LEFT JOIN pg_catalog.pg_class comp ON comp.oid = t.typrelid
LEFT JOIN LATERAL (
  SELECT array_agg(coalesce(a.name, '') ORDER BY a.idx) AS names,
         array_agg(CASE a.type
           WHEN 'pg_catalog.bit'::pg_catalog.regtype THEN 'bit varying'
           WHEN 'pg_catalog.bit[]'::pg_catalog.regtype THEN 'bit varying[]'
           WHEN 'pg_catalog.bpchar'::pg_catalog.regtype THEN 'character varying'
           WHEN 'pg_catalog.bpchar[]'::pg_catalog.regtype THEN 'character varying[]'
           ELSE a.type::pg_catalog.regtype::text END ORDER BY a.idx) AS types,
         array_agg(a.pos <= f.pronargs - f.pronargdefaults ORDER BY a.idx) AS required,
         array_agg(coalesce(a.mode = 'v', false) ORDER BY a.idx) AS variadic,
         count(*) - count(a.name) AS unnamed,
         (array_agg(a.type ORDER BY a.idx))[1] AS first_type
  FROM (SELECT u.*, row_number() OVER (ORDER BY u.idx) AS pos
        FROM unnest(f.argtypes, f.proargnames, f.proargmodes) WITH ORDINALITY AS u(type, name, mode, idx)
        WHERE coalesce(u.mode, 'i') IN ('i', 'b', 'v')) a
) ins ON true
LEFT JOIN LATERAL (
  SELECT array_agg(CASE WHEN coalesce(o.name, '') <> '' THEN o.name
                        WHEN o.n = 1 AND o.total = 1 THEN f.proname::text
                        ELSE 'column' || o.n END ORDER BY o.idx) AS names
  FROM (SELECT u.*, row_number() OVER (ORDER BY u.idx) AS n, count(*) OVER () AS total
        FROM unnest(f.argtypes, f.proargnames, f.proargmodes) WITH ORDINALITY AS u(type, name, mode, idx)
        WHERE u.mode IN ('o', 'b', 't')) o
) outs ON true
WHERE t.oid <> 'pg_catalog.trigger'::pg_catalog.regtype
  AND (coalesce(ins.unnamed, 0) = 0
       OR ins.unnamed = 1 AND ins.first_type IN ('pg_catalog.bytea'::pg_catalog.regtype, 'pg_catalog.json'::pg_catalog.regtype,
         'pg_catalog.jsonb'::pg_catalog.regtype, 'pg_catalog.text'::pg_catalog.regtype, 'pg_catalog.xml'::pg_catalog.regtype))
ORDER BY f.nspname, f.proname, f.oid`

// loadRoutines introspects the functions of the exposed schemas.
func loadRoutines(ctx context.Context, conn *pgx.Conn, schemas []string) (map[string]map[string][]*routine, error) {
	out := map[string]map[string][]*routine{}
	for _, s := range schemas {
		out[s] = map[string][]*routine{}
	}
	var r routine
	var names, types, cols []string
	var required, variadic []bool
	rows, _ := conn.Query(ctx, routinesSQL, schemas)
	_, err := pgx.ForEachRow(rows, []any{&r.schema, &r.name, &r.volatile, &r.setOf, &r.composite, &r.void, &r.retName,
		&names, &types, &required, &variadic, &cols}, func() error {
		fn := r
		if len(types) != len(names) || len(required) != len(names) || len(variadic) != len(names) {
			return fmt.Errorf("function %s.%s: inconsistent parameters", fn.schema, fn.name)
		}
		fn.params = make([]routineParam, len(names))
		for i := range names {
			fn.params[i] = routineParam{name: names[i], typ: types[i], required: required[i], variadic: variadic[i]}
		}
		if fn.composite {
			fn.columns = append([]string(nil), cols...)
		} else {
			fn.columns = []string{scalarColumn}
		}
		fn.rel = routineRelation(&fn)
		out[fn.schema][fn.name] = append(out[fn.schema][fn.name], &fn)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("introspect functions: %w", err)
	}
	return out, nil
}
