-- Leases: a started run is held by the worker named in claimed_by until lease_expires_at, which that worker
-- renews while it performs the run. A run whose lease lapsed (its worker died) is taken over by the next claim.
ALTER TABLE runs ADD COLUMN claimed_by TEXT;
ALTER TABLE runs ADD COLUMN lease_expires_at TEXT;
-- Runs left started by an earlier release had no lease: theirs lapses at once, so they are taken over.
UPDATE runs SET lease_expires_at = started_at WHERE status = 'started';
CREATE INDEX runs_by_lease ON runs (lease_expires_at) WHERE status = 'started';
