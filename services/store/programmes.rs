//! Programmes on SQL. Updates lock the row (FOR UPDATE on PostgreSQL, the
//! IMMEDIATE write lock on SQLite) so the domain decides on current data.

use async_trait::async_trait;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait,
    FromQueryResult, QueryFilter, QuerySelect, Statement,
};

use super::entity::programme::{self as row, Column};
use super::idempotency::{Claim, stored};
use super::{Db, Lock, OnlyRow, corrupt, db_err, page_by_id};
use crate::domain::ids::{InstitutionName, ProgrammeName};
use crate::domain::institution::Region;
use crate::domain::money::{Currency, Money};
use crate::domain::page::PageRequest;
use crate::domain::ports::{Idempotency, ProgrammeChange, ProgrammeStore};
use crate::domain::programme::{NewProgramme, Programme, ProgrammeFilter};
use crate::domain::time::Timestamp;
use crate::domain::{Error, Result};

pub(crate) fn regions_to_text(regions: &[Region]) -> String {
    regions.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}

pub(crate) fn to_domain(m: row::Model) -> Result<Programme> {
    let row::Model {
        id,
        display_name,
        local_name,
        funder,
        currency_code,
        budget_minor,
        committed_minor,
        max_award_minor,
        eligible_regions,
        requires_guangdong_partner,
        open_time,
        close_time,
        awards_issued,
        version,
        create_time,
        update_time,
        review_settings,
    } = m;
    let currency = Currency::parse(&currency_code, "currency_code").map_err(|e| corrupt("programme", e))?;
    let review = review_settings
        .map(|json| super::reviews::settings_from_json(&json))
        .transpose()?;
    let eligible_regions = eligible_regions
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|r| Region::parse(r, "eligible_regions"))
        .collect::<Result<Vec<_>>>()
        .map_err(|e| corrupt("programme", e))?;
    Ok(Programme {
        name: ProgrammeName::from_id(id),
        display_name,
        local_name,
        funder,
        budget: Money::from_minor(currency.clone(), budget_minor),
        committed: Money::from_minor(currency.clone(), committed_minor),
        max_award: Money::from_minor(currency.clone(), max_award_minor),
        currency,
        eligible_regions,
        requires_guangdong_partner,
        open_time: Timestamp::from_micros(open_time),
        close_time: Timestamp::from_micros(close_time),
        awards_issued,
        version,
        create_time: Timestamp::from_micros(create_time),
        update_time: Timestamp::from_micros(update_time),
        review,
    })
}

/// The row for a programme, with every column set.
pub(crate) fn to_row(p: &Programme) -> row::ActiveModel {
    row::ActiveModel {
        id: Set(p.name.id().to_owned()),
        display_name: Set(p.display_name.clone()),
        local_name: Set(p.local_name.clone()),
        funder: Set(p.funder.clone()),
        currency_code: Set(p.currency.code().to_owned()),
        budget_minor: Set(p.budget.minor()),
        committed_minor: Set(p.committed.minor()),
        max_award_minor: Set(p.max_award.minor()),
        eligible_regions: Set(regions_to_text(&p.eligible_regions)),
        requires_guangdong_partner: Set(p.requires_guangdong_partner),
        open_time: Set(p.open_time.micros()),
        close_time: Set(p.close_time.micros()),
        awards_issued: Set(p.awards_issued),
        version: Set(p.version),
        create_time: Set(p.create_time.micros()),
        update_time: Set(p.update_time.micros()),
        review_settings: Set(p.review.as_ref().map(super::reviews::settings_to_json)),
    }
}

#[async_trait]
impl ProgrammeStore for Db {
    async fn create_programme(&self, new: NewProgramme, idem: Option<Idempotency>) -> Result<Programme> {
        let db = self.clone();
        self.detached(async move { db.create_programme_now(new, idem).await })
            .await
    }

    async fn get_programme(&self, name: &ProgrammeName) -> Result<Option<Programme>> {
        if let Some(fast) = &self.fast {
            return fast.programme(name.id())?.map(to_domain).transpose();
        }
        if let Some(found) = self.read_point(|points| &points.programmes, name.id()).await {
            return found?.map(to_domain).transpose();
        }
        self.find_kept(row::Entity::find_by_id(name.id().to_owned()))
            .await?
            .map(to_domain)
            .transpose()
    }

