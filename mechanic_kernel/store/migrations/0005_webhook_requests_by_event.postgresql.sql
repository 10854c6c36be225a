-- Key the raw request by its event, whose id is time-ordered, instead of by the random request id.
-- Every webhook then appends to this table's index instead of writing two random index pages.
-- The request id stays unique through events.webhook_request_id, which lookups use.
ALTER TABLE webhook_requests DROP CONSTRAINT webhook_requests_pkey;
DROP INDEX webhook_requests_by_event;
ALTER TABLE webhook_requests ADD PRIMARY KEY (event_id);
