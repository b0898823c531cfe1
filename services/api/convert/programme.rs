//! Programme messages.

use super::common::{money_in, money_out, region_in, region_out, resource_in, resource_out, time_in, time_out};
use crate::domain::programme::{Facility, FacilityInput, Programme, ProgrammeInput};
use crate::domain::review::{ReviewSettings, ReviewSettingsInput};
use crate::domain::{Error, Result};
use crate::proto::v1;

/// The client-settable fields; output-only ones are returned for the
/// caller to use (name and etag on update).
pub fn input(value: v1::Programme) -> Result<(ProgrammeInput, String, String)> {
    let v1::Programme {
        name,
        display_name,
        local_name,
        funder,
        currency_code,
        budget,
        committed: _,
        eligible_regions,
        requires_guangdong_partner,
        max_award,
        open_time,
        close_time,
        etag,
        create_time: _,
        update_time: _,
        review_settings,
        document_requirements,
        endorsement_requirement,
        facility,
    } = value;
    let mut regions = Vec::with_capacity(eligible_regions.len());
    for (i, r) in eligible_regions.into_iter().enumerate() {
        let field = format!("programme.eligible_regions[{i}]");
        regions.push(region_in(r, &field)?.ok_or_else(|| Error::invalid(field, "must not be REGION_UNSPECIFIED"))?);
    }
    let input = ProgrammeInput {
        display_name,
        local_name,
        funder,
        currency_code,
        budget: money_in(budget, "programme.budget")?,
        eligible_regions: regions,
        requires_guangdong_partner,
        max_award: money_in(max_award, "programme.max_award")?,
        open_time: time_in(open_time, "programme.open_time")?,
        close_time: time_in(close_time, "programme.close_time")?,
        review: review_settings.map(settings_in),
        documents: document_requirements
            .into_iter()
            .enumerate()
            .map(|(i, r)| super::document::requirement_in(r, i))
            .collect::<Result<_>>()?,
        endorsement: super::team::requirement_in(endorsement_requirement, "programme.endorsement_requirement")?,
        facility: facility.map(facility_in).transpose()?,
    };
    Ok((input, name, etag))
}

pub fn output(value: Programme) -> v1::Programme {
    let etag = value.etag();
    let Programme {
        name,
        display_name,
        local_name,
        funder,
        currency,
        budget,
        committed,
        eligible_regions,
        requires_guangdong_partner,
        max_award,
        open_time,
        close_time,
        awards_issued: _,
        version: _,
        create_time,
        update_time,
        review,
        documents,
        endorsement,
        facility,
    } = value;
    let facility = facility.map(|f| facility_out(f, &budget, &committed, &max_award));
    let money = facility.is_none();
    v1::Programme {
        name: name.to_string(),
        display_name,
        local_name,
        funder,
        currency_code: if money {
            currency.code().to_owned()
        } else {
            String::new()
        },
        budget: money.then(|| money_out(&budget)),
        committed: money.then(|| money_out(&committed)),
        eligible_regions: eligible_regions.into_iter().map(|r| region_out(r).into()).collect(),
        requires_guangdong_partner,
        max_award: money.then(|| money_out(&max_award)),
        open_time: Some(time_out(open_time)),
        close_time: Some(time_out(close_time)),
        etag,
        create_time: Some(time_out(create_time)),
        update_time: Some(time_out(update_time)),
        review_settings: review.map(settings_out),
        document_requirements: documents.into_iter().map(super::document::requirement_out).collect(),
        endorsement_requirement: super::team::requirement_out(endorsement).into(),
        facility,
    }
}

fn facility_in(value: v1::Facility) -> crate::domain::Result<FacilityInput> {
    let v1::Facility {
        facility,
        local_name,
        resource,
        unit,
        step: _,
        capacity,
        allocated: _,
        max_request,
    } = value;
    Ok(FacilityInput {
        facility,
        local_name,
        resource,
        unit,
        capacity: resource_in(capacity, "programme.facility.capacity")?,
        max_request: resource_in(max_request, "programme.facility.max_request")?,
    })
}

/// A facility programme's facility: its capacity is the budget column,
/// what is allocated the committed one, the largest request `max_award`.
fn facility_out(
    value: Facility,
    capacity: &crate::domain::money::Money,
    allocated: &crate::domain::money::Money,
    max_request: &crate::domain::money::Money,
) -> v1::Facility {
    let Facility {
        facility,
        local_name,
        resource,
    } = value;
    v1::Facility {
        facility,
        local_name,
        resource,
        unit: capacity.currency().code().to_owned(),
        step: crate::units::step(capacity.currency().steps_per_unit()),
        capacity: Some(resource_out(capacity)),
        allocated: Some(resource_out(allocated)),
        max_request: Some(resource_out(max_request)),
    }
}

fn settings_in(value: v1::ReviewSettings) -> ReviewSettingsInput {
    let v1::ReviewSettings {
        criteria,
        max_score,
        required_reviews,
        reviewers_see_investigator_email,
        locked: _,
    } = value;
    ReviewSettingsInput {
        criteria: criteria.into_iter().map(|c| (c.name, c.weight)).collect(),
        max_score,
        required_reviews,
        reviewers_see_email: reviewers_see_investigator_email,
    }
}

fn settings_out(value: ReviewSettings) -> v1::ReviewSettings {
    let ReviewSettings {
        criteria,
        max_score,
        required_reviews,
        reviewers_see_email,
        locked,
    } = value;
    v1::ReviewSettings {
        criteria: criteria
            .into_iter()
            .map(|c| v1::ReviewCriterion {
                name: c.name,
                weight: c.weight_milli as f64 / 1000.0,
            })
            .collect(),
        max_score,
        required_reviews,
        reviewers_see_investigator_email: reviewers_see_email,
        locked,
    }
}
