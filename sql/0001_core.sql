-- 0001_core: the model registry's tables in schema pmoves_core.
--
-- The registry is a drop-in for the platform's Python registry, whose tables
-- (POWERFULMOVES/PMOVES.AI, supabase/migrations/20260115_model_registry.sql)
-- a database may already hold. This file creates them as the platform
-- defines them when they are missing, then upgrades either starting point to
-- the same shape:
--   * columns the registry needs are added (updated_at everywhere, params,
--     last_seen_at);
--   * columns it needs filled get legal values first, then NOT NULL;
--   * rows that break a stricter key (one deployment per model and node, one
--     alias per name and context) move to registry_upgrade_archive: no row is
--     ever deleted;
--   * the platform's foreign keys and their delete rules are kept.
-- It never touches other tables or views of the schema (see
-- README "Upgrading the platform's database").

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

-- Rows an upgrade had to move aside, as they were. Restoring one is an
-- INSERT of jsonb_populate_record(NULL::pmoves_core.<table_name>, row) once
-- the conflict is resolved.
CREATE TABLE IF NOT EXISTS pmoves_core.registry_upgrade_archive (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  table_name  text NOT NULL,
  row         jsonb NOT NULL,
  reason      text NOT NULL,
  archived_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE pmoves_core.registry_upgrade_archive ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON pmoves_core.registry_upgrade_archive FROM PUBLIC, anon, authenticated, service_role;

-- Tables, as the platform creates them --------------------------------------

CREATE TABLE IF NOT EXISTS pmoves_core.model_providers (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name            text NOT NULL UNIQUE,
  type            text NOT NULL CHECK (type IN ('openai_compatible', 'anthropic', 'ollama', 'vllm', 'custom')),
  api_base        text,
  api_key_env_var text,
  description     text,
  metadata        jsonb DEFAULT '{}'::jsonb,
  active          boolean DEFAULT true,
  created_at      timestamptz DEFAULT now(),
  updated_at      timestamptz DEFAULT now()
);

CREATE TABLE IF NOT EXISTS pmoves_core.models (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  provider_id    uuid NOT NULL REFERENCES pmoves_core.model_providers (id) ON DELETE CASCADE,
  name           text NOT NULL,
  model_id       text NOT NULL,
  model_type     text NOT NULL CHECK (model_type IN ('chat', 'embedding', 'reranker', 'vl', 'tts', 'audio', 'image')),
  capabilities   jsonb DEFAULT '[]'::jsonb,
  vram_mb        integer DEFAULT 0,
  context_length integer,
  description    text,
  metadata       jsonb DEFAULT '{}'::jsonb,
  active         boolean DEFAULT true,
  created_at     timestamptz DEFAULT now(),
  updated_at     timestamptz DEFAULT now(),
  UNIQUE (provider_id, model_id)
);

CREATE TABLE IF NOT EXISTS pmoves_core.model_aliases (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  model_id   uuid NOT NULL REFERENCES pmoves_core.models (id) ON DELETE CASCADE,
  alias      text NOT NULL,
  context    text,
  created_at timestamptz DEFAULT now(),
  UNIQUE (model_id, context)
);

CREATE TABLE IF NOT EXISTS pmoves_core.service_model_mappings (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_name      text NOT NULL,
  function_name     text NOT NULL,
  model_id          uuid NOT NULL REFERENCES pmoves_core.models (id) ON DELETE CASCADE,
  variant_name      text NOT NULL,
  priority          integer DEFAULT 5,
  weight            numeric(3,2) DEFAULT 1.0,
  fallback_model_id uuid REFERENCES pmoves_core.models (id) ON DELETE SET NULL,
  created_at        timestamptz DEFAULT now(),
  UNIQUE (service_name, function_name, variant_name)
);

CREATE TABLE IF NOT EXISTS pmoves_core.model_deployments (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  model_id          uuid NOT NULL REFERENCES pmoves_core.models (id) ON DELETE CASCADE,
  node_id           text NOT NULL,
  provider_type     text CHECK (provider_type IN ('ollama', 'vllm', 'tts', 'custom')),
  status            text CHECK (status IN ('loading', 'loaded', 'unloaded', 'error')),
  vram_allocated_mb integer,
  loaded_at         timestamptz,
  last_used_at      timestamptz,
  error_message     text,
  created_at        timestamptz DEFAULT now()
);

-- Stricter keys: conflicting rows move to the archive -----------------------
--
-- First of all, so that an archived row is the row as the platform left it.
ALTER TABLE pmoves_core.model_deployments ADD COLUMN IF NOT EXISTS created_at timestamptz DEFAULT now();
ALTER TABLE pmoves_core.model_aliases ADD COLUMN IF NOT EXISTS created_at timestamptz DEFAULT now();
--
-- Deployments: one row per (model, node). The platform's upsert raced and
-- could register one twice. The newest registration stays (latest
-- created_at, then the greatest id); the others are archived.
WITH ranked AS (
  SELECT id, row_number() OVER (PARTITION BY model_id, node_id
                                ORDER BY created_at DESC NULLS LAST, id DESC) AS rn
    FROM pmoves_core.model_deployments
), moved AS (
  DELETE FROM pmoves_core.model_deployments d
   USING ranked r
   WHERE d.id = r.id AND r.rn > 1
  RETURNING d.*
)
INSERT INTO pmoves_core.registry_upgrade_archive (table_name, row, reason)
SELECT 'model_deployments', to_jsonb(moved),
       'duplicate deployment of one model on one node; the newest registration stays'
  FROM moved;

-- The platform's own alias key, (model_id, context), which its seed upserts
-- on: a table older than the platform's may break it (two aliases of one
-- model in one context). The oldest stays. This pass runs first: the
-- next one then sees only rows the platform's own key allows.
WITH ranked AS (
  SELECT id, row_number() OVER (PARTITION BY model_id, context
                                ORDER BY created_at ASC NULLS LAST, id ASC) AS rn
    FROM pmoves_core.model_aliases
   WHERE context IS NOT NULL
), moved AS (
  DELETE FROM pmoves_core.model_aliases a
   USING ranked r
   WHERE a.id = r.id AND r.rn > 1
  RETURNING a.*
)
INSERT INTO pmoves_core.registry_upgrade_archive (table_name, row, reason)
SELECT 'model_aliases', to_jsonb(moved), 'second alias of one model in one context; the oldest stays'
  FROM moved;

