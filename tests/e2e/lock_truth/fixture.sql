-- Fixture schema for the lock-truth suite: every statement in statements.sql
-- runs against a fresh copy of this (tables with rows, foreign keys, a
-- partitioned table, inheritance, views, a materialized view, sequences, an
-- enum, a trigger, a policy, a second schema).
CREATE SCHEMA app;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE SEQUENCE invoice_no;
CREATE DOMAIN positive_int AS int;

CREATE TABLE accounts (
	id serial PRIMARY KEY,
	email varchar(100) NOT NULL,
	name text,
	balance numeric(10,2) DEFAULT 0,
	status mood DEFAULT 'ok',
	code char(4),
	created_at timestamp DEFAULT now()
);
CREATE UNIQUE INDEX accounts_email_key ON accounts (email);
ALTER TABLE accounts ADD CONSTRAINT accounts_email_check CHECK (email <> '') NOT VALID;

CREATE TABLE orders (
	id bigserial PRIMARY KEY,
	account_id int NOT NULL REFERENCES accounts (id),
	total numeric(12,2),
	note varchar(50),
	invoice bigint DEFAULT nextval('invoice_no'),
	placed_at timestamptz DEFAULT now()
);
CREATE INDEX orders_account_id_idx ON orders (account_id);

CREATE TABLE items (
	id int PRIMARY KEY,
	order_id bigint REFERENCES orders (id) ON DELETE CASCADE,
	sku text,
	qty int
);

CREATE TABLE tags (name text PRIMARY KEY, note text);
ALTER TABLE tags ADD CONSTRAINT tags_note_not_null CHECK (note IS NOT NULL);
CREATE UNIQUE INDEX tags_name_note_idx ON tags (name, note);

CREATE TABLE audit_log (id serial PRIMARY KEY, account_id int, msg text);
ALTER TABLE audit_log ADD CONSTRAINT audit_log_account_fk
	FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_own ON audit_log USING (true);

CREATE TABLE events (id bigint NOT NULL, happened date NOT NULL, payload text) PARTITION BY RANGE (happened);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_2026 (id bigint NOT NULL, happened date NOT NULL, payload text);

CREATE TABLE metrics (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE metrics_2024 PARTITION OF metrics FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE metrics_other PARTITION OF metrics DEFAULT;
CREATE TABLE metrics_2025 (id int, at date);
CREATE INDEX metrics_id_idx ON metrics (id);

CREATE TABLE notes (id int, body text);
CREATE TABLE notes_archive () INHERITS (notes);
CREATE TABLE notes_extra (id int, body text);

CREATE UNLOGGED TABLE scratch (id int, v text);

CREATE TABLE stock (sku text PRIMARY KEY, amount positive_int);

CREATE TABLE app.settings (key text PRIMARY KEY, value text);

CREATE FUNCTION audit_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER accounts_audit AFTER UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION audit_touch();

CREATE VIEW account_names AS SELECT status, created_at FROM accounts;
CREATE VIEW order_summary AS
	SELECT a.status, o.id AS order_id FROM accounts a JOIN orders o ON o.account_id = a.id;
CREATE MATERIALIZED VIEW order_stats AS
	SELECT account_id, count(*) AS n FROM orders GROUP BY account_id;
CREATE UNIQUE INDEX order_stats_account_idx ON order_stats (account_id);

INSERT INTO accounts (email, name, balance, code)
	SELECT 'u' || g || '@example.org', 'user ' || g, g, 'C' || g % 10 FROM generate_series(1, 60) g;
INSERT INTO orders (account_id, total, note)
	SELECT 1 + g % 50, g * 1.5, 'note ' || g FROM generate_series(1, 200) g;
INSERT INTO items SELECT g, 1 + g % 200, 'sku' || g, g % 5 FROM generate_series(1, 300) g;
INSERT INTO tags VALUES ('red', 'r'), ('blue', 'b');
INSERT INTO audit_log (account_id, msg) VALUES (1, 'hello');
INSERT INTO events SELECT g, date '2024-01-01' + g * 2, 'p' FROM generate_series(1, 300) g;
INSERT INTO events_2026 VALUES (1, '2026-03-01', 'x');
INSERT INTO metrics VALUES (1, '2024-05-05'), (2, '2030-01-01');
INSERT INTO metrics_2025 VALUES (3, '2025-05-05');
INSERT INTO notes VALUES (1, 'a');
INSERT INTO notes_archive VALUES (2, 'b');
INSERT INTO scratch VALUES (1, 'x');
INSERT INTO stock VALUES ('a', 5), ('b', 7);
INSERT INTO app.settings VALUES ('k', 'v');
REFRESH MATERIALIZED VIEW order_stats;
