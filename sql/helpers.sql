-- helpers.sql: functions the migrations use, created in pg_temp for the
-- migration session only (never in a schema of the database). The runner
-- applies this file on its connection before the first migration.
--
-- Some upgrades cannot be done while a view reads the object they change
-- (ALTER COLUMN ... TYPE, or a registry view whose columns moved). For those
-- a migration calls registry_detach_views, changes the object, and calls
-- registry_restore_views in the same transaction: every view that read it,
-- found through the catalog (pg_depend), directly or through other views,
-- comes back with its definition, options, owner, grants and comments.

-- registry_detach_views saves and drops every view that depends on target
-- (on its column col, when given), and every view that depends on those,
-- except target itself. Saved views are kept in the temporary table
-- registry_saved_views until the transaction ends.
CREATE OR REPLACE FUNCTION pg_temp.registry_detach_views(target regclass, col name DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v record;
  n integer := 0;
BEGIN
  CREATE TEMP TABLE IF NOT EXISTS registry_saved_views (
    oid         oid,
    schema_name name,
    view_name   name,
    definition  text,
    options     text[],
    owner       name,
    acl         aclitem[],
    comment     text,
    col_comments jsonb,
    col_acls    jsonb,
    depth       integer
  ) ON COMMIT DROP;

  FOR v IN
    WITH RECURSIVE deps(oid, depth) AS (
      SELECT DISTINCT r.ev_class, 1
        FROM pg_depend d
        JOIN pg_rewrite r ON r.oid = d.objid
       WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
         AND d.refobjid = target AND r.ev_class <> target
         AND (col IS NULL OR d.refobjsubid = (SELECT attnum FROM pg_attribute
                                               WHERE attrelid = target AND attname = col))
      UNION
      SELECT r.ev_class, deps.depth + 1
        FROM deps
        JOIN pg_depend d ON d.refobjid = deps.oid AND d.refclassid = 'pg_class'::regclass
                        AND d.classid = 'pg_rewrite'::regclass
        JOIN pg_rewrite r ON r.oid = d.objid
       WHERE r.ev_class <> deps.oid
    )
    SELECT c.oid, n.nspname, c.relname, c.relkind, max(deps.depth) AS depth
      FROM deps
      JOIN pg_class c ON c.oid = deps.oid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid NOT IN (SELECT s.oid FROM registry_saved_views s)
     GROUP BY c.oid, n.nspname, c.relname, c.relkind
  LOOP
    IF v.relkind <> 'v' THEN
      RAISE EXCEPTION 'materialized view %.% reads %; drop it before migrating and create it again after',
        v.nspname, v.relname, target;
    END IF;
    IF EXISTS (SELECT FROM pg_trigger WHERE tgrelid = v.oid)
       OR EXISTS (SELECT FROM pg_rewrite WHERE ev_class = v.oid AND rulename <> '_RETURN') THEN
      RAISE EXCEPTION 'view %.% reads % and has triggers or rules; drop them before migrating and create them again after',
        v.nspname, v.relname, target;
    END IF;
    INSERT INTO registry_saved_views
    SELECT c.oid, v.nspname, c.relname, pg_get_viewdef(c.oid), c.reloptions,
           pg_get_userbyid(c.relowner), c.relacl, obj_description(c.oid, 'pg_class'),
           (SELECT jsonb_object_agg(a.attname, col_description(c.oid, a.attnum))
              FROM pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND col_description(c.oid, a.attnum) IS NOT NULL),
           (SELECT jsonb_object_agg(a.attname, a.attacl::text[])
              FROM pg_attribute a
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND a.attacl IS NOT NULL),
           v.depth
      FROM pg_class c WHERE c.oid = v.oid;
    n := n + 1;
  END LOOP;

  -- Deepest first, so no drop needs CASCADE: a cascade would take along a
  -- dependent this function did not save.
  FOR v IN SELECT * FROM registry_saved_views s
            WHERE EXISTS (SELECT FROM pg_class c WHERE c.oid = s.oid)
            ORDER BY s.depth DESC
  LOOP
    EXECUTE format('DROP VIEW %I.%I', v.schema_name, v.view_name);
  END LOOP;
  RETURN n;
END
$$;

-- registry_restore_views creates again, shallowest first, every view that
-- registry_detach_views saved and that does not exist by now (a migration
-- may have created one of them itself, with its new definition), with its
-- options, owner, grants and comments. It fails, and so rolls the migration
-- back, when a saved definition no longer applies.
CREATE OR REPLACE FUNCTION pg_temp.registry_restore_views()
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v record;
  g record;
  c record;
  rel regclass;
  n integer := 0;
BEGIN
  IF to_regclass('pg_temp.registry_saved_views') IS NULL THEN
    RETURN 0;
  END IF;
  FOR v IN SELECT * FROM registry_saved_views ORDER BY depth, schema_name, view_name LOOP
    CONTINUE WHEN to_regclass(format('%I.%I', v.schema_name, v.view_name)) IS NOT NULL;
    EXECUTE format('CREATE VIEW %I.%I%s AS %s', v.schema_name, v.view_name,
                   CASE WHEN v.options IS NULL THEN '' ELSE ' WITH (' || array_to_string(v.options, ', ') || ')' END,
                   v.definition);
    rel := format('%I.%I', v.schema_name, v.view_name)::regclass;
    EXECUTE format('ALTER VIEW %s OWNER TO %I', rel, v.owner);
    -- Grants as they were: first take away what default privileges gave
    -- the new view, then give back each saved privilege.
    FOR g IN SELECT DISTINCT a.grantee FROM pg_class k, aclexplode(k.relacl) a WHERE k.oid = rel LOOP
      EXECUTE format('REVOKE ALL ON %s FROM %s', rel,
                     CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END);
    END LOOP;
    FOR g IN SELECT a.grantee, a.privilege_type, a.is_grantable
               FROM aclexplode(coalesce(v.acl, acldefault('r', (SELECT relowner FROM pg_class WHERE oid = rel)))) a
    LOOP
      EXECUTE format('GRANT %s ON %s TO %s%s', g.privilege_type, rel,
                     CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END,
                     CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
    IF v.comment IS NOT NULL THEN
      EXECUTE format('COMMENT ON VIEW %s IS %L', rel, v.comment);
    END IF;
    FOR c IN SELECT key, value FROM jsonb_each_text(coalesce(v.col_comments, '{}')) LOOP
      EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', rel, c.key, c.value);
    END LOOP;
    -- Column grants, as they were.
    FOR g IN SELECT cols.key AS col, a.grantee, a.privilege_type, a.is_grantable
               FROM jsonb_each(coalesce(v.col_acls, '{}')) cols,
                    LATERAL (SELECT x::aclitem AS item FROM jsonb_array_elements_text(cols.value) x) items,
                    LATERAL aclexplode(ARRAY[items.item]) a
    LOOP
      EXECUTE format('GRANT %s (%I) ON %s TO %s%s', g.privilege_type, g.col, rel,
                     CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END,
                     CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
    n := n + 1;
  END LOOP;
  DELETE FROM registry_saved_views;
  RETURN n;
END
$$;

-- registry_replace_view makes view name have the definition body (a SELECT)
-- with options (e.g. 'security_invoker = true'). CREATE OR REPLACE keeps the
-- view, its grants and whatever reads it, and works when the new columns
-- start with the old ones, same names and types. When they do not, the
-- views that read it are saved, the view is dropped and created, and they
-- are restored.
CREATE OR REPLACE FUNCTION pg_temp.registry_replace_view(name text, options text, body text)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  ddl text := format('CREATE OR REPLACE VIEW pmoves_core.%I WITH (%s) AS %s', name, options, body);
BEGIN
  BEGIN
    EXECUTE ddl;
    RETURN;
  EXCEPTION WHEN invalid_table_definition OR datatype_mismatch OR feature_not_supported THEN
    RAISE NOTICE 'pmoves_core.% changes shape: dropped and created again with the views that read it', name;
  END;
  PERFORM pg_temp.registry_detach_views(format('pmoves_core.%I', name)::regclass);
  EXECUTE format('DROP VIEW pmoves_core.%I', name);
  EXECUTE ddl;
  PERFORM pg_temp.registry_restore_views();
END
$$;
