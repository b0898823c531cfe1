//! Applications, their events and disbursements on SQL. Every change runs
//! in one transaction that locks the application and then its programme
//! (always in that order), so budget checks see committed totals and no
//! two changes of one application interleave.

use async_trait::async_trait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use super::entity::{application as row, disbursement as drow};
use super::events::{event_statement, event_to_domain};
use super::idempotency::{Claim, stored};
use super::writes::Writes;
use super::{Db, Lock, OnlyRow, corrupt, db_err, is_unique_violation, page_by_id};
use crate::domain::access::Role;
use crate::domain::application::{Application, ApplicationFilter, Decision, Investigator, State};
use crate::domain::event::{ApplicationEvent, Cursor, Disbursement, NewEvent};
use crate::domain::ids::{ApiKeyName, ApplicationName, DisbursementName, InstitutionName, OrcidId, ProgrammeName};
use crate::domain::money::{Currency, Money};
use crate::domain::page::PageRequest;
use crate::domain::ports::{ApplicationChange, ApplicationStore, Changed, Decide, Idempotency};
use crate::domain::review::Review;
use crate::domain::time::Timestamp;
use crate::domain::{Error, Result};

pub(super) fn ids(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').filter(|s| !s.is_empty())
}

pub(crate) fn to_domain(m: row::Model) -> Result<Application> {
    let row::Model {
        id,
        programme_id,
        applicant_institution_id,
        title,
        abstract_text,
        pi_name,
        pi_email,
        pi_orcid,
        partner_institution_ids,
        currency_code,
        requested_minor,
        duration_months,
        state,
        version,
        create_time,
        update_time,
        submit_time,
        decision_reason,
        decision_actor,
        decision_time,
        award_number,
        awarded_minor,
        disbursed_minor,
    } = m;
    let bad = |e| corrupt("application", e);
    let currency = Currency::parse(&currency_code, "currency_code").map_err(bad)?;
    let decision = match (decision_reason, decision_actor, decision_time) {
        (Some(reason), Some(actor), Some(time)) => Some(Decision {
            reason,
            actor: ApiKeyName::from_id(actor),
            time: Timestamp::from_micros(time),
        }),
        _ => None,
    };
    Ok(Application {
        name: ApplicationName::new(ProgrammeName::from_id(programme_id), id),
        applicant: InstitutionName::from_id(applicant_institution_id),
        title,
        abstract_text,
        investigator: Investigator {
            name: pi_name,
            email: pi_email,
            orcid: pi_orcid
                .map(|o| OrcidId::parse(&o, "pi_orcid"))
                .transpose()
                .map_err(bad)?,
        },
        partners: ids(&partner_institution_ids).map(InstitutionName::from_id).collect(),
        requested: requested_minor.map(|m| Money::from_minor(currency.clone(), m)),
        duration_months,
        state: State::parse(&state, "state").map_err(bad)?,
        version,
        create_time: Timestamp::from_micros(create_time),
        update_time: Timestamp::from_micros(update_time),
        submit_time: submit_time.map(Timestamp::from_micros),
        decision,
        award_number,
        awarded: awarded_minor.map(|m| Money::from_minor(currency.clone(), m)),
        disbursed: Money::from_minor(currency, disbursed_minor),
    })
}

pub(crate) fn to_model(a: &Application) -> row::Model {
    row::Model {
        id: a.name.id().to_owned(),
        programme_id: a.name.programme.id().to_owned(),
        applicant_institution_id: a.applicant.id().to_owned(),
        title: a.title.clone(),
        abstract_text: a.abstract_text.clone(),
        pi_name: a.investigator.name.clone(),
        pi_email: a.investigator.email.clone(),
        pi_orcid: a.investigator.orcid.as_ref().map(|o| o.as_str().to_owned()),
        partner_institution_ids: a.partners.iter().map(|p| p.id()).collect::<Vec<_>>().join(","),
        currency_code: a.disbursed.currency().code().to_owned(),
        requested_minor: a.requested.as_ref().map(Money::minor),
        duration_months: a.duration_months,
        state: a.state.as_str().to_owned(),
        version: a.version,
        create_time: a.create_time.micros(),
        update_time: a.update_time.micros(),
        submit_time: a.submit_time.map(Timestamp::micros),
        decision_reason: a.decision.as_ref().map(|d| d.reason.clone()),
        decision_actor: a.decision.as_ref().map(|d| d.actor.id().to_owned()),
        decision_time: a.decision.as_ref().map(|d| d.time.micros()),
        award_number: a.award_number.clone(),
        awarded_minor: a.awarded.as_ref().map(Money::minor),
        disbursed_minor: a.disbursed.minor(),
    }
}

