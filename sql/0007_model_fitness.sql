-- 0007_model_fitness: the platform's model candidates and fitness records
-- (POWERFULMOVES/PMOVES.AI migrations 20260522000000 and 20260527060000),
-- created as the platform defines them, with its tightened access rules,
-- when a database does not have them yet. Where they exist they belong to
-- the platform and are left exactly as they are.

-- Supabase's auth.role() (the request's JWT role), which the access policies
-- use; a plain PostgreSQL lacks it. It is created only when missing.
DO $$
BEGIN
  IF to_regprocedure('auth.role()') IS NULL THEN
    CREATE SCHEMA IF NOT EXISTS auth;
    CREATE FUNCTION auth.role() RETURNS text
    LANGUAGE sql STABLE AS $f$
      SELECT coalesce(
        nullif(current_setting('request.jwt.claim.role', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
      )::text
    $f$;
    GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
    GRANT EXECUTE ON FUNCTION auth.role() TO anon, authenticated, service_role;
  END IF;
END $$;

DO $$
BEGIN
  IF to_regclass('pmoves_core.model_candidates') IS NULL THEN
    CREATE TABLE pmoves_core.model_candidates (
      id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
      model_id TEXT NOT NULL,
      hf_id TEXT NOT NULL,
      task TEXT,
      license TEXT,
      params BIGINT,
      context_length INTEGER,
      capabilities JSONB DEFAULT '[]'::jsonb,
      backend_fit JSONB DEFAULT '[]'::jsonb,
      vram_mb_estimate INTEGER,
      quantization_support JSONB DEFAULT '[]'::jsonb,
      intended_lane TEXT NOT NULL DEFAULT 'agent_mesh',
      validation_status TEXT NOT NULL DEFAULT 'candidate'
        CHECK (validation_status IN ('candidate', 'validated', 'rejected', 'activated')),
      source TEXT NOT NULL DEFAULT 'huggingface',
      agent_id TEXT NOT NULL,
      signed_trail_ref TEXT,
      metadata JSONB DEFAULT '{}'::jsonb,
      created_at TIMESTAMPTZ DEFAULT NOW(),
      updated_at TIMESTAMPTZ DEFAULT NOW(),
      UNIQUE (hf_id, intended_lane)
    );
    CREATE INDEX IF NOT EXISTS idx_model_candidates_lane_status
      ON pmoves_core.model_candidates(intended_lane, validation_status);
    CREATE INDEX IF NOT EXISTS idx_model_candidates_hf_id
      ON pmoves_core.model_candidates(hf_id);
    ALTER TABLE pmoves_core.model_candidates ENABLE ROW LEVEL SECURITY;
    REVOKE ALL ON pmoves_core.model_candidates FROM anon, authenticated, service_role;
    GRANT SELECT ON pmoves_core.model_candidates TO authenticated;
    GRANT SELECT, INSERT, UPDATE, DELETE ON pmoves_core.model_candidates TO service_role;
    CREATE POLICY "Read model candidates" ON pmoves_core.model_candidates
      FOR SELECT TO authenticated USING (auth.role() = 'authenticated');
    CREATE POLICY "Service write model candidates" ON pmoves_core.model_candidates
      FOR ALL TO service_role
      USING (auth.role() = 'service_role') WITH CHECK (auth.role() = 'service_role');
  END IF;

  IF to_regclass('pmoves_core.model_fitness_records') IS NULL THEN
    CREATE TABLE pmoves_core.model_fitness_records (
      id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
      model_id TEXT NOT NULL,
      source TEXT NOT NULL CHECK (source IN (
        'tensorzero', 'pinokio', 'unsloth', 'hf-autoresearch', 'evoswarm', 'manual'
      )),
      lane TEXT NOT NULL,
      score NUMERIC(7,6) NOT NULL CHECK (score >= 0 AND score <= 1),
      metrics JSONB NOT NULL DEFAULT '{}'::jsonb,
      run_id TEXT NOT NULL,
      agent_id TEXT NOT NULL,
      signature JSONB NOT NULL,
      recorded_at TIMESTAMPTZ NOT NULL,
      created_at TIMESTAMPTZ DEFAULT NOW(),
      UNIQUE (model_id, run_id)
    );
    CREATE INDEX IF NOT EXISTS idx_model_fitness_model_score
      ON pmoves_core.model_fitness_records(model_id, score DESC);
    CREATE INDEX IF NOT EXISTS idx_model_fitness_lane_score
      ON pmoves_core.model_fitness_records(lane, score DESC);
    ALTER TABLE pmoves_core.model_fitness_records ENABLE ROW LEVEL SECURITY;
    REVOKE ALL ON pmoves_core.model_fitness_records FROM anon, authenticated, service_role;
    GRANT SELECT ON pmoves_core.model_fitness_records TO authenticated;
    GRANT SELECT, INSERT, UPDATE, DELETE ON pmoves_core.model_fitness_records TO service_role;
    CREATE POLICY "Read model fitness" ON pmoves_core.model_fitness_records
      FOR SELECT TO authenticated USING (auth.role() = 'authenticated');
    CREATE POLICY "Service write model fitness" ON pmoves_core.model_fitness_records
      FOR ALL TO service_role
      USING (auth.role() = 'service_role') WITH CHECK (auth.role() = 'service_role');
  END IF;
END $$;

NOTIFY pgrst, 'reload schema';
