//! Programmes: a funder's budget in one currency, or a facility's
//! capacity in one resource unit; who may apply, and when.

use super::document::{DocumentRequirement, RequirementInput};
use super::error::{Error, Reason, Result, Violations};
use super::filter;
use super::ids::ProgrammeName;
use super::institution::Region;
use super::money::{Currency, Money};
use super::review::{ReviewSettings, ReviewSettingsInput};
use super::team::EndorsementRequirement;
use super::text;
use super::time::Timestamp;

pub const MAX_NAME_CHARS: usize = 200;

/// A funding programme as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Programme {
    pub name: ProgrammeName,
    pub display_name: String,
    pub local_name: String,
    pub funder: String,
    pub currency: Currency,
    pub budget: Money,
    /// Awards committed and not released; never above `budget`.
    pub committed: Money,
    pub eligible_regions: Vec<Region>,
    pub requires_guangdong_partner: bool,
    pub max_award: Money,
    pub open_time: Timestamp,
    pub close_time: Timestamp,
    /// Awards approved so far; numbers the next award.
    pub awards_issued: i64,
    /// Bumped on every change; the etag clients send back.
    pub version: i64,
    pub create_time: Timestamp,
    pub update_time: Timestamp,
    /// Peer review, when the programme uses it.
    pub review: Option<ReviewSettings>,
    /// The documents applications carry; empty: any kind, none required.
    pub documents: Vec<DocumentRequirement>,
    /// Whose sign-off an application needs before submission.
    pub endorsement: EndorsementRequirement,
    /// Set for a facility-access programme: then `currency` is a resource
    /// unit, `budget` the cycle's capacity, `committed` what is allocated
    /// and `max_award` the largest request.
    pub facility: Option<Facility>,
}

/// The facility and resource a facility-access programme awards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facility {
    pub facility: String,
    pub local_name: String,
    pub resource: String,
}

/// A facility as a client sends it; amounts already parsed.
#[derive(Debug, Clone, Default)]
pub struct FacilityInput {
    pub facility: String,
    pub local_name: String,
    pub resource: String,
    pub unit: String,
    pub capacity: Option<Money>,
    pub max_request: Option<Money>,
}

impl Programme {
    pub fn etag(&self) -> String {
        self.version.to_string()
    }

    /// Whether applications may be submitted at `now`.
    pub fn is_open(&self, now: Timestamp) -> bool {
        self.open_time <= now && now < self.close_time
    }

    pub fn remaining_budget(&self) -> Option<Money> {
        self.budget.checked_sub(&self.committed)
    }
}

/// Programme fields as a client sends them; amounts already parsed.
#[derive(Debug, Clone, Default)]
pub struct ProgrammeInput {
    pub display_name: String,
    pub local_name: String,
    pub funder: String,
    pub currency_code: String,
    pub budget: Option<Money>,
    pub eligible_regions: Vec<Region>,
    pub requires_guangdong_partner: bool,
    pub max_award: Option<Money>,
    pub open_time: Option<Timestamp>,
    pub close_time: Option<Timestamp>,
    pub review: Option<ReviewSettingsInput>,
    pub documents: Vec<RequirementInput>,
    pub endorsement: EndorsementRequirement,
    pub facility: Option<FacilityInput>,
}

/// A validated programme to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProgramme {
    pub display_name: String,
    pub local_name: String,
    pub funder: String,
    pub currency: Currency,
    pub budget: Money,
    pub eligible_regions: Vec<Region>,
    pub requires_guangdong_partner: bool,
    pub max_award: Money,
    pub open_time: Timestamp,
    pub close_time: Timestamp,
    pub review: Option<ReviewSettings>,
    pub documents: Vec<DocumentRequirement>,
    pub endorsement: EndorsementRequirement,
    pub facility: Option<Facility>,
}

/// The path of an amount's denomination: `{field}.currency_code` for
/// money, `{field}.unit` for a resource.
pub fn denomination_field(field: &str, money: &Money) -> String {
    if money.currency().is_resource() {
        format!("{field}.unit")
    } else {
        format!("{field}.currency_code")
    }
}

