//! Reads both backends run the same way, through SeaORM: pages by key,
//! payments, reviews and the ranking, one application's history, pruning
//! and programme summaries. Their queries are built once here.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

use super::Sea;
use crate::domain::application::{Application, ApplicationFilter, Relation, State};
use crate::domain::event::Disbursement;
use crate::domain::ids::{ApiKeyName, ApplicationName, DisbursementName, InstitutionName, ProgrammeName};
use crate::domain::institution::Region;
use crate::domain::page::PageRequest;
use crate::domain::review::{Review, ReviewState};
use crate::domain::time::Timestamp;
use crate::domain::watch::{ProgrammeSummary, SummaryGroup};
use crate::domain::{Error, Result};
use crate::store::faults::db_err;
use crate::store::rows::{application, disbursement, event, programme, review};

/// `Select::one` adds a bound `LIMIT ?`, and SQLite re-prepares a cached
/// statement whose plan could depend on a bound value: every point lookup
/// was parsed and planned again. Lookups by a unique key need no LIMIT;
/// this reads them without one.
pub(crate) trait OnlyRow<E: EntityTrait> {
    async fn only<C: ConnectionTrait>(self, db: &C) -> std::result::Result<Option<E::Model>, DbErr>;
}

impl<E: EntityTrait> OnlyRow<E> for Select<E> {
    async fn only<C: ConnectionTrait>(self, db: &C) -> std::result::Result<Option<E::Model>, DbErr> {
        Ok(self.all(db).await?.into_iter().next())
    }
}

/// `query` in `id` order, after the page's last key (without a limit).
pub(crate) fn keyset<E: EntityTrait>(query: Select<E>, id: E::Column, page: &PageRequest) -> Select<E> {
    let query = match &page.after {
        Some(after) => query.filter(id.gt(after.as_str())),
        None => query,
    };
    query.order_by_asc(id)
}

/// One page of `query` in `id` order, after the page's last key: up to
/// `fetch_limit` rows, so the domain can tell whether another page follows.
pub(crate) async fn page_by_id<E: EntityTrait>(
    query: Select<E>,
    id: E::Column,
    page: &PageRequest,
    conn: &impl ConnectionTrait,
) -> Result<Vec<E::Model>> {
    keyset(query, id, page)
        .limit(page.fetch_limit())
        .all(conn)
        .await
        .map_err(db_err)
}

/// The applications `filter` selects, in id order after the page's last
/// key (without a limit: each backend reads the page its own way).
pub(crate) fn applications(filter: &ApplicationFilter, page: &PageRequest) -> Select<application::Entity> {
    use application::Column;
    let mut query = application::Entity::find();
    if let Some(programme) = &filter.programme {
        query = query.filter(Column::ProgrammeId.eq(programme.id()));
    }
    if let Some(list) = &filter.programmes_in {
        query = query.filter(Column::ProgrammeId.is_in(list.iter().map(|p| p.id().to_owned())));
    }
    if let Some(applicant) = &filter.applicant {
        query = query.filter(Column::ApplicantInstitutionId.eq(applicant.id()));
    }
    if let Some(institution) = &filter.involving {
        let own = Expr::col((application::Entity, Column::ApplicantInstitutionId)).eq(institution.id());
        let partner = names_partner(Column::PartnerInstitutionIds, institution);
        query = match filter.relation {
            None => query.filter(own.or(partner)),
            Some(Relation::Own) => query.filter(own),
            Some(Relation::Partner) => query.filter(partner),
        };
    }
    if let Some(state) = filter.state {
        query = query.filter(Column::State.eq(state.as_str()));
    }
    if let Some(reviewer) = &filter.assigned_to {
        query = query.filter(
            Column::Id.in_subquery(
                Query::select()
                    .column(review::Column::ApplicationId)
                    .from(review::Entity)
                    .and_where(review::Column::ReviewerKey.eq(reviewer.id()))
                    .and_where(review::Column::State.ne(ReviewState::ConflictDeclared.as_str()))
                    .to_owned(),
            ),
        );
    }
    keyset(query, Column::Id, page)
}

