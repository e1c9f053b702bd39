-- Statements of the lock-truth suite. Each "-- case: <family>" line starts a
-- case; the SQL up to the next case line runs against a fresh copy of
-- fixture.sql. Optional lines right after it:
--   -- maybe: <relation> ...      predicted locks that depend on the data (rows
--                                 routed to one partition) or on timing (a
--                                 partition not yet reached when the waiting
--                                 statement is observed) and may not show
--   -- block: [ONLY] <relation> <MODE>
--                                 cannot run in a transaction block: observed
--                                 from a second session while it waits behind
--                                 a lock in MODE held on relation (SELECT: the
--                                 ACCESS SHARE lock of a read)
--   -- copy: <text>               the data COPY ... FROM STDIN reads (\t, \n)
--   -- storage-swap               TRUNCATE: a new relfilenode without a rewrite
--   -- needs: tablespace          runs only where the suite can create lt_space
--   -- setup: <sql>               committed before the case, in a copy of its
--                                 own (several lines join); migsafe sees it as
--                                 an earlier migration: proves what the
--                                 catalog remembers or forgets

-- case: alter-table
ALTER TABLE accounts ADD COLUMN nickname text;
-- case: alter-table
ALTER TABLE accounts ADD COLUMN score int DEFAULT 0;
-- case: alter-table
ALTER TABLE accounts ADD COLUMN token uuid DEFAULT gen_random_uuid();
-- case: alter-table
ALTER TABLE accounts ADD COLUMN seen_at timestamptz DEFAULT now();
-- case: alter-table
ALTER TABLE accounts ADD COLUMN r float8 DEFAULT random();
-- case: alter-table
ALTER TABLE accounts ADD COLUMN big_id bigserial;
-- case: alter-table
ALTER TABLE accounts ADD COLUMN ident int GENERATED ALWAYS AS IDENTITY;
-- case: alter-table
ALTER TABLE accounts ADD COLUMN doubled numeric GENERATED ALWAYS AS (balance * 2) STORED;
-- case: alter-table
ALTER TABLE accounts ADD COLUMN flag bool NOT NULL DEFAULT false;
-- case: alter-table
ALTER TABLE accounts ADD COLUMN a1 int, ADD COLUMN a2 text DEFAULT 'x';
-- case: alter-table
ALTER TABLE accounts DROP COLUMN code;
-- case: alter-table
ALTER TABLE orders DROP COLUMN invoice;
-- case: alter-table
ALTER TABLE accounts ALTER COLUMN email TYPE varchar(200);
-- case: alter-table
ALTER TABLE accounts ALTER COLUMN email TYPE text;
-- case: alter-table
ALTER TABLE accounts ALTER COLUMN email TYPE varchar(100);
-- case: alter-table
ALTER TABLE orders ALTER COLUMN note TYPE varchar(20);
-- case: alter-table
ALTER TABLE orders ALTER COLUMN total TYPE numeric(14,2);
-- case: alter-table
ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,3);
-- case: alter-table
ALTER TABLE orders ALTER COLUMN total TYPE numeric;
-- case: alter-table
ALTER TABLE items ALTER COLUMN qty TYPE bigint;
-- case: alter-table
ALTER TABLE items ALTER COLUMN sku TYPE varchar(40);
-- case: alter-table
ALTER TABLE items ALTER COLUMN qty TYPE text USING qty::text;
-- case: alter-table
ALTER TABLE accounts ALTER COLUMN code TYPE char(8);
-- case: alter-table
ALTER TABLE orders ALTER COLUMN placed_at TYPE timestamptz(3);
-- case: alter-table
ALTER TABLE accounts ALTER COLUMN name TYPE varchar(300);
-- case: alter-table
ALTER TABLE items ALTER COLUMN order_id TYPE int;
-- case: alter-table
ALTER TABLE accounts ALTER COLUMN name SET DEFAULT 'x';
-- case: alter-table
ALTER TABLE accounts ALTER COLUMN balance DROP DEFAULT;
-- case: alter-table
ALTER TABLE accounts ALTER COLUMN balance SET DEFAULT 1, ALTER COLUMN name DROP DEFAULT;
-- case: alter-table
ALTER TABLE accounts ALTER COLUMN name SET NOT NULL;
-- case: alter-table
ALTER TABLE accounts ALTER COLUMN email DROP NOT NULL;
-- case: alter-table
ALTER TABLE tags ALTER COLUMN note SET NOT NULL;
-- case: alter-table
ALTER TABLE accounts ALTER COLUMN name SET STATISTICS 500;
-- case: alter-table
ALTER TABLE accounts ALTER COLUMN name SET (n_distinct = 10);
-- case: alter-table
ALTER TABLE accounts ALTER COLUMN name RESET (n_distinct);
-- case: alter-table
ALTER TABLE accounts ALTER COLUMN name SET STORAGE EXTERNAL;
-- case: alter-table
ALTER TABLE accounts ALTER COLUMN name SET COMPRESSION pglz;
-- case: alter-table
ALTER TABLE accounts ADD CONSTRAINT balance_positive CHECK (balance >= 0);
-- case: alter-table
ALTER TABLE accounts ADD CONSTRAINT balance_positive CHECK (balance >= 0) NOT VALID;
-- case: alter-table
ALTER TABLE orders ADD CONSTRAINT orders_account_fk2 FOREIGN KEY (account_id) REFERENCES accounts (id);
-- case: alter-table
ALTER TABLE orders ADD CONSTRAINT orders_account_fk2 FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;
-- case: alter-table
ALTER TABLE audit_log VALIDATE CONSTRAINT audit_log_account_fk;
-- case: alter-table
ALTER TABLE accounts VALIDATE CONSTRAINT accounts_email_check;
-- case: alter-table
ALTER TABLE accounts DROP CONSTRAINT accounts_email_check;
-- case: alter-table
ALTER TABLE audit_log DROP CONSTRAINT audit_log_account_fk;
-- case: alter-table
ALTER TABLE orders DROP CONSTRAINT orders_account_id_fkey;
-- case: alter-table
ALTER TABLE tags ADD CONSTRAINT tags_note_key UNIQUE (note);
-- case: alter-table
ALTER TABLE events_2026 ADD PRIMARY KEY (id);
-- case: alter-table
ALTER TABLE tags ADD CONSTRAINT tags_name_note_key UNIQUE USING INDEX tags_name_note_idx;
-- case: alter-table
ALTER TABLE accounts ADD CONSTRAINT accounts_email_excl EXCLUDE USING btree (email WITH =);
-- case: alter-table
ALTER TABLE orders ALTER CONSTRAINT orders_account_id_fkey DEFERRABLE;
-- case: alter-table
ALTER TABLE orders ADD COLUMN item_ref int REFERENCES items (id);
-- case: alter-table
ALTER TABLE accounts RENAME COLUMN name TO full_name;
-- case: alter-table
ALTER TABLE accounts RENAME CONSTRAINT accounts_email_check TO accounts_email_nonempty;
-- case: alter-table
ALTER TABLE accounts RENAME TO customers;
-- case: alter-table
ALTER TABLE accounts SET SCHEMA app;
-- case: alter-table
ALTER TABLE accounts OWNER TO lt_owner;
-- case: alter-table
ALTER TABLE tags SET UNLOGGED;
-- case: alter-table
ALTER TABLE scratch SET LOGGED;
-- case: alter-table
ALTER TABLE accounts SET TABLESPACE pg_default;
-- case: alter-table
ALTER TABLE accounts SET ACCESS METHOD heap;
-- case: alter-table
ALTER TABLE accounts SET (fillfactor = 70);
-- case: alter-table
ALTER TABLE accounts SET (autovacuum_enabled = false, toast.autovacuum_enabled = false);
-- case: alter-table
ALTER TABLE accounts RESET (fillfactor);
-- case: alter-table
ALTER TABLE accounts SET (fillfactor = 70, user_catalog_table = false);
-- case: alter-table
ALTER TABLE accounts CLUSTER ON accounts_pkey;
-- case: alter-table
ALTER TABLE accounts SET WITHOUT CLUSTER;
-- case: alter-table
ALTER TABLE accounts ENABLE TRIGGER accounts_audit;
-- case: alter-table
ALTER TABLE accounts DISABLE TRIGGER accounts_audit;
-- case: alter-table
ALTER TABLE accounts DISABLE TRIGGER ALL;
-- case: alter-table
ALTER TABLE accounts ENABLE TRIGGER USER;
-- case: alter-table
ALTER TABLE accounts ENABLE REPLICA TRIGGER accounts_audit;
-- case: alter-table
ALTER TABLE accounts ENABLE ALWAYS TRIGGER accounts_audit;
-- case: alter-table
ALTER TABLE accounts REPLICA IDENTITY FULL;
-- case: alter-table
ALTER TABLE accounts ALTER COLUMN name SET STATISTICS 100, SET (fillfactor = 80);
-- case: alter-table
ALTER TABLE accounts SET (fillfactor = 80), ADD COLUMN z int;
-- case: alter-table
ALTER TABLE items ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY;
-- case: alter-table
ALTER TABLE events ADD COLUMN source text;
-- case: alter-table
ALTER TABLE events ALTER COLUMN payload SET STATISTICS 200;
-- case: alter-table
ALTER TABLE events ALTER COLUMN payload TYPE varchar(10);
-- case: alter-table
ALTER TABLE notes ADD COLUMN extra int;
-- case: alter-table
ALTER TABLE notes_archive NO INHERIT notes;
-- case: alter-table
ALTER TABLE notes_extra INHERIT notes;
-- case: row-level-security
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
-- case: row-level-security
ALTER TABLE audit_log DISABLE ROW LEVEL SECURITY;
-- case: row-level-security
ALTER TABLE accounts FORCE ROW LEVEL SECURITY;
-- case: row-level-security
CREATE POLICY accounts_mine ON accounts USING (true);
-- case: row-level-security
ALTER POLICY audit_own ON audit_log USING (false);
-- case: row-level-security
DROP POLICY audit_own ON audit_log;
-- case: partitions
ALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
-- case: partitions
ALTER TABLE events DETACH PARTITION events_2025;
-- case: partitions
-- block: public.events_2025 SHARE
ALTER TABLE events DETACH PARTITION events_2025 CONCURRENTLY;
-- case: partitions
CREATE TABLE events_2027 PARTITION OF events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
-- case: partitions
DROP TABLE events_2024;
-- case: alter-index
ALTER INDEX orders_account_id_idx SET (fillfactor = 80);
-- case: alter-index
ALTER INDEX orders_account_id_idx RENAME TO orders_acc_idx;
-- case: alter-index
ALTER INDEX orders_account_id_idx SET TABLESPACE pg_default;
-- case: views
ALTER VIEW account_names RENAME TO acct_names;
-- case: views
ALTER VIEW account_names ALTER COLUMN status SET DEFAULT 'ok';
-- case: views
ALTER VIEW account_names OWNER TO lt_owner;
-- case: views
ALTER VIEW account_names SET (security_barrier = true);
-- case: views
CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;
-- case: views
CREATE OR REPLACE VIEW account_names AS SELECT status, created_at, email FROM accounts;
-- case: views
CREATE VIEW account_orders AS SELECT * FROM order_summary;
-- case: views
DROP VIEW account_names;
-- case: views
DROP VIEW order_summary;
-- case: materialized-views
ALTER MATERIALIZED VIEW order_stats RENAME TO order_counts;
-- case: materialized-views
CREATE MATERIALIZED VIEW item_copy AS SELECT * FROM items;
-- case: materialized-views
CREATE MATERIALIZED VIEW item_copy AS SELECT * FROM items WITH NO DATA;
-- case: materialized-views
REFRESH MATERIALIZED VIEW order_stats;
-- case: materialized-views
REFRESH MATERIALIZED VIEW CONCURRENTLY order_stats;
-- case: materialized-views
REFRESH MATERIALIZED VIEW order_stats WITH NO DATA;
-- case: materialized-views
DROP MATERIALIZED VIEW order_stats;
-- case: drop
DROP TABLE items;
-- case: drop
DROP TABLE orders CASCADE;
-- case: drop
DROP TABLE accounts CASCADE;
-- case: drop
DROP TABLE tags;
-- case: drop
DROP TABLE IF EXISTS no_such_table, scratch;
-- case: drop
DROP TABLE events;
-- case: drop
DROP TABLE notes CASCADE;
-- case: drop
DROP SCHEMA app CASCADE;
-- case: drop
DROP TRIGGER accounts_audit ON accounts;
-- case: create-table
CREATE TABLE t_plain (id int);
-- case: create-table
CREATE TABLE t_ref (id int REFERENCES accounts (id));
-- case: create-table
CREATE TABLE t_like (LIKE accounts INCLUDING ALL);
-- case: create-table
CREATE TABLE notes_more () INHERITS (notes);
-- case: create-table
CREATE TABLE t_ctas AS SELECT * FROM orders WHERE total > 10;
-- case: create-table
CREATE TABLE t_view_copy AS SELECT * FROM order_summary;
-- case: create-table
SELECT * INTO t_into FROM accounts;
-- case: create-table
CREATE TABLE t_many (id serial, acc int REFERENCES accounts ON DELETE CASCADE, o bigint REFERENCES orders);
-- case: create-table
CREATE TABLE t_parts (a int) PARTITION BY LIST (a);
-- case: create-table
CREATE UNLOGGED TABLE t_unlogged (a int);
-- case: create-index
CREATE INDEX accounts_name_idx ON accounts (name);
-- case: create-index
CREATE UNIQUE INDEX accounts_email_code_idx ON accounts (email, code);
-- case: create-index
CREATE INDEX ON orders (note) WHERE total > 10;
-- case: create-index
CREATE INDEX accounts_lower_email_idx ON accounts (lower(email));
-- case: create-index
CREATE INDEX events_happened_idx ON events (happened);
-- case: create-index
CREATE INDEX events_payload_idx ON ONLY events (payload);
-- case: create-index
CREATE INDEX order_stats_n_idx ON order_stats (n);
-- case: create-index
-- block: public.accounts ROW EXCLUSIVE
CREATE INDEX CONCURRENTLY accounts_name_idx ON accounts (name);
-- case: create-index
-- block: public.orders ROW EXCLUSIVE
CREATE UNIQUE INDEX CONCURRENTLY orders_id_account_idx ON orders (id, account_id);
-- case: drop-index
DROP INDEX orders_account_id_idx;
-- case: drop-index
DROP INDEX accounts_email_key;
-- case: drop-index
-- block: public.orders ACCESS SHARE
DROP INDEX CONCURRENTLY orders_account_id_idx;
-- case: triggers
CREATE TRIGGER orders_touch AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION audit_touch();
-- case: triggers
CREATE TRIGGER events_touch BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION audit_touch();
-- case: triggers
CREATE TRIGGER events_stmt AFTER UPDATE ON events FOR EACH STATEMENT EXECUTE FUNCTION audit_touch();
-- case: triggers
CREATE OR REPLACE TRIGGER accounts_audit AFTER INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION audit_touch();
-- case: triggers
CREATE CONSTRAINT TRIGGER orders_check AFTER INSERT ON orders DEFERRABLE FOR EACH ROW EXECUTE FUNCTION audit_touch();
-- case: triggers
CREATE TRIGGER account_names_ins INSTEAD OF INSERT ON account_names FOR EACH ROW EXECUTE FUNCTION audit_touch();
-- case: rules-statistics
CREATE RULE tags_nothing AS ON INSERT TO tags DO ALSO NOTHING;
-- case: rules-statistics
CREATE STATISTICS accounts_stats ON email, name FROM accounts;
-- case: reindex
REINDEX TABLE accounts;
-- case: reindex
REINDEX INDEX orders_account_id_idx;
-- case: reindex
REINDEX INDEX accounts_pkey;
-- case: reindex
REINDEX INDEX tags_pkey;
-- case: reindex
-- block: public.accounts ROW EXCLUSIVE
REINDEX TABLE CONCURRENTLY accounts;
-- case: reindex
-- block: public.orders ROW EXCLUSIVE
REINDEX INDEX CONCURRENTLY orders_account_id_idx;
-- case: cluster
CLUSTER accounts USING accounts_pkey;
-- case: cluster
CLUSTER orders USING orders_pkey;
-- case: vacuum
-- block: public.accounts SHARE
VACUUM accounts;
-- case: vacuum
-- block: public.tags ACCESS SHARE
VACUUM FULL tags;
-- case: vacuum
-- block: public.orders SHARE
VACUUM (ANALYZE) orders;
-- case: analyze
ANALYZE accounts;
-- case: analyze
ANALYZE accounts (email);
-- case: analyze
ANALYZE events;
-- case: truncate
-- storage-swap
TRUNCATE tags;
-- case: truncate
-- storage-swap
TRUNCATE items, orders CASCADE;
-- case: truncate
-- storage-swap
TRUNCATE accounts CASCADE;
-- case: truncate
-- storage-swap
TRUNCATE events;
-- case: truncate
-- storage-swap
TRUNCATE ONLY events_2024;
-- case: truncate
-- storage-swap
TRUNCATE accounts RESTART IDENTITY CASCADE;
-- case: lock-table
LOCK TABLE accounts;
-- case: lock-table
LOCK TABLE accounts IN ACCESS SHARE MODE;
-- case: lock-table
LOCK TABLE accounts IN ROW SHARE MODE;
-- case: lock-table
LOCK TABLE accounts IN ROW EXCLUSIVE MODE;
-- case: lock-table
LOCK TABLE accounts IN SHARE UPDATE EXCLUSIVE MODE;
-- case: lock-table
LOCK TABLE accounts IN SHARE MODE;
-- case: lock-table
LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE;
-- case: lock-table
LOCK TABLE accounts IN EXCLUSIVE MODE;
-- case: lock-table
LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE NOWAIT;
-- case: lock-table
LOCK TABLE accounts, orders IN SHARE MODE NOWAIT;
-- case: lock-table
LOCK TABLE events IN EXCLUSIVE MODE;
-- case: lock-table
LOCK TABLE ONLY events IN SHARE MODE;
-- case: lock-table
LOCK TABLE account_names IN ACCESS SHARE MODE;
-- case: lock-table
LOCK TABLE order_summary IN ROW EXCLUSIVE MODE;
-- case: lock-table
LOCK TABLE notes IN SHARE MODE;
-- case: sequences
CREATE SEQUENCE s_new;
-- case: sequences
CREATE SEQUENCE s_owned OWNED BY accounts.id;
-- case: sequences
ALTER SEQUENCE invoice_no RESTART WITH 100;
-- case: sequences
ALTER SEQUENCE invoice_no INCREMENT BY 5;
-- case: sequences
ALTER SEQUENCE invoice_no OWNED BY orders.invoice;
-- case: sequences
ALTER SEQUENCE accounts_id_seq RENAME TO acc_seq;
-- case: sequences
SELECT nextval('invoice_no');
-- case: sequences
SELECT setval('invoice_no', 500);
-- case: sequences
SELECT nextval('invoice_no'); SELECT currval('invoice_no');
-- case: sequences
SELECT last_value FROM invoice_no;
-- case: sequences
DROP SEQUENCE invoice_no CASCADE;
-- case: comment
COMMENT ON TABLE accounts IS 'customers';
-- case: comment
COMMENT ON COLUMN accounts.email IS 'login';
-- case: comment
COMMENT ON VIEW account_names IS 'names';
-- case: comment
COMMENT ON MATERIALIZED VIEW order_stats IS 'stats';
-- case: comment
COMMENT ON SEQUENCE invoice_no IS 'numbers';
-- case: comment
COMMENT ON INDEX orders_account_id_idx IS 'fk lookup';
-- case: comment
COMMENT ON CONSTRAINT accounts_email_check ON accounts IS 'not empty';
-- case: comment
COMMENT ON TRIGGER accounts_audit ON accounts IS 'audit';
-- case: comment
COMMENT ON POLICY audit_own ON audit_log IS 'everyone';
-- case: comment
COMMENT ON TYPE mood IS 'feelings';
-- case: grant
GRANT SELECT ON accounts TO lt_reader;
-- case: grant
GRANT SELECT, INSERT ON accounts, orders TO lt_reader;
-- case: grant
REVOKE ALL ON orders FROM lt_reader;
-- case: grant
GRANT USAGE ON SEQUENCE invoice_no TO lt_reader;
-- case: grant
GRANT SELECT ON ALL TABLES IN SCHEMA public TO lt_reader;
-- case: grant
GRANT SELECT (email) ON accounts TO lt_reader;
-- case: select
SELECT * FROM accounts;
-- case: select
SELECT * FROM ONLY notes;
-- case: select
SELECT count(*) FROM orders o JOIN accounts a ON a.id = o.account_id;
-- case: select
SELECT * FROM account_names;
-- case: select
SELECT * FROM order_summary;
-- case: select
SELECT * FROM order_stats;
-- case: select
SELECT * FROM events;
-- case: select
SELECT * FROM notes;
-- case: select
SELECT * FROM accounts WHERE id IN (SELECT account_id FROM orders);
-- case: select
WITH x AS (SELECT * FROM items) SELECT * FROM x;
-- case: select
SELECT email FROM accounts UNION ALL SELECT sku FROM items;
-- case: select-for
SELECT * FROM accounts FOR UPDATE;
-- case: select-for
SELECT * FROM accounts FOR NO KEY UPDATE;
-- case: select-for
SELECT * FROM accounts FOR SHARE;
-- case: select-for
SELECT * FROM accounts FOR KEY SHARE;
-- case: select-for
SELECT * FROM orders o JOIN accounts a ON a.id = o.account_id FOR UPDATE OF o;
-- case: select-for
SELECT * FROM accounts a WHERE a.id < 5 FOR UPDATE SKIP LOCKED;
-- case: insert
INSERT INTO accounts (email) VALUES ('new@example.org');
-- case: insert
INSERT INTO accounts (id, email) VALUES (1000, 'n2@example.org');
-- case: insert
INSERT INTO orders (account_id, total) VALUES (1, 5);
-- case: insert
INSERT INTO items VALUES (1000, 1, 'x', 1);
-- case: insert
INSERT INTO tags VALUES ('green', 'g') ON CONFLICT (name) DO NOTHING;
-- case: insert
INSERT INTO tags VALUES ('red', 'r2') ON CONFLICT (name) DO UPDATE SET note = excluded.note;
-- case: insert
-- maybe: public.events_2025
INSERT INTO events VALUES (1000, '2024-06-01', 'x');
-- case: insert
INSERT INTO audit_log (account_id, msg) SELECT id, email FROM accounts;
-- case: insert
INSERT INTO notes SELECT id, body FROM notes_archive;
-- case: update
UPDATE accounts SET name = 'x' WHERE id = 1;
-- case: update
UPDATE accounts SET id = 5000 WHERE id = 60;
-- case: update
UPDATE orders SET note = 'x';
-- case: update
UPDATE orders SET account_id = 3 WHERE id = 1;
-- case: update
UPDATE orders SET total = total + 1 FROM accounts a WHERE a.id = orders.account_id;
-- case: update
UPDATE events SET payload = 'y';
-- case: update
UPDATE account_names SET status = 'sad' WHERE created_at IS NOT NULL;
-- case: delete
DELETE FROM items WHERE id = 1;
-- case: delete
DELETE FROM orders WHERE id = 1;
-- case: delete
DELETE FROM accounts WHERE id = 60;
-- case: delete
DELETE FROM events WHERE id = 1;
-- case: delete
DELETE FROM tags USING accounts WHERE tags.name = accounts.email;
-- case: merge
MERGE INTO tags t USING (VALUES ('red', 'x')) v(name, note) ON t.name = v.name
WHEN MATCHED THEN UPDATE SET note = v.note
WHEN NOT MATCHED THEN INSERT VALUES (v.name, v.note);
-- case: merge
MERGE INTO items USING (VALUES (2000, 1)) v(id, oid) ON items.id = v.id
WHEN NOT MATCHED THEN INSERT VALUES (v.id, v.oid, 's', 1);
-- case: copy
COPY accounts TO STDOUT;
-- case: copy
COPY (SELECT * FROM orders) TO STDOUT;
-- case: copy
-- copy: yellow\ty\n
COPY tags FROM STDIN;
-- case: copy
-- copy: 1\t3\n
COPY orders (account_id, total) FROM STDIN;
-- case: explain
EXPLAIN SELECT * FROM accounts;
-- case: explain
EXPLAIN ANALYZE DELETE FROM items WHERE id = 2;
-- case: search-path
SET search_path = app, public; SELECT * FROM settings;
-- case: search-path
SET search_path = app, public; ALTER TABLE settings ADD COLUMN x int;
-- case: search-path
SET search_path TO app; CREATE INDEX ON settings (value);
-- case: search-path
SET search_path = app, public; SELECT * FROM accounts;
-- case: no-lock
CREATE TYPE color AS ENUM ('red');
-- case: no-lock
ALTER TYPE mood ADD VALUE 'angry';
-- case: no-lock
CREATE FUNCTION one() RETURNS int LANGUAGE sql AS 'SELECT 1';
-- case: no-lock
CREATE SCHEMA extra;
-- case: no-lock
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
-- case: drop
DROP TABLE audit_log;
-- case: alter-table
ALTER TABLE accounts ADD COLUMN referrer int REFERENCES accounts (id);
-- case: alter-table
ALTER TABLE accounts ALTER COLUMN id DROP DEFAULT;
-- case: alter-table
ALTER TABLE orders RENAME TO purchases;
-- case: alter-table
ALTER TABLE orders ALTER COLUMN invoice SET DEFAULT nextval('invoice_no');
-- case: partitions
ALTER TABLE events ALTER COLUMN payload SET NOT NULL;
-- case: partitions
ALTER TABLE events ADD CONSTRAINT events_id_positive CHECK (id > 0);
-- case: partitions
ALTER TABLE events DROP COLUMN payload;
-- case: partitions
ALTER TABLE events ENABLE TRIGGER ALL;
-- case: partitions
ALTER TABLE events OWNER TO lt_owner;
-- case: partitions
ALTER TABLE events ALTER COLUMN payload SET STORAGE EXTERNAL;
-- case: partitions
ALTER TABLE events ALTER COLUMN payload SET (n_distinct = 5);
-- case: partitions
ALTER TABLE events REPLICA IDENTITY FULL;
-- case: partitions
LOCK TABLE events_2024 IN SHARE MODE;
-- case: partitions
SELECT * FROM events FOR UPDATE;
-- case: partitions
INSERT INTO events_2024 VALUES (2000, '2024-02-02', 'direct');
-- case: partitions
ALTER TABLE events SET TABLESPACE pg_default;
-- case: alter-table
ALTER TABLE notes ALTER COLUMN body TYPE varchar(10);
-- case: alter-table
ALTER TABLE notes RENAME COLUMN body TO content;
-- case: truncate
-- storage-swap
TRUNCATE notes;
-- case: insert
INSERT INTO tags VALUES ('white', 'w') RETURNING *;
-- case: update
UPDATE items SET qty = 0 WHERE order_id IN (SELECT id FROM orders WHERE total > 100);
-- case: create-table
CREATE TABLE t_seq_copy AS SELECT nextval('invoice_no') AS n;
-- case: create-table
CREATE TABLE t_default (id bigint DEFAULT nextval('invoice_no'));
-- case: comment
COMMENT ON COLUMN account_names.status IS 'view column';
-- case: grant
GRANT SELECT ON account_names, order_stats TO lt_reader;
-- case: sequences
ALTER SEQUENCE invoice_no OWNED BY NONE;
-- case: reindex
-- block: app.settings ROW EXCLUSIVE
REINDEX SCHEMA app;
-- case: analyze
ANALYZE;
-- case: vacuum
-- block: public.order_stats SELECT
VACUUM FULL order_stats;
-- case: cluster
CLUSTER order_stats USING order_stats_account_idx;
-- case: partitions
UPDATE events_2024 SET payload = 'u';
-- case: partitions
DELETE FROM events_2024 WHERE id = 3;
-- case: partitions
-- copy: 3000\t2024-03-03\tc\n
COPY events_2024 FROM STDIN;
-- case: partitions
SELECT * FROM events_2024;
-- case: sequences
ALTER TABLE tags ALTER COLUMN note SET DEFAULT nextval('invoice_no')::text;
INSERT INTO tags (name) VALUES ('numbered');
-- case: sequences
ALTER TABLE accounts ALTER COLUMN id DROP DEFAULT;
INSERT INTO accounts (id, email) VALUES (7000, 'nodefault@example.org');
-- case: sequences
INSERT INTO orders (account_id, total, invoice) VALUES (1, 2, DEFAULT);
-- case: publication
CREATE PUBLICATION lt_pub FOR TABLE accounts, orders;
-- case: publication
CREATE PUBLICATION lt_pub FOR ALL TABLES;
-- case: publication
CREATE PUBLICATION lt_pub FOR TABLES IN SCHEMA app;
-- case: publication
CREATE PUBLICATION lt_pub FOR TABLE events;
-- case: alter-table
ALTER TABLE accounts ADD COLUMN mood2 mood DEFAULT 'ok';
-- case: alter-table
ALTER TABLE accounts ADD COLUMN joined date DEFAULT CURRENT_DATE;
-- case: alter-table
ALTER TABLE accounts ADD COLUMN prefs jsonb DEFAULT '{}';
-- case: alter-table
ALTER TABLE accounts ADD COLUMN label text DEFAULT lower('X');
-- case: alter-table
ALTER TABLE accounts ADD COLUMN stamp timestamptz DEFAULT clock_timestamp();
-- case: alter-table
ALTER TABLE accounts ADD COLUMN dice int DEFAULT (random() * 10)::int;
-- case: alter-table
ALTER TABLE accounts ADD COLUMN nothing numeric DEFAULT NULL;
-- case: alter-table
ALTER TABLE orders ALTER COLUMN note TYPE varchar;
-- case: alter-table
ALTER TABLE accounts ALTER COLUMN balance TYPE numeric(12,2);
-- case: alter-table
ALTER TABLE accounts ALTER COLUMN email TYPE varchar(200) COLLATE "C";
-- case: alter-table
ALTER TABLE items ALTER COLUMN sku TYPE varchar(40) USING sku::varchar(40);
-- case: alter-table
-- needs: tablespace
ALTER TABLE accounts SET TABLESPACE lt_space;
-- case: alter-table
-- needs: tablespace
ALTER TABLE events SET TABLESPACE lt_space;
-- case: alter-table
-- needs: tablespace
ALTER TABLE events_2024 SET TABLESPACE lt_space;
-- case: alter-index
-- needs: tablespace
ALTER INDEX orders_account_id_idx SET TABLESPACE lt_space;
-- case: materialized-views
-- needs: tablespace
ALTER MATERIALIZED VIEW order_stats SET TABLESPACE lt_space;
-- case: alter-table
-- needs: tablespace
ALTER TABLE accounts SET TABLESPACE lt_space;
ALTER TABLE accounts SET TABLESPACE lt_space;
-- case: domain
ALTER DOMAIN positive_int ADD CONSTRAINT positive_int_check CHECK (VALUE > 0);
-- case: domain
ALTER DOMAIN positive_int ADD CONSTRAINT positive_int_check CHECK (VALUE > 0) NOT VALID;
-- case: domain
ALTER DOMAIN positive_int SET NOT NULL;
-- case: domain
ALTER DOMAIN positive_int SET DEFAULT 1;
-- case: domain
ALTER TABLE accounts ADD COLUMN qty positive_int DEFAULT 5;
-- case: domain
ALTER DOMAIN positive_int ADD CONSTRAINT positive_int_check CHECK (VALUE > 0);
ALTER TABLE accounts ADD COLUMN qty positive_int DEFAULT 5;
-- case: domain
CREATE DOMAIN small_int AS int CHECK (VALUE < 100);
ALTER TABLE accounts ADD COLUMN small small_int;
-- case: domain
ALTER TABLE stock ALTER COLUMN amount TYPE int;
-- case: domain
ALTER TABLE items ALTER COLUMN qty TYPE positive_int;
-- case: domain
CREATE DOMAIN small_int AS int CHECK (VALUE < 100);
ALTER TABLE items ALTER COLUMN qty TYPE small_int;
-- case: alter-table
ALTER TABLE accounts RENAME COLUMN id TO account_id;
-- case: alter-table
ALTER TABLE orders VALIDATE CONSTRAINT orders_account_id_fkey;
-- case: alter-table
ALTER TABLE orders ALTER COLUMN note SET DATA TYPE varchar(150);
-- case: partitions
ALTER TABLE metrics ATTACH PARTITION metrics_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
-- case: partitions
CREATE TABLE metrics_2026 PARTITION OF metrics FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
-- case: partitions
DROP TABLE metrics_other;
-- case: partitions
ALTER TABLE metrics DETACH PARTITION metrics_other;
-- case: partitions
SELECT * FROM metrics;
-- case: reindex
-- block: public.metrics_2024 ROW EXCLUSIVE
-- maybe: public.metrics_other
REINDEX TABLE metrics;
-- case: create-index
CREATE UNIQUE INDEX metrics_id_at_idx ON metrics (id, at);
-- case: truncate
-- storage-swap
TRUNCATE metrics;
-- case: insert
-- maybe: public.metrics_2024
INSERT INTO metrics VALUES (5, '2031-01-01');
-- case: cluster
-- block: public.metrics_2024 SELECT
-- maybe: public.metrics public.metrics_other
-- CLUSTER of a partitioned table locks the parent in a first transaction,
-- then each partition in its own: this case and the next observe both stages.
CLUSTER metrics USING metrics_id_idx;
-- case: cluster
-- block: ONLY public.metrics ACCESS EXCLUSIVE
-- maybe: public.metrics_2024 public.metrics_other
CLUSTER metrics USING metrics_id_idx;
-- case: drop
DROP TYPE mood CASCADE;
-- case: drop
DROP DOMAIN positive_int CASCADE;
-- case: no-lock
DROP FUNCTION audit_touch() CASCADE;
-- case: no-lock
CREATE OR REPLACE FUNCTION one_more() RETURNS int LANGUAGE sql AS 'SELECT 2';
-- case: no-lock
ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO lt_reader;
-- case: update
-- the FROM table of UPDATE ... FROM is read (ACCESS SHARE); ROW SHARE only
-- when the foreign key check runs (next case)
UPDATE items SET qty = 1 FROM orders o WHERE o.id = items.order_id AND o.total > 10;
-- case: update
UPDATE orders SET account_id = a.id + 1 FROM accounts a WHERE a.id = orders.account_id AND a.id < 3;
-- case: delete
DELETE FROM items USING orders o WHERE o.id = items.order_id AND o.total > 250;
-- case: select-for
UPDATE items SET qty = 2 FROM (SELECT id FROM orders FOR UPDATE) o WHERE o.id = items.order_id;
-- case: cte
WITH orders AS (SELECT 1 AS id) SELECT * FROM orders;
-- case: cte
WITH recent AS (SELECT * FROM accounts WHERE id > 50) SELECT r.id FROM recent r JOIN recent s ON s.id = r.id;
-- case: cte
WITH RECURSIVE items(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM items WHERE n < 5) SELECT * FROM items;
-- case: cte
WITH orders AS (SELECT id FROM accounts WHERE id < 5) UPDATE tags SET note = 'n' FROM orders WHERE orders.id = 1;
-- case: cte
WITH accounts AS (SELECT 3 AS id) DELETE FROM items USING accounts WHERE items.id = accounts.id;
-- case: cte
WITH moved AS (DELETE FROM items WHERE id < 3 RETURNING id, sku) INSERT INTO tags SELECT sku, 'm' FROM moved;
-- case: cte
WITH ins AS (INSERT INTO tags VALUES ('green', 'g') RETURNING name) UPDATE scratch SET v = ins.name FROM ins;
-- case: cte
INSERT INTO tags WITH notes AS (SELECT 'x' AS name) SELECT name, 'y' FROM notes;
-- case: temp-table
CREATE TEMP TABLE accounts (id int);
INSERT INTO accounts VALUES (1);
SELECT * FROM accounts;
UPDATE accounts SET id = 2;
-- case: temp-table
CREATE TEMPORARY TABLE orders AS SELECT id, account_id FROM public.orders WHERE id < 10;
DELETE FROM orders WHERE id = 1;
-- case: temp-table
CREATE TABLE pg_temp.tags (name text);
INSERT INTO tags SELECT email FROM accounts WHERE id = 1;
-- case: temp-table
SELECT id INTO TEMP items FROM orders WHERE id < 3;
TRUNCATE items;
DROP TABLE items;
SELECT count(*) FROM items;
-- case: alter-table
ALTER TABLE items DROP COLUMN order_id;
-- case: alter-table
ALTER TABLE audit_log DROP COLUMN account_id;
-- case: alter-table
-- maybe: public.order_stats
-- which columns a view uses is not tracked: every view over the table may be dropped
ALTER TABLE orders DROP COLUMN id CASCADE;
-- case: alter-table
-- maybe: public.account_names
ALTER TABLE accounts DROP COLUMN id CASCADE;
-- case: alter-table
ALTER TABLE items DROP COLUMN order_id, DROP COLUMN sku;
-- case: catalog
-- setup: ALTER TABLE orders DROP COLUMN account_id CASCADE;
INSERT INTO orders (total) VALUES (1);
-- case: catalog
-- setup: ALTER TABLE items DROP COLUMN order_id;
INSERT INTO items (id, sku) VALUES (1000, 'x');
-- case: catalog
-- setup: ALTER TABLE orders DROP COLUMN id CASCADE;
DELETE FROM orders WHERE account_id = 1;
-- case: catalog
-- setup: ALTER TABLE accounts DROP COLUMN id CASCADE;
DELETE FROM accounts WHERE email = 'u1@example.org';
-- case: catalog
-- setup: ALTER TABLE items RENAME CONSTRAINT items_order_id_fkey TO items_order_fk;
ALTER TABLE items DROP CONSTRAINT items_order_fk;
-- case: catalog
-- setup: ALTER TABLE items DROP CONSTRAINT items_order_id_fkey;
DELETE FROM orders WHERE id = 1;
-- case: catalog
-- setup: DROP TABLE items;
DELETE FROM orders WHERE id = 1;
-- case: catalog
-- setup: ALTER TABLE orders RENAME TO purchases;
-- setup: CREATE TABLE orders (id int);
INSERT INTO orders VALUES (1);
-- case: catalog
-- setup: ALTER TABLE accounts RENAME COLUMN id TO account_no;
DELETE FROM accounts WHERE account_no = 60;
-- case: do
DO $$ BEGIN UPDATE orders SET note = 'x' WHERE id = 1; PERFORM 1 FROM tags; END $$;
-- case: do
DO $$
DECLARE n int;
BEGIN
	SELECT count(*) INTO n FROM accounts;
	n := (SELECT max(id) FROM items);
	IF n > 0 THEN
		ALTER TABLE scratch ADD COLUMN z int DEFAULT random();
	END IF;
