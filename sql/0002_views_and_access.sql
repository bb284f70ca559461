-- 0002_views_and_access: the read views, row-level security and grants of
-- the registry's own objects.
--
-- Views are replaced in place (CREATE OR REPLACE), so whatever reads them
-- (the platform's public.v_active_models and public.v_active_deployments,
-- and views nobody told us about) keeps working with its grants. The three
-- views the platform's callers read keep the platform's columns, names,
-- types and order; new columns come at the end. The registry's own reads use
-- v_models, v_mappings and v_deployments. All are security_invoker, so RLS
-- applies through them. Grants and policies change only on the registry's
-- tables and views, never on anything else of the schema.

-- The platform's views come first: in a database an earlier build of the
-- registry made, they read v_models and v_deployments, which change next.

-- The platform's v_active_models: active models of active providers with
-- their provider's api_base and key variable; model_id is the provider's
-- text id and aliases a list of {alias, context} objects ([] when none).
-- Appended: metadata, active, created_at, updated_at. The registry's model
-- lists read it.
SELECT pg_temp.registry_replace_view('v_active_models', 'security_invoker = true', $v$
SELECT m.id, m.name, m.model_id, m.model_type, m.capabilities, m.vram_mb,
       m.context_length, m.description,
       p.id   AS provider_id,
       p.name AS provider_name,
       p.type AS provider_type,
       p.api_base,
       p.api_key_env_var,
       coalesce((SELECT jsonb_agg(jsonb_build_object('alias', a.alias, 'context', a.context)
                                  ORDER BY a.alias, a.context NULLS FIRST)
                   FROM pmoves_core.model_aliases a
                  WHERE a.model_id = m.id), '[]'::jsonb) AS aliases,
       m.metadata, m.active, m.created_at, m.updated_at
  FROM pmoves_core.models m
  JOIN pmoves_core.model_providers p ON p.id = m.provider_id
 WHERE m.active AND p.active
$v$);