    async fn creation_facts(
        &self,
        name: &ProgrammeName,
        institution: &InstitutionName,
    ) -> Result<Option<(Currency, bool)>> {
        if let Some(known) = self.facts.creation(name, institution) {
            return Ok(Some(known));
        }
        let found = self.programme_and_institution(name, institution).await?;
        if let Some((p, exists)) = &found {
            self.facts.learn(name, &p.currency, exists.then_some(institution));
        }
        Ok(found.map(|(p, exists)| (p.currency, exists)))
    }

    async fn list_programmes(
        &self,
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
        let rows = page_by_id(query, Column::Id, page, self.conn()).await?;
        rows.into_iter().map(to_domain).collect()
    }

    async fn update_programme(
        &self,
        name: &ProgrammeName,
        idem: Option<Idempotency>,
        change: ProgrammeChange,
    ) -> Result<Option<Programme>> {
        let name = name.clone();
        let db = self.clone();
        self.detached(async move { db.update_programme_now(&name, idem, &*change).await })
            .await
    }
}

impl Db {
    /// The programme, and whether `institution` exists, in one read.
    async fn programme_and_institution(
        &self,
        name: &ProgrammeName,
        institution: &InstitutionName,
    ) -> Result<Option<(Programme, bool)>> {
        if let Some(fast) = &self.fast {
            return fast
                .programme_and_institution(name.id(), institution.id())?
                .map(|(p, exists)| Ok((to_domain(p)?, exists)))
                .transpose();
        }
        let backend = self.conn().get_database_backend();
        let sql = match backend {
            DbBackend::Postgres => {
                "SELECT *, EXISTS (SELECT 1 FROM institution WHERE institution.id = $1) AS institution_exists \
                 FROM programme WHERE programme.id = $2"
            }
            _ => {
                "SELECT *, EXISTS (SELECT 1 FROM institution WHERE institution.id = ?) AS institution_exists \
                 FROM programme WHERE programme.id = ?"
            }
        };
        let query = Statement::from_sql_and_values(backend, sql, [institution.id().into(), name.id().into()]);
        let Some(found) = self.conn().query_one_raw(query).await.map_err(db_err)? else {
            return Ok(None);
        };
        let exists: bool = found.try_get("", "institution_exists").map_err(db_err)?;
        let programme = row::Model::from_query_result(&found, "").map_err(db_err)?;
        Ok(Some((to_domain(programme)?, exists)))
    }
}

impl Db {
    async fn create_programme_now(&self, new: NewProgramme, idem: Option<Idempotency>) -> Result<Programme> {
        let name = ProgrammeName::generate();
        let txn = self.begin_write().await?;
        if let Claim::Replay { resource, response } = self.claim(&txn, idem.as_ref(), name.id()).await? {
            drop(txn);
            return match response {
                Some(response) => to_domain(stored(&response)?),
                None => self
                    .get_programme(&ProgrammeName::from_id(resource))
                    .await?
                    .ok_or_else(|| Error::internal("replayed programme is missing")),
            };
        }
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
        } = new;
        let programme = Programme {
            name,
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
        };
        let inserted = to_row(&programme).insert(&txn).await.map_err(db_err)?;
        self.remember(&txn, idem.as_ref(), &inserted).await?;
        txn.commit().await.map_err(db_err)?;
        to_domain(inserted)
    }
}

impl Db {
    async fn update_programme_now(
        &self,
        name: &ProgrammeName,
        idem: Option<Idempotency>,
        change: &(dyn Fn(&Programme) -> Result<Programme> + Send + Sync),
    ) -> Result<Option<Programme>> {
        let txn = self.begin_write().await?;
        // The lock approvals take too: budget changes and approvals of one
        // programme serialise.
        self.lock(&txn, Lock::Programme, name.id()).await?;
        if let Claim::Replay { resource, response } = self.claim(&txn, idem.as_ref(), name.id()).await? {
            drop(txn);
            return match response {
                Some(response) => to_domain(stored(&response)?).map(Some),
                None => self.get_programme(&ProgrammeName::from_id(resource)).await,
            };
        }
        let Some(current) = row::Entity::find_by_id(name.id().to_owned())
            .lock_exclusive()
            .only(&txn)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        let updated = change(&to_domain(current)?)?;
        let saved = to_row(&updated).update(&txn).await.map_err(db_err)?;
        self.remember(&txn, idem.as_ref(), &saved).await?;
        txn.commit().await.map_err(db_err)?;
        to_domain(saved).map(Some)
    }
}
