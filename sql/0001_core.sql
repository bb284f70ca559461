-- 0001_core: the model registry's schema pmoves_core.
--
-- Idempotent and forward-only: it creates what is missing and upgrades a
-- database that holds the older shape of these tables (no updated_at,
-- last_seen_at or params columns, no unique key on model_deployments
-- (model_id, node_id), duplicate deployment rows). Running it again changes
-- nothing.

CREATE SCHEMA IF NOT EXISTS pmoves_core;

-- The Supabase roles exist in every Supabase database; create them elsewhere
-- (plain PostgreSQL, the compose standalone profile) so the grants apply.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN
    CREATE ROLE anon NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    CREATE ROLE authenticated NOLOGIN NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
  END IF;
END $$;

-- Tables -------------------------------------------------------------------

CREATE TABLE IF NOT EXISTS pmoves_core.model_providers (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name            text NOT NULL,
  type            text NOT NULL,
  api_base        text,
  api_key_env_var text,
  description     text,
  metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,
  active          boolean NOT NULL DEFAULT true,
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS pmoves_core.models (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  provider_id    uuid NOT NULL REFERENCES pmoves_core.model_providers (id) ON DELETE RESTRICT,
  name           text NOT NULL,
  model_id       text NOT NULL,
  model_type     text NOT NULL,
  capabilities   jsonb NOT NULL DEFAULT '[]'::jsonb,
  vram_mb        integer,
  context_length integer,
  description    text,
  metadata       jsonb NOT NULL DEFAULT '{}'::jsonb,
  active         boolean NOT NULL DEFAULT true,
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS pmoves_core.model_aliases (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  model_id   uuid NOT NULL REFERENCES pmoves_core.models (id) ON DELETE CASCADE,
  alias      text NOT NULL,
  context    text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS pmoves_core.service_model_mappings (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_name      text NOT NULL,
  function_name     text NOT NULL,
  variant_name      text NOT NULL,
  model_id          uuid NOT NULL REFERENCES pmoves_core.models (id) ON DELETE RESTRICT,
  priority          integer NOT NULL DEFAULT 1,
  weight            numeric NOT NULL DEFAULT 1,
  fallback_model_id uuid REFERENCES pmoves_core.models (id) ON DELETE SET NULL,
  created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS pmoves_core.model_deployments (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  model_id          uuid NOT NULL REFERENCES pmoves_core.models (id) ON DELETE CASCADE,
  node_id           text NOT NULL,
  provider_type     text NOT NULL,
  status            text NOT NULL DEFAULT 'loading',
  vram_allocated_mb integer,
  loaded_at         timestamptz,
  last_used_at      timestamptz,
  error_message     text,
  created_at        timestamptz NOT NULL DEFAULT now()
);

-- Columns added since the first shape. created_at is guarded too, in case a
-- legacy table lacks it; updated_at starts from created_at for old rows.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['model_providers', 'models', 'model_aliases',
                           'service_model_mappings', 'model_deployments']
  LOOP
    EXECUTE format('ALTER TABLE pmoves_core.%I ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now()', t);
    IF NOT EXISTS (SELECT FROM information_schema.columns
                   WHERE table_schema = 'pmoves_core' AND table_name = t AND column_name = 'updated_at') THEN
      EXECUTE format('ALTER TABLE pmoves_core.%I ADD COLUMN updated_at timestamptz', t);
      EXECUTE format('UPDATE pmoves_core.%I SET updated_at = created_at', t);
      EXECUTE format('ALTER TABLE pmoves_core.%I ALTER COLUMN updated_at SET DEFAULT now(), ALTER COLUMN updated_at SET NOT NULL', t);
    END IF;
  END LOOP;
END $$;

ALTER TABLE pmoves_core.service_model_mappings
  ADD COLUMN IF NOT EXISTS params jsonb NOT NULL DEFAULT '{}'::jsonb;
ALTER TABLE pmoves_core.model_deployments
  ADD COLUMN IF NOT EXISTS last_seen_at timestamptz;

-- Merge duplicate rows before the unique keys go on: the newest row (by
-- updated_at, then created_at, then id) survives and takes over what only
-- older duplicates knew (VRAM, load and use times, last error).
WITH ranked AS (
  SELECT id, model_id, node_id,
         row_number() OVER w AS rn,
         first_value(id) OVER w AS keeper,
         max(vram_allocated_mb) FILTER (WHERE vram_allocated_mb IS NOT NULL) OVER g AS any_vram,
         min(loaded_at) OVER g AS first_loaded,
         max(last_used_at) OVER g AS last_used,
         max(last_seen_at) OVER g AS last_seen
  FROM pmoves_core.model_deployments
  WINDOW w AS (PARTITION BY model_id, node_id ORDER BY updated_at DESC, created_at DESC, id DESC),
         g AS (PARTITION BY model_id, node_id)
), merged AS (
  UPDATE pmoves_core.model_deployments d
     SET vram_allocated_mb = coalesce(d.vram_allocated_mb, r.any_vram),
         loaded_at         = coalesce(d.loaded_at, r.first_loaded),
         last_used_at      = coalesce(d.last_used_at, r.last_used),
         last_seen_at      = coalesce(d.last_seen_at, r.last_seen)
    FROM ranked r
   WHERE d.id = r.id AND r.rn = 1
     AND EXISTS (SELECT FROM ranked o WHERE o.keeper = r.id AND o.rn > 1)
  RETURNING d.id
)
DELETE FROM pmoves_core.model_deployments d
 USING ranked r
 WHERE d.id = r.id AND r.rn > 1;

DELETE FROM pmoves_core.model_aliases a
 USING pmoves_core.model_aliases b
 WHERE a.alias = b.alias AND a.context IS NOT DISTINCT FROM b.context
   AND (a.updated_at, a.created_at, a.id) < (b.updated_at, b.created_at, b.id);

-- Columns that are NOT NULL now: fill what a legacy row left empty from the
-- column's default, then tighten. A required reference that is missing in
-- old rows cannot be invented; the column then stays nullable and a warning
-- says how many rows need attention.
DO $$
DECLARE
  c record;
  missing bigint;
BEGIN
  FOR c IN SELECT * FROM (VALUES
    ('model_providers', 'name'), ('model_providers', 'type'), ('model_providers', 'metadata'),
    ('model_providers', 'active'), ('model_providers', 'created_at'),
    ('models', 'provider_id'), ('models', 'name'), ('models', 'model_id'), ('models', 'model_type'),
    ('models', 'capabilities'), ('models', 'metadata'), ('models', 'active'), ('models', 'created_at'),
    ('model_aliases', 'model_id'), ('model_aliases', 'alias'), ('model_aliases', 'created_at'),
    ('service_model_mappings', 'service_name'), ('service_model_mappings', 'function_name'),
    ('service_model_mappings', 'variant_name'), ('service_model_mappings', 'model_id'),
    ('service_model_mappings', 'priority'), ('service_model_mappings', 'weight'),
    ('service_model_mappings', 'created_at'),
    ('model_deployments', 'model_id'), ('model_deployments', 'node_id'), ('model_deployments', 'provider_type'),
    ('model_deployments', 'status'), ('model_deployments', 'created_at')
  ) AS t(tbl, col)
  LOOP
    CONTINUE WHEN NOT EXISTS (SELECT FROM information_schema.columns
      WHERE table_schema = 'pmoves_core' AND table_name = c.tbl AND column_name = c.col AND is_nullable = 'YES');
    IF EXISTS (SELECT FROM information_schema.columns WHERE table_schema = 'pmoves_core'
               AND table_name = c.tbl AND column_name = c.col AND column_default IS NOT NULL) THEN
      EXECUTE format('UPDATE pmoves_core.%I SET %I = DEFAULT WHERE %I IS NULL', c.tbl, c.col, c.col);
    END IF;
    EXECUTE format('SELECT count(*) FROM pmoves_core.%I WHERE %I IS NULL', c.tbl, c.col) INTO missing;
    IF missing = 0 THEN
      EXECUTE format('ALTER TABLE pmoves_core.%I ALTER COLUMN %I SET NOT NULL', c.tbl, c.col);
    ELSE
      RAISE WARNING 'pmoves_core.%.% is empty in % rows; it stays nullable until they are fixed', c.tbl, c.col, missing;
    END IF;
  END LOOP;
END $$;

-- Foreign keys with the delete behaviour the API relies on: a provider or a
-- model in use cannot vanish; aliases and deployments go with their model; a
-- deleted fallback model clears the fallback. Legacy keys with another
-- behaviour are replaced.
DO $$
DECLARE
  c record;
  fk record;
BEGIN
  FOR c IN SELECT * FROM (VALUES
    ('models', 'provider_id', 'model_providers', 'r', 'RESTRICT'),
    ('model_aliases', 'model_id', 'models', 'c', 'CASCADE'),
    ('service_model_mappings', 'model_id', 'models', 'r', 'RESTRICT'),
    ('service_model_mappings', 'fallback_model_id', 'models', 'n', 'SET NULL'),
    ('model_deployments', 'model_id', 'models', 'c', 'CASCADE')
  ) AS t(tbl, col, ref, code, action)
  LOOP
    FOR fk IN SELECT con.conname, con.confdeltype FROM pg_constraint con
               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey)
              WHERE con.contype = 'f' AND con.conrelid = format('pmoves_core.%I', c.tbl)::regclass
                AND a.attname = c.col AND cardinality(con.conkey) = 1
    LOOP
      IF fk.confdeltype <> c.code OR fk.conname <> c.tbl || '_' || c.col || '_fkey' THEN
        EXECUTE format('ALTER TABLE pmoves_core.%I DROP CONSTRAINT %I', c.tbl, fk.conname);
      END IF;
    END LOOP;
    IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = c.tbl || '_' || c.col || '_fkey'
                   AND conrelid = format('pmoves_core.%I', c.tbl)::regclass) THEN
      EXECUTE format('ALTER TABLE pmoves_core.%I ADD CONSTRAINT %I FOREIGN KEY (%I) REFERENCES pmoves_core.%I (id) ON DELETE %s',
                     c.tbl, c.tbl || '_' || c.col || '_fkey', c.col, c.ref, c.action);
    END IF;
  END LOOP;
END $$;

-- Unique keys, under one name each. A legacy key on the same columns under
-- another name is renamed rather than doubled.
DO $$
DECLARE
  c record;
  existing name;
BEGIN
  FOR c IN SELECT * FROM (VALUES
    ('model_providers', 'model_providers_name_key', ARRAY['name'], ''),
    ('models', 'models_provider_id_model_id_key', ARRAY['provider_id', 'model_id'], ''),
    ('model_aliases', 'model_aliases_alias_context_key', ARRAY['alias', 'context'], 'NULLS NOT DISTINCT'),
    ('service_model_mappings', 'service_model_mappings_key', ARRAY['service_name', 'function_name', 'variant_name'], ''),
    ('model_deployments', 'model_deployments_model_id_node_id_key', ARRAY['model_id', 'node_id'], '')
  ) AS t(tbl, name, cols, opts)
  LOOP
    SELECT con.conname INTO existing FROM pg_constraint con
     WHERE con.contype = 'u' AND con.conrelid = format('pmoves_core.%I', c.tbl)::regclass
       AND (SELECT array_agg(a.attname::text ORDER BY k.ord)
              FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
              JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) = c.cols
     LIMIT 1;
    IF existing IS NULL THEN
      EXECUTE format('ALTER TABLE pmoves_core.%I ADD CONSTRAINT %I UNIQUE %s (%s)', c.tbl, c.name, c.opts,
                     (SELECT string_agg(quote_ident(x), ', ') FROM unnest(c.cols) x));
    ELSIF existing <> c.name THEN
      EXECUTE format('ALTER TABLE pmoves_core.%I RENAME CONSTRAINT %I TO %I', c.tbl, existing, c.name);
    END IF;
  END LOOP;
END $$;

-- Constraints, added once by name.
DO $$
DECLARE
  c record;
BEGIN
  FOR c IN SELECT * FROM (VALUES
    ('model_providers', 'model_providers_type_check',
       $c$CHECK (type IN ('openai_compatible', 'anthropic', 'ollama', 'vllm', 'custom'))$c$),
    ('model_providers', 'model_providers_name_check', $c$CHECK (length(btrim(name)) > 0)$c$),
    ('model_providers', 'model_providers_metadata_check', $c$CHECK (jsonb_typeof(metadata) = 'object')$c$),
    ('models', 'models_model_type_check',
       $c$CHECK (model_type IN ('chat', 'embedding', 'reranker', 'vl', 'tts', 'audio', 'image'))$c$),
    ('models', 'models_name_check', $c$CHECK (length(btrim(name)) > 0 AND length(btrim(model_id)) > 0)$c$),
    ('models', 'models_capabilities_check', $c$CHECK (jsonb_typeof(capabilities) = 'array')$c$),
    ('models', 'models_metadata_check', $c$CHECK (jsonb_typeof(metadata) = 'object')$c$),
    ('models', 'models_vram_mb_check', 'CHECK (vram_mb IS NULL OR vram_mb >= 0)'),
    ('models', 'models_context_length_check', 'CHECK (context_length IS NULL OR context_length >= 0)'),
    ('model_aliases', 'model_aliases_alias_check', $c$CHECK (length(btrim(alias)) > 0)$c$),
    ('service_model_mappings', 'service_model_mappings_weight_check', 'CHECK (weight >= 0 AND weight <= 1000)'),
    ('service_model_mappings', 'service_model_mappings_priority_check', 'CHECK (priority >= 0)'),
    ('service_model_mappings', 'service_model_mappings_params_check', $c$CHECK (jsonb_typeof(params) = 'object')$c$),
    ('model_deployments', 'model_deployments_provider_type_check',
       $c$CHECK (provider_type IN ('ollama', 'vllm', 'tts', 'custom'))$c$),
    ('model_deployments', 'model_deployments_status_check',
       $c$CHECK (status IN ('loading', 'loaded', 'unloaded', 'error'))$c$),
    ('model_deployments', 'model_deployments_vram_check',
       'CHECK (vram_allocated_mb IS NULL OR vram_allocated_mb >= 0)')
  ) AS t(tbl, name, def)
  LOOP
    IF NOT EXISTS (SELECT FROM pg_constraint
                   WHERE conname = c.name AND conrelid = format('pmoves_core.%I', c.tbl)::regclass) THEN
      EXECUTE format('ALTER TABLE pmoves_core.%I ADD CONSTRAINT %I %s', c.tbl, c.name, c.def);
    END IF;
  END LOOP;
END $$;

-- Indexes for the foreign keys and the API's filters.
CREATE INDEX IF NOT EXISTS models_provider_id_idx ON pmoves_core.models (provider_id);
CREATE INDEX IF NOT EXISTS models_model_type_idx ON pmoves_core.models (model_type);
CREATE INDEX IF NOT EXISTS model_aliases_model_id_idx ON pmoves_core.model_aliases (model_id);
CREATE INDEX IF NOT EXISTS service_model_mappings_model_id_idx ON pmoves_core.service_model_mappings (model_id);
CREATE INDEX IF NOT EXISTS service_model_mappings_fallback_idx ON pmoves_core.service_model_mappings (fallback_model_id);
CREATE INDEX IF NOT EXISTS model_deployments_node_id_idx ON pmoves_core.model_deployments (node_id);
CREATE INDEX IF NOT EXISTS model_deployments_status_idx ON pmoves_core.model_deployments (status);

-- updated_at is kept by the database, whoever writes.
CREATE OR REPLACE FUNCTION pmoves_core.set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['model_providers', 'models', 'model_aliases',
                           'service_model_mappings', 'model_deployments']
  LOOP
    EXECUTE format('DROP TRIGGER IF EXISTS set_updated_at ON pmoves_core.%I', t);
    EXECUTE format('CREATE TRIGGER set_updated_at BEFORE UPDATE ON pmoves_core.%I
                    FOR EACH ROW EXECUTE FUNCTION pmoves_core.set_updated_at()', t);
  END LOOP;
END $$;