/// Every column set, so an update writes the whole row.
pub(super) fn active(m: row::Model) -> row::ActiveModel {
    row::ActiveModel::from(m).reset_all()
}

fn disbursement_to_domain(m: drow::Model, application: &Application) -> Result<Disbursement> {
    let drow::Model {
        id,
        application_id: _,
        programme_id: _,
        amount_minor,
        payee_currency,
        payee_minor,
        bank_charges_minor,
        exchange_rate,
        pay_time,
        reference,
        create_time,
    } = m;
    let payee = Currency::parse(&payee_currency, "payee_currency").map_err(|e| corrupt("disbursement", e))?;
    Ok(Disbursement {
        name: DisbursementName::new(application.name.clone(), id),
        amount: Money::from_minor(application.disbursed.currency().clone(), amount_minor),
        payee_amount: Money::from_minor(payee.clone(), payee_minor),
        bank_charges: Money::from_minor(payee, bank_charges_minor),
        exchange_rate,
        pay_time: Timestamp::from_micros(pay_time),
        reference,
        create_time: Timestamp::from_micros(create_time),
    })
}

fn disbursement_model(d: &Disbursement) -> drow::Model {
    drow::Model {
        id: d.name.id().to_owned(),
        application_id: d.name.application.id().to_owned(),
        programme_id: d.name.application.programme.id().to_owned(),
        amount_minor: d.amount.minor(),
        payee_currency: d.payee_amount.currency().code().to_owned(),
        payee_minor: d.payee_amount.minor(),
        bank_charges_minor: d.bank_charges.minor(),
        exchange_rate: d.exchange_rate.clone(),
        pay_time: d.pay_time.micros(),
        reference: d.reference.clone(),
        create_time: d.create_time.micros(),
    }
}

fn disbursement_row(d: &Disbursement) -> drow::ActiveModel {
    drow::ActiveModel::from(disbursement_model(d)).reset_all()
}

/// What a state change returned, kept for replays.
#[derive(serde::Serialize, serde::Deserialize)]
struct ChangeResponse {
    application: row::Model,
    disbursement: Option<drow::Model>,
    #[serde(default)]
    review: Option<super::entity::review::Model>,
    #[serde(default)]
    review_label: Option<String>,
}

pub(super) fn by_name(name: &ApplicationName) -> sea_orm::Select<row::Entity> {
    row::Entity::find_by_id(name.id().to_owned()).filter(row::Column::ProgrammeId.eq(name.programme.id()))
}

#[async_trait]
impl ApplicationStore for Db {
    async fn create_application(
        &self,
        application: Application,
        event: NewEvent,
        idem: Option<Idempotency>,
    ) -> Result<Application> {
        let db = self.clone();
        self.detached(async move { db.create_application_now(application, event, idem).await })
            .await
    }

    async fn get_application(&self, name: &ApplicationName) -> Result<Option<Application>> {
        self.get_application_row(name).await
    }

    async fn list_applications(&self, filter: &ApplicationFilter, page: &PageRequest) -> Result<Vec<Application>> {
        self.list_application_rows(filter, page).await
    }

    async fn change_application(
        &self,
        name: &ApplicationName,
        idem: Option<Idempotency>,
        claim: &str,
        changes_programme: bool,
        change: ApplicationChange,
    ) -> Result<Changed> {
        let (db, name, claim) = (self.clone(), name.clone(), claim.to_owned());
        self.detached(async move {
            db.change_application_now(&name, idem, &claim, changes_programme, &*change)
                .await
        })
        .await
    }