/// An application's events after `after`, oldest first (without a
/// limit).
pub(crate) fn application_events(application: &ApplicationName, after: Option<i64>) -> Select<event::Entity> {
    use event::Column;
    let mut query = event::Entity::find()
        .filter(Column::ApplicationId.eq(application.id()))
        .filter(Column::ProgrammeId.eq(application.programme.id()));
    if let Some(after) = after {
        query = query.filter(Column::Seq.gt(after));
    }
    query.order_by_asc(Column::Seq)
}

/// Whether `institution` exists, as an expression (a create reads it with
/// its programme).
pub(crate) fn institution_exists(institution: &crate::domain::ids::InstitutionName) -> Expr {
    use crate::store::rows::institution::{Column, Entity};
    Expr::exists(
        Query::select()
            .expr(Expr::cust("1"))
            .from(Entity)
            .and_where(Expr::col((Entity, Column::Id)).eq(institution.id()))
            .to_owned(),
    )
}

/// Whether a comma-separated id column names `institution` (ids hold no
/// comma, `%` or `_`), in plain comparisons both databases build alike.
fn names_partner<C: sea_orm::sea_query::IntoColumnRef + Copy>(column: C, institution: &InstitutionName) -> Expr {
    let id = institution.id();
    Expr::col(column)
        .eq(id)
        .or(Expr::col(column).like(format!("{id},%")))
        .or(Expr::col(column).like(format!("%,{id}")))
        .or(Expr::col(column).like(format!("%,{id},%")))
}

/// The events after position `after` that `scope` selects, in log order
/// (without a limit).
pub(crate) fn events_in_scope(after: i64, scope: &crate::domain::watch::EventScope) -> Select<event::Entity> {
    use event::Column;
    let mut query = event::Entity::find().filter(Column::Seq.gt(after));
    if let Some(list) = &scope.programmes {
        query = query.filter(Column::ProgrammeId.is_in(list.iter().map(|p| p.id().to_owned())));
    }
    if let Some(i) = &scope.institution {
        query = query.filter(Column::InstitutionId.eq(i.id()));
    }
    if let Some((i, relation)) = &scope.involving {
        let own = Expr::col((event::Entity, Column::InstitutionId)).eq(i.id());
        let partner = names_partner(Column::PartnerInstitutionIds, i);
        query = match relation {
            None => query.filter(own.or(partner)),
            Some(Relation::Own) => query.filter(own),
            Some(Relation::Partner) => query.filter(partner),
        };
    }
    if let Some(a) = &scope.application {
        query = query
            .filter(Column::ApplicationId.eq(a.id()))
            .filter(Column::ProgrammeId.eq(a.programme.id()));
    }
    query.order_by_asc(Column::Seq)
}

/// The newest position `query` (of the log) selects; 0 for none.
pub(crate) async fn event_head(sea: &Sea, query: Select<event::Entity>) -> Result<i64> {
    let head: Option<i64> = query
        .select_only()
        .column_as(event::Column::Seq.max(), "head")
        .into_tuple::<Option<i64>>()
        .one(&sea.conn)
        .await
        .map_err(db_err)?
        .flatten();
    Ok(head.unwrap_or(0))
}

pub(crate) async fn disbursement(
    sea: &Sea,
    name: &DisbursementName,
    application: &Application,
) -> Result<Option<Disbursement>> {
    disbursement::Entity::find_by_id(name.id().to_owned())
        .filter(disbursement::Column::ApplicationId.eq(name.application.id()))
        .only(&sea.conn)
        .await
        .map_err(db_err)?
        .map(|m| disbursement::to_domain(m, application))
        .transpose()
}

pub(crate) async fn disbursements(
    sea: &Sea,
    application: &Application,
    page: &PageRequest,
) -> Result<Vec<Disbursement>> {
    let query = disbursement::Entity::find().filter(disbursement::Column::ApplicationId.eq(application.name.id()));
    let rows = page_by_id(query, disbursement::Column::Id, page, &sea.conn).await?;
    rows.into_iter()
        .map(|m| disbursement::to_domain(m, application))
        .collect()
}