/// What the programme's amounts are counted in, for messages: "the
/// programme currency CNY" or "the programme's unit beam-h".
pub fn denomination_text(currency: &Currency) -> String {
    if currency.is_resource() {
        format!("the programme's unit {currency}")
    } else {
        format!("the programme currency {currency}")
    }
}

fn money_in(v: &mut Violations, value: Option<Money>, currency: Option<&Currency>, field: &str) -> Option<Money> {
    let Some(money) = value else {
        v.add(field, "is required");
        return None;
    };
    if let Some(currency) = currency
        && money.currency() != currency
    {
        v.add(
            denomination_field(field, &money),
            format!("must be in {}", denomination_text(currency)),
        );
        return None;
    }
    if !money.is_positive() {
        v.add(field, "must be greater than zero");
        return None;
    }
    Some(money)
}

impl NewProgramme {
    /// Validates every field, reporting all bad ones at once under `prefix`.
    pub fn parse(input: ProgrammeInput, prefix: &str) -> Result<Self> {
        let ProgrammeInput {
            display_name,
            local_name,
            funder,
            currency_code,
            budget,
            mut eligible_regions,
            requires_guangdong_partner,
            max_award,
            open_time,
            close_time,
            review,
            documents,
            endorsement,
            facility,
        } = input;
        let f = |name: &str| format!("{prefix}.{name}");
        let mut v = Violations::new();
        let display_name = v.check(text::line(&display_name, &f("display_name"), MAX_NAME_CHARS));
        let local_name = v.check(text::line(&local_name, &f("local_name"), MAX_NAME_CHARS));
        let funder = v.check(text::line(&funder, &f("funder"), MAX_NAME_CHARS));
        let (currency, budget, max_award, facility) = match facility {
            None => {
                let currency = v.check(Currency::parse(&currency_code, &f("currency_code")));
                let budget = money_in(&mut v, budget, currency.as_ref(), &f("budget"));
                let max_award = money_in(&mut v, max_award, currency.as_ref(), &f("max_award"));
                (currency, budget, max_award, Some(None))
            }
            Some(input) => {
                let unset = "must be unset on a facility programme: its amounts are in facility.unit";
                if !currency_code.is_empty() {
                    v.add(f("currency_code"), unset);
                }
                if budget.is_some() {
                    v.add(f("budget"), format!("{unset} (the capacity is facility.capacity)"));
                }
                if max_award.is_some() {
                    v.add(
                        f("max_award"),
                        format!("{unset} (the largest request is facility.max_request)"),
                    );
                }
                let FacilityInput {
                    facility,
                    local_name,
                    resource,
                    unit,
                    capacity,
                    max_request,
                } = input;
                let names = (
                    v.check(text::line(&facility, &f("facility.facility"), MAX_NAME_CHARS)),
                    v.check(text::line(&local_name, &f("facility.local_name"), MAX_NAME_CHARS)),
                    v.check(text::line(&resource, &f("facility.resource"), MAX_NAME_CHARS)),
                );
                let currency = v.check(Currency::parse_unit(&unit, &f("facility.unit")));
                let capacity = money_in(&mut v, capacity, currency.as_ref(), &f("facility.capacity"));
                let max_request = match max_request {
                    Some(m) => money_in(&mut v, Some(m), currency.as_ref(), &f("facility.max_request")),
                    None => capacity.clone(),
                };
                let facility = match names {
                    (Some(facility), Some(local_name), Some(resource)) => Some(Some(Facility {
                        facility,
                        local_name,
                        resource,
                    })),
                    _ => None,
                };
                (currency, capacity, max_request, facility)
            }
        };
        if let (Some(budget), Some(max)) = (&budget, &max_award)
            && max.minor() > budget.minor()
        {
            let (field, what) = match budget.currency().is_resource() {
                true => ("facility.max_request", "capacity"),
                false => ("max_award", "budget"),
            };
            v.add(f(field), format!("must not exceed the {what} {budget}"));
        }
        eligible_regions.sort();
        eligible_regions.dedup();
        if eligible_regions.is_empty() {
            v.add(f("eligible_regions"), "must name at least one region");
        }
        match (open_time, close_time) {
            (None, _) => v.add(f("open_time"), "is required"),
            (_, None) => v.add(f("close_time"), "is required"),
            (Some(open), Some(close)) if open >= close => v.add(f("close_time"), "must be after open_time"),
            _ => {}
        }
        let review = match review {
            Some(r) => v.check(ReviewSettings::parse(r, &f("review_settings"))).map(Some),
            None => Some(None),
        };
        let documents = v.check(super::document::requirements(documents, &format!("{prefix}.")));
        v.finish()?;
        let Some(documents) = documents else {
            return Err(Error::internal("programme validation lost a violation"));
        };
        let Some(review) = review else {
            return Err(Error::internal("programme validation lost a violation"));
        };
        let Some(facility) = facility else {
            return Err(Error::internal("programme validation lost a violation"));
        };
        match (
            display_name,
            local_name,
            funder,
            currency,
            budget,
            max_award,
            open_time,
            close_time,
        ) {
            (
                Some(display_name),
                Some(local_name),
                Some(funder),
                Some(currency),
                Some(budget),
                Some(max_award),
                Some(open_time),
                Some(close_time),
            ) => Ok(Self {
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
            }),
            _ => Err(Error::internal("programme validation lost a violation")),
        }
    }
}

