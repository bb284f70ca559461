-- 0004_deployment_state_time: when the current status of a deployment was
-- observed (the event's time, or the registry's clock for API writes). GPU
-- node events older than this are ignored, so reordered events cannot flip
-- a state back; it is separate from last_seen_at, which heartbeats move.

ALTER TABLE pmoves_core.model_deployments
  ADD COLUMN IF NOT EXISTS state_observed_at timestamptz;

NOTIFY pgrst, 'reload schema';
