-- Leases: a started run is held by the worker named in claimed_by until lease_expires_at, which that worker
-- renews while it performs the run. A run whose lease lapsed (its worker died) is taken over by the next claim.
ALTER TABLE runs ADD COLUMN claimed_by text;
ALTER TABLE runs ADD COLUMN lease_expires_at text;
-- Runs left started by an earlier release had no lease: theirs lapses at once, so they are taken over.
UPDATE runs SET lease_expires_at = started_at WHERE status = 'started';
CREATE INDEX runs_by_lease ON runs (lease_expires_at) WHERE status = 'started';
-- Claimers look for due runs by urgency; only due runs are in this index, so it stays small.
CREATE INDEX runs_due ON runs (priority, run_at, seq) WHERE status = 'due';
