//! Webhook endpoints and their delivery logs on PostgreSQL: a tenant's in its own
//! row-level-security scope, staff's (no tenant) in the system scope. The statements
//! are the shared ones of `coditect_storage::shared::events`.

use coditect_storage::shared::events as q;

use crate::prelude::*;
use crate::scope::Tx;

impl PgStore {
    async fn scope_tx(&self, scope: WebhookScope) -> StoreResult<Tx> {
        match scope {
            WebhookScope::Tenant(t) => self.tenant_tx(t).await,
            WebhookScope::Staff => self.system_tx().await,
        }
    }
}

fn endpoint(r: &PgRow) -> StoreResult<WebhookEndpoint> {
    decode::webhook_endpoint(&Cols(r))
}

#[async_trait]
impl WebhookStore for PgStore {
    async fn create_webhook(&self, e: NewWebhookEndpoint) -> StoreResult<WebhookEndpoint> {
        let scope = e
            .tenant_id
            .map_or(WebhookScope::Staff, WebhookScope::Tenant);
        let mut tx = self.scope_tx(scope).await?;
        let now = db_now(&mut tx).await?;
        let args = q::insert_webhook_args(&e, Json(&e.events), now);
        let row = one(&mut *tx, q::INSERT_WEBHOOK, args).await?;
        let out = endpoint(&row)?;
        done(tx, out).await
    }

    async fn list_webhooks(
        &self,
        scope: WebhookScope,
        page: PageRequest,
    ) -> StoreResult<Page<WebhookEndpoint>> {
        let mut tx = self.scope_tx(scope).await?;
        let args = (scope.tenant_id(), page.after, i64::from(page.limit) + 1);
        let rows = all(&mut *tx, q::LIST_WEBHOOKS, args).await?;
        let out = decode::page(rows.iter().map(Cols), page, decode::webhook_endpoint, |e| {
            e.id
        })?;
        done(tx, out).await
    }

    async fn get_webhook(
        &self,
        scope: WebhookScope,
        id: Uuid,
    ) -> StoreResult<Option<WebhookEndpoint>> {
        let mut tx = self.scope_tx(scope).await?;
        let row = opt(&mut *tx, q::GET_WEBHOOK, (id, scope.tenant_id())).await?;
        let out = row.as_ref().map(endpoint).transpose()?;
        done(tx, out).await
    }

    async fn update_webhook(
        &self,
        scope: WebhookScope,
        id: Uuid,
        p: &WebhookPatch,
    ) -> StoreResult<Option<WebhookEndpoint>> {
        let mut tx = self.scope_tx(scope).await?;
        let now = db_now(&mut tx).await?;
        let args = q::update_webhook_args(id, scope, p, p.events.as_ref().map(Json), now);
        let row = opt(&mut *tx, q::UPDATE_WEBHOOK, args).await?;
        let out = row.as_ref().map(endpoint).transpose()?;
        done(tx, out).await
    }

    async fn delete_webhook(&self, scope: WebhookScope, id: Uuid) -> StoreResult<bool> {
        let mut tx = self.scope_tx(scope).await?;
        let args = (id, scope.tenant_id());
        exec(&mut *tx, q::DELETE_WEBHOOK_DELIVERIES, args).await?;
        let n = exec(&mut *tx, q::DELETE_WEBHOOK, args).await?;
        done(tx, n > 0).await
    }

    async fn list_deliveries(
        &self,
        scope: WebhookScope,
        endpoint_id: Uuid,
        page: PageRequest,
    ) -> StoreResult<Option<Page<WebhookDelivery>>> {
        let mut tx = self.scope_tx(scope).await?;
        if opt(&mut *tx, q::GET_WEBHOOK, (endpoint_id, scope.tenant_id()))
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let args = (endpoint_id, page.after, i64::from(page.limit) + 1);
        let rows = all(&mut *tx, q::LIST_DELIVERIES, args).await?;
        let out = decode::page(rows.iter().map(Cols), page, decode::webhook_delivery, |d| {
            d.id
        })?;
        done(tx, Some(out)).await
    }

    async fn redeliver(
        &self,
        scope: WebhookScope,
        endpoint_id: Uuid,
        delivery_id: Uuid,
    ) -> StoreResult<Option<WebhookDelivery>> {
        let mut tx = self.scope_tx(scope).await?;
        if opt(&mut *tx, q::GET_WEBHOOK, (endpoint_id, scope.tenant_id()))
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let now = db_now(&mut tx).await?;
        exec(&mut *tx, q::REDELIVER, (delivery_id, endpoint_id, now)).await?;
        let row = opt(&mut *tx, q::GET_DELIVERY, (delivery_id, endpoint_id)).await?;
        let out = row
            .as_ref()
            .map(|r| decode::webhook_delivery(&Cols(r)))
            .transpose()?;
        done(tx, out).await
    }
}