    async fn list_application_events(
        &self,
        application: &ApplicationName,
        after: Option<Cursor>,
        limit: u64,
    ) -> Result<Vec<ApplicationEvent>> {
        use super::entity::application_event::{Column, Entity};
        let mut query = Entity::find()
            .filter(Column::ApplicationId.eq(application.id()))
            .filter(Column::ProgrammeId.eq(application.programme.id()));
        if let Some(after) = after {
            query = query.filter(Column::Seq.gt(after.seq));
        }
        let rows = query
            .order_by_asc(Column::Seq)
            .limit(limit)
            .all(self.conn())
            .await
            .map_err(db_err)?;
        // Read your writes, and hand out only final positions: the newest
        // event listed is returned once no older transaction is in flight.
        if let Some(last) = rows.last() {
            self.wait_until_final(last.seq).await?;
        }
        rows.into_iter().map(|m| event_to_domain(m, self.log)).collect()
    }

    async fn get_disbursement(&self, name: &DisbursementName) -> Result<Option<Disbursement>> {
        let Some(application) = self.get_application(&name.application).await? else {
            return Ok(None);
        };
        drow::Entity::find_by_id(name.id().to_owned())
            .filter(drow::Column::ApplicationId.eq(name.application.id()))
            .only(self.conn())
            .await
            .map_err(db_err)?
            .map(|m| disbursement_to_domain(m, &application))
            .transpose()
    }

    async fn list_reviews(&self, application: &ApplicationName) -> Result<Vec<Review>> {
        self.reviews_of(self.conn(), application).await
    }

    async fn find_review(&self, application: &ApplicationName, reviewer: &ApiKeyName) -> Result<Option<Review>> {
        self.find_review_row(application, reviewer).await
    }

    async fn ranking_candidates(&self, programme: &ProgrammeName) -> Result<Vec<(Application, Vec<Review>)>> {
        self.ranking_rows(programme).await
    }

    async fn list_disbursements(&self, application: &ApplicationName, page: &PageRequest) -> Result<Vec<Disbursement>> {
        let Some(found) = self.get_application(application).await? else {
            return Ok(Vec::new());
        };
        let query = drow::Entity::find().filter(drow::Column::ApplicationId.eq(application.id()));
        let rows = page_by_id(query, drow::Column::Id, page, self.conn()).await?;
        rows.into_iter().map(|m| disbursement_to_domain(m, &found)).collect()
    }
}

impl Db {
    async fn create_application_now(
        &self,
        application: Application,
        event: NewEvent,
        idem: Option<Idempotency>,
    ) -> Result<Application> {
        if idem.is_none() && self.commit_jitter.is_none() {
            return if self.is_postgres() {
                self.create_in_one_statement(application, &event).await
            } else {
                self.create_in_group(application, &event).await
            };
        }
        let txn = self.begin_write().await?;
        if let Claim::Replay { resource, response } = self.claim(&txn, idem.as_ref(), application.name.id()).await? {
            drop(txn);
            if let Some(response) = response {
                return to_domain(stored(&response)?);
            }
            let name = ApplicationName::new(application.name.programme.clone(), resource);
            return self
                .get_application(&name)
                .await?
                .ok_or_else(|| Error::internal("replayed application is missing"));
        }
        // Without RETURNING (or, on SQLite, a second statement reading the
        // row back): the row is exactly what was built.
        let model = to_model(&application);
        self.remember(&txn, idem.as_ref(), &model).await?;
        let mut writes = Writes::default();
        writes.push(row::Entity::insert(active(model)).build(txn.get_database_backend()));
        writes.push_event(event_statement(self, &application, &event)?);
        let seq = writes.run(&txn).await?;
        let created = application;
        self.jitter().await;
        txn.commit().await.map_err(db_err)?;
        self.announce_append(seq);
        metrics::counter!("gba_grants_events_appended_total").increment(1);
        Ok(created)
    }

    async fn get_application_row(&self, name: &ApplicationName) -> Result<Option<Application>> {
        if let Some(fast) = &self.fast {
            return fast
                .application(name.id(), name.programme.id())?
                .map(to_domain)
                .transpose();
        }
        if let Some(found) = self.read_point(|points| &points.applications, name.id()).await {
            return found?
                .filter(|row| row.programme_id == name.programme.id())
                .map(to_domain)
                .transpose();
        }
        self.find_kept(by_name(name)).await?.map(to_domain).transpose()
    }

