-- SAFE, step 1: NOT VALID adds the constraint for new rows only, without
-- scanning the table, so the lock is held for milliseconds.
ALTER TABLE refunds
    ADD CONSTRAINT refunds_payment_id_fkey FOREIGN KEY (payment_id) REFERENCES payments (id)
    NOT VALID;
