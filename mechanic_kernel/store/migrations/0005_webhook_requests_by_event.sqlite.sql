-- Key the raw request by its event, whose id is time-ordered, instead of by the random request id.
-- Every webhook then appends to this table's index instead of writing two random index pages.
-- The request id stays unique through events.webhook_request_id, which lookups use.
CREATE TABLE webhook_requests_new (
    event_id TEXT PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    request_id TEXT NOT NULL,
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
INSERT INTO webhook_requests_new (event_id, request_id, webhook_id, client, mode, method, path, query_string,
    headers, body, client_ip, received_at)
SELECT event_id, request_id, webhook_id, client, mode, method, path, query_string, headers, body, client_ip,
    received_at FROM webhook_requests;
DROP TABLE webhook_requests;
ALTER TABLE webhook_requests_new RENAME TO webhook_requests;
