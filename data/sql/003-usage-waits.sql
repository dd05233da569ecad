-- 003-usage-waits.sql: what the agents reported they used, per session, and
-- the waits for their services, per story and per agent preset; brings
-- PRAGMA user_version to 3 (src/store_usage.c). Run inside BEGIN IMMEDIATE
-- with the version bump, like every migration.

-- Usage an agent reported in its own output (Claude's result event, Codex's
-- turn.completed); NULL where it reported nothing. duration_ms is the
-- agent's own figure, else the session's wall time.
ALTER TABLE sessions ADD COLUMN cost_usd REAL CHECK (cost_usd IS NULL OR cost_usd >= 0);
ALTER TABLE sessions ADD COLUMN input_tokens INTEGER;
ALTER TABLE sessions ADD COLUMN output_tokens INTEGER;
ALTER TABLE sessions ADD COLUMN cache_read_tokens INTEGER;
ALTER TABLE sessions ADD COLUMN cache_write_tokens INTEGER;
ALTER TABLE sessions ADD COLUMN turns INTEGER;
ALTER TABLE sessions ADD COLUMN duration_ms INTEGER;

-- A story that waits for its agent's service (state WAITING): until when,
-- why (usage-limit, rate-limit, overloaded, server-error, network), and
-- since when it has waited without progress (limits.max_wait counts from
-- there). budget_usd: the story's cost budget when a human raised it.
ALTER TABLE stories ADD COLUMN wait_until TEXT;
ALTER TABLE stories ADD COLUMN wait_reason TEXT;
ALTER TABLE stories ADD COLUMN wait_since TEXT;
ALTER TABLE stories ADD COLUMN budget_usd REAL;

-- A limit is per account: no new session of the agent preset starts in this
-- run before until.
CREATE TABLE agent_holds (
	run_id		TEXT NOT NULL REFERENCES runs (id),
	agent		TEXT NOT NULL,
	until		TEXT NOT NULL,
	reason		TEXT NOT NULL,
	PRIMARY KEY (run_id, agent)
) STRICT;