-- Aliases: one alias name per context (NULL is one context). The platform's
-- key is (model_id, context), so one name could point at two models. The
-- alias of an active model of an active provider stays, then the oldest
-- (earliest created_at, then the smallest id); the others are archived.
WITH ranked AS (
  SELECT a.id, row_number() OVER (PARTITION BY a.alias, a.context
                                  ORDER BY coalesce(m.active AND p.active, false) DESC,
                                           a.created_at ASC NULLS LAST, a.id ASC) AS rn
    FROM pmoves_core.model_aliases a
    LEFT JOIN pmoves_core.models m ON m.id = a.model_id
    LEFT JOIN pmoves_core.model_providers p ON p.id = m.provider_id
), moved AS (
  DELETE FROM pmoves_core.model_aliases a
   USING ranked r
   WHERE a.id = r.id AND r.rn > 1
  RETURNING a.*
)
INSERT INTO pmoves_core.registry_upgrade_archive (table_name, row, reason)
SELECT 'model_aliases', to_jsonb(moved),
       'alias name already used in this context by another model; the active, then oldest, alias stays'
  FROM moved;

-- Columns the registry adds -------------------------------------------------

-- created_at is guarded too, for a database older than the platform's file;
-- updated_at starts from created_at for rows that had none.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['model_providers', 'models', 'model_aliases',
                           'service_model_mappings', 'model_deployments']
  LOOP
    EXECUTE format('ALTER TABLE pmoves_core.%I ADD COLUMN IF NOT EXISTS created_at timestamptz DEFAULT now()', t);
    IF NOT EXISTS (SELECT FROM information_schema.columns
                   WHERE table_schema = 'pmoves_core' AND table_name = t AND column_name = 'updated_at') THEN
      EXECUTE format('ALTER TABLE pmoves_core.%I ADD COLUMN updated_at timestamptz', t);
      EXECUTE format('UPDATE pmoves_core.%I SET updated_at = created_at', t);
    END IF;
  END LOOP;
