-- SAFE, step 1: a CHECK constraint added NOT VALID does not scan the table.
ALTER TABLE payments
    ADD CONSTRAINT payments_status_not_null CHECK (status IS NOT NULL) NOT VALID;
