-- 001-initial.sql: the first schema of the state store (src/store.c), which
-- brings PRAGMA user_version to 1. store.c runs it inside BEGIN IMMEDIATE
-- together with the version bump, so this file holds no transaction control.
--
-- Times are ISO 8601 UTC text ("2024-05-01T12:00:00.123Z"). Run and story
-- state names belong to the fsm tables (fsm/fsm_names.h) and are not
-- constrained here, so a new state needs no migration; every other enumerated
-- column carries a CHECK. JSON columns must hold valid JSON. Tables are STRICT
-- (sqlite 3.37+), so a value of the wrong type is an error, not a conversion.

-- One row per `automator run`; the id is chosen by the caller.
CREATE TABLE runs (
	id		TEXT PRIMARY KEY NOT NULL,
	sprint_file	TEXT NOT NULL,
	project		TEXT NOT NULL,
	root		TEXT NOT NULL,
	state		TEXT NOT NULL,
	started_at	TEXT NOT NULL,
	updated_at	TEXT NOT NULL,
	finished_at	TEXT,
	pid		INTEGER CHECK (pid IS NULL OR pid > 0)
) STRICT;
CREATE INDEX runs_by_start ON runs (started_at);

-- One row per story of a run, in dispatch order (position).
CREATE TABLE stories (
	run_id			TEXT NOT NULL REFERENCES runs (id),
	story_id		TEXT NOT NULL,
	story_key		TEXT NOT NULL,
	position		INTEGER NOT NULL CHECK (position >= 0),
	state			TEXT NOT NULL,
	step_index		INTEGER NOT NULL DEFAULT 0 CHECK (step_index >= 0),
	step_name		TEXT,
	attempt			INTEGER NOT NULL DEFAULT 0 CHECK (attempt >= 0),
	cycle			INTEGER NOT NULL DEFAULT 0 CHECK (cycle >= 0),
	retries_used		INTEGER NOT NULL DEFAULT 0 CHECK (retries_used >= 0),
	crash_retries_used	INTEGER NOT NULL DEFAULT 0 CHECK (crash_retries_used >= 0),
	base_commit		TEXT,
	updated_at		TEXT NOT NULL,
	PRIMARY KEY (run_id, story_id),
	UNIQUE (run_id, position)
) STRICT;

-- One row per agent session (tmux) of a step attempt. The UNIQUE key means a
-- step attempt can never be spawned twice, even by a resumed process.
CREATE TABLE sessions (
	id		INTEGER PRIMARY KEY,
	run_id		TEXT NOT NULL REFERENCES runs (id),
	story_id	TEXT NOT NULL,
	step		TEXT NOT NULL,
	attempt		INTEGER NOT NULL CHECK (attempt >= 0),
	tmux_name	TEXT NOT NULL,
	log_path	TEXT NOT NULL,
	log_offset	INTEGER NOT NULL DEFAULT 0 CHECK (log_offset >= 0),
	exit_status	INTEGER,
	exit_signal	INTEGER CHECK (exit_signal IS NULL OR exit_signal > 0),
	started_at	TEXT NOT NULL,
	ended_at	TEXT,
	UNIQUE (run_id, story_id, step, attempt),
	FOREIGN KEY (run_id, story_id) REFERENCES stories (run_id, story_id)
) STRICT;

-- The journal: one row per transition of either machine, written in the same
-- transaction as the state change, with the intent of the side effect about
-- to run. Resume redoes every intent still 'pending'.
CREATE TABLE transitions (
	seq		INTEGER PRIMARY KEY AUTOINCREMENT,
	run_id		TEXT NOT NULL REFERENCES runs (id),
	machine		TEXT NOT NULL CHECK (machine IN ('run', 'story')),
	story_id	TEXT,
	from_state	TEXT NOT NULL,
	event		TEXT NOT NULL,
	guard		TEXT,
	action		TEXT,
	to_state	TEXT NOT NULL,
	at		TEXT NOT NULL,
	intent		TEXT CHECK (intent IS NULL OR json_valid(intent)),
	intent_status	TEXT NOT NULL DEFAULT 'none'
			CHECK (intent_status IN ('none', 'pending', 'done', 'failed')),
	intent_result	TEXT CHECK (intent_result IS NULL OR json_valid(intent_result)),
	CHECK ((machine = 'run') = (story_id IS NULL)),
	CHECK ((intent IS NULL) = (intent_status = 'none')),
	FOREIGN KEY (run_id, story_id) REFERENCES stories (run_id, story_id)
) STRICT;
CREATE INDEX transitions_by_run ON transitions (run_id, seq);
CREATE INDEX transitions_pending ON transitions (run_id, seq) WHERE intent_status = 'pending';

-- Escalations raised by triggers (data/triggers.yaml) and their answers.
CREATE TABLE escalations (
	id		INTEGER PRIMARY KEY,
	run_id		TEXT NOT NULL REFERENCES runs (id),
	story_id	TEXT,
	step		TEXT,
	"trigger"	TEXT NOT NULL,
	category	TEXT NOT NULL CHECK (category IN ('CRITICAL', 'PREFERENCE')),
	severity	TEXT NOT NULL CHECK (severity IN ('MEDIUM', 'HIGH', 'CRITICAL')),
	message		TEXT NOT NULL,
	options		TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(options)),
	status		TEXT NOT NULL DEFAULT 'open'
			CHECK (status IN ('open', 'acked', 'answered', 'closed')),
	chosen		TEXT,
	reply		TEXT,
	answered_by	TEXT,
	answered_at	TEXT,
	created_at	TEXT NOT NULL,
	notified_at	TEXT,
	reescalations	INTEGER NOT NULL DEFAULT 0 CHECK (reescalations >= 0),
	closed_reason	TEXT,
	FOREIGN KEY (run_id, story_id) REFERENCES stories (run_id, story_id)
) STRICT;
CREATE INDEX escalations_by_status ON escalations (run_id, status);
CREATE INDEX escalations_by_story ON escalations (run_id, story_id, "trigger");

-- Every answer given to an escalation, from whichever source, and when it
-- was acted on.
CREATE TABLE decisions (
	id		INTEGER PRIMARY KEY,
	escalation_id	INTEGER NOT NULL REFERENCES escalations (id),
	choice		TEXT NOT NULL,
	reply		TEXT,
	source		TEXT NOT NULL,
	at		TEXT NOT NULL,
	applied_at	TEXT
) STRICT;
CREATE INDEX decisions_by_escalation ON decisions (escalation_id);

-- Restart budgets of stuck sessions, per story step, over a time window.
CREATE TABLE restart_budgets (
	run_id			TEXT NOT NULL REFERENCES runs (id),
	story_id		TEXT NOT NULL,
	step			TEXT NOT NULL,
	used			INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0),
	window_started_at	TEXT,
	PRIMARY KEY (run_id, story_id, step),
	FOREIGN KEY (run_id, story_id) REFERENCES stories (run_id, story_id)
) STRICT;
