-- UNSAFE: SET NOT NULL scans the whole table to check for NULLs while holding
-- an AccessExclusiveLock on users.
ALTER TABLE users ALTER COLUMN display_name SET NOT NULL;
