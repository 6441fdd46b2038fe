-- Outgoing webhooks and usage reports to Stripe. Times are microseconds since the epoch.
--
-- webhook_events is the ledger of outgoing events. Triggers write it in the transaction
-- of the change an event tells of (an audit entry, a refused acquire, an expiry
-- reminder, an applied Stripe subscription event), whichever code path made the change,
-- so no commit goes untold. The server fans each event out to the endpoints that want
-- it (webhook_deliveries) and sends those under a lease.
CREATE TABLE webhook_endpoints (
    id             BLOB PRIMARY KEY,
    tenant_id      BLOB REFERENCES tenants(id),   -- NULL: staff-wide, every tenant's events
    url            TEXT NOT NULL,
    description    TEXT,
    events         TEXT NOT NULL,
    secret_sealed  TEXT NOT NULL,
    enabled        INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_by_tenant ON webhook_endpoints (tenant_id, id);

CREATE TABLE webhook_events (
    id          BLOB PRIMARY KEY,
    tenant_id   BLOB NOT NULL,
    type        TEXT NOT NULL,
    data        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    -- Events told once per period or per fact share a key; the unique index keeps the first.
    once_key    TEXT UNIQUE,
    dispatched  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX webhook_events_undispatched ON webhook_events (created_at) WHERE dispatched = 0;
CREATE INDEX webhook_events_by_age ON webhook_events (created_at);

CREATE TABLE webhook_deliveries (
    id                BLOB PRIMARY KEY,
    endpoint_id       BLOB NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    event_id          BLOB NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
    tenant_id         BLOB NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    last_status_code  INTEGER,
    last_error        TEXT,
    next_attempt_at   INTEGER NOT NULL,
    lease             BLOB,
    created_at        INTEGER NOT NULL,
    delivered_at      INTEGER,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);

CREATE TRIGGER audit_log_events AFTER INSERT ON audit_log
    WHEN NEW.action IN ('license.create', 'license.update', 'session.expire')
BEGIN
    INSERT INTO webhook_events (id, tenant_id, type, data, created_at)
    VALUES (NEW.id, NEW.tenant_id,
            CASE NEW.action WHEN 'license.create' THEN 'license.created'
                            WHEN 'license.update' THEN 'license.updated'
                            ELSE 'session.expired' END,
            coalesce(NEW.after, '{}'), NEW.at);
END;

-- At most one seat.denied per license and minute; it says how full the license was.
CREATE TRIGGER usage_denials_events AFTER INSERT ON usage_denials
BEGIN
    INSERT OR IGNORE INTO webhook_events (id, tenant_id, type, data, created_at, once_key)
    SELECT NEW.id, NEW.tenant_id, 'seat.denied',
           json_object('license_id', (substr(lower(hex(l.id)), 1, 8) || '-' || substr(lower(hex(l.id)), 9, 4) || '-' || substr(lower(hex(l.id)), 13, 4) || '-' || substr(lower(hex(l.id)), 17, 4) || '-' || substr(lower(hex(l.id)), 21)), 'seats_total', l.seats_total,
               'seats_used', (SELECT count(*) FROM sessions s WHERE s.license_id = l.id
                   AND s.status = 'active' AND s.expires_at > NEW.at)),
           NEW.at,
           'seat.denied:' || lower(hex(l.id)) || ':' || (NEW.at / 60000000)
    FROM licenses l WHERE l.id = NEW.license_id;
END;

CREATE TRIGGER expiry_reminders_events AFTER INSERT ON expiry_reminders
BEGIN
    INSERT OR IGNORE INTO webhook_events (id, tenant_id, type, data, created_at, once_key)
    VALUES (randomblob(16), NEW.tenant_id, 'license.expiring',
            json_object('license_id', (substr(lower(hex(NEW.license_id)), 1, 8) || '-' || substr(lower(hex(NEW.license_id)), 9, 4) || '-' || substr(lower(hex(NEW.license_id)), 13, 4) || '-' || substr(lower(hex(NEW.license_id)), 17, 4) || '-' || substr(lower(hex(NEW.license_id)), 21)),
                'expires_at', strftime('%Y-%m-%dT%H:%M:%S', NEW.expires_at / 1000000, 'unixepoch')
                    || printf('.%06dZ', NEW.expires_at % 1000000),
                'days', NEW.threshold_days),
            NEW.sent_at,
            'license.expiring:' || lower(hex(NEW.license_id)) || ':' || NEW.threshold_days || ':'
                || NEW.expires_at);
END;

-- Stored events are inserted `pending` and applied by one UPDATE that sets the status and
-- the tenant together.
CREATE TRIGGER billing_events_subscription_events AFTER UPDATE OF status ON billing_events
    WHEN NEW.status = 'applied' AND NEW.tenant_id IS NOT NULL
        AND NEW.event_type LIKE 'customer.subscription.%'
BEGIN
    INSERT OR IGNORE INTO webhook_events (id, tenant_id, type, data, created_at)
    VALUES (NEW.row_id, NEW.tenant_id, 'subscription.updated',
            json_object('subscription_id', json_extract(NEW.payload, '$.data.object.id'),
                'status', json_extract(NEW.payload, '$.data.object.status'),
                'stripe_event_id', NEW.id, 'stripe_event_type', NEW.event_type,
                'license_ids', json(NEW.license_ids)),
            NEW.received_at);
END;

-- Seat-hours of metered licenses, one row per license and whole UTC hour, reported to
-- Stripe once each (the row's key is the meter event's identifier).
CREATE TABLE meter_reports (
    license_id        BLOB NOT NULL,
    hour_start        INTEGER NOT NULL,
    tenant_id         BLOB NOT NULL,
    customer_id       TEXT NOT NULL,
    value_hundredths  INTEGER NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    last_status_code  INTEGER,
    last_error        TEXT,
    next_attempt_at   INTEGER NOT NULL,
    lease             BLOB,
    created_at        INTEGER NOT NULL,
    delivered_at      INTEGER,
    PRIMARY KEY (license_id, hour_start)
);
CREATE INDEX meter_reports_due ON meter_reports (next_attempt_at) WHERE status = 'pending';

-- The first hour not yet turned into reports (one row).
CREATE TABLE meter_cursor (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    next_hour  INTEGER NOT NULL
);

-- Licenses whose expiry has just passed, for license.expired events.
CREATE INDEX licenses_by_expiry ON licenses (expires_at) WHERE expires_at IS NOT NULL;
