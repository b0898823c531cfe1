//! Row of `programme`, and its conversions.

use sea_orm::entity::prelude::*;

use super::{corrupt, entity};
use crate::domain::Result;
use crate::domain::document::{DocumentKind, DocumentRequirement};
use crate::domain::ids::ProgrammeName;
use crate::domain::institution::Region;
use crate::domain::money::{Currency, Money};
use crate::domain::programme::{Facility, Programme};
use crate::domain::time::Timestamp;

entity! {
    #[sea_orm(table_name = "programme")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub display_name: String,
        pub local_name: String,
        pub funder: String,
        pub currency_code: String,
        pub budget_minor: i64,
        pub committed_minor: i64,
        pub max_award_minor: i64,
        /// Comma-separated region codes, e.g. `HONG_KONG,MACAO`.
        pub eligible_regions: String,
        pub requires_guangdong_partner: bool,
        pub open_time: i64,
        pub close_time: i64,
        /// Added by m0002.
        pub awards_issued: i64,
        pub version: i64,
        pub create_time: i64,
        pub update_time: i64,
        /// Added by m0006: the review settings as JSON; NULL without peer
        /// review.
        #[serde(default)]
        pub review_settings: Option<String>,
        /// Added by m0009: what the programme asks of documents, as JSON;
        /// NULL when it asks nothing.
        #[serde(default)]
        pub document_requirements: Option<String>,
        /// Added by m0010: whose endorsement submission needs; NULL for
        /// none.
        #[serde(default)]
        pub endorsement_requirement: Option<String>,
        /// Added by m0013: a facility programme's facility and resource
        /// names, as JSON; NULL for a money programme.
        #[serde(default)]
        pub facility: Option<String>,
    }
}

/// Whether `column` is one of the programme's totals: what changes when
/// an approval or a close changes the programme (the committed total, the
/// award counter, the version and time of the change). A change that
/// leaves the programme alone decides on every other column, so an
/// optimistic write of one decided on remembered rows compares every
/// other column with what it decided on (`postgres::write`): a column
/// added to the entity is compared unless it is listed here, and
/// `tests/guards.rs` keeps this list true to what the lifecycle decides
/// on.
pub fn is_total(column: Column) -> bool {
    matches!(
        column,
        Column::CommittedMinor | Column::AwardsIssued | Column::Version | Column::UpdateTime
    )
}

pub fn regions_to_text(regions: &[Region]) -> String {
    regions.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}

pub fn to_domain(m: Model) -> Result<Programme> {
    let Model {
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
        document_requirements,
        endorsement_requirement,
        facility,
    } = m;
    let currency = Currency::parse_stored(&currency_code, "currency_code").map_err(|e| corrupt("programme", e))?;
    let review = review_settings
        .map(|json| super::review::settings_from_json(&json))
        .transpose()?;
    let documents = document_requirements
        .map(|json| requirements_from_json(&json))
        .transpose()?
        .unwrap_or_default();
    let eligible_regions = super::ids(&eligible_regions)
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
        documents,
        endorsement: super::team::requirement_from_column(endorsement_requirement.as_deref())?,
        facility: facility.map(|json| facility_from_json(&json)).transpose()?,
    })
}

pub fn to_model(p: &Programme) -> Model {
    Model {
        id: p.name.id().to_owned(),
        display_name: p.display_name.clone(),
        local_name: p.local_name.clone(),
        funder: p.funder.clone(),
        currency_code: p.currency.code().to_owned(),
        budget_minor: p.budget.minor(),
        committed_minor: p.committed.minor(),
        max_award_minor: p.max_award.minor(),
        eligible_regions: regions_to_text(&p.eligible_regions),
        requires_guangdong_partner: p.requires_guangdong_partner,
        open_time: p.open_time.micros(),
        close_time: p.close_time.micros(),
        awards_issued: p.awards_issued,
        version: p.version,
        create_time: p.create_time.micros(),
        update_time: p.update_time.micros(),
        review_settings: p.review.as_ref().map(super::review::settings_to_json),
        document_requirements: (!p.documents.is_empty()).then(|| requirements_to_json(&p.documents)),
        endorsement_requirement: super::team::requirement_to_column(p.endorsement),
        facility: p.facility.as_ref().map(facility_to_json),
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct FacilityJson {
    facility: String,
    local_name: String,
    resource: String,
}

fn facility_to_json(f: &Facility) -> String {
    let json = FacilityJson {
        facility: f.facility.clone(),
        local_name: f.local_name.clone(),
        resource: f.resource.clone(),
    };
    serde_json::to_string(&json).unwrap_or_default()
}

fn facility_from_json(text: &str) -> Result<Facility> {
    let json: FacilityJson = serde_json::from_str(text)
        .map_err(|e| crate::domain::Error::internal(format!("stored facility is invalid: {e}")))?;
    Ok(Facility {
        facility: json.facility,
        local_name: json.local_name,
        resource: json.resource,
    })
}

#[derive(serde::Serialize, serde::Deserialize)]
struct RequirementJson {
    kind: String,
    required: bool,
    media_types: Vec<String>,
    max_size_bytes: i64,
}

fn requirements_to_json(requirements: &[DocumentRequirement]) -> String {
    let json: Vec<RequirementJson> = requirements
        .iter()
        .map(|r| RequirementJson {
            kind: r.kind.as_str().to_owned(),
            required: r.required,
            media_types: r.media_types.clone(),
            max_size_bytes: r.max_size_bytes,
        })
        .collect();
    serde_json::to_string(&json).unwrap_or_default()
}

fn requirements_from_json(text: &str) -> Result<Vec<DocumentRequirement>> {
    let bad = |e: String| crate::domain::Error::internal(format!("stored document requirements are invalid: {e}"));
    let json: Vec<RequirementJson> = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    json.into_iter()
        .map(|r| {
            Ok(DocumentRequirement {
                kind: DocumentKind::parse(&r.kind, "kind").map_err(|e| bad(e.to_string()))?,
                required: r.required,
                media_types: r.media_types,
                max_size_bytes: r.max_size_bytes,
            })
        })
        .collect()
}

/// The row with every column set (an insert, or an update of the whole
/// row under the programme's lock).
pub fn to_row(p: &Programme) -> ActiveModel {
    sea_orm::ActiveModelTrait::reset_all(ActiveModel::from(to_model(p)))
}
