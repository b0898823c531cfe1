//! Webhook writes under a request id: a change decided on the current row
//! (a rotation), a deletion, a redelivery's attempt. A retry with the same
//! request id replays the first call's response and writes nothing.

use std::sync::Arc;

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::Sea;
use super::once::{InTxn, Once, once, replayed};
use super::reads::OnlyRow;
use crate::domain::Result;
use crate::domain::ports::{Idempotency, WebhookChange, WebhookCheck};
use crate::domain::webhook::{Delivery, Webhook, WebhookName};
use crate::store::faults::db_err;
use crate::store::rows::webhook::{self as row, delivery};

/// The row of `id` now (a kept record without its response).
fn old_webhook(sea: &Arc<Sea>) -> impl Fn(String) -> InTxn<'static, row::Model> + Send + Sync {
    let sea = sea.clone();
    move |id| {
        let sea = sea.clone();
        Box::pin(async move { row::Entity::find_by_id(id).only(&sea.conn).await.map_err(db_err) })
    }
}

/// `change` applied to the webhook as it is, under its lock (SQLite: the
/// write lock); its response kept whole (a rotation's secret included: a
/// retry must hand out the secret the first call set). `None`: no such
/// webhook. The flag: done now (false: replayed).
pub(super) async fn change(
    sea: &Arc<Sea>,
    name: &WebhookName,
    idem: Option<Idempotency>,
    change: WebhookChange,
) -> Result<Option<(Webhook, bool)>> {
    let (writing, id) = (sea.clone(), name.id().to_owned());
    sea.detached(async move {
        let sea = writing;
        let done = once(
            &sea,
            idem.as_ref(),
            &id,
            {
                let id = id.clone();
                move |txn| {
                    let (id, change) = (id.clone(), change.clone());
                    Box::pin(async move {
                        let Some(current) = row::Entity::find_by_id(id)
                            .lock_exclusive()
                            .only(txn)
                            .await
                            .map_err(db_err)?
                        else {
                            return Ok(None);
                        };
                        let next = change(&row::to_domain(current)?)?;
                        let mut changes = row::ActiveModel::from(row::to_model(&next)).reset_all();
                        // The cursor is the sender's alone.
                        changes.cursor_seq = sea_orm::ActiveValue::NotSet;
                        changes.update(txn).await.map(Some).map_err(db_err)
                    })
                }
            },
            Clone::clone,
            old_webhook(&sea),
        )
        .await?;
        done.map(|d| {
            let fresh = matches!(d, Once::Done(_));
            row::to_domain(d.into_inner()).map(|w| (w, fresh))
        })
        .transpose()
    })
    .await
}

/// Deletes the webhook and its delivery log if `check` allows; false when
/// there was none. A retry after it is gone replays the first answer.
pub(super) async fn delete(
    sea: &Arc<Sea>,
    name: &WebhookName,
    idem: Option<Idempotency>,
    check: WebhookCheck,
) -> Result<bool> {
    let (writing, id) = (sea.clone(), name.id().to_owned());
    sea.detached(async move {
        let sea = writing;
        let done = once(
            &sea,
            idem.as_ref(),
            &id,
            {
                let id = id.clone();
                move |txn| {
                    let (id, check) = (id.clone(), check.clone());
                    Box::pin(async move {
                        let Some(current) = row::Entity::find_by_id(id.clone())
                            .lock_exclusive()
                            .only(txn)
                            .await
                            .map_err(db_err)?
                        else {
                            return Ok(None);
                        };
                        check(&row::to_domain(current)?)?;
                        delivery::Entity::delete_many()
                            .filter(delivery::Column::WebhookId.eq(id.clone()))
                            .exec(txn)
                            .await
                            .map_err(db_err)?;
                        row::Entity::delete_by_id(id).exec(txn).await.map_err(db_err)?;
                        Ok(Some(true))
                    })
                }
            },
            Clone::clone,
            |_| Box::pin(async { Ok(Some(true)) }),
        )
        .await?;
        Ok(done.is_some())
    })
    .await
}

/// Records a redelivery's attempt under `idem`; a twin that recorded first
/// wins: its attempt is the answer.
pub(super) async fn record_redelivery(sea: &Arc<Sea>, d: &Delivery, idem: Option<Idempotency>) -> Result<Delivery> {
    let (writing, model) = (sea.clone(), delivery::to_model(d));
    sea.detached(async move {
        let sea = writing;
        let reader = sea.clone();
        let id = model.id.clone();
        let done = once(
            &sea,
            idem.as_ref(),
            &id,
            move |txn| {
                let model = model.clone();
                Box::pin(async move {
                    delivery::ActiveModel::from(model)
                        .reset_all()
                        .insert(txn)
                        .await
                        .map(Some)
                        .map_err(db_err)
                })
            },
            Clone::clone,
            move |id| {
                let sea = reader.clone();
                Box::pin(async move { delivery::Entity::find_by_id(id).only(&sea.conn).await.map_err(db_err) })
            },
        )
        .await?
        .ok_or_else(|| crate::domain::Error::internal("a recorded delivery is missing"))?;
        delivery::to_domain(done.into_inner())
    })
    .await
}

/// The attempt a redelivery under `idem` made before, if any.
pub(super) async fn redelivery_replay(sea: &Arc<Sea>, idem: &Idempotency) -> Result<Option<Delivery>> {
    match replayed::<delivery::Model>(sea, idem).await? {
        Some((_, Some(model))) => delivery::to_domain(model).map(Some),
        // Kept without its response: the attempt by its id.
        Some((resource, None)) => delivery::Entity::find_by_id(resource)
            .only(&sea.conn)
            .await
            .map_err(db_err)?
            .map(delivery::to_domain)
            .transpose(),
        None => Ok(None),
    }
}
