-- 005-target.sql: the branch a run integrates its stories into
-- (isolation: worktree), journaled when the run starts so that resume
-- integrates into the same branch whatever is checked out then.
-- Brings PRAGMA user_version to 5.

ALTER TABLE runs ADD COLUMN target TEXT;
