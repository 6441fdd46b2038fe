//! Outgoing events: webhooks to vendors' systems and seat-hours to Stripe. Both are
//! outboxes in the database, sent by every server process in turns (a lease per claim)
//! and retried with back-off, so an outage or a restart delays an event and loses none.

pub mod address;
pub mod config;
pub mod meter;
pub mod webhooks;
