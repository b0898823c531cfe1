//! Programmes: a funder's budget in one currency, who may apply, and when.

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
            format!("{field}.currency_code"),
            format!("must be the programme currency {currency}"),
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
        } = input;
        let f = |name: &str| format!("{prefix}.{name}");
        let mut v = Violations::new();
        let display_name = v.check(text::line(&display_name, &f("display_name"), MAX_NAME_CHARS));
        let local_name = v.check(text::line(&local_name, &f("local_name"), MAX_NAME_CHARS));
        let funder = v.check(text::line(&funder, &f("funder"), MAX_NAME_CHARS));
        let currency = v.check(Currency::parse(&currency_code, &f("currency_code")));
        let budget = money_in(&mut v, budget, currency.as_ref(), &f("budget"));
        let max_award = money_in(&mut v, max_award, currency.as_ref(), &f("max_award"));
        if let (Some(budget), Some(max)) = (&budget, &max_award)
            && max.minor() > budget.minor()
        {
            v.add(f("max_award"), format!("must not exceed the budget {budget}"));
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
            }),
            _ => Err(Error::internal("programme validation lost a violation")),
        }
    }
}

/// The fields UpdateProgramme may change.
pub const UPDATABLE_FIELDS: [&str; 12] = [
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
        currency_code: current.currency.code().to_owned(),
        budget: if has("budget") {
            input.budget
        } else {
            Some(current.budget.clone())
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
        max_award: if has("max_award") {
            input.max_award
        } else {
            Some(current.max_award.clone())
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
        return Err(Error::precondition(
            Reason::BudgetBelowCommitted,
            format!(
                "programme.budget: cannot be below the {} already committed",
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
    })
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
