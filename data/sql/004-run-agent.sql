-- 004-run-agent.sql: the agent preset a run was started with (`run
-- --agent NAME`), NULL when the sprint's own agents apply; `resume` runs
-- the stories with it again. Brings PRAGMA user_version to 4.
ALTER TABLE runs ADD COLUMN agent TEXT;
