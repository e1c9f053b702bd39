-- SAFE, step 3: SET NOT NULL finds the valid CHECK constraint and skips its
-- own scan, so its AccessExclusiveLock lasts an instant; then the helper
-- constraint is dropped.
ALTER TABLE payments ALTER COLUMN status SET NOT NULL;
ALTER TABLE payments DROP CONSTRAINT payments_status_not_null;
