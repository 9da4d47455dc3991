-- The ledger's schema. Money is numeric(19, 2): exact, two decimals.

CREATE TABLE accounts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner       text           NOT NULL CHECK (length(owner) BETWEEN 1 AND 200),
    currency    char(3)        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    balance     numeric(19, 2) NOT NULL CHECK (balance >= 0),
    created_at  timestamptz    NOT NULL DEFAULT now()
);

CREATE TABLE transfers (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id    text           NOT NULL CHECK (length(request_id) BETWEEN 1 AND 100),
    from_account  bigint         NOT NULL REFERENCES accounts (id),
    to_account    bigint         NOT NULL REFERENCES accounts (id),
    amount        numeric(19, 2) NOT NULL CHECK (amount > 0),
    fee           numeric(19, 2) NOT NULL CHECK (fee >= 0),
    status        text           NOT NULL,
    created_at    timestamptz    NOT NULL DEFAULT clock_timestamp(),
    CHECK (from_account <> to_account),
    -- The idempotency key. Checked at COMMIT: two requests racing with one key both get as far as the
    -- commit, and the second one's commit fails (unique violation: a 409, nothing of it kept).
    CONSTRAINT transfers_request_id_key UNIQUE (request_id) DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX transfers_from_account_idx ON transfers (from_account, created_at);
CREATE INDEX transfers_to_account_idx ON transfers (to_account, created_at);

-- One row per committed transfer, written by a before-commit hook in the transfer's own transaction.
CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transfer_id  bigint      NOT NULL REFERENCES transfers (id),
    event        text        NOT NULL,
    detail       text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Notifications, enqueued by an on-commit hook (so only for committed transfers) and drained by the
-- background job.
CREATE TABLE outbox (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic         text        NOT NULL,
    payload       text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    delivered_at  timestamptz
);

CREATE INDEX outbox_pending_idx ON outbox (id) WHERE delivered_at IS NULL;
