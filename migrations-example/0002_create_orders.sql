-- Orders reference users. A foreign key declared inside CREATE TABLE is
-- safe too: the new table is empty, so there is nothing to validate.
CREATE TABLE orders (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint      NOT NULL REFERENCES users (id),
    total_cents bigint      NOT NULL,
    status      text        NOT NULL DEFAULT 'new',
    created_at  timestamptz NOT NULL DEFAULT now()
);