END $$;

ALTER TABLE pmoves_core.service_model_mappings
  ADD COLUMN IF NOT EXISTS params jsonb DEFAULT '{}'::jsonb;
ALTER TABLE pmoves_core.model_deployments
  ADD COLUMN IF NOT EXISTS last_seen_at timestamptz;

-- Weights: the platform's numeric(3,2) holds 0..9.99; the registry routes
-- with weights up to 1000. Widening keeps every value. The views that read
-- the column are set aside and come back unchanged.
DO $$
BEGIN
  IF (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
       WHERE attrelid = 'pmoves_core.service_model_mappings'::regclass AND attname = 'weight') <> 'numeric' THEN
    PERFORM pg_temp.registry_detach_views('pmoves_core.service_model_mappings'::regclass, 'weight');
    ALTER TABLE pmoves_core.service_model_mappings ALTER COLUMN weight TYPE numeric;
    PERFORM pg_temp.registry_restore_views();
  END IF;
END $$;

-- Legal values where the platform allowed NULL ------------------------------
--
-- Deterministic, and the same meaning the platform's views gave them:
-- a NULL active was not active there (they test active = true), so it is
-- false; empty JSON and times take their defaults (updated_at takes
-- created_at); a priority or weight takes the platform's default (5, 1.0);
-- a deployment's provider_type comes from its model's provider (ollama,
-- vllm, else custom) and a NULL status is 'unloaded' (it never counted as
-- loaded).
UPDATE pmoves_core.model_providers SET metadata = '{}' WHERE metadata IS NULL;
UPDATE pmoves_core.model_providers SET active = false WHERE active IS NULL;
UPDATE pmoves_core.models SET capabilities = '[]' WHERE capabilities IS NULL;
UPDATE pmoves_core.models SET metadata = '{}' WHERE metadata IS NULL;
UPDATE pmoves_core.models SET active = false WHERE active IS NULL;
UPDATE pmoves_core.service_model_mappings SET priority = 5 WHERE priority IS NULL;
UPDATE pmoves_core.service_model_mappings SET weight = 1.0 WHERE weight IS NULL;
UPDATE pmoves_core.service_model_mappings SET params = '{}' WHERE params IS NULL;
UPDATE pmoves_core.model_deployments d
   SET provider_type = CASE p.type WHEN 'ollama' THEN 'ollama' WHEN 'vllm' THEN 'vllm' ELSE 'custom' END
  FROM pmoves_core.models m JOIN pmoves_core.model_providers p ON p.id = m.provider_id
 WHERE d.provider_type IS NULL AND m.id = d.model_id;
