//! Wire pages of the webhook API.

use coditect_domain::{WebhookDelivery, WebhookEndpoint};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::extract::encode_cursor;
use crate::views::page_type;

page_type!(WebhookPage, WebhookEndpoint);
page_type!(DeliveryPage, WebhookDelivery);
