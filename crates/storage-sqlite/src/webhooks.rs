//! Webhook endpoints and their delivery logs on SQLite, with the shared statements of
//! `coditect_storage::shared::events`; reads on the reader pool, writes on the writer.

use coditect_storage::shared::events as q;

use crate::prelude::*;

fn endpoint(r: &SqliteRow) -> StoreResult<WebhookEndpoint> {
    decode::webhook_endpoint(&Cols(r))
}

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn create_webhook(&self, e: NewWebhookEndpoint) -> StoreResult<WebhookEndpoint> {
        let args = q::insert_webhook_args(&e, to_json(&e.events), now_micros());
        let row = one(&mut **self.write_conn().await?, q::INSERT_WEBHOOK, args).await?;
        endpoint(&row)
    }

    async fn list_webhooks(
        &self,
        scope: WebhookScope,
        page: PageRequest,
    ) -> StoreResult<Page<WebhookEndpoint>> {
        let args = (scope.tenant_id(), page.after, i64::from(page.limit) + 1);
        let rows = all(&self.reader, q::LIST_WEBHOOKS, args).await?;
        decode::page(rows.iter().map(Cols), page, decode::webhook_endpoint, |e| {
            e.id
        })
    }

    async fn get_webhook(
        &self,
        scope: WebhookScope,
        id: Uuid,
    ) -> StoreResult<Option<WebhookEndpoint>> {
        let row = opt(&self.reader, q::GET_WEBHOOK, (id, scope.tenant_id())).await?;
        row.as_ref().map(endpoint).transpose()
    }

    async fn update_webhook(
        &self,
        scope: WebhookScope,
        id: Uuid,
        p: &WebhookPatch,
    ) -> StoreResult<Option<WebhookEndpoint>> {
        let args =
            q::update_webhook_args(id, scope, p, p.events.as_ref().map(to_json), now_micros());
        let row = opt(&mut **self.write_conn().await?, q::UPDATE_WEBHOOK, args).await?;
        row.as_ref().map(endpoint).transpose()
    }

    async fn delete_webhook(&self, scope: WebhookScope, id: Uuid) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let args = (id, scope.tenant_id());
        exec(&mut **tx, q::DELETE_WEBHOOK_DELIVERIES, args).await?;
        let n = exec(&mut **tx, q::DELETE_WEBHOOK, args).await?;
        tx.commit().await.map_err(err)?;
        Ok(n > 0)
    }

    async fn list_deliveries(
        &self,
        scope: WebhookScope,
        endpoint_id: Uuid,
        page: PageRequest,
    ) -> StoreResult<Option<Page<WebhookDelivery>>> {
        if self.get_webhook(scope, endpoint_id).await?.is_none() {
            return Ok(None);
        }
        let args = (endpoint_id, page.after, i64::from(page.limit) + 1);
        let rows = all(&self.reader, q::LIST_DELIVERIES, args).await?;
        decode::page(rows.iter().map(Cols), page, decode::webhook_delivery, |d| {
            d.id
        })
        .map(Some)
    }

    async fn redeliver(
        &self,
        scope: WebhookScope,
        endpoint_id: Uuid,
        delivery_id: Uuid,
    ) -> StoreResult<Option<WebhookDelivery>> {
        let mut tx = self.write_tx().await?;
        let owned = opt(&mut **tx, q::GET_WEBHOOK, (endpoint_id, scope.tenant_id())).await?;
        if owned.is_none() {
            return Ok(None);
        }
        exec(
            &mut **tx,
            q::REDELIVER,
            (delivery_id, endpoint_id, now_micros()),
        )
        .await?;
        let row = opt(&mut **tx, q::GET_DELIVERY, (delivery_id, endpoint_id)).await?;
        let out = row
            .as_ref()
            .map(|r| decode::webhook_delivery(&Cols(r)))
            .transpose()?;
        tx.commit().await.map_err(err)?;
        Ok(out)
    }
}
