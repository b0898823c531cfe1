//! Institutions on SQL.

use async_trait::async_trait;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::entity::institution::{self as row, Column};
use super::idempotency::{Claim, stored};
use super::{Db, OnlyRow, corrupt, db_err, is_unique_violation, page_by_id};
use crate::domain::ids::{InstitutionName, RorId};
use crate::domain::institution::{Institution, InstitutionFilter, NewInstitution, Region};
use crate::domain::page::PageRequest;
use crate::domain::ports::{Idempotency, InstitutionStore};
use crate::domain::time::Timestamp;
use crate::domain::{Error, Result};

pub(crate) fn to_domain(m: row::Model) -> Result<Institution> {
    let row::Model {
        id,
        display_name,
        local_name,
        region,
        ror_id,
        create_time,
    } = m;
    Ok(Institution {
        name: InstitutionName::from_id(id),
        display_name,
        local_name,
        region: Region::parse(&region, "region").map_err(|e| corrupt("institution", e))?,
        ror_id: ror_id
            .map(|r| RorId::parse(&r, "ror_id"))
            .transpose()
            .map_err(|e| corrupt("institution", e))?,
        create_time: Timestamp::from_micros(create_time),
    })
}

#[async_trait]
impl InstitutionStore for Db {
    async fn create_institution(&self, new: NewInstitution, idem: Option<Idempotency>) -> Result<Institution> {
        let db = self.clone();
        self.detached(async move { db.create_institution_now(new, idem).await })
            .await
    }

    async fn get_institution(&self, name: &InstitutionName) -> Result<Option<Institution>> {
        row::Entity::find_by_id(name.id().to_owned())
            .only(self.conn())
            .await
            .map_err(db_err)?
            .map(to_domain)
            .transpose()
    }

    async fn list_institutions(&self, filter: &InstitutionFilter, page: &PageRequest) -> Result<Vec<Institution>> {
        let mut query = row::Entity::find();
        if let Some(region) = filter.region {
            query = query.filter(Column::Region.eq(region.as_str()));
        }
        let rows = page_by_id(query, Column::Id, page, self.conn()).await?;
        rows.into_iter().map(to_domain).collect()
    }
}

impl Db {
    async fn create_institution_now(&self, new: NewInstitution, idem: Option<Idempotency>) -> Result<Institution> {
        let name = InstitutionName::generate();
        let txn = self.begin_write().await?;
        if let Claim::Replay { resource, response } = self.claim(&txn, idem.as_ref(), name.id()).await? {
            drop(txn);
            return match response {
                Some(response) => to_domain(stored(&response)?),
                None => self
                    .get_institution(&InstitutionName::from_id(resource))
                    .await?
                    .ok_or_else(|| Error::internal("replayed institution is missing")),
            };
        }
        let NewInstitution {
            display_name,
            local_name,
            region,
            ror_id,
        } = new;
        let model = row::ActiveModel {
            id: Set(name.id().to_owned()),
            display_name: Set(display_name),
            local_name: Set(local_name),
            region: Set(region.as_str().to_owned()),
            ror_id: Set(ror_id.map(|r| r.as_str().to_owned())),
            create_time: Set(Timestamp::now().micros()),
        };
        let inserted = match model.insert(&txn).await {
            Ok(m) => m,
            Err(err) if is_unique_violation(&err) => {
                return Err(Error::AlreadyExists {
                    reason: crate::domain::Reason::AlreadyExists,
                    message: "institution.ror_id: an institution with this ROR id is already registered".into(),
                });
            }
            Err(err) => return Err(db_err(err)),
        };
        self.remember(&txn, idem.as_ref(), &inserted).await?;
        txn.commit().await.map_err(db_err)?;
        to_domain(inserted)
    }
}
