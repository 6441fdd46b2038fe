-- Outgoing webhooks and usage reports to Stripe.
--
-- webhook_events is the ledger of outgoing events. Triggers write it in the transaction
-- of the change an event tells of (an audit entry, a refused acquire, an expiry
-- reminder, an applied Stripe subscription event), so no commit goes untold and no
-- event tells of a rolled-back change. The server fans each event out to the endpoints
-- that want it (webhook_deliveries) and sends those, claimed with SKIP LOCKED under a
-- lease so one process at a time tries each.
CREATE TABLE webhook_endpoints (
    id             uuid PRIMARY KEY,
    tenant_id      uuid REFERENCES tenants (id),   -- NULL: staff-wide, every tenant's events
    url            text NOT NULL,
    description    text,
    events         jsonb NOT NULL,
    secret_sealed  text NOT NULL,
    enabled        boolean NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX webhook_endpoints_by_tenant ON webhook_endpoints (tenant_id, id);

CREATE TABLE webhook_events (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL,
    type        text NOT NULL,
    data        jsonb NOT NULL,
    created_at  timestamptz NOT NULL,
    -- Events that must be told once per period or per fact (a license's denials of one
    -- minute, one expiry) share a key; the unique index keeps the first.
    once_key    text UNIQUE,
    dispatched  boolean NOT NULL DEFAULT false
);
CREATE INDEX webhook_events_undispatched ON webhook_events (created_at) WHERE NOT dispatched;
CREATE INDEX webhook_events_by_age ON webhook_events (created_at);

CREATE TABLE webhook_deliveries (
    id                uuid PRIMARY KEY,
    endpoint_id       uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id          uuid NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    tenant_id         uuid NOT NULL,
    status            text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts          bigint NOT NULL DEFAULT 0,
    last_status_code  bigint,
    last_error        text,
    next_attempt_at   timestamptz NOT NULL,
    lease             uuid,
    created_at        timestamptz NOT NULL,
    delivered_at      timestamptz,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);

CREATE FUNCTION coditect_event_of_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_events (id, tenant_id, type, data, created_at)
    VALUES (NEW.id, NEW.tenant_id,
            CASE NEW.action WHEN 'license.create' THEN 'license.created'
                            WHEN 'license.update' THEN 'license.updated'
                            ELSE 'session.expired' END,
            coalesce(NEW.after, '{}'::jsonb), NEW.at);
    RETURN NULL;
END $$;
CREATE TRIGGER audit_log_events AFTER INSERT ON audit_log FOR EACH ROW
    WHEN (NEW.action IN ('license.create', 'license.update', 'session.expire'))
    EXECUTE FUNCTION coditect_event_of_audit();

-- At most one seat.denied per license and minute; it says how full the license was.
CREATE FUNCTION coditect_event_of_denial() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_events (id, tenant_id, type, data, created_at, once_key)
    SELECT NEW.id, NEW.tenant_id, 'seat.denied',
           jsonb_build_object('license_id', l.id, 'seats_total', l.seats_total,
               'seats_used', (SELECT count(*) FROM sessions s WHERE s.tenant_id = l.tenant_id
                   AND s.license_id = l.id AND s.status = 'active' AND s.expires_at > NEW.at)),
           NEW.at,
           'seat.denied:' || l.id || ':' || floor(extract(epoch FROM NEW.at) / 60)::bigint
    FROM licenses l WHERE l.tenant_id = NEW.tenant_id AND l.id = NEW.license_id
    ON CONFLICT (once_key) DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER usage_denials_events AFTER INSERT ON usage_denials FOR EACH ROW
    EXECUTE FUNCTION coditect_event_of_denial();

CREATE FUNCTION coditect_event_of_reminder() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_events (id, tenant_id, type, data, created_at, once_key)
    VALUES (gen_random_uuid(), NEW.tenant_id, 'license.expiring',
            jsonb_build_object('license_id', NEW.license_id,
                'expires_at', to_char(NEW.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                               'days', NEW.threshold_days),
            NEW.sent_at,
            'license.expiring:' || NEW.license_id || ':' || NEW.threshold_days || ':'
                || extract(epoch FROM NEW.expires_at))
    ON CONFLICT (once_key) DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER expiry_reminders_events AFTER INSERT ON expiry_reminders FOR EACH ROW
    EXECUTE FUNCTION coditect_event_of_reminder();

CREATE FUNCTION coditect_event_of_subscription() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_events (id, tenant_id, type, data, created_at)
    VALUES (NEW.row_id, NEW.tenant_id, 'subscription.updated',
            jsonb_build_object('subscription_id', NEW.payload #>> '{data,object,id}',
                'status', NEW.payload #>> '{data,object,status}',
                'stripe_event_id', NEW.id, 'stripe_event_type', NEW.event_type,
                'license_ids', NEW.license_ids),
            NEW.received_at)
    ON CONFLICT (id) DO NOTHING;
    RETURN NULL;
END $$;
-- Stored events are inserted `pending` and applied by one UPDATE that sets the status and
-- the tenant together.
CREATE TRIGGER billing_events_subscription_events AFTER UPDATE OF status ON billing_events
    FOR EACH ROW WHEN (NEW.status = 'applied' AND NEW.tenant_id IS NOT NULL
        AND NEW.event_type LIKE 'customer.subscription.%')
    EXECUTE FUNCTION coditect_event_of_subscription();

-- Seat-hours of metered licenses, one row per license and whole UTC hour, reported to
-- Stripe once each (the row's key is the meter event's identifier).
CREATE TABLE meter_reports (
    license_id        uuid NOT NULL,
    hour_start        timestamptz NOT NULL,
    tenant_id         uuid NOT NULL,
    customer_id       text NOT NULL,
    value_hundredths  bigint NOT NULL,
    status            text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts          bigint NOT NULL DEFAULT 0,
    last_status_code  bigint,
    last_error        text,
    next_attempt_at   timestamptz NOT NULL,
    lease             uuid,
    created_at        timestamptz NOT NULL,
    delivered_at      timestamptz,
    PRIMARY KEY (license_id, hour_start)
);
CREATE INDEX meter_reports_due ON meter_reports (next_attempt_at) WHERE status = 'pending';

-- The first hour not yet turned into reports (one row).
CREATE TABLE meter_cursor (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    next_hour  timestamptz NOT NULL
);

ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON webhook_endpoints
    USING (tenant_id = coditect_tenant()) WITH CHECK (tenant_id = coditect_tenant());
CREATE POLICY system_rows ON webhook_endpoints
    USING (coditect_system_scope()) WITH CHECK (coditect_system_scope());
ALTER TABLE webhook_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON webhook_events
    USING (tenant_id = coditect_tenant()) WITH CHECK (tenant_id = coditect_tenant());
CREATE POLICY system_rows ON webhook_events
    USING (coditect_system_scope()) WITH CHECK (coditect_system_scope());
ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON webhook_deliveries
    USING (tenant_id = coditect_tenant()) WITH CHECK (tenant_id = coditect_tenant());
CREATE POLICY system_rows ON webhook_deliveries
    USING (coditect_system_scope()) WITH CHECK (coditect_system_scope());
ALTER TABLE meter_reports ENABLE ROW LEVEL SECURITY;
ALTER TABLE meter_reports FORCE ROW LEVEL SECURITY;
CREATE POLICY system_rows ON meter_reports
    USING (coditect_system_scope()) WITH CHECK (coditect_system_scope());

-- Licenses whose expiry has just passed, for license.expired events.
CREATE INDEX licenses_by_expiry ON licenses (expires_at) WHERE expires_at IS NOT NULL;
