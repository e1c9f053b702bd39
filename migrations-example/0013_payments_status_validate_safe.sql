-- SAFE, step 2: VALIDATE scans under a ShareUpdateExclusiveLock, so reads and
-- writes continue while it checks every row.
ALTER TABLE payments VALIDATE CONSTRAINT payments_status_not_null;
