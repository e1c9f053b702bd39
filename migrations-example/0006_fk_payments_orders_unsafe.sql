-- UNSAFE: adding a validated foreign key scans all of payments while holding
-- a ShareRowExclusiveLock on both payments and orders (writes blocked on both).
ALTER TABLE payments
    ADD CONSTRAINT payments_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id);
