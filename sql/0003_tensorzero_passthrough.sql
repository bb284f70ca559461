-- 0003_tensorzero_passthrough: what the registry does not model of an
-- imported tensorzero.toml (gateway settings, metrics, tools, evaluations,
-- function settings, non-chat variants), kept so the rendered configuration
-- gives the imported file back. Keys are "section:<name>" and
-- "function:<name>"; values are the JSON objects of package tomlgen.

CREATE TABLE IF NOT EXISTS pmoves_core.tensorzero_passthrough (
  key        text PRIMARY KEY,
  value      jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT tensorzero_passthrough_key_check CHECK (key ~ '^(section|function):.+$'),
  CONSTRAINT tensorzero_passthrough_value_check CHECK (jsonb_typeof(value) = 'object')
);

DROP TRIGGER IF EXISTS set_updated_at ON pmoves_core.tensorzero_passthrough;
CREATE TRIGGER set_updated_at BEFORE UPDATE ON pmoves_core.tensorzero_passthrough
  FOR EACH ROW EXECUTE FUNCTION pmoves_core.set_updated_at();

REVOKE ALL ON pmoves_core.tensorzero_passthrough FROM anon, authenticated;
GRANT SELECT ON pmoves_core.tensorzero_passthrough TO anon, authenticated;
GRANT ALL ON pmoves_core.tensorzero_passthrough TO service_role;

ALTER TABLE pmoves_core.tensorzero_passthrough ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS catalogue_read ON pmoves_core.tensorzero_passthrough;
CREATE POLICY catalogue_read ON pmoves_core.tensorzero_passthrough FOR SELECT TO anon, authenticated USING (true);
DROP POLICY IF EXISTS service_role_all ON pmoves_core.tensorzero_passthrough;
CREATE POLICY service_role_all ON pmoves_core.tensorzero_passthrough FOR ALL TO service_role USING (true) WITH CHECK (true);

NOTIFY pgrst, 'reload schema';
