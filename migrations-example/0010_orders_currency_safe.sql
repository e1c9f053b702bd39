-- SAFE since PostgreSQL 11: a constant default is stored in the catalog, the
-- table is not rewritten; the AccessExclusiveLock is held only for an instant.
ALTER TABLE orders ADD COLUMN currency text NOT NULL DEFAULT 'EUR';
