-- Billing: products (license templates) and the Stripe prices that sell them, licenses
-- made from them under a subscription, Stripe's events as received, the per-subscription
-- order mark, invoices seen (for refunds and once-per-invoice dunning mails), trials and
-- expiry reminders. Times are microseconds since the epoch, as everywhere in this file.

CREATE TABLE products (
    id                     BLOB PRIMARY KEY,
    slug                   TEXT NOT NULL UNIQUE,
    name                   TEXT NOT NULL,
    seats_per_unit         INTEGER NOT NULL CHECK (seats_per_unit >= 1),
    heartbeat_ttl_seconds  INTEGER NOT NULL CHECK (heartbeat_ttl_seconds >= 1),
    entitlements           TEXT NOT NULL,
    trial_days             INTEGER NOT NULL CHECK (trial_days >= 0),
    trial_seats            INTEGER NOT NULL CHECK (trial_seats >= 1),
    grace_days             INTEGER NOT NULL CHECK (grace_days >= 0),
    metered                INTEGER NOT NULL,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);

-- A price sells at most one product: its primary key says so.
CREATE TABLE product_prices (
    price_id    TEXT PRIMARY KEY,
    product_id  BLOB NOT NULL REFERENCES products(id),
    position    INTEGER NOT NULL
);
CREATE INDEX product_prices_by_product ON product_prices (product_id, position);

ALTER TABLE tenants ADD COLUMN stripe_customer_id TEXT;
ALTER TABLE tenants ADD COLUMN billing_email TEXT;
CREATE UNIQUE INDEX tenants_by_stripe_customer ON tenants (stripe_customer_id)
    WHERE stripe_customer_id IS NOT NULL;
CREATE INDEX tenants_by_billing_email ON tenants (lower(billing_email))
    WHERE billing_email IS NOT NULL;

ALTER TABLE licenses ADD COLUMN product_id BLOB REFERENCES products(id);
ALTER TABLE licenses ADD COLUMN subscription_id TEXT;
ALTER TABLE licenses ADD COLUMN subscription TEXT;
-- One license per subscription and product.
CREATE UNIQUE INDEX licenses_by_subscription ON licenses (subscription_id, product_id)
    WHERE subscription_id IS NOT NULL;

CREATE TABLE billing_events (
    id           TEXT PRIMARY KEY,
    row_id       BLOB NOT NULL UNIQUE,
    event_type   TEXT NOT NULL,
    created      INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'applied', 'ignored')),
    reason       TEXT,
    license_ids  TEXT NOT NULL,
    tenant_id    BLOB,
    payload      TEXT NOT NULL
);
CREATE INDEX billing_events_pending ON billing_events (created) WHERE status = 'pending';

CREATE TABLE billing_subscriptions (
    id                  TEXT PRIMARY KEY,
    last_event_created  INTEGER,
    last_event_id       TEXT
);

CREATE TABLE billing_invoices (
    id                 TEXT PRIMARY KEY,
    subscription_id    TEXT,
    payment_intent_id  TEXT,
    failure_mailed     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX billing_invoices_by_payment_intent ON billing_invoices (payment_intent_id)
    WHERE payment_intent_id IS NOT NULL;

CREATE TABLE trials (
    product_id   BLOB NOT NULL REFERENCES products(id),
    email_key    TEXT NOT NULL,
    hardware_id  TEXT,
    tenant_id    BLOB NOT NULL REFERENCES tenants(id),
    license_id   BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (product_id, email_key)
);
CREATE UNIQUE INDEX trials_by_hardware ON trials (product_id, hardware_id)
    WHERE hardware_id IS NOT NULL;

CREATE TABLE expiry_reminders (
    license_id      BLOB NOT NULL,
    expires_at      INTEGER NOT NULL,
    threshold_days  INTEGER NOT NULL,
    tenant_id       BLOB NOT NULL REFERENCES tenants(id),
    sent_at         INTEGER NOT NULL,
    PRIMARY KEY (license_id, expires_at, threshold_days)
);