/// The earlier payment in `programme` with `reference`, if any.
pub(crate) fn payment_with_reference(programme: &ProgrammeName, reference: &str) -> Select<disbursement::Entity> {
    disbursement::Entity::find()
        .filter(disbursement::Column::ProgrammeId.eq(programme.id()))
        .filter(disbursement::Column::Reference.eq(reference))
}

/// The error for a payment reference already recorded in the programme
/// (by `earlier`).
pub(crate) fn duplicate_reference(d: &Disbursement, earlier: &disbursement::Model) -> Error {
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

/// The reviews of one application, in assignment order (without a
/// limit).
pub(crate) fn reviews_of(application: &ApplicationName) -> Select<review::Entity> {
    review::Entity::find()
        .filter(review::Column::ApplicationId.eq(application.id()))
        .filter(review::Column::ProgrammeId.eq(application.programme.id()))
        .order_by_asc(review::Column::Ordinal)
}

pub(crate) async fn reviews(sea: &Sea, application: &ApplicationName) -> Result<Vec<Review>> {
    reviews_of(application)
        .all(&sea.conn)
        .await
        .map_err(db_err)?
        .into_iter()
        .map(review::to_domain)
        .collect()
}

pub(crate) async fn review_of(
    sea: &Sea,
    application: &ApplicationName,
    reviewer: &ApiKeyName,
) -> Result<Option<Review>> {
    review::Entity::find()
        .filter(review::Column::ApplicationId.eq(application.id()))
        .filter(review::Column::ReviewerKey.eq(reviewer.id()))
        .filter(review::Column::ProgrammeId.eq(application.programme.id()))
        .only(&sea.conn)
        .await
        .map_err(db_err)?
        .map(review::to_domain)
        .transpose()
}

/// The programme's applications under review, each with its completed
/// reviews.
pub(crate) async fn ranking(sea: &Sea, programme: &ProgrammeName) -> Result<Vec<(Application, Vec<Review>)>> {
    let apps = application::Entity::find()
        .filter(application::Column::ProgrammeId.eq(programme.id()))
        .filter(application::Column::State.eq(State::UnderReview.as_str()))
        .order_by_asc(application::Column::Id)
        .all(&sea.conn)
        .await
        .map_err(db_err)?;
    let reviews = review::Entity::find()
        .filter(review::Column::ProgrammeId.eq(programme.id()))
        .filter(review::Column::State.eq(ReviewState::Completed.as_str()))
        .all(&sea.conn)
        .await
        .map_err(db_err)?;
    let mut by_app: std::collections::HashMap<String, Vec<Review>> = std::collections::HashMap::new();
    for r in reviews {
        by_app
            .entry(r.application_id.clone())
            .or_default()
            .push(review::to_domain(r)?);
    }
    apps.into_iter()
        .map(|a| {
            let reviews = by_app.remove(&a.id).unwrap_or_default();
            Ok((application::to_domain(a)?, reviews))
        })
        .collect()
}

/// Events up to this position were pruned (0 when none were).
pub(crate) async fn pruned_through(sea: &Sea) -> Result<i64> {
    let query = Query::select()
        .column(Alias::new("pruned_through"))
        .from(Alias::new("event_log_state"))
        .and_where(Expr::col(Alias::new("id")).eq(1))
        .to_owned();
    let row = sea.conn.query_one(&query).await.map_err(db_err)?;
    Ok(match row {
        Some(r) => r.try_get_by_index::<i64>(0).map_err(db_err)?,
        None => 0,
    })
}

/// Deletes events older than `before`, in short transactions of at most
/// [`PRUNE_BATCH`] events (on PostgreSQL a long one would hold back every
/// reader's horizon); returns how many.
pub(crate) async fn prune_events(sea: std::sync::Arc<Sea>, before: Timestamp) -> Result<u64> {
    const PRUNE_BATCH: u64 = 1_000;
    sea.clone()
        .detached(async move {
            use event::{Column, Entity};
            let mut total = 0;
            loop {
                let txn = sea.begin_write().await?;
                let batch: Vec<i64> = Entity::find()
                    .select_only()
                    .column(Column::Seq)
                    .filter(Column::EventTime.lt(before.micros()))
                    .order_by_asc(Column::Seq)
                    .limit(PRUNE_BATCH)
                    .into_tuple()
                    .all(&txn)
                    .await
                    .map_err(db_err)?;
                let Some(&last) = batch.last() else { return Ok(total) };
                total += Entity::delete_many()
                    .filter(Column::Seq.lte(last))
                    .exec(&txn)
                    .await
                    .map_err(db_err)?
                    .rows_affected;
                let mark = Query::update()
                    .table(Alias::new("event_log_state"))
                    .value(Alias::new("pruned_through"), last)
                    .and_where(Expr::col(Alias::new("id")).eq(1))
                    .and_where(Expr::col(Alias::new("pruned_through")).lt(last))
                    .to_owned();
                txn.execute(&mark).await.map_err(db_err)?;
                txn.commit().await.map_err(db_err)?;
                if (batch.len() as u64) < PRUNE_BATCH {
                    return Ok(total);
                }
            }
        })
        .await
}

/// Deletes idempotency records older than `before`: a retry after that
/// is a new request. Returns how many.
pub(crate) async fn prune_request_ids(sea: std::sync::Arc<Sea>, before: Timestamp) -> Result<u64> {
    use crate::store::rows::idempotency::{Column, Entity};
    sea.clone()
        .detached(async move {
            let deleted = Entity::delete_many()
                .filter(Column::CreateTime.lt(before.micros()))
                .exec(&sea.writer)
                .await
                .map_err(db_err)?;
            Ok(deleted.rows_affected)
        })
        .await
}

/// Counts and totals of one programme, computed now.
pub(crate) async fn summary(sea: &Sea, programme: &ProgrammeName) -> Result<Option<ProgrammeSummary>> {
    let Some(p) = programme::Entity::find_by_id(programme.id().to_owned())
        .only(&sea.conn)
        .await
        .map_err(db_err)?
    else {
        return Ok(None);
    };
    let p = programme::to_domain(p)?;
    // Sums split into whole billions and the rest, each of which fits in
    // BIGINT whatever the row count, then added up wide: totals of many
    // large amounts never overflow.
    let sum = |column: &str| {
        format!(
            "CAST(COALESCE(SUM(COALESCE({column}, 0) / 1000000000), 0) AS BIGINT), \
             CAST(COALESCE(SUM(COALESCE({column}, 0) % 1000000000), 0) AS BIGINT)"
        )
    };
    let query = Query::select()
        .expr(Expr::cust(format!(
            "a.state, i.region, CAST(COUNT(*) AS BIGINT), {}, {}, {}, \
             CAST(SUM(CASE WHEN a.disbursed_minor > 0 THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(COALESCE(SUM(a.reports_due), 0) AS BIGINT), CAST(COALESCE(SUM(a.reports_overdue), 0) AS BIGINT), \
             CAST(COALESCE(SUM(a.reports_accepted), 0) AS BIGINT)",
            sum("a.requested_minor"),
            sum("a.awarded_minor"),
            sum("a.disbursed_minor"),
        )))
        .from_as(application::Entity, Alias::new("a"))
        .join_as(
            sea_orm::JoinType::InnerJoin,
            crate::store::rows::institution::Entity,
            Alias::new("i"),
            Expr::cust("i.id = a.applicant_institution_id"),
        )
        .and_where(Expr::col((Alias::new("a"), application::Column::ProgrammeId)).eq(programme.id()))
        .add_group_by([Expr::cust("a.state"), Expr::cust("i.region")])
        .to_owned();
    let rows = sea.conn.query_all(&query).await.map_err(db_err)?;
    let wide = |hi: i64, lo: i64| i128::from(hi) * 1_000_000_000 + i128::from(lo);
    let mut groups = Vec::with_capacity(rows.len());
    for row in rows {
        let state: String = row.try_get_by_index(0).map_err(db_err)?;
        let region: String = row.try_get_by_index(1).map_err(db_err)?;
        let n = |i: usize| row.try_get_by_index::<i64>(i).map_err(db_err);
        groups.push(SummaryGroup {
            state: State::parse(&state, "state").map_err(|e| Error::internal(e.to_string()))?,
            region: Region::parse(&region, "region").map_err(|e| Error::internal(e.to_string()))?,
            count: n(2)?,
            requested: wide(n(3)?, n(4)?),
            awarded: wide(n(5)?, n(6)?),
            disbursed: wide(n(7)?, n(8)?),
            paid: n(9)?,
            reports: crate::domain::postaward::ReportCounts {
                due: n(10)?,
                overdue: n(11)?,
                accepted: n(12)?,
            },
        });
    }
    let awaiting = if p.review.is_some() {
        awaiting_review_counts(sea, programme).await?
    } else {
        Vec::new()
    };
    Ok(Some(ProgrammeSummary::from_groups(&p, &groups, &awaiting)))
}

/// Completed reviews of each application of `programme` awaiting a
/// decision (one number per application that has any).
async fn awaiting_review_counts(sea: &Sea, programme: &ProgrammeName) -> Result<Vec<i64>> {
    let query = Query::select()
        .expr(Expr::cust("CAST(COUNT(*) AS BIGINT)"))
        .from_as(review::Entity, Alias::new("r"))
        .join_as(
            sea_orm::JoinType::InnerJoin,
            application::Entity,
            Alias::new("a"),
            Expr::cust("a.id = r.application_id"),
        )
        .and_where(Expr::col((Alias::new("r"), review::Column::ProgrammeId)).eq(programme.id()))
        .and_where(Expr::cust(
            "r.state = 'COMPLETED' AND a.state IN ('SUBMITTED', 'UNDER_REVIEW')",
        ))
        .add_group_by([Expr::cust("r.application_id")])
        .to_owned();
    let rows = sea.conn.query_all(&query).await.map_err(db_err)?;
    rows.iter()
        .map(|r| r.try_get_by_index::<i64>(0).map_err(db_err))
        .collect()
}

#[async_trait::async_trait]
impl<T> crate::domain::ports::PaymentStore for T
where
    T: super::HasSea + crate::domain::ports::ApplicationStore + Send + Sync,
{
    async fn get_disbursement(&self, name: &DisbursementName) -> Result<Option<Disbursement>> {
        let Some(application) = self.get_application(&name.application).await? else {
            return Ok(None);
        };
        disbursement(self.sea(), name, &application).await
    }

    async fn list_disbursements(&self, application: &ApplicationName, page: &PageRequest) -> Result<Vec<Disbursement>> {
        let Some(found) = self.get_application(application).await? else {
            return Ok(Vec::new());
        };
        disbursements(self.sea(), &found, page).await
    }
}

#[async_trait::async_trait]
impl<T: super::HasSea + Send + Sync> crate::domain::ports::ReviewStore for T {
    async fn list_reviews(&self, application: &ApplicationName) -> Result<Vec<Review>> {
        reviews(self.sea(), application).await
    }

    async fn find_review(&self, application: &ApplicationName, reviewer: &ApiKeyName) -> Result<Option<Review>> {
        review_of(self.sea(), application, reviewer).await
    }

    async fn ranking_candidates(&self, programme: &ProgrammeName) -> Result<Vec<(Application, Vec<Review>)>> {
        ranking(self.sea(), programme).await
    }
}

#[async_trait::async_trait]
impl<T: super::HasSea + Send + Sync> crate::domain::ports::HistoryStore for T {
    async fn pruned_through(&self) -> Result<crate::domain::event::Cursor> {
        let sea = self.sea();
        Ok(crate::domain::event::Cursor::new(sea.log, pruned_through(sea).await?))
    }

    async fn prune_events(&self, before: Timestamp) -> Result<u64> {
        prune_events(self.sea().clone(), before).await
    }

    async fn programme_summary(&self, programme: &ProgrammeName) -> Result<Option<ProgrammeSummary>> {
        summary(self.sea(), programme).await
    }
}
