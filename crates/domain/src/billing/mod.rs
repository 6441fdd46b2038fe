//! Selling licenses: products (license templates), Stripe's events and what each one does
//! to a license, self-service trials and expiry reminders. Only decisions live here; the
//! server's billing applier carries them out inside one store transaction per event.

mod event_record;
mod product;
pub mod reminders;
pub mod stripe_event;
mod subscription;
pub mod terms;

pub use event_record::{BillingEvent, BillingEventFilter, BillingEventStatus, NewBillingEvent};
pub use product::{NewProduct, Product, ProductPatch, PRODUCT_RANGES};
pub use stripe_event::{StripeEvent, StripeEventBody};
pub use subscription::{Subscription, SubscriptionStatus};
