-- 0005_last_seen_forward: last_seen_at of a deployment only moves forward.
-- Heartbeats (mesh.gpu.status.v1) and the updates of GPU node events each
-- carry their own time and may land in any order, from several replicas; a
-- write that would move it back keeps the later time instead. Nothing clears
-- it.

CREATE OR REPLACE FUNCTION pmoves_core.keep_last_seen_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.last_seen_at IS NOT NULL
     AND (NEW.last_seen_at IS NULL OR NEW.last_seen_at < OLD.last_seen_at) THEN
    NEW.last_seen_at := OLD.last_seen_at;
  END IF;
  RETURN NEW;
END
$$;

GRANT EXECUTE ON FUNCTION pmoves_core.keep_last_seen_at() TO service_role;

DROP TRIGGER IF EXISTS keep_last_seen_at ON pmoves_core.model_deployments;
CREATE TRIGGER keep_last_seen_at BEFORE UPDATE ON pmoves_core.model_deployments
  FOR EACH ROW EXECUTE FUNCTION pmoves_core.keep_last_seen_at();
