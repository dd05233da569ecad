-- 004-resume.sql: what `resume` needs to go on exactly where a run was
-- killed. Brings PRAGMA user_version to 4.

-- The agent preset a run was started with (`run --agent NAME`), NULL when
-- the sprint's own agents apply; resume runs the stories with it again.
ALTER TABLE runs ADD COLUMN agent TEXT;

-- When tmux accepted the session (NULL: not yet, or the process died
-- between recording the session and spawning it: resume then spawns it
-- instead of waiting for a session that never existed).
ALTER TABLE sessions ADD COLUMN spawned_at TEXT;
