//! Billing: products, Stripe's webhook through a license's whole life, races and
//! replays, trials and expiry reminders.

mod lifecycle;
mod ordering_and_races;
mod products;
mod sign_event_command;
mod signatures;
mod trials_and_reminders;
