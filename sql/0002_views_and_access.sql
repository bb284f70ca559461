-- 0002_views_and_access: the API's read views, row-level security and
-- grants. Views hold no data, so they are dropped and created again: that
-- upgrades an older definition whose columns differ, and a second run gives
-- the same views.

DROP VIEW IF EXISTS pmoves_core.v_active_models;
DROP VIEW IF EXISTS pmoves_core.v_models;
DROP VIEW IF EXISTS pmoves_core.v_service_models;
DROP VIEW IF EXISTS pmoves_core.v_active_deployments;
DROP VIEW IF EXISTS pmoves_core.v_deployments;

-- Every model with its provider and aliases (the API lists inactive models
-- from here when asked to).
CREATE VIEW pmoves_core.v_models WITH (security_invoker = true) AS
SELECT m.id, m.provider_id, m.name, m.model_id, m.model_type, m.capabilities,
       m.vram_mb, m.context_length, m.description, m.metadata, m.active,
       m.created_at, m.updated_at,
       p.name     AS provider_name,
       p.type     AS provider_type,
       p.api_base AS provider_api_base,
       p.active   AS provider_active,
       coalesce((SELECT jsonb_agg(a.alias ORDER BY a.alias)
                   FROM pmoves_core.model_aliases a
                  WHERE a.model_id = m.id), '[]'::jsonb) AS aliases
  FROM pmoves_core.models m
  JOIN pmoves_core.model_providers p ON p.id = m.provider_id;

-- Active models of active providers.
CREATE VIEW pmoves_core.v_active_models WITH (security_invoker = true) AS
SELECT * FROM pmoves_core.v_models WHERE active AND provider_active;

-- Mappings whose model and provider are active, with model, provider and
-- fallback details, in routing order.
CREATE VIEW pmoves_core.v_service_models WITH (security_invoker = true) AS
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
 ORDER BY s.service_name, s.function_name, s.priority, s.variant_name;

-- Every deployment with its model and provider.
CREATE VIEW pmoves_core.v_deployments WITH (security_invoker = true) AS
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
  JOIN pmoves_core.model_providers p ON p.id = m.provider_id;

-- Deployments that are loading or loaded, one row each.
CREATE VIEW pmoves_core.v_active_deployments WITH (security_invoker = true) AS
SELECT * FROM pmoves_core.v_deployments WHERE status IN ('loading', 'loaded');

-- Access: anon and authenticated read the catalogue; service_role does
-- everything; nobody else writes.
GRANT USAGE ON SCHEMA pmoves_core TO anon, authenticated, service_role;
REVOKE ALL ON ALL TABLES IN SCHEMA pmoves_core FROM anon, authenticated;
GRANT SELECT ON ALL TABLES IN SCHEMA pmoves_core TO anon, authenticated;
GRANT ALL ON ALL TABLES IN SCHEMA pmoves_core TO service_role;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA pmoves_core TO service_role;
GRANT EXECUTE ON FUNCTION pmoves_core.set_updated_at() TO service_role;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['model_providers', 'models', 'model_aliases',
                           'service_model_mappings', 'model_deployments']
  LOOP
    EXECUTE format('ALTER TABLE pmoves_core.%I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('DROP POLICY IF EXISTS catalogue_read ON pmoves_core.%I', t);
    EXECUTE format('CREATE POLICY catalogue_read ON pmoves_core.%I FOR SELECT TO anon, authenticated USING (true)', t);
    EXECUTE format('DROP POLICY IF EXISTS service_role_all ON pmoves_core.%I', t);
    EXECUTE format('CREATE POLICY service_role_all ON pmoves_core.%I FOR ALL TO service_role USING (true) WITH CHECK (true)', t);
  END LOOP;
END $$;

-- Tell a running PostgREST to reload its schema cache.
NOTIFY pgrst, 'reload schema';
