-- 002-escalations.sql: what the escalation calls of the store (src/store.c)
-- need beyond 001; brings PRAGMA user_version to 2. Run inside BEGIN
-- IMMEDIATE with the version bump, like every migration: no transaction
-- control here. Nothing wrote escalations before this version, so the
-- unique index below cannot meet duplicates.

-- Who acknowledged an escalation (and when), and when it was closed.
ALTER TABLE escalations ADD COLUMN acked_by TEXT;
ALTER TABLE escalations ADD COLUMN acked_at TEXT;
ALTER TABLE escalations ADD COLUMN closed_at TEXT;

-- At most one live (not closed) escalation per run, story and trigger; a run
-- escalation has no story (story ids are never empty, so '' stands for it).
-- The store checks first and answers with the existing id; this index keeps
-- the rule whoever writes.
CREATE UNIQUE INDEX escalations_one_live
	ON escalations (run_id, coalesce(story_id, ''), "trigger")
	WHERE status != 'closed';

-- Answers not yet acted on (store_decisions_pending).
CREATE INDEX decisions_unapplied ON decisions (escalation_id) WHERE applied_at IS NULL;
