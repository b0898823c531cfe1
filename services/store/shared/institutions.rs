//! Institutions, the same on both backends.

use async_trait::async_trait;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::HasSea;
use super::once::once;
use super::reads::{OnlyRow, page_by_id};
use crate::domain::ids::InstitutionName;
use crate::domain::institution::{Institution, InstitutionFilter, NewInstitution};
use crate::domain::page::PageRequest;
use crate::domain::ports::{Idempotency, InstitutionChange, InstitutionStore};
use crate::domain::time::Timestamp;
use crate::domain::{Error, Reason, Result};
use crate::store::faults::{db_err, is_unique_violation};
use crate::store::rows::institution::{self as row, Column};

#[async_trait]
impl<T: HasSea + Send + Sync> InstitutionStore for T {
    async fn create_institution(&self, new: NewInstitution, idem: Option<Idempotency>) -> Result<Institution> {
        let sea = self.sea().clone();
        let name = InstitutionName::generate();
        let NewInstitution {
            display_name,
            local_name,
            region,
            ror_id,
        } = new;
        let now = Timestamp::now();
        let made = Institution {
            name,
            display_name,
            local_name,
            region,
            ror_id,
            create_time: now,
            version: 1,
            update_time: now,
        };
        self.sea()
            .clone()
            .detached(async move {
                let model = row::to_model(&made);
                let done = once(
                    &sea,
                    idem.as_ref(),
                    made.name.id(),
                    move |txn| {
                        let model = model.clone();
                        Box::pin(async move {
                            match row::ActiveModel::from(model).reset_all().insert(txn).await {
                                Ok(m) => Ok(Some(m)),
                                Err(err) if is_unique_violation(&err) => Err(ror_taken()),
                                Err(err) => Err(db_err(err)),
                            }
                        })
                    },
                    Clone::clone,
                    old(&sea),
                )
                .await?
                .ok_or_else(|| Error::internal("a created institution is missing"))?;
                row::to_domain(done.into_inner())
            })
            .await
    }

    async fn update_institution(
        &self,
        name: &InstitutionName,
        idem: Option<Idempotency>,
        change: InstitutionChange,
    ) -> Result<Option<Institution>> {
        let sea = self.sea().clone();
        let name = name.clone();
        self.sea()
            .detached(async move {
                let done = once(
                    &sea,
                    idem.as_ref(),
                    name.id(),
                    {
                        let name = name.clone();
                        move |txn| {
                            let (name, change) = (name.clone(), change.clone());
                            Box::pin(async move {
                                // Locked (SQLite: the write lock), so the
                                // etag is checked on the current row.
                                let Some(current) = row::Entity::find_by_id(name.id().to_owned())
                                    .lock_exclusive()
                                    .only(txn)
                                    .await
                                    .map_err(db_err)?
                                else {
                                    return Ok(None);
                                };
                                let updated = change(&row::to_domain(current)?)?;
                                let saved = sea_orm::ActiveModelTrait::reset_all(row::ActiveModel::from(
                                    row::to_model(&updated),
                                ))
                                .update(txn)
                                .await;
                                match saved {
                                    Ok(m) => Ok(Some(m)),
                                    Err(err) if is_unique_violation(&err) => Err(ror_taken()),
                                    Err(err) => Err(db_err(err)),
                                }
                            })
                        }
                    },
                    Clone::clone,
                    old(&sea),
                )
                .await?;
                done.map(|d| row::to_domain(d.into_inner())).transpose()
            })
            .await
    }

    async fn get_institution(&self, name: &InstitutionName) -> Result<Option<Institution>> {
        get(self.sea(), name.id()).await?.map(row::to_domain).transpose()
    }

    async fn list_institutions(&self, filter: &InstitutionFilter, page: &PageRequest) -> Result<Vec<Institution>> {
        let mut query = row::Entity::find();
        if let Some(region) = filter.region {
            query = query.filter(Column::Region.eq(region.as_str()));
        }
        let rows = page_by_id(query, Column::Id, page, &self.sea().conn).await?;
        rows.into_iter().map(row::to_domain).collect()
    }
}

/// The error for a ROR id another institution has.
fn ror_taken() -> Error {
    Error::AlreadyExists {
        reason: Reason::AlreadyExists,
        message: "institution.ror_id: an institution with this ROR id is already registered".into(),
    }
}

/// Reads an institution by its id, for a replay of a record written
/// before responses were kept.
fn old(sea: &std::sync::Arc<super::Sea>) -> impl Fn(String) -> super::once::InTxn<'static, row::Model> + Send + Sync {
    let sea = sea.clone();
    move |id| {
        let sea = sea.clone();
        Box::pin(async move { get(&sea, &id).await })
    }
}

async fn get(sea: &super::Sea, id: &str) -> Result<Option<row::Model>> {
    row::Entity::find_by_id(id.to_owned())
        .only(&sea.conn)
        .await
        .map_err(db_err)
}
