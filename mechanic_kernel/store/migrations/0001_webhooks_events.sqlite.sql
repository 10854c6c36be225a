-- Webhooks, settings, events and the raw request behind each webhook event.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    topic TEXT NOT NULL,
    mode TEXT NOT NULL DEFAULT 'auto' CHECK (mode IN ('auto', 'full')),
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    data TEXT,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    webhook_id TEXT,
    webhook_request_id TEXT UNIQUE,
    parent_id TEXT
);
CREATE INDEX events_by_topic ON events (topic, seq);
CREATE INDEX events_by_created_at ON events (created_at);
CREATE INDEX events_by_webhook ON events (webhook_id, seq);
CREATE TABLE webhook_requests (
    request_id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    webhook_id TEXT NOT NULL,
    client TEXT,
    mode TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query_string TEXT,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    client_ip TEXT,
    received_at TEXT NOT NULL
);
CREATE INDEX webhook_requests_by_event ON webhook_requests (event_id);
