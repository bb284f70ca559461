-- 0006_registry_functions: the registry's writes that touch several rows,
-- each one transaction, called through PostgREST's /rpc/ (the API holds no
-- SQL). They keep the platform's foreign keys as they are: the registry's
-- own rule, no delete while mappings use a model unless asked to cascade,
-- is enforced here, under row locks, so a mapping created concurrently
-- cannot slip in between the check and the delete.
--
-- Only service_role may call them (EXECUTE is revoked from PUBLIC, anon and
-- authenticated). They run as the caller (SECURITY INVOKER) with an empty
-- search_path, naming every object by schema.

-- registry_delete_model deletes a model. Without p_cascade it refuses while
-- service mappings route to it and names them; with p_cascade it deletes
-- those mappings first. Its aliases and deployments go with it, and
-- mappings that fall back to it lose the fallback (the foreign keys).
-- Answers {"found", "deleted", "mappings": [{service_name, function_name,
-- variant_name}]}.
CREATE OR REPLACE FUNCTION pmoves_core.registry_delete_model(p_id uuid, p_cascade boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = ''
AS $$
DECLARE
  users jsonb;
BEGIN
  -- The lock conflicts with the key-share lock a new mapping's foreign key
  -- takes on the model: such an insert waits, then fails on the deleted row.
  PERFORM FROM pmoves_core.models WHERE id = p_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('found', false, 'deleted', false, 'mappings', '[]'::jsonb);
  END IF;
  SELECT coalesce(jsonb_agg(jsonb_build_object('service_name', s.service_name, 'function_name', s.function_name,
                                               'variant_name', s.variant_name)
                            ORDER BY s.service_name, s.function_name, s.variant_name), '[]'::jsonb)
    INTO users
    FROM (SELECT service_name, function_name, variant_name FROM pmoves_core.service_model_mappings
           WHERE model_id = p_id FOR UPDATE) s;
  IF jsonb_array_length(users) > 0 AND NOT p_cascade THEN
    RETURN jsonb_build_object('found', true, 'deleted', false, 'mappings', users);
  END IF;
  DELETE FROM pmoves_core.service_model_mappings WHERE model_id = p_id;
  DELETE FROM pmoves_core.models WHERE id = p_id;
  RETURN jsonb_build_object('found', true, 'deleted', true, 'mappings', users);
END
$$;

-- registry_delete_provider deletes a provider. Without p_cascade it refuses
-- while the provider has models, naming them and the mappings that route to
-- them; with p_cascade it deletes those mappings, the models (their aliases
-- and deployments with them) and the provider. Answers {"found", "deleted",
-- "models": [names], "mappings": [...]}.
CREATE OR REPLACE FUNCTION pmoves_core.registry_delete_provider(p_id uuid, p_cascade boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = ''
AS $$
DECLARE
  model_names jsonb;
  users jsonb;
BEGIN
  PERFORM FROM pmoves_core.model_providers WHERE id = p_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('found', false, 'deleted', false, 'models', '[]'::jsonb, 'mappings', '[]'::jsonb);
  END IF;
  SELECT coalesce(jsonb_agg(m.name ORDER BY m.name, m.id), '[]'::jsonb) INTO model_names
    FROM (SELECT id, name FROM pmoves_core.models WHERE provider_id = p_id FOR UPDATE) m;
  SELECT coalesce(jsonb_agg(jsonb_build_object('service_name', s.service_name, 'function_name', s.function_name,
                                               'variant_name', s.variant_name)
                            ORDER BY s.service_name, s.function_name, s.variant_name), '[]'::jsonb)
    INTO users
    FROM (SELECT service_name, function_name, variant_name FROM pmoves_core.service_model_mappings
           WHERE model_id IN (SELECT id FROM pmoves_core.models WHERE provider_id = p_id) FOR UPDATE) s;
  IF jsonb_array_length(model_names) > 0 AND NOT p_cascade THEN
    RETURN jsonb_build_object('found', true, 'deleted', false, 'models', model_names, 'mappings', users);
  END IF;
  DELETE FROM pmoves_core.service_model_mappings
   WHERE model_id IN (SELECT id FROM pmoves_core.models WHERE provider_id = p_id);
  DELETE FROM pmoves_core.models WHERE provider_id = p_id;
  DELETE FROM pmoves_core.model_providers WHERE id = p_id;
  RETURN jsonb_build_object('found', true, 'deleted', true, 'models', model_names, 'mappings', users);
END
$$;

-- GPU nodes name a model by the provider's id of it; this resolves it
-- without reading every model.
CREATE INDEX IF NOT EXISTS models_model_id_idx ON pmoves_core.models (model_id);

-- registry_record_deployments applies a batch of GPU node events in order.
-- Each element of p_events is {model_id (a UUID) | provider_type +
-- provider_model_id, node_id, runtime (the deployment's provider_type),
-- status, vram_allocated_mb, error_message, observed_at, force}. The model named
-- by the provider's id resolves among models of providers of provider_type;
-- several resolve to the one whose model and provider are active, else the
-- event is a conflict naming the providers.
--
-- Each event is upserted on (model, node) in a savepoint of its own, so one
-- failing event fails alone. A deployment whose state was observed later
-- than the event is left as it is (applied false): reordered or redelivered
-- events cannot flip a state back (force, for a registration through the
-- API, applies it whatever the stored time). last_seen_at only moves forward;
-- loaded_at is the observation time when the deployment turns loaded and
-- stays while it stays loaded. The row lock of the upsert orders replicas
-- applying events of one pair at once.
--
-- Answers one element per event, in order: {"deployment": row, "applied",
-- "created"} (created: the event inserted the pair's row, xmax = 0 of the
-- upsert) or {"error":
-- "not_found" | "conflict" | "invalid", "message"}. A deadlock with another
-- batch fails the whole call (its locks go at once) and the caller retries;
-- callers order a batch by node to make that rare.
CREATE OR REPLACE FUNCTION pmoves_core.registry_record_deployments(p_events jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = ''
AS $$
DECLARE
  ev jsonb;
  out jsonb := '[]'::jsonb;
  model uuid;
  n_found integer;
  n_active integer;
  active_id uuid;
  names text;
  observed timestamptz;
  st text;
  dep jsonb;
  applied boolean;
  created boolean;
BEGIN
  IF jsonb_typeof(p_events) IS DISTINCT FROM 'array' THEN
    RAISE EXCEPTION 'p_events must be a JSON array' USING ERRCODE = '22023';
  END IF;
  FOR ev IN SELECT value FROM jsonb_array_elements(p_events) LOOP
    BEGIN
      observed := coalesce((ev->>'observed_at')::timestamptz, now());
      st := coalesce(nullif(ev->>'status', ''), 'loaded');
      IF nullif(ev->>'model_id', '') IS NOT NULL THEN
        model := (ev->>'model_id')::uuid;
      ELSE
        SELECT count(*), count(*) FILTER (WHERE m.active AND p.active),
               CASE WHEN count(*) = 1 THEN (array_agg(m.id))[1]
                    ELSE (array_agg(m.id) FILTER (WHERE m.active AND p.active))[1] END,
               string_agg(p.name, ', ' ORDER BY p.name)
          INTO n_found, n_active, active_id, names
          FROM pmoves_core.models m
          JOIN pmoves_core.model_providers p ON p.id = m.provider_id
         WHERE m.model_id = ev->>'provider_model_id' AND p.type = ev->>'provider_type';
        IF n_found = 0 THEN
          out := out || jsonb_build_array(jsonb_build_object('error', 'not_found', 'message',
                   format('no model with model_id %s from a provider of type %s',
                          to_jsonb(ev->>'provider_model_id'), ev->>'provider_type')));
          CONTINUE;
        ELSIF n_found = 1 OR n_active = 1 THEN
          model := active_id; -- the only model, or the only active one
        ELSE
          out := out || jsonb_build_array(jsonb_build_object('error', 'conflict', 'message',
                   format('model_id %s is offered by several %s providers (%s); register it by model UUID',
                          to_jsonb(ev->>'provider_model_id'), ev->>'provider_type', names)));
          CONTINUE;
        END IF;
      END IF;

      INSERT INTO pmoves_core.model_deployments AS d
             (model_id, node_id, provider_type, status, vram_allocated_mb, error_message,
              loaded_at, last_seen_at, state_observed_at)
      VALUES (model, ev->>'node_id', ev->>'runtime', st, (ev->>'vram_allocated_mb')::integer,
              ev->>'error_message', CASE WHEN st = 'loaded' THEN observed END, observed, observed)
      ON CONFLICT (model_id, node_id) DO UPDATE
         SET provider_type     = EXCLUDED.provider_type,
             status            = EXCLUDED.status,
             error_message     = EXCLUDED.error_message,
             vram_allocated_mb = coalesce(EXCLUDED.vram_allocated_mb, d.vram_allocated_mb),
             loaded_at         = CASE WHEN EXCLUDED.status <> 'loaded' THEN d.loaded_at
                                      WHEN d.status = 'loaded' AND d.loaded_at IS NOT NULL THEN d.loaded_at
                                      ELSE EXCLUDED.state_observed_at END,
             last_seen_at      = greatest(d.last_seen_at, EXCLUDED.last_seen_at),
             state_observed_at = EXCLUDED.state_observed_at
       WHERE coalesce((ev->>'force')::boolean, false)
          OR d.state_observed_at IS NULL OR d.state_observed_at <= EXCLUDED.state_observed_at
      RETURNING to_jsonb(d.*), d.xmax = 0 INTO dep, created;
      applied := FOUND;
      IF NOT applied THEN
        created := false;
        SELECT to_jsonb(d.*) INTO dep FROM pmoves_core.model_deployments d
         WHERE d.model_id = model AND d.node_id = ev->>'node_id';
      END IF;
      out := out || jsonb_build_array(jsonb_build_object('deployment', dep, 'applied', applied,
                                                     'created', created));
    EXCEPTION
      WHEN foreign_key_violation THEN
        out := out || jsonb_build_array(jsonb_build_object('error', 'not_found', 'message',
                 format('model %s: not found', model)));
      WHEN invalid_text_representation OR invalid_datetime_format OR datetime_field_overflow
           OR numeric_value_out_of_range OR not_null_violation OR check_violation THEN
        out := out || jsonb_build_array(jsonb_build_object('error', 'invalid', 'message', SQLERRM));
    END;
  END LOOP;
  RETURN out;
END
$$;

-- registry_catalog_version is a cheap digest of what the TensorZero
-- configuration is rendered from: per table of providers, models, aliases,
-- mappings and pass-through sections, the row count and an XOR of a hash of
-- each row's key and updated_at. Any insert, update or delete changes it.
-- (The latest updated_at alone would not do: updated_at is the writing
-- transaction's start, so a long transaction can commit a change older than
-- one already seen.) Equal versions mean an unchanged catalogue, so the
-- configuration cache asks for this before it reads the whole catalogue.
CREATE OR REPLACE FUNCTION pmoves_core.registry_catalog_version()
RETURNS text
LANGUAGE sql
STABLE
SET search_path = ''
AS $$
  SELECT concat_ws('.',
    (SELECT count(*) || '-' || coalesce(bit_xor(hashtextextended(id::text || updated_at::text, 0)), 0)
       FROM pmoves_core.model_providers),
    (SELECT count(*) || '-' || coalesce(bit_xor(hashtextextended(id::text || updated_at::text, 0)), 0)
       FROM pmoves_core.models),
    (SELECT count(*) || '-' || coalesce(bit_xor(hashtextextended(id::text || updated_at::text, 0)), 0)
       FROM pmoves_core.model_aliases),
    (SELECT count(*) || '-' || coalesce(bit_xor(hashtextextended(id::text || updated_at::text, 0)), 0)
       FROM pmoves_core.service_model_mappings),
    (SELECT count(*) || '-' || coalesce(bit_xor(hashtextextended(key || updated_at::text, 0)), 0)
       FROM pmoves_core.tensorzero_passthrough))
$$;

DO $$
DECLARE
  f text;
BEGIN
  FOREACH f IN ARRAY ARRAY['pmoves_core.registry_delete_model(uuid, boolean)',
                           'pmoves_core.registry_delete_provider(uuid, boolean)',
                           'pmoves_core.registry_record_deployments(jsonb)',
                           'pmoves_core.registry_catalog_version()']
  LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC, anon, authenticated', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO service_role', f);
  END LOOP;
END $$;

NOTIFY pgrst, 'reload schema';
