//! Selling licenses: applying Stripe's stored events to licenses and tenants, self-service
//! trials, expiry reminders, and the background pass that retries what a crash left. Every
//! decision is the domain's (`coditect_domain::billing`); every step is one call on the
//! store's [`coditect_storage::BillingTx`], so one event's effects commit together or not
//! at all, and this code is written once for every backend.

pub mod apply;
mod mails;
pub mod provision;
pub mod reminders;
pub mod runner;
pub mod trials;