/// The fields UpdateProgramme may change.
pub const UPDATABLE_FIELDS: [&str; 14] = [
    "display_name",
    "local_name",
    "funder",
    "budget",
    "eligible_regions",
    "requires_guangdong_partner",
    "max_award",
    "open_time",
    "close_time",
    "review_settings",
    "document_requirements",
    "endorsement_requirement",
    "facility.capacity",
    "facility.max_request",
];

/// Applies the masked fields of `input` to `current`, validating the
/// result as a whole. The budget may not drop below what is committed.
pub fn apply_update(current: &Programme, input: ProgrammeInput, mask: &[String]) -> Result<Programme> {
    if mask.is_empty() {
        return Err(Error::invalid("update_mask", "must name at least one field, or *"));
    }
    let all = mask.iter().any(|m| m == "*");
    let mut v = Violations::new();
    for path in mask.iter().filter(|m| *m != "*") {
        if !UPDATABLE_FIELDS.contains(&path.as_str()) {
            v.add(
                "update_mask",
                format!(
                    "{} cannot be updated; updatable: {}",
                    text::excerpt(path),
                    UPDATABLE_FIELDS.join(", ")
                ),
            );
        }
    }
    v.finish()?;
    let has = |field: &str| all || mask.iter().any(|m| m == field);
    let pick = |field: &str, new: String, old: &String| if has(field) { new } else { old.clone() };
    let merged = ProgrammeInput {
        display_name: pick("display_name", input.display_name, &current.display_name),
        local_name: pick("local_name", input.local_name, &current.local_name),
        funder: pick("funder", input.funder, &current.funder),
        currency_code: match current.facility {
            Some(_) => String::new(),
            None => current.currency.code().to_owned(),
        },
        budget: match (has("budget"), &current.facility) {
            (true, _) => input.budget.clone(),
            (false, None) => Some(current.budget.clone()),
            (false, Some(_)) => None,
        },
        eligible_regions: if has("eligible_regions") {
            input.eligible_regions
        } else {
            current.eligible_regions.clone()
        },
        requires_guangdong_partner: if has("requires_guangdong_partner") {
            input.requires_guangdong_partner
        } else {
            current.requires_guangdong_partner
        },
        max_award: match (has("max_award"), &current.facility) {
            (true, _) => input.max_award.clone(),
            (false, None) => Some(current.max_award.clone()),
            (false, Some(_)) => None,
        },
        open_time: if has("open_time") {
            input.open_time
        } else {
            Some(current.open_time)
        },
        close_time: if has("close_time") {
            input.close_time
        } else {
            Some(current.close_time)
        },
        review: None,
        documents: if has("document_requirements") {
            input.documents
        } else {
            current
                .documents
                .iter()
                .map(|r| RequirementInput {
                    kind: r.kind.as_str().to_owned(),
                    required: r.required,
                    media_types: r.media_types.clone(),
                    max_size_bytes: r.max_size_bytes,
                })
                .collect()
        },
        endorsement: if has("endorsement_requirement") {
            input.endorsement
        } else {
            current.endorsement
        },
        facility: merged_facility(current, input.facility, &has)?,
    };
    let review = if has("review_settings") {
        let wanted = input
            .review
            .map(|r| ReviewSettings::parse(r, "programme.review_settings"))
            .transpose()?;
        match &current.review {
            Some(locked) if locked.locked => {
                let same = wanted.as_ref().is_some_and(|w| {
                    ReviewSettings {
                        locked: true,
                        ..w.clone()
                    } == *locked
                });
                if !same {
                    return Err(Error::precondition(
                        Reason::ReviewSettingsLocked,
                        format!(
                            "programme.review_settings: a review was submitted under the settings of {}; they can no longer change",
                            current.name
                        ),
                    ));
                }
                current.review.clone()
            }
            _ => wanted,
        }
    } else {
        current.review.clone()
    };
    let valid = NewProgramme::parse(merged, "programme")?;
    if valid.budget.minor() < current.committed.minor() {
        let (field, what) = match current.facility {
            Some(_) => ("facility.capacity", "allocated"),
            None => ("budget", "committed"),
        };
        return Err(Error::precondition(
            Reason::BudgetBelowCommitted,
            format!(
                "programme.{field}: cannot be below the {} already {what}",
                current.committed
            ),
        ));
    }
    Ok(Programme {
        name: current.name.clone(),
        display_name: valid.display_name,
        local_name: valid.local_name,
        funder: valid.funder,
        currency: valid.currency,
        budget: valid.budget,
        committed: current.committed.clone(),
        eligible_regions: valid.eligible_regions,
        requires_guangdong_partner: valid.requires_guangdong_partner,
        max_award: valid.max_award,
        open_time: valid.open_time,
        close_time: valid.close_time,
        awards_issued: current.awards_issued,
        version: current.version + 1,
        create_time: current.create_time,
        update_time: Timestamp::now(),
        review,
        documents: valid.documents,
        endorsement: valid.endorsement,
        facility: valid.facility,
    })
}

