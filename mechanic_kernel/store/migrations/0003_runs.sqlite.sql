-- Runs (event, task and action runs), event routing, event filters, the cache and cache endpoints.
-- A run's kind, status and priority are stored verbatim as the lowercase words of mechanic_kernel.runs.models.
CREATE TABLE runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('event', 'task', 'action')),
    status TEXT NOT NULL CHECK (status IN ('scheduled', 'due', 'started', 'succeeded', 'failed', 'cancelled')),
    priority INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    task_id TEXT,
    parent_run_id TEXT,
    position INTEGER NOT NULL DEFAULT 0,
    run_at TEXT,
    enqueued_at TEXT,
    started_at TEXT,
    stopped_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    result TEXT,
    error TEXT,
    details TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
CREATE INDEX runs_queue ON runs (status, priority, run_at, seq);
CREATE INDEX runs_by_event ON runs (event_id, kind, seq);
CREATE INDEX runs_by_parent ON runs (parent_run_id, position);
CREATE INDEX runs_by_task ON runs (task_id, kind);
CREATE INDEX events_by_parent ON events (parent_id);
-- Who may answer an event: task_ids restricts it, origin_task_id names the task that caused it (mechanic/user,
-- mechanic/actions/perform, error events) and origin_run_id the run behind it (the loop guard compares to it).
CREATE TABLE event_routes (
    event_id TEXT PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    task_ids TEXT,
    origin_task_id TEXT,
    origin_run_id TEXT
);
CREATE TABLE event_filters (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE cache (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX cache_by_expiry ON cache (expires_at);
CREATE TABLE cache_endpoints (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    created_at TEXT NOT NULL
);