UPDATE pmoves_core.model_deployments SET status = 'unloaded' WHERE status IS NULL;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['model_providers', 'models', 'model_aliases',
                           'service_model_mappings', 'model_deployments']
  LOOP
    EXECUTE format('UPDATE pmoves_core.%I SET created_at = coalesce(updated_at, now()) WHERE created_at IS NULL', t);
    EXECUTE format('UPDATE pmoves_core.%I SET updated_at = created_at WHERE updated_at IS NULL', t);
    EXECUTE format('ALTER TABLE pmoves_core.%I
                      ALTER COLUMN created_at SET DEFAULT now(), ALTER COLUMN created_at SET NOT NULL,
                      ALTER COLUMN updated_at SET DEFAULT now(), ALTER COLUMN updated_at SET NOT NULL', t);
  END LOOP;
END $$;

-- Columns that are required now. A reference that a legacy row lacks cannot
-- be invented: that column stays nullable and a warning says how many rows
-- need attention.
DO $$
DECLARE
  c record;
  missing bigint;
BEGIN
  FOR c IN SELECT * FROM (VALUES
    ('model_providers', 'name'), ('model_providers', 'type'), ('model_providers', 'metadata'),
    ('model_providers', 'active'),
    ('models', 'provider_id'), ('models', 'name'), ('models', 'model_id'), ('models', 'model_type'),
    ('models', 'capabilities'), ('models', 'metadata'), ('models', 'active'),
    ('model_aliases', 'model_id'), ('model_aliases', 'alias'),
    ('service_model_mappings', 'service_name'), ('service_model_mappings', 'function_name'),
    ('service_model_mappings', 'variant_name'), ('service_model_mappings', 'model_id'),
    ('service_model_mappings', 'priority'), ('service_model_mappings', 'weight'),
    ('service_model_mappings', 'params'),
    ('model_deployments', 'model_id'), ('model_deployments', 'node_id'), ('model_deployments', 'provider_type'),
    ('model_deployments', 'status')
  ) AS t(tbl, col)
  LOOP
    CONTINUE WHEN NOT EXISTS (SELECT FROM information_schema.columns
      WHERE table_schema = 'pmoves_core' AND table_name = c.tbl AND column_name = c.col AND is_nullable = 'YES');
    EXECUTE format('SELECT count(*) FROM pmoves_core.%I WHERE %I IS NULL', c.tbl, c.col) INTO missing;
    IF missing = 0 THEN
      EXECUTE format('ALTER TABLE pmoves_core.%I ALTER COLUMN %I SET NOT NULL', c.tbl, c.col);
    ELSE
      RAISE WARNING 'pmoves_core.%.% is empty in % rows; it stays nullable until they are fixed', c.tbl, c.col, missing;
    END IF;
  END LOOP;
END $$;

-- Defaults, the platform's where it has one.
ALTER TABLE pmoves_core.model_providers ALTER COLUMN metadata SET DEFAULT '{}'::jsonb, ALTER COLUMN active SET DEFAULT true;
ALTER TABLE pmoves_core.models
  ALTER COLUMN capabilities SET DEFAULT '[]'::jsonb, ALTER COLUMN metadata SET DEFAULT '{}'::jsonb,
  ALTER COLUMN active SET DEFAULT true, ALTER COLUMN vram_mb SET DEFAULT 0;
ALTER TABLE pmoves_core.service_model_mappings
  ALTER COLUMN priority SET DEFAULT 5, ALTER COLUMN weight SET DEFAULT 1.0, ALTER COLUMN params SET DEFAULT '{}'::jsonb;
ALTER TABLE pmoves_core.model_deployments
  ALTER COLUMN status SET DEFAULT 'loading', ALTER COLUMN provider_type SET DEFAULT 'custom';

-- An earlier build of the registry named the mapping key differently.
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_constraint WHERE conname = 'service_model_mappings_key'
             AND conrelid = 'pmoves_core.service_model_mappings'::regclass) THEN
    ALTER TABLE pmoves_core.service_model_mappings
      RENAME CONSTRAINT service_model_mappings_key TO service_model_mappings_service_name_function_name_variant_n_key;
  END IF;
END $$;

-- Unique keys, the platform's and the registry's, added when no key on the
-- same columns exists (whatever its name).
DO $$
DECLARE
  c record;
