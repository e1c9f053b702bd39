-- UNSAFE: a volatile default (gen_random_uuid()) must be computed for every
-- existing row, so the whole table is rewritten under an AccessExclusiveLock:
-- no reads, no writes until it is done.
ALTER TABLE orders ADD COLUMN public_id uuid DEFAULT gen_random_uuid();