    async fn list_application_rows(&self, filter: &ApplicationFilter, page: &PageRequest) -> Result<Vec<Application>> {
        let mut query = row::Entity::find();
        if let Some(programme) = &filter.programme {
            query = query.filter(row::Column::ProgrammeId.eq(programme.id()));
        }
        if let Some(list) = &filter.programmes_in {
            query = query.filter(row::Column::ProgrammeId.is_in(list.iter().map(|p| p.id().to_owned())));
        }
        if let Some(applicant) = &filter.applicant {
            query = query.filter(row::Column::ApplicantInstitutionId.eq(applicant.id()));
        }
        if let Some(state) = filter.state {
            query = query.filter(row::Column::State.eq(state.as_str()));
        }
        if let Some(reviewer) = &filter.assigned_to {
            use super::entity::review as rrow;
            query = query.filter(
                row::Column::Id.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(rrow::Column::ApplicationId)
                        .from(rrow::Entity)
                        .and_where(rrow::Column::ReviewerKey.eq(reviewer.id()))
                        .and_where(
                            rrow::Column::State.ne(crate::domain::review::ReviewState::ConflictDeclared.as_str()),
                        )
                        .to_owned(),
                ),
            );
        }
        // SQLite: read in place, with the LIMIT written into the statement.
        let rows = match &self.fast {
            Some(fast) => {
                let query = super::keyset(query, row::Column::Id, page);
                fast.page(query, page.fetch_limit(), super::sqlite_reads::application_row)
                    .await?
            }
            None => page_by_id(query, row::Column::Id, page, self.conn()).await?,
        };
        rows.into_iter().map(to_domain).collect()
    }

    async fn change_application_now(
        &self,
        name: &ApplicationName,
        idem: Option<Idempotency>,
        claim: &str,
        changes_programme: bool,
        change: Decide<'_>,
    ) -> Result<Changed> {
        // On SQLite, a change without a request id joins a group commit
        // (see `change_group`); what it cannot do there runs alone, below.
        // On PostgreSQL, one that leaves its programme alone is tried
        // optimistically (see `optimistic`).
        if idem.is_none()
            && let Some(changed) = self.change_in_group(name, changes_programme, change).await?
        {
            return Ok(changed);
        }
        if idem.is_none()
            && let Some(changed) = self.change_optimistically(name, changes_programme, change).await?
        {
            return Ok(changed);
        }
        let txn = self.begin_write().await?;
        // Locks first, before any write (see `events::event_statement`): the
        // application, then (only for a change that may change it, so other
        // changes of one programme's applications run in parallel) its
        // programme, always in that order.
        if changes_programme {
            self.lock_application_and_programme(&txn, name.id(), name.programme.id())
                .await?;
        } else {
            self.lock(&txn, Lock::Application, name.id()).await?;
        }
        if let Claim::Replay { resource, response } = self.claim(&txn, idem.as_ref(), claim).await? {
            drop(txn);
            return self.replay_change(name, &resource, response).await;
        }
        // What the change decides on, read under the locks.
        let Some((current, programme, found)) = self.read_for_change(&txn, name).await? else {
            return Ok(Changed::Missing);
        };
        let mut situation = super::write_paths::situation((current, programme, found))?;
        // Reviews only matter under peer review: other programmes' changes
        // skip the read.
        if situation.programme.review.is_some() {
            situation.reviews = self.reviews_of(&txn, name).await?;
        }
        let outcome = change(&situation)?;
        if outcome.programme.is_some() && !changes_programme {
            return Err(Error::internal(
                "a change of an application changed its programme without locking it",
            ));
        }
        if outcome.noop {
            let response = ChangeResponse {
                application: to_model(&outcome.application),
                disbursement: None,
                review: outcome.review.as_ref().map(super::reviews::to_model),
                review_label: outcome.review_label.clone(),
            };
            self.remember(&txn, idem.as_ref(), &response).await?;
            txn.commit().await.map_err(db_err)?;
            return Ok(Changed::Applied(Box::new(outcome)));
        }
        // The row, the programme, the review and the event in one batch,
        // after the disbursement (whose unique reference may refuse the
        // change).
        let writes = self.outcome_writes(name, &situation.application, &outcome, txn.get_database_backend())?;
        if let Some(d) = &outcome.disbursement {
            self.check_reference(&txn, d).await?;
            if let Err(err) = drow::Entity::insert(disbursement_row(d))
                .exec_without_returning(&txn)
                .await
            {
                return Err(if is_unique_violation(&err) {
                    // A concurrent payment with the same reference won.
                    drop(txn);
                    self.duplicate_reference(d).await
                } else {
                    db_err(err)
                });
            }
        }
        let response = ChangeResponse {
            application: to_model(&outcome.application),
            disbursement: outcome.disbursement.as_ref().map(disbursement_model),
            review: outcome.review.as_ref().map(super::reviews::to_model),
            review_label: outcome.review_label.clone(),
        };
        self.remember(&txn, idem.as_ref(), &response).await?;
        let seq = writes.run(&txn).await?;
        if outcome.event.is_some() {
            self.jitter().await;
        }
        txn.commit().await.map_err(db_err)?;
        if self.is_postgres() {
            self.recent.wrote(&outcome.application, outcome.programme.as_ref());
        }
        if outcome.event.is_some() {
            self.announce_append(seq);
            metrics::counter!("gba_grants_events_appended_total").increment(1);
        }
        Ok(Changed::Applied(Box::new(outcome)))
    }
}