BEGIN
  FOR c IN SELECT * FROM (VALUES
    ('model_providers', 'model_providers_name_key', ARRAY['name'], ''),
    ('models', 'models_provider_id_model_id_key', ARRAY['provider_id', 'model_id'], ''),
    ('model_aliases', 'model_aliases_model_id_context_key', ARRAY['model_id', 'context'], ''),
    ('model_aliases', 'model_aliases_alias_context_key', ARRAY['alias', 'context'], 'NULLS NOT DISTINCT'),
    ('service_model_mappings', 'service_model_mappings_service_name_function_name_variant_n_key',
       ARRAY['service_name', 'function_name', 'variant_name'], ''),
    ('model_deployments', 'model_deployments_model_id_node_id_key', ARRAY['model_id', 'node_id'], '')
  ) AS t(tbl, name, cols, opts)
  LOOP
    CONTINUE WHEN EXISTS (
      SELECT FROM pg_constraint con
       WHERE con.contype = 'u' AND con.conrelid = format('pmoves_core.%I', c.tbl)::regclass
         AND (SELECT array_agg(a.attname::text ORDER BY k.ord)
                FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) = c.cols);
    EXECUTE format('ALTER TABLE pmoves_core.%I ADD CONSTRAINT %I UNIQUE %s (%s)', c.tbl, c.name, c.opts,
                   (SELECT string_agg(quote_ident(x), ', ') FROM unnest(c.cols) x));
  END LOOP;
END $$;

-- Foreign keys --------------------------------------------------------------
--
-- The platform's delete rules stay as they are (providers cascade to models,
-- models to aliases, mappings and deployments; a fallback is cleared). The
-- registry's own rule, 409 while mappings use a model, lives in the API. A
-- key is added only where a legacy table has none; a key an earlier build of
-- the registry turned into RESTRICT (the platform never uses it) gets the
-- platform's rule back.
DO $$
DECLARE
  c record;
  fk record;
BEGIN
  FOR c IN SELECT * FROM (VALUES
    ('models', 'provider_id', 'model_providers', 'CASCADE'),
    ('model_aliases', 'model_id', 'models', 'CASCADE'),
    ('service_model_mappings', 'model_id', 'models', 'CASCADE'),
    ('service_model_mappings', 'fallback_model_id', 'models', 'SET NULL'),
    ('model_deployments', 'model_id', 'models', 'CASCADE')
  ) AS t(tbl, col, ref, action)
  LOOP
    FOR fk IN SELECT con.conname FROM pg_constraint con
               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey)
              WHERE con.contype = 'f' AND con.conrelid = format('pmoves_core.%I', c.tbl)::regclass
                AND a.attname = c.col AND cardinality(con.conkey) = 1 AND con.confdeltype = 'r'
    LOOP
      EXECUTE format('ALTER TABLE pmoves_core.%I DROP CONSTRAINT %I', c.tbl, fk.conname);
    END LOOP;
    CONTINUE WHEN EXISTS (
      SELECT FROM pg_constraint con
        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey)
       WHERE con.contype = 'f' AND con.conrelid = format('pmoves_core.%I', c.tbl)::regclass
         AND a.attname = c.col AND cardinality(con.conkey) = 1);
    EXECUTE format('ALTER TABLE pmoves_core.%I ADD CONSTRAINT %I FOREIGN KEY (%I) REFERENCES pmoves_core.%I (id) ON DELETE %s',
                   c.tbl, c.tbl || '_' || c.col || '_fkey', c.col, c.ref, c.action);
  END LOOP;
END $$;

-- Checks, added once by name. A check that rows the platform allowed would
-- break is not added at all (a warning names it): even NOT VALID it would
-- refuse every later update of those rows, which the platform may still
-- make. The API checks the same rules on what it writes.
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
    CONTINUE WHEN EXISTS (SELECT FROM pg_constraint
                          WHERE conname = c.name AND conrelid = format('pmoves_core.%I', c.tbl)::regclass);
    BEGIN
      EXECUTE format('ALTER TABLE pmoves_core.%I ADD CONSTRAINT %I %s', c.tbl, c.name, c.def);
    EXCEPTION WHEN check_violation THEN
      RAISE WARNING 'pmoves_core.%: existing rows break %, so it is not added; fix them and run migrate again', c.tbl, c.name;
    END;
  END LOOP;
