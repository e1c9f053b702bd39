-- SAFE, step 2: VALIDATE scans under a ShareUpdateExclusiveLock, which lets
-- reads and writes continue. Kept in its own migration (its own transaction).
ALTER TABLE refunds VALIDATE CONSTRAINT refunds_payment_id_fkey;
