//! Webhooks and their delivery log, the same on both backends. A webhook's
//! row is changed only under its version (a compare-and-set): the owner's
//! updates and the sender's progress never overwrite each other.

use async_trait::async_trait;
use sea_orm::sea_query::{CaseStatement, Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ActiveValue, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::HasSea;
use super::once::{Once, once};
use super::reads::{OnlyRow, page_by_id};
use crate::domain::Error;
use crate::domain::Result;
use crate::domain::ids::ApiKeyName;
use crate::domain::page::PageRequest;
use crate::domain::ports::{Idempotency, WebhookChange, WebhookCheck, WebhookStore};
use crate::domain::webhook::{Delivery, Progress, Webhook, WebhookName};
use crate::store::faults::db_err;
use crate::store::rows::webhook::{self as row, Column, delivery};

/// Attempts per INSERT (ten columns each: well under both databases'
/// limits on bound values).
const ROWS_PER_INSERT: usize = 500;
/// Webhooks per UPDATE of their cursors.
const MOVES_PER_UPDATE: usize = 250;

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
                let mut changes = row::ActiveModel::from(model).reset_all();
                // The cursor is the sender's alone (`record_progress`).
                changes.cursor_seq = ActiveValue::NotSet;
                let done = row::Entity::update_many()
                    .set(changes)
                    .filter(Column::Id.eq(id))
                    .filter(Column::Version.eq(expected_version))
                    .exec(&sea.writer)
                    .await
                    .map_err(db_err)?;
                Ok(done.rows_affected == 1)
            })
            .await
    }

    async fn change_webhook(
        &self,
        name: &WebhookName,
        idem: Option<Idempotency>,
        change: WebhookChange,
    ) -> Result<Option<(Webhook, bool)>> {
        super::webhook_writes::change(self.sea(), name, idem, change).await
    }

    async fn delete_webhook(&self, name: &WebhookName, idem: Option<Idempotency>, check: WebhookCheck) -> Result<bool> {
        super::webhook_writes::delete(self.sea(), name, idem, check).await
    }

    async fn record_redelivery(&self, delivery: &Delivery, idem: Option<Idempotency>) -> Result<Delivery> {
        super::webhook_writes::record_redelivery(self.sea(), delivery, idem).await
    }

    async fn redelivery_replay(&self, idem: &Idempotency) -> Result<Option<Delivery>> {
        super::webhook_writes::redelivery_replay(self.sea(), idem).await
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

    async fn record_progress(&self, deliveries: &[Delivery], moves: &[Progress]) -> Result<()> {
        if deliveries.is_empty() && moves.is_empty() {
            return Ok(());
        }
        let sea = self.sea().clone();
        let rows: Vec<delivery::Model> = deliveries.iter().map(delivery::to_model).collect();
        let moves = moves.to_vec();
        self.sea()
            .detached(async move {
                let txn = sea.begin_write().await?;
                for chunk in rows.chunks(ROWS_PER_INSERT) {
                    delivery::Entity::insert_many(
                        chunk.iter().map(|m| delivery::ActiveModel::from(m.clone()).reset_all()),
                    )
                    .exec_without_returning(&txn)
                    .await
                    .map_err(db_err)?;
                }
                for chunk in moves.chunks(MOVES_PER_UPDATE) {
                    // One statement for the chunk: each row's cursor moves
                    // forward only (a sender that lost its lease may write
                    // late), its failures are set.
                    let mut cursor = CaseStatement::new();
                    let mut failures = CaseStatement::new();
                    for m in chunk {
                        cursor = cursor.case(
                            Column::Id.eq(m.webhook.id()).and(Column::CursorSeq.lt(m.cursor)),
                            m.cursor,
                        );
                        failures = failures.case(Column::Id.eq(m.webhook.id()), m.failures);
                    }
                    row::Entity::update_many()
                        .col_expr(Column::CursorSeq, cursor.finally(Expr::col(Column::CursorSeq)).into())
                        .col_expr(Column::Failures, failures.finally(Expr::col(Column::Failures)).into())
                        .filter(Column::Id.is_in(chunk.iter().map(|m| m.webhook.id().to_owned())))
                        .exec(&txn)
                        .await
                        .map_err(db_err)?;
                }
                txn.commit().await.map_err(db_err)?;
                Ok(())
            })
            .await
    }

    async fn prune_deliveries(&self, webhook: &WebhookName, keep: u64) -> Result<u64> {
        let sea = self.sea().clone();
        let id = webhook.id().to_owned();
        self.sea()
            .detached(async move {
                // The newest attempt past the ones kept (index on webhook, id).
                let oldest_kept: Option<String> = delivery::Entity::find()
                    .select_only()
                    .column(delivery::Column::Id)
                    .filter(delivery::Column::WebhookId.eq(id.clone()))
                    .order_by_desc(delivery::Column::Id)
                    .offset(keep)
                    .limit(1)
                    .into_tuple()
                    .one(&sea.writer)
                    .await
                    .map_err(db_err)?;
                let Some(oldest_kept) = oldest_kept else {
                    return Ok(0);
                };
                let gone = delivery::Entity::delete_many()
                    .filter(delivery::Column::WebhookId.eq(id))
                    .filter(delivery::Column::Id.lte(oldest_kept))
                    .exec(&sea.writer)
                    .await
                    .map_err(db_err)?;
                Ok(gone.rows_affected)
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
