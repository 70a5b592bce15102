-- Imports started from the console: the file runs in the background while its page shows
-- progress, and the report (counts and row-level problems) stays to be read and
-- downloaded afterwards. `heard_at` moves with every finished chunk, so a run that stopped
-- hearing (its server went away) is shown as interrupted; importing the file again
-- resumes it, as every row is idempotent.
CREATE TABLE import_runs (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id),
    file_name text NOT NULL,
    kind text NOT NULL,
    dry_run boolean NOT NULL,
    rows_total integer NOT NULL,
    rows_done integer NOT NULL DEFAULT 0,
    report jsonb,
    failure text,
    started_at timestamptz NOT NULL DEFAULT now(),
    heard_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);

-- The page lists the latest runs.
CREATE INDEX import_runs_started_at ON import_runs (started_at DESC);
