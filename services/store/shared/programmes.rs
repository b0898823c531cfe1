//! Programmes' writes and lists, the same on both backends (their point
//! reads are each backend's own). An update locks the programme (the
//! lock approvals take on PostgreSQL; SQLite's write lock), so budget
//! changes and approvals of one programme serialise and the domain
//! decides on the current row.

use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

use super::Sea;
use super::once::once;
use super::reads::{OnlyRow, page_by_id};
use crate::domain::ids::ProgrammeName;
use crate::domain::money::Money;
use crate::domain::page::PageRequest;
use crate::domain::ports::{Idempotency, ProgrammeChange};
use crate::domain::programme::{NewProgramme, Programme, ProgrammeFilter};
use crate::domain::time::Timestamp;
use crate::domain::{Error, Result};
use crate::store::faults::db_err;
use crate::store::rows::programme::{self as row, Column, to_domain, to_row};

pub(crate) async fn create(
    sea: std::sync::Arc<Sea>,
    new: NewProgramme,
    idem: Option<Idempotency>,
) -> Result<Programme> {
    let now = Timestamp::now();
    let NewProgramme {
        display_name,
        local_name,
        funder,
        currency,
        budget,
        eligible_regions,
        requires_guangdong_partner,
        max_award,
        open_time,
        close_time,
        review,
        documents,
        endorsement,
        facility,
    } = new;
    let programme = Programme {
        name: ProgrammeName::generate(),
        display_name,
        local_name,
        funder,
        committed: Money::zero(currency.clone()),
        currency,
        budget,
        eligible_regions,
        requires_guangdong_partner,
        max_award,
        open_time,
        close_time,
        awards_issued: 0,
        version: 1,
        create_time: now,
        update_time: now,
        review,
        documents,
        endorsement,
        facility,
    };
    sea.clone()
        .detached(async move {
            let done = once(
                &sea,
                idem.as_ref(),
                programme.name.id(),
                {
                    let row = to_row(&programme);
                    move |txn| {
                        let row = row.clone();
                        Box::pin(async move { row.insert(txn).await.map(Some).map_err(db_err) })
                    }
                },
                Clone::clone,
                old(&sea),
            )
            .await?
            .ok_or_else(|| Error::internal("replayed programme is missing"))?;
            to_domain(done.into_inner())
        })
        .await
}

/// Reads a programme by its id, for a replay of a record written before
/// responses were kept.
fn old(sea: &std::sync::Arc<Sea>) -> impl Fn(String) -> super::once::InTxn<'static, row::Model> + Send + Sync {
    let sea = sea.clone();
    move |id| {
        let sea = sea.clone();
        Box::pin(async move { get(&sea, &id).await })
    }
}

pub(crate) async fn get(sea: &Sea, id: &str) -> Result<Option<row::Model>> {
    row::Entity::find_by_id(id.to_owned())
        .only(&sea.conn)
        .await
        .map_err(db_err)
}

pub(crate) async fn list(
    sea: &Sea,
    filter: &ProgrammeFilter,
    scope: Option<&[ProgrammeName]>,
    page: &PageRequest,
) -> Result<Vec<Programme>> {
    let mut query = row::Entity::find();
    if let Some(scope) = scope {
        query = query.filter(Column::Id.is_in(scope.iter().map(|p| p.id().to_owned())));
    }
    if let Some((open, now)) = filter.open_at {
        let is_open = Condition::all()
            .add(Column::OpenTime.lte(now.micros()))
            .add(Column::CloseTime.gt(now.micros()));
        query = query.filter(if open { is_open } else { is_open.not() });
    }
    if let Some(region) = filter.eligible_region {
        query = query.filter(Column::EligibleRegions.contains(region.as_str()));
    }
    let rows = page_by_id(query, Column::Id, page, &sea.conn).await?;
    rows.into_iter().map(to_domain).collect()
}

/// Locks the programme (`lock`: the backend's statement for it), lets
/// `change` decide on its current row, and saves the result.
pub(crate) async fn update(
    sea: std::sync::Arc<Sea>,
    name: &ProgrammeName,
    idem: Option<Idempotency>,
    lock: Option<sea_orm::Statement>,
    change: ProgrammeChange,
) -> Result<Option<Programme>> {
    let name = name.clone();
    sea.clone()
        .detached(async move {
            let done = once(
                &sea,
                idem.as_ref(),
                name.id(),
                {
                    let name = name.clone();
                    move |txn| {
                        let (name, lock, change) = (name.clone(), lock.clone(), change.clone());
                        Box::pin(async move {
                            if let Some(lock) = lock {
                                txn.execute_raw(lock).await.map_err(db_err)?;
                            }
                            let Some(current) = row::Entity::find_by_id(name.id().to_owned())
                                .only(txn)
                                .await
                                .map_err(db_err)?
                            else {
                                return Ok(None);
                            };
                            let updated = change(&to_domain(current)?)?;
                            to_row(&updated).update(txn).await.map(Some).map_err(db_err)
                        })
                    }
                },
                Clone::clone,
                old(&sea),
            )
            .await?;
            done.map(|d| to_domain(d.into_inner())).transpose()
        })
        .await
}