/// The facility an update leaves: the current one with the masked
/// amounts replaced. A money programme takes no facility path, and a
/// programme never changes kind.
fn merged_facility(
    current: &Programme,
    input: Option<FacilityInput>,
    has: &dyn Fn(&str) -> bool,
) -> Result<Option<FacilityInput>> {
    let touched = has("facility.capacity") || has("facility.max_request");
    let Some(facility) = &current.facility else {
        return match (touched, input) {
            (_, Some(_)) => Err(Error::invalid(
                "programme.facility",
                "a money programme cannot become a facility programme",
            )),
            (true, None) if !has("*") => Err(Error::invalid(
                "update_mask",
                "facility paths apply to facility programmes only",
            )),
            _ => Ok(None),
        };
    };
    let (capacity, max_request) = match input {
        Some(i) => (i.capacity, i.max_request),
        None => (None, None),
    };
    let capacity = match has("facility.capacity") {
        true => capacity,
        false => Some(current.budget.clone()),
    };
    let max_request = match has("facility.max_request") {
        true => max_request.or_else(|| capacity.clone()),
        false => Some(current.max_award.clone()),
    };
    Ok(Some(FacilityInput {
        facility: facility.facility.clone(),
        local_name: facility.local_name.clone(),
        resource: facility.resource.clone(),
        unit: current.currency.code().to_owned(),
        capacity,
        max_request,
    }))
}

/// Which programmes a list returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgrammeFilter {
    /// `Some(true)`: open at `now`; `Some(false)`: not open at `now`.
    pub open_at: Option<(bool, Timestamp)>,
    pub eligible_region: Option<Region>,
}

impl ProgrammeFilter {
    pub fn parse(filter: &str, now: Timestamp) -> Result<Self> {
        let mut out = Self::default();
        for term in filter::parse(filter, &["open", "eligible_region"])? {
            match term.field.as_str() {
                "open" => out.open_at = Some((filter::boolean(&term)?, now)),
                _ => out.eligible_region = Some(Region::parse(&term.value, "filter")?),
            }
        }
        Ok(out)
    }
}