-- The platform's v_service_models, with its meaning fixed: only mappings of
-- active models of active providers, best first (lowest priority, then the
-- largest weight, then the variant's name). model_id and fallback_model_id
-- are the providers' text ids. Appended: the mapping's id, the registry's
-- model and fallback UUIDs, the provider's id, params and the times. The
-- registry's /api/services/{service}/models reads it.
SELECT pg_temp.registry_replace_view('v_service_models', 'security_invoker = true', $v$
SELECT s.service_name, s.function_name, s.variant_name, s.priority, s.weight,
       m.model_id,
       m.name       AS model_name,
       m.model_type,
       m.vram_mb,
       m.context_length,
       p.name       AS provider_name,
       p.type       AS provider_type,
       p.api_base,
       f.model_id   AS fallback_model_id,
       f.name       AS fallback_model_name,
       s.id,
       m.id         AS model_uuid,
       f.id         AS fallback_model_uuid,
       p.id         AS provider_id,
       s.params, s.created_at, s.updated_at
  FROM pmoves_core.service_model_mappings s
  JOIN pmoves_core.models m ON m.id = s.model_id
  JOIN pmoves_core.model_providers p ON p.id = m.provider_id
  LEFT JOIN pmoves_core.models f ON f.id = s.fallback_model_id
 WHERE m.active AND p.active
 ORDER BY s.service_name, s.function_name, s.priority, s.weight DESC, s.variant_name
$v$);

-- The platform's v_active_deployments, its definition and meaning as they
-- are: loaded deployments grouped by node, with a models array.
SELECT pg_temp.registry_replace_view('v_active_deployments', 'security_invoker = true', $v$
SELECT d.node_id, d.provider_type, d.status, d.vram_allocated_mb, d.loaded_at, d.last_used_at,
       json_agg(jsonb_build_object('model_id', m.model_id, 'model_name', m.name,
                                   'model_type', m.model_type, 'provider', p.name)
                ORDER BY m.model_type, m.name) AS models
  FROM pmoves_core.model_deployments d
  JOIN pmoves_core.models m ON d.model_id = m.id
  JOIN pmoves_core.model_providers p ON m.provider_id = p.id
 WHERE d.status = 'loaded'
 GROUP BY d.node_id, d.provider_type, d.status, d.vram_allocated_mb, d.loaded_at, d.last_used_at
$v$);

-- Every model, active or not, in v_active_models' shape, with
-- provider_active appended; the registry reads single models and inactive
-- ones here.
SELECT pg_temp.registry_replace_view('v_models', 'security_invoker = true', $v$
SELECT m.id, m.name, m.model_id, m.model_type, m.capabilities, m.vram_mb,
       m.context_length, m.description,
       p.id   AS provider_id,
       p.name AS provider_name,
       p.type AS provider_type,
       p.api_base,
       p.api_key_env_var,
       coalesce((SELECT jsonb_agg(jsonb_build_object('alias', a.alias, 'context', a.context)
                                  ORDER BY a.alias, a.context NULLS FIRST)
                   FROM pmoves_core.model_aliases a
                  WHERE a.model_id = m.id), '[]'::jsonb) AS aliases,
       m.metadata, m.active, m.created_at, m.updated_at,
       p.active AS provider_active
  FROM pmoves_core.models m
  JOIN pmoves_core.model_providers p ON p.id = m.provider_id
$v$);

-- Mappings whose model and provider are active, with model, provider and
-- fallback details, in routing order; the registry's mapping reads.
SELECT pg_temp.registry_replace_view('v_mappings', 'security_invoker = true', $v$
SELECT s.id, s.id AS mapping_id, s.service_name, s.function_name, s.variant_name,
       s.model_id, s.priority, s.weight, s.fallback_model_id, s.params,
       s.created_at, s.updated_at,
       m.name       AS model_name,
       m.model_id   AS provider_model_id,
       m.model_type AS model_type,
       p.id         AS provider_id,
       p.name       AS provider_name,
       p.type       AS provider_type,
       p.api_base   AS provider_api_base,
       f.name       AS fallback_model_name
  FROM pmoves_core.service_model_mappings s
  JOIN pmoves_core.models m ON m.id = s.model_id
  JOIN pmoves_core.model_providers p ON p.id = m.provider_id
  LEFT JOIN pmoves_core.models f ON f.id = s.fallback_model_id
 WHERE m.active AND p.active
 ORDER BY s.service_name, s.function_name, s.priority, s.variant_name
$v$);

-- Every deployment with its model and provider; the registry's deployment
-- reads.
SELECT pg_temp.registry_replace_view('v_deployments', 'security_invoker = true', $v$
SELECT d.id, d.model_id, d.node_id, d.provider_type, d.status,
       d.vram_allocated_mb, d.loaded_at, d.last_used_at, d.last_seen_at,
       d.error_message, d.created_at, d.updated_at,
       m.name       AS model_name,
       m.model_id   AS provider_model_id,
       m.model_type AS model_type,
       p.name       AS provider_name,
       p.type       AS model_provider_type
  FROM pmoves_core.model_deployments d
  JOIN pmoves_core.models m ON m.id = d.model_id
  JOIN pmoves_core.model_providers p ON p.id = m.provider_id
$v$);

-- Access -------------------------------------------------------------------
--
-- anon and authenticated read the catalogue; service_role does everything;
-- nobody else writes. Only the registry's tables and views are named here.
GRANT USAGE ON SCHEMA pmoves_core TO anon, authenticated, service_role;

REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER
    ON pmoves_core.model_providers, pmoves_core.models, pmoves_core.model_aliases,
       pmoves_core.service_model_mappings, pmoves_core.model_deployments
  FROM anon, authenticated;
GRANT SELECT
   ON pmoves_core.model_providers, pmoves_core.models, pmoves_core.model_aliases,
      pmoves_core.service_model_mappings, pmoves_core.model_deployments
   TO anon, authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE
   ON pmoves_core.model_providers, pmoves_core.models, pmoves_core.model_aliases,
      pmoves_core.service_model_mappings, pmoves_core.model_deployments
   TO service_role;
REVOKE TRUNCATE, REFERENCES, TRIGGER
    ON pmoves_core.model_providers, pmoves_core.models, pmoves_core.model_aliases,
       pmoves_core.service_model_mappings, pmoves_core.model_deployments
  FROM service_role;

REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER
    ON pmoves_core.v_models, pmoves_core.v_mappings, pmoves_core.v_deployments,
       pmoves_core.v_active_models, pmoves_core.v_service_models, pmoves_core.v_active_deployments
  FROM anon, authenticated, service_role;
GRANT SELECT
   ON pmoves_core.v_models, pmoves_core.v_mappings, pmoves_core.v_deployments,
      pmoves_core.v_active_models, pmoves_core.v_service_models, pmoves_core.v_active_deployments
   TO anon, authenticated, service_role;

-- Policies: everyone reads ("Public read ...", the platform's policies,
-- created where missing); service_role writes. The platform's "Service
-- write ..." policies, which let any signed-in user rewrite the catalogue,
-- and the read policy of an earlier registry build give way.
DO $$
DECLARE
  c record;
BEGIN
  FOR c IN SELECT * FROM (VALUES
    ('model_providers', 'providers'), ('models', 'models'), ('model_aliases', 'aliases'),
    ('service_model_mappings', 'mappings'), ('model_deployments', 'deployments')
  ) AS t(tbl, noun)
  LOOP
    EXECUTE format('ALTER TABLE pmoves_core.%I ENABLE ROW LEVEL SECURITY', c.tbl);
    EXECUTE format('DROP POLICY IF EXISTS %I ON pmoves_core.%I', 'Service write ' || c.noun, c.tbl);
    EXECUTE format('DROP POLICY IF EXISTS catalogue_read ON pmoves_core.%I', c.tbl);
    IF NOT EXISTS (SELECT FROM pg_policies WHERE schemaname = 'pmoves_core' AND tablename = c.tbl
                   AND policyname = 'Public read ' || c.noun) THEN
      EXECUTE format('CREATE POLICY %I ON pmoves_core.%I FOR SELECT TO PUBLIC USING (true)',
                     'Public read ' || c.noun, c.tbl);
    END IF;
    IF NOT EXISTS (SELECT FROM pg_policies WHERE schemaname = 'pmoves_core' AND tablename = c.tbl
                   AND policyname = 'service_role_all') THEN
      EXECUTE format('CREATE POLICY service_role_all ON pmoves_core.%I FOR ALL TO service_role USING (true) WITH CHECK (true)',
                     c.tbl);
    END IF;
  END LOOP;
END $$;

-- Tell a running PostgREST to reload its schema cache.
NOTIFY pgrst, 'reload schema';
