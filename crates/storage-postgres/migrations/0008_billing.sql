-- Billing: products (license templates) and the Stripe prices that sell them, licenses
-- made from them under a subscription, Stripe's events as received, the per-subscription
-- order mark, invoices seen (for refunds and once-per-invoice dunning mails), trials and
-- expiry reminders. Billing work is cross-tenant by nature (an event names a customer,
-- not a tenant), so it runs in `app.scope = 'system'` transactions; the tables with a
-- tenant_id get the same forced policies as every other tenant table (migration 0004).

CREATE TABLE products (
    id                     uuid PRIMARY KEY,
    slug                   text NOT NULL UNIQUE,
    name                   text NOT NULL,
    seats_per_unit         bigint NOT NULL CHECK (seats_per_unit >= 1),
    heartbeat_ttl_seconds  bigint NOT NULL CHECK (heartbeat_ttl_seconds >= 1),
    entitlements           jsonb NOT NULL,
    trial_days             bigint NOT NULL CHECK (trial_days >= 0),
    trial_seats            bigint NOT NULL CHECK (trial_seats >= 1),
    grace_days             bigint NOT NULL CHECK (grace_days >= 0),
    metered                boolean NOT NULL,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL
);

-- A price sells at most one product: its primary key says so.
CREATE TABLE product_prices (
    price_id    text PRIMARY KEY,
    product_id  uuid NOT NULL REFERENCES products (id),
    position    integer NOT NULL
);
CREATE INDEX product_prices_by_product ON product_prices (product_id, position);

ALTER TABLE tenants ADD COLUMN stripe_customer_id text UNIQUE;
ALTER TABLE tenants ADD COLUMN billing_email text;
CREATE INDEX tenants_by_billing_email ON tenants (lower(billing_email))
    WHERE billing_email IS NOT NULL;

ALTER TABLE licenses ADD COLUMN product_id uuid REFERENCES products (id);
ALTER TABLE licenses ADD COLUMN subscription_id text;
ALTER TABLE licenses ADD COLUMN subscription jsonb;
-- One license per subscription and product.
CREATE UNIQUE INDEX licenses_by_subscription ON licenses (subscription_id, product_id)
    WHERE subscription_id IS NOT NULL;

CREATE TABLE billing_events (
    id           text PRIMARY KEY,
    row_id       uuid NOT NULL UNIQUE,
    event_type   text NOT NULL,
    created      timestamptz NOT NULL,
    received_at  timestamptz NOT NULL,
    status       text NOT NULL CHECK (status IN ('pending', 'applied', 'ignored')),
    reason       text,
    license_ids  jsonb NOT NULL,
    tenant_id    uuid,
    payload      jsonb NOT NULL
);
CREATE INDEX billing_events_pending ON billing_events (created) WHERE status = 'pending';

CREATE TABLE billing_subscriptions (
    id                  text PRIMARY KEY,
    last_event_created  timestamptz,
    last_event_id       text
);

CREATE TABLE billing_invoices (
    id                 text PRIMARY KEY,
    subscription_id    text,
    payment_intent_id  text,
    failure_mailed     boolean NOT NULL DEFAULT false
);
CREATE INDEX billing_invoices_by_payment_intent ON billing_invoices (payment_intent_id)
    WHERE payment_intent_id IS NOT NULL;

CREATE TABLE trials (
    product_id   uuid NOT NULL REFERENCES products (id),
    email_key    text NOT NULL,
    hardware_id  text,
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    license_id   uuid NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (product_id, email_key)
);
CREATE UNIQUE INDEX trials_by_hardware ON trials (product_id, hardware_id)
    WHERE hardware_id IS NOT NULL;

CREATE TABLE expiry_reminders (
    license_id      uuid NOT NULL,
    expires_at      timestamptz NOT NULL,
    threshold_days  bigint NOT NULL,
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    sent_at         timestamptz NOT NULL,
    PRIMARY KEY (license_id, expires_at, threshold_days)
);

ALTER TABLE billing_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON billing_events
    USING (tenant_id = coditect_tenant()) WITH CHECK (tenant_id = coditect_tenant());
CREATE POLICY system_rows ON billing_events
    USING (coditect_system_scope()) WITH CHECK (coditect_system_scope());

ALTER TABLE trials ENABLE ROW LEVEL SECURITY;
ALTER TABLE trials FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON trials
    USING (tenant_id = coditect_tenant()) WITH CHECK (tenant_id = coditect_tenant());
CREATE POLICY system_rows ON trials
    USING (coditect_system_scope()) WITH CHECK (coditect_system_scope());

ALTER TABLE expiry_reminders ENABLE ROW LEVEL SECURITY;
ALTER TABLE expiry_reminders FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON expiry_reminders
    USING (tenant_id = coditect_tenant()) WITH CHECK (tenant_id = coditect_tenant());
CREATE POLICY system_rows ON expiry_reminders
    USING (coditect_system_scope()) WITH CHECK (coditect_system_scope());
