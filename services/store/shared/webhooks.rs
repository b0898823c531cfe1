//! Webhooks and their delivery log, the same on both backends. A webhook's
//! row is changed only under its version (a compare-and-set): the owner's
//! updates and the sender's progress never overwrite each other.

use async_trait::async_trait;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::HasSea;
use super::once::{Once, once};
use super::reads::{OnlyRow, page_by_id};
use crate::domain::Error;
use crate::domain::Result;
use crate::domain::ids::ApiKeyName;
use crate::domain::page::PageRequest;
use crate::domain::ports::{Idempotency, WebhookStore};
use crate::domain::webhook::{Delivery, Webhook, WebhookName};
use crate::store::faults::db_err;
use crate::store::rows::webhook::{self as row, Column, delivery};

#[async_trait]
impl<T: HasSea + Send + Sync> WebhookStore for T {
    async fn create_webhook(&self, new: &Webhook, idem: Option<Idempotency>) -> Result<(Webhook, bool)> {
        let sea = self.sea().clone();
        let model = row::to_model(new);
        let id = new.name.id().to_owned();
        self.sea()
            .detached(async move {
                let old = {
                    let sea = sea.clone();
                    move |id: String| -> super::once::InTxn<'static, row::Model> {
                        let sea = sea.clone();
                        Box::pin(async move { row::Entity::find_by_id(id).only(&sea.conn).await.map_err(db_err) })
                    }
                };
                let done = once(
                    &sea,
                    idem.as_ref(),
                    &id,
                    move |txn| {
                        let model = model.clone();
                        Box::pin(async move {
                            row::ActiveModel::from(model)
                                .reset_all()
                                .insert(txn)
                                .await
                                .map(Some)
                                .map_err(db_err)
                        })
                    },
                    // A replay answers without the secret: it was shown once.
                    |m: &row::Model| row::Model {
                        secret: String::new(),
                        previous_secret: None,
                        previous_secret_until: None,
                        ..m.clone()
                    },
                    old,
                )
                .await?
                .ok_or_else(|| Error::internal("a created webhook is missing"))?;
                let created = matches!(done, Once::Done(_));
                Ok((row::to_domain(done.into_inner())?, created))
            })
            .await
    }

    async fn get_webhook(&self, name: &WebhookName) -> Result<Option<Webhook>> {
        row::Entity::find_by_id(name.id().to_owned())
            .only(&self.sea().conn)
            .await
            .map_err(db_err)?
            .map(row::to_domain)
            .transpose()
    }

    async fn list_webhooks(&self, creator: Option<&ApiKeyName>, page: &PageRequest) -> Result<Vec<Webhook>> {
        let mut query = row::Entity::find();
        if let Some(creator) = creator {
            query = query.filter(Column::CreatorKeyId.eq(creator.id()));
        }
        let rows = page_by_id(query, Column::Id, page, &self.sea().conn).await?;
        rows.into_iter().map(row::to_domain).collect()
    }

    async fn replace_webhook(&self, new: &Webhook, expected_version: i64) -> Result<bool> {
        let sea = self.sea().clone();
        let model = row::to_model(new);
        self.sea()
            .detached(async move {
                let id = model.id.clone();
                let done = row::Entity::update_many()
                    .set(row::ActiveModel::from(model).reset_all())
                    .filter(Column::Id.eq(id))
                    .filter(Column::Version.eq(expected_version))
                    .exec(&sea.writer)
                    .await
                    .map_err(db_err)?;
                Ok(done.rows_affected == 1)
            })
            .await
    }

    async fn delete_webhook(&self, name: &WebhookName) -> Result<bool> {
        let sea = self.sea().clone();
        let id = name.id().to_owned();
        self.sea()
            .detached(async move {
                let txn = sea.begin_write().await?;
                delivery::Entity::delete_many()
                    .filter(delivery::Column::WebhookId.eq(id.clone()))
                    .exec(&txn)
                    .await
                    .map_err(db_err)?;
                let gone = row::Entity::delete_by_id(id).exec(&txn).await.map_err(db_err)?;
                txn.commit().await.map_err(db_err)?;
                Ok(gone.rows_affected == 1)
            })
            .await
    }

    async fn deliverable_webhooks(&self) -> Result<Vec<Webhook>> {
        let rows = row::Entity::find()
            .filter(Column::Paused.eq(false))
            .filter(Column::DisabledReason.is_null())
            .order_by_asc(Column::Id)
            .all(&self.sea().conn)
            .await
            .map_err(db_err)?;
        rows.into_iter().map(row::to_domain).collect()
    }

    async fn record_delivery(&self, d: &Delivery) -> Result<()> {
        let sea = self.sea().clone();
        let model = delivery::to_model(d);
        self.sea()
            .detached(async move {
                delivery::ActiveModel::from(model)
                    .reset_all()
                    .insert(&sea.writer)
                    .await
                    .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    async fn list_deliveries(&self, webhook: &WebhookName, page: &PageRequest) -> Result<Vec<Delivery>> {
        let mut query = delivery::Entity::find().filter(delivery::Column::WebhookId.eq(webhook.id()));
        if let Some(after) = &page.after {
            query = query.filter(delivery::Column::Id.lt(after.as_str()));
        }
        let rows = query
            .order_by_desc(delivery::Column::Id)
            .limit(page.fetch_limit())
            .all(&self.sea().conn)
            .await
            .map_err(db_err)?;
        rows.into_iter().map(delivery::to_domain).collect()
    }
}
