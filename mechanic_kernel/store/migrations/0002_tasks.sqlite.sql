-- Tasks, their parsed subscriptions (indexed by topic for event runs) and their saved versions.
CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX tasks_by_name ON tasks (name);
CREATE TABLE task_subscriptions (
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    topic TEXT NOT NULL,
    offset_amount INTEGER,
    offset_unit TEXT,
    line TEXT NOT NULL,
    PRIMARY KEY (task_id, position)
);
CREATE INDEX task_subscriptions_by_topic ON task_subscriptions (topic);
CREATE TABLE task_versions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    UNIQUE (task_id, version)
);
