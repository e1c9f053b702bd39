-- SAFE: CONCURRENTLY takes only a ShareUpdateExclusiveLock, so reads and
-- writes go on while the index builds. It cannot run inside a transaction,
-- which the directive below tells the runner.
-- migsafe:no-transaction
CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);
