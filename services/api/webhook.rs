//! WebhookService: webhooks of the caller's key, their delivery log and
//! redeliveries.

use tonic::{Request, Response, Status};

use super::auth::caller;
use super::convert::{common::request_key, webhook as conv};
use super::error::IntoStatus;
use crate::domain::Grants;
use crate::domain::webhook::WebhookName;
use crate::proto::v1::{self, webhook_service_server::WebhookService};
use crate::webhooks::Deliverer;

pub struct WebhookApi {
    pub grants: Grants,
    pub deliverer: Option<Deliverer>,
}

impl WebhookApi {
    fn log(&self) -> crate::domain::event::LogId {
        self.grants.event_log()
    }
}

#[tonic::async_trait]
impl WebhookService for WebhookApi {
    async fn create_webhook(
        &self,
        request: Request<v1::CreateWebhookRequest>,
    ) -> Result<Response<v1::CreateWebhookResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("CreateWebhook", &message.request_id, &message);
        let v1::CreateWebhookRequest { webhook, request_id: _ } = message;
        let (input, _, _) = conv::input(webhook);
        let (webhook, secret) = self.grants.create_webhook(&caller, input, key).await.status()?;
        Ok(Response::new(v1::CreateWebhookResponse {
            webhook: Some(conv::output(webhook, self.log())),
            secret: secret.unwrap_or_default(),
        }))
    }

    async fn get_webhook(
        &self,
        request: Request<v1::GetWebhookRequest>,
    ) -> Result<Response<v1::GetWebhookResponse>, Status> {
        let caller = caller(&request)?;
        let v1::GetWebhookRequest { name } = request.into_inner();
        let name = WebhookName::parse(&name, "name").status()?;
        let webhook = self.grants.get_webhook(&caller, &name).await.status()?;
        Ok(Response::new(v1::GetWebhookResponse {
            webhook: Some(conv::output(webhook, self.log())),
        }))
    }

    async fn list_webhooks(
        &self,
        request: Request<v1::ListWebhooksRequest>,
    ) -> Result<Response<v1::ListWebhooksResponse>, Status> {
        let caller = caller(&request)?;
        let v1::ListWebhooksRequest { page_size, page_token } = request.into_inner();
        let page = self
            .grants
            .list_webhooks(&caller, page_size, &page_token)
            .await
            .status()?;
        Ok(Response::new(v1::ListWebhooksResponse {
            webhooks: page.items.into_iter().map(|w| conv::output(w, self.log())).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn update_webhook(
        &self,
        request: Request<v1::UpdateWebhookRequest>,
    ) -> Result<Response<v1::UpdateWebhookResponse>, Status> {
        let caller = caller(&request)?;
        let v1::UpdateWebhookRequest { webhook, update_mask } = request.into_inner();
        let (input, name, etag) = conv::input(webhook);
        let name = WebhookName::parse(&name, "webhook.name").status()?;
        let mask = update_mask.map(|m| m.paths).unwrap_or_default();
        let webhook = self
            .grants
            .update_webhook(&caller, &name, input, &etag, &mask)
            .await
            .status()?;
        Ok(Response::new(v1::UpdateWebhookResponse {
            webhook: Some(conv::output(webhook, self.log())),
        }))
    }

    async fn delete_webhook(
        &self,
        request: Request<v1::DeleteWebhookRequest>,
    ) -> Result<Response<v1::DeleteWebhookResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("DeleteWebhook", &message.request_id, &message);
        let v1::DeleteWebhookRequest { name, request_id: _ } = message;
        let name = WebhookName::parse(&name, "name").status()?;
        self.grants.delete_webhook(&caller, &name, key).await.status()?;
        Ok(Response::new(v1::DeleteWebhookResponse {}))
    }

    async fn rotate_webhook_secret(
        &self,
        request: Request<v1::RotateWebhookSecretRequest>,
    ) -> Result<Response<v1::RotateWebhookSecretResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("RotateWebhookSecret", &message.request_id, &message);
        let v1::RotateWebhookSecretRequest {
            name,
            overlap_seconds,
            request_id: _,
        } = message;
        let name = WebhookName::parse(&name, "name").status()?;
        let (webhook, secret) = self
            .grants
            .rotate_webhook_secret(&caller, &name, overlap_seconds, key)
            .await
            .status()?;
        Ok(Response::new(v1::RotateWebhookSecretResponse {
            webhook: Some(conv::output(webhook, self.log())),
            secret,
        }))
    }

    async fn list_webhook_deliveries(
        &self,
        request: Request<v1::ListWebhookDeliveriesRequest>,
    ) -> Result<Response<v1::ListWebhookDeliveriesResponse>, Status> {
        let caller = caller(&request)?;
        let v1::ListWebhookDeliveriesRequest {
            parent,
            page_size,
            page_token,
        } = request.into_inner();
        let name = WebhookName::parse(&parent, "parent").status()?;
        let page = self
            .grants
            .list_webhook_deliveries(&caller, &name, page_size, &page_token)
            .await
            .status()?;
        Ok(Response::new(v1::ListWebhookDeliveriesResponse {
            deliveries: page
                .items
                .into_iter()
                .map(|d| conv::delivery_out(d, self.log()))
                .collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn redeliver_event(
        &self,
        request: Request<v1::RedeliverEventRequest>,
    ) -> Result<Response<v1::RedeliverEventResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("RedeliverEvent", &message.request_id, &message);
        let v1::RedeliverEventRequest {
            name,
            event,
            request_id: _,
        } = message;
        let name = WebhookName::parse(&name, "name").status()?;
        if let Some(delivery) = self.grants.redelivery_replay(&caller, key.clone()).await.status()? {
            return Ok(Response::new(v1::RedeliverEventResponse {
                delivery: Some(conv::delivery_out(delivery, self.log())),
            }));
        }
        let (webhook, event) = self.grants.redelivery(&caller, &name, &event).await.status()?;
        let Some(deliverer) = &self.deliverer else {
            return Err(crate::domain::Error::internal(
                "webhooks cannot be sent from this server",
            ))
            .status();
        };
        let attempt = deliverer.redeliver(&webhook, event).await.status()?;
        let delivery = self.grants.record_redelivery(&caller, &attempt, key).await.status()?;
        Ok(Response::new(v1::RedeliverEventResponse {
            delivery: Some(conv::delivery_out(delivery, self.log())),
        }))
    }
}