END $$;

-- Indexes: the platform's, and two the registry's reads and the fallback key
-- need. Indexes an earlier build of the registry made under other names for
-- the same purpose give way to these.
DROP INDEX IF EXISTS pmoves_core.models_provider_id_idx;
DROP INDEX IF EXISTS pmoves_core.models_model_type_idx;
DROP INDEX IF EXISTS pmoves_core.model_aliases_model_id_idx;
DROP INDEX IF EXISTS pmoves_core.service_model_mappings_model_id_idx;
DROP INDEX IF EXISTS pmoves_core.model_deployments_node_id_idx;
CREATE INDEX IF NOT EXISTS idx_models_provider ON pmoves_core.models (provider_id);
CREATE INDEX IF NOT EXISTS idx_models_type_active ON pmoves_core.models (model_type, active);
CREATE INDEX IF NOT EXISTS idx_models_active_type ON pmoves_core.models (active) WHERE active = true;
CREATE INDEX IF NOT EXISTS idx_mappings_service ON pmoves_core.service_model_mappings (service_name, function_name);
CREATE INDEX IF NOT EXISTS idx_mappings_model ON pmoves_core.service_model_mappings (model_id);
CREATE INDEX IF NOT EXISTS idx_deployments_node_status ON pmoves_core.model_deployments (node_id, status);
CREATE INDEX IF NOT EXISTS idx_deployments_model_status ON pmoves_core.model_deployments (model_id, status);
CREATE INDEX IF NOT EXISTS idx_providers_active ON pmoves_core.model_providers (active) WHERE active = true;
CREATE INDEX IF NOT EXISTS service_model_mappings_fallback_idx ON pmoves_core.service_model_mappings (fallback_model_id);
CREATE INDEX IF NOT EXISTS model_deployments_status_idx ON pmoves_core.model_deployments (status);

-- updated_at is kept by the database, whoever writes. The platform's trigger
-- function (other tables of the platform use it too) and its two triggers
-- stay as they are, and are created only when missing; the registry's
-- covers the three tables the platform left without one.
DO $$
BEGIN
  IF to_regprocedure('pmoves_core.update_updated_at_column()') IS NULL THEN
    CREATE FUNCTION pmoves_core.update_updated_at_column() RETURNS trigger
    LANGUAGE plpgsql AS $f$
    BEGIN
      NEW.updated_at = now();
      RETURN NEW;
    END;
    $f$;
  END IF;
END $$;

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
  IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgname = 'update_providers_updated_at'
                 AND tgrelid = 'pmoves_core.model_providers'::regclass) THEN
    CREATE TRIGGER update_providers_updated_at BEFORE UPDATE ON pmoves_core.model_providers
      FOR EACH ROW EXECUTE FUNCTION pmoves_core.update_updated_at_column();
  END IF;
  IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgname = 'update_models_updated_at'
                 AND tgrelid = 'pmoves_core.models'::regclass) THEN
    CREATE TRIGGER update_models_updated_at BEFORE UPDATE ON pmoves_core.models
      FOR EACH ROW EXECUTE FUNCTION pmoves_core.update_updated_at_column();
  END IF;
  DROP TRIGGER IF EXISTS set_updated_at ON pmoves_core.model_providers;
  DROP TRIGGER IF EXISTS set_updated_at ON pmoves_core.models;
  FOREACH t IN ARRAY ARRAY['model_aliases', 'service_model_mappings', 'model_deployments']
  LOOP
    IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgname = 'set_updated_at'
                   AND tgrelid = format('pmoves_core.%I', t)::regclass) THEN
      EXECUTE format('CREATE TRIGGER set_updated_at BEFORE UPDATE ON pmoves_core.%I
                      FOR EACH ROW EXECUTE FUNCTION pmoves_core.set_updated_at()', t);
    END IF;
  END LOOP;
END $$;