END $$;
-- case: do
DO $$
DECLARE r record;
BEGIN
	FOR r IN SELECT id FROM accounts WHERE id < 3 LOOP
		INSERT INTO audit_log (account_id, msg) VALUES (r.id, 'm');
	END LOOP;
END $$;
-- case: do
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'orders_note_idx') THEN
		CREATE INDEX orders_note_idx ON orders (note);
	END IF;
END $$;
-- case: do
DO LANGUAGE plpgsql $$
BEGIN
	ALTER TABLE accounts ADD CONSTRAINT balance_positive CHECK (balance >= 0);
EXCEPTION WHEN duplicate_object THEN
	RAISE NOTICE 'already there';
END $$;
-- case: do
DO $$
BEGIN
	WITH gone AS (DELETE FROM items WHERE id < 5 RETURNING order_id)
	UPDATE orders SET note = 'emptied' WHERE id IN (SELECT order_id FROM gone);
END $$;
-- case: drop
-- setup: ALTER TABLE tags ADD COLUMN k text REFERENCES app.settings (key);
DROP SCHEMA app CASCADE;
-- case: catalog
-- setup: ALTER TABLE tags ADD COLUMN k text REFERENCES app.settings (key);
-- setup: DROP SCHEMA app CASCADE;
INSERT INTO tags (name, note, k) VALUES ('z', 'z', 'k');
-- case: alter-table
-- the foreign keys referencing the primary key go with it
ALTER TABLE accounts DROP CONSTRAINT accounts_pkey CASCADE;
-- case: alter-table
ALTER TABLE orders DROP CONSTRAINT orders_pkey CASCADE;
-- case: catalog
-- setup: ALTER TABLE accounts RENAME COLUMN id TO account_no;
ALTER TABLE accounts DROP CONSTRAINT accounts_pkey CASCADE;
-- case: catalog
-- setup: ALTER TABLE orders DROP CONSTRAINT orders_pkey CASCADE;
DELETE FROM orders WHERE id = 1;
-- case: functions
CREATE FUNCTION lt_touch() RETURNS void LANGUAGE sql AS $$ UPDATE orders SET note = note WHERE id = 0; SELECT 1 FROM accounts $$;
-- case: functions
CREATE FUNCTION lt_events() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM events';
-- case: functions
CREATE FUNCTION lt_names() RETURNS SETOF text LANGUAGE sql AS 'SELECT status::text FROM account_names';
-- case: functions
CREATE FUNCTION lt_plpgsql() RETURNS void LANGUAGE plpgsql AS $$ BEGIN UPDATE orders SET note = note; END $$;
-- case: functions
SET check_function_bodies = off; CREATE FUNCTION lt_unchecked() RETURNS void LANGUAGE sql AS 'DELETE FROM items';
-- case: functions
CREATE FUNCTION lt_atomic() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM items; END;
-- case: functions
CREATE FUNCTION lt_poly(x anyelement) RETURNS anyelement LANGUAGE sql AS 'SELECT x FROM tags LIMIT 1';
-- case: functions
CREATE FUNCTION lt_atomic_view() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM account_names; END;
-- case: functions
CREATE FUNCTION lt_route() RETURNS void LANGUAGE sql AS $$ INSERT INTO events VALUES (1, '2024-05-01', 'x') $$;
-- case: functions
CREATE FUNCTION lt_fk() RETURNS void LANGUAGE sql AS 'UPDATE orders SET account_id = 1 WHERE id = 0';
-- case: functions
CREATE PROCEDURE lt_proc() LANGUAGE sql AS 'DELETE FROM tags';
-- case: functions
SET check_function_bodies = on; CREATE OR REPLACE FUNCTION lt_on() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM notes';
-- case: functions
SET check_function_bodies = false; CREATE FUNCTION lt_dump() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM items';
-- case: functions
SET check_function_bodies = off; CREATE FUNCTION lt_atomic_unchecked() RETURNS bigint LANGUAGE sql RETURN (SELECT count(*) FROM items);
