-- UNSAFE: a plain CREATE INDEX takes a ShareLock on users, which blocks
-- every INSERT, UPDATE and DELETE for as long as the index takes to build.
CREATE INDEX users_email_idx ON users (email);
