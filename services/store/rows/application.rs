//! Row of `application`, and its conversions. Serialisable: event
//! snapshots and kept responses store it as JSON.

use sea_orm::entity::prelude::*;
use sea_orm::{ActiveModelTrait, Iterable};

use super::{corrupt, entity, ids};
use crate::domain::Result;
use crate::domain::application::{Application, Decision, Investigator, State};
use crate::domain::facility::Period;
use crate::domain::ids::{ApiKeyName, ApplicationName, InstitutionName, OrcidId, ProgrammeName};
use crate::domain::money::{Currency, Money};
use crate::domain::time::Timestamp;

entity! {
    #[sea_orm(table_name = "application")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub programme_id: String,
        pub applicant_institution_id: String,
        pub title: String,
        #[sea_orm(column_name = "abstract")]
        pub abstract_text: String,
        pub pi_name: String,
        pub pi_email: String,
        pub pi_orcid: Option<String>,
        /// Comma-separated institution ids.
        pub partner_institution_ids: String,
        pub currency_code: String,
        pub requested_minor: Option<i64>,
        pub duration_months: Option<i32>,
        pub state: String,
        pub version: i64,
        pub create_time: i64,
        pub update_time: i64,
        pub submit_time: Option<i64>,
        pub decision_reason: Option<String>,
        pub decision_actor: Option<String>,
        pub decision_time: Option<i64>,
        pub award_number: Option<String>,
        pub awarded_minor: Option<i64>,
        pub disbursed_minor: i64,
        /// Added by m0010: the team, as JSON (none: no team).
        #[serde(default)]
        pub team: Option<String>,
        /// Added by m0010: the endorsements, as JSON (none: none).
        #[serde(default)]
        pub endorsements: Option<String>,
        /// Added by m0011: the payment schedule and reports due, as JSON
        /// (none: approved before schedules, or not approved).
        #[serde(default)]
        pub schedule: Option<String>,
        /// Added by m0011: every report version, as JSON (none: none).
        #[serde(default)]
        pub reports: Option<String>,
        /// Added by m0011: COMPLETED or TERMINATED, once closed.
        #[serde(default)]
        pub closure: Option<String>,
        /// Added by m0011, derived from the schedule: the earliest due
        /// time of a running grant's report still waiting and not marked
        /// overdue (indexed: the overdue job's work list).
        #[serde(default)]
        pub next_report_due: Option<i64>,
        /// Added by m0011, derived: reports due, overdue and accepted
        /// (summaries add them up).
        #[serde(default)]
        pub reports_due: Option<i64>,
        #[serde(default)]
        pub reports_overdue: Option<i64>,
        #[serde(default)]
        pub reports_accepted: Option<i64>,
        /// Added by m0013: a facility application's preferred periods, as
        /// JSON `[[start, end], …]` in microseconds (none: none).
        #[serde(default)]
        pub preferred_periods: Option<String>,
    }
}

pub fn to_domain(m: Model) -> Result<Application> {
    let Model {
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
        team,
        endorsements,
        schedule,
        reports,
        closure,
        next_report_due: _,
        reports_due: _,
        reports_overdue: _,
        reports_accepted: _,
        preferred_periods,
    } = m;
    let bad = |e| corrupt("application", e);
    let currency = Currency::parse_stored(&currency_code, "currency_code").map_err(bad)?;
    let decision = match (decision_reason, decision_actor, decision_time) {
        (Some(reason), Some(actor), Some(time)) => Some(Decision {
            reason,
            actor: ApiKeyName::from_id(actor),
            time: Timestamp::from_micros(time),
        }),
        _ => None,
    };
    let name = ApplicationName::new(ProgrammeName::from_id(programme_id), id);
    Ok(Application {
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
        disbursed: Money::from_minor(currency.clone(), disbursed_minor),
        team: super::team::team_from_json(team.as_deref())?,
        endorsements: super::team::endorsements_from_json(endorsements.as_deref())?,
        schedule: super::postaward::schedule_from_json(schedule.as_deref(), &currency)?,
        reports: super::postaward::reports_from_json(reports.as_deref(), &name)?,
        closure: closure
            .map(|c| {
                crate::domain::postaward::Closure::from_str_exact(&c)
                    .ok_or_else(|| crate::domain::Error::internal(format!("stored closure {c:?} is unknown")))
            })
            .transpose()?,
        preferred_periods: periods_from_json(preferred_periods.as_deref())?,
        name,
    })
}

fn periods_to_json(periods: &[Period]) -> Option<String> {
    let pairs: Vec<[i64; 2]> = periods.iter().map(|p| [p.start.micros(), p.end.micros()]).collect();
    (!pairs.is_empty()).then(|| serde_json::to_string(&pairs).unwrap_or_default())
}

fn periods_from_json(text: Option<&str>) -> Result<Vec<Period>> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    let pairs: Vec<[i64; 2]> = serde_json::from_str(text)
        .map_err(|e| crate::domain::Error::internal(format!("stored preferred periods are invalid: {e}")))?;
    Ok(pairs
        .into_iter()
        .map(|[start, end]| Period {
            start: Timestamp::from_micros(start),
            end: Timestamp::from_micros(end),
        })
        .collect())
}

pub fn to_model(a: &Application) -> Model {
    // Both encode plain strings and integers: they cannot fail.
    let team = super::team::team_to_json(&a.team).unwrap_or_default();
    let endorsements = super::team::endorsements_to_json(&a.endorsements).unwrap_or_default();
    let post = super::postaward::derived(a);
    Model {
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
        team,
        endorsements,
        schedule: post.schedule,
        reports: post.reports,
        closure: a.closure.map(|c| c.as_str().to_owned()),
        next_report_due: post.next_report_due,
        reports_due: post.counts.map(|c| c.due),
        reports_overdue: post.counts.map(|c| c.overdue),
        reports_accepted: post.counts.map(|c| c.accepted),
        preferred_periods: periods_to_json(&a.preferred_periods),
    }
}

/// The row with every column set, for an insert.
pub fn insert(a: &Application) -> ActiveModel {
    ActiveModel::from(to_model(a)).reset_all()
}

/// The columns `new` changes against `old`, set for an update of only
/// those. The update is guarded by the version `old` was read at (or runs
/// under the locks `old` was read under), so the other columns already
/// hold what `new` has; and SQLite leaves alone the index entries of the
/// columns an update does not set. Empty when nothing changed (a review
/// action may leave the row as it was).
pub fn changed(old: &Application, new: &Application) -> ActiveModel {
    let (old, new) = (to_model(old), to_model(new));
    let mut update = ActiveModel::from(new.clone());
    for column in Column::iter() {
        let value = new.get(column);
        if old.get(column) != value {
            update.set(column, value);
        }
    }
    update
}

/// The application ids in a comma-separated column, with the applicant:
/// every institution the application names.
pub fn institutions_named(m: &Model) -> Vec<&str> {
    let mut named: Vec<&str> = ids(&m.partner_institution_ids).collect();
    named.push(&m.applicant_institution_id);
    named
}