impl Db {
    /// The first response of a replayed change, or for a record written
    /// before responses were kept, the application (and disbursement) now.
    async fn replay_change(&self, name: &ApplicationName, resource: &str, response: Option<String>) -> Result<Changed> {
        if let Some(response) = response {
            let ChangeResponse {
                application,
                disbursement,
                review,
                review_label,
            } = stored(&response)?;
            let application = to_domain(application)?;
            let disbursement = disbursement
                .map(|d| disbursement_to_domain(d, &application).map(Box::new))
                .transpose()?;
            let review = review.map(|r| super::reviews::to_domain(r).map(Box::new)).transpose()?;
            return Ok(Changed::Replayed {
                application: Box::new(application),
                disbursement,
                review,
                review_label,
            });
        }
        let Some(application) = self.get_application(name).await? else {
            return Ok(Changed::Missing);
        };
        let disbursement = match resource.rsplit_once("/disbursements/") {
            Some((_, id)) => self.get_disbursement(&DisbursementName::new(name.clone(), id)).await?,
            None => None,
        };
        Ok(Changed::Replayed {
            application: Box::new(application),
            disbursement: disbursement.map(Box::new),
            review: None,
            review_label: None,
        })
    }

    /// A payment reference is unique within a programme.
    async fn check_reference(&self, txn: &sea_orm::DatabaseTransaction, d: &Disbursement) -> Result<()> {
        if d.reference.is_empty() {
            return Ok(());
        }
        let earlier = drow::Entity::find()
            .filter(drow::Column::ProgrammeId.eq(d.name.application.programme.id()))
            .filter(drow::Column::Reference.eq(d.reference.as_str()))
            .only(txn)
            .await
            .map_err(db_err)?;
        match earlier {
            Some(earlier) => Err(duplicate(d, &earlier)),
            None => Ok(()),
        }
    }

    /// The error for a reference that a concurrent payment took first.
    async fn duplicate_reference(&self, d: &Disbursement) -> Error {
        let earlier = drow::Entity::find()
            .filter(drow::Column::ProgrammeId.eq(d.name.application.programme.id()))
            .filter(drow::Column::Reference.eq(d.reference.as_str()))
            .only(self.conn())
            .await;
        match earlier {
            Ok(Some(earlier)) => duplicate(d, &earlier),
            Ok(None) => Error::internal("unique payment reference violated, but no earlier payment found"),
            Err(err) => db_err(err),
        }
    }
}

fn duplicate(d: &Disbursement, earlier: &drow::Model) -> Error {
    let programme = d.name.application.programme.clone();
    let application = ApplicationName::new(programme, earlier.application_id.clone());
    let earlier = DisbursementName::new(application, earlier.id.clone());
    Error::AlreadyExists {
        reason: crate::domain::Reason::DuplicatePaymentReference,
        message: format!(
            "disbursement.reference: payment reference {:?} was already recorded in this programme as {earlier}",
            crate::domain::text::excerpt(&d.reference)
        ),
    }
}

/// Parses a stored role.
pub(crate) fn role(text: &str) -> Result<Role> {
    Role::parse(text, "role").map_err(|e| corrupt("event", e))
}
