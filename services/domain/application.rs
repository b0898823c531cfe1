//! Applications: what an institution asks a programme for, and where it
//! stands. Drafts may be incomplete; submission checks completeness.

use super::access::{Caller, Role};
use super::error::{Error, Result, Violations};
use super::filter;
use super::ids::{ApiKeyName, ApplicationName, InstitutionName, OrcidId};
use super::money::Money;
use super::team::{Endorsement, TeamMember, TeamMemberInput};
use super::text;
use super::time::Timestamp;

pub const MAX_TITLE_CHARS: usize = 300;
pub const MAX_ABSTRACT_CHARS: usize = 10_000;
pub const MAX_PERSON_CHARS: usize = 200;
pub const MAX_REASON_CHARS: usize = 2_000;
pub const MAX_PARTNERS: usize = 20;
pub const DURATION_MONTHS: std::ops::RangeInclusive<i32> = 1..=120;

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    Draft,
    Submitted,
    UnderReview,
    ChangesRequested,
    Approved,
    Active,
    Closed,
    Rejected,
    Withdrawn,
}

impl State {
    pub const ALL: [State; 9] = [
        State::Draft,
        State::Submitted,
        State::UnderReview,
        State::ChangesRequested,
        State::Approved,
        State::Active,
        State::Closed,
        State::Rejected,
        State::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "DRAFT",
            State::Submitted => "SUBMITTED",
            State::UnderReview => "UNDER_REVIEW",
            State::ChangesRequested => "CHANGES_REQUESTED",
            State::Approved => "APPROVED",
            State::Active => "ACTIVE",
            State::Closed => "CLOSED",
            State::Rejected => "REJECTED",
            State::Withdrawn => "WITHDRAWN",
        }
    }

    /// Parses `SUBMITTED`, `STATE_SUBMITTED` or `submitted` (any case;
    /// `under-review` as `UNDER_REVIEW`), naming `field` on error.
    pub fn parse(value: &str, field: &str) -> Result<Self> {
        let upper = text::enum_word(value);
        let bare = upper.strip_prefix("STATE_").unwrap_or(&upper);
        State::ALL
            .into_iter()
            .find(|s| s.as_str() == bare)
            .ok_or_else(|| Error::invalid(field, format!("{} is not an application state", text::excerpt(value))))
    }

    /// Whether the applicant may still edit the application.
    pub fn is_editable(self) -> bool {
        matches!(self, State::Draft | State::ChangesRequested)
    }
}

/// The principal investigator, as entered; complete only once submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Investigator {
    pub name: String,
    pub email: String,
    pub orcid: Option<OrcidId>,
}

/// The last review decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub reason: String,
    pub actor: ApiKeyName,
    pub time: Timestamp,
}

/// An application as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub name: ApplicationName,
    pub applicant: InstitutionName,
    pub title: String,
    pub abstract_text: String,
    pub investigator: Investigator,
    pub partners: Vec<InstitutionName>,
    /// In the programme's currency; `None` while a draft leaves it out.
    pub requested: Option<Money>,
    pub duration_months: Option<i32>,
    pub state: State,
    pub version: i64,
    pub create_time: Timestamp,
    pub update_time: Timestamp,
    pub submit_time: Option<Timestamp>,
    pub decision: Option<Decision>,
    pub award_number: Option<String>,
    pub awarded: Option<Money>,
    /// Total disbursed, in the programme's currency.
    pub disbursed: Money,
    pub team: Vec<TeamMember>,
    /// Sign-offs of the application as it stands (a change of content
    /// clears them).
    pub endorsements: Vec<Endorsement>,
    /// How the award is paid and reported on; set at approval (`None`
    /// for awards made before schedules: one tranche of the whole award).
    pub schedule: Option<super::postaward::Schedule>,
    /// Every version of every report submitted, in submission order.
    pub reports: Vec<super::postaward::ReportVersion>,
    /// How a CLOSED grant ended.
    pub closure: Option<super::postaward::Closure>,
    /// Facility programmes: when the applicants would use the resource.
    pub preferred_periods: Vec<super::facility::Period>,
}

/// Whose application it is to an institution: its own, or one naming it
/// as a partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relation {
    Own,
    Partner,
}

impl Relation {
    /// Parses `OWN`, `RELATION_PARTNER`, `partner` (any case).
    pub fn parse(value: &str, field: &str) -> Result<Self> {
        let upper = text::enum_word(value);
        match upper.strip_prefix("RELATION_").unwrap_or(&upper) {
            "OWN" => Ok(Relation::Own),
            "PARTNER" => Ok(Relation::Partner),
            _ => Err(Error::invalid(
                field,
                format!("{} is not a relation (OWN or PARTNER)", text::excerpt(value)),
            )),
        }
    }
}

impl Application {
    /// Whether `institution` is named as a partner.
    pub fn has_partner(&self, institution: &InstitutionName) -> bool {
        self.partners.contains(institution)
    }

    /// Whether `institution` is the applicant or a partner.
    pub fn involves(&self, institution: &InstitutionName) -> bool {
        &self.applicant == institution || self.has_partner(institution)
    }

    pub fn etag(&self) -> String {
        self.version.to_string()
    }

    /// The application as `caller` may see it: viewers and reviewers get
    /// no e-mails (reviewers see them where the programme allows, through
    /// [`Application::in_view`]).
    pub fn visible_to(self, caller: &Caller) -> Self {
        self.in_view(View::of(caller))
    }

    /// The application as seen in `view`.
    pub fn in_view(mut self, view: View) -> Self {
        if !view.emails {
            self.investigator.email.clear();
            for m in &mut self.team {
                m.email.clear();
            }
        }
        self
    }
}

/// How much a caller sees of an application and its events: investigator
/// e-mails (not viewers; reviewers where the programme allows) and who
/// reviewed (officers and administrators only). Streams render each event
/// once per view, not once per watcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct View {
    pub emails: bool,
    pub reviewers: bool,
}

impl View {
    /// Everything: administrators and officers.
    pub const FULL: View = View {
        emails: true,
        reviewers: true,
    };

    pub fn of(caller: &Caller) -> Self {
        match caller.role {
            Role::Admin | Role::Officer => View::FULL,
            Role::Applicant => View {
                emails: true,
                reviewers: false,
            },
            Role::Viewer | Role::Reviewer => View {
                emails: false,
                reviewers: false,
            },
        }
    }
}

/// The client-settable fields, as sent; amounts already parsed.
#[derive(Debug, Clone, Default)]
pub struct ApplicationInput {
    pub applicant: String,
    pub title: String,
    pub abstract_text: String,
    pub investigator_name: String,
    pub investigator_email: String,
    pub investigator_orcid: String,
    pub partners: Vec<String>,
    pub requested: Option<Money>,
    pub duration_months: i32,
    pub team: Vec<TeamMemberInput>,
    pub preferred_periods: Vec<super::facility::PeriodInput>,
}

/// Fields of a draft after format checks (completeness comes at submit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftFields {
    pub title: String,
    pub abstract_text: String,
    pub investigator: Investigator,
    pub partners: Vec<InstitutionName>,
    pub requested: Option<Money>,
    pub duration_months: Option<i32>,
    pub team: Vec<TeamMember>,
    pub preferred_periods: Vec<super::facility::Period>,
}

pub(super) fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.contains(char::is_whitespace)
        && !domain.contains('@')
        && email.len() <= 254
}

impl DraftFields {
    /// Checks the format of every given field under `prefix`; empty ones
    /// are allowed in a draft. Amounts must be in `currency`; the team's
    /// people at `applicant` or the partners given.
    pub fn parse(
        input: &ApplicationInput,
        applicant: &InstitutionName,
        currency: &super::money::Currency,
        prefix: &str,
    ) -> Result<Self> {
        let f = |name: &str| format!("{prefix}.{name}");
        let mut v = Violations::new();
        let title = v.check(text::optional_line(&input.title, &f("title"), MAX_TITLE_CHARS));
        let abstract_text = v.check(text::optional(&input.abstract_text, &f("abstract"), MAX_ABSTRACT_CHARS));
        let pi_name = v.check(text::optional_line(
            &input.investigator_name,
            &f("principal_investigator.name"),
            MAX_PERSON_CHARS,
        ));
        let email = input.investigator_email.trim().to_owned();
        let email_field = f("principal_investigator.email");
        if v.check(text::optional_line(&email, &email_field, 254)).is_some()
            && !email.is_empty()
            && !valid_email(&email)
        {
            v.add(
                email_field,
                format!("{} is not an e-mail address", text::excerpt(&email)),
            );
        }
        let orcid = if input.investigator_orcid.is_empty() {
            Some(None)
        } else {
            v.check(OrcidId::parse(&input.investigator_orcid, &f("principal_investigator.orcid")).map(Some))
        };
        if input.partners.len() > MAX_PARTNERS {
            v.add(f("partner_institutions"), format!("at most {MAX_PARTNERS} partners"));
        }
        let mut partners = Vec::new();
        for (i, p) in input.partners.iter().enumerate() {
            partners.extend(v.check(InstitutionName::parse(
                p,
                &format!("{}[{i}]", f("partner_institutions")),
            )));
        }
        partners.dedup();
        if let Some(money) = &input.requested {
            if let Some((field, why)) =
                super::money::mismatch(money, currency, &f("requested_amount"), &f("requested_resource"))
            {
                v.add(field, why);
            } else if !money.is_positive() {
                let field = if currency.is_resource() {
                    "requested_resource"
                } else {
                    "requested_amount"
                };
                v.add(f(field), "must be greater than zero");
            }
        }
        let periods = super::facility::periods(&input.preferred_periods, currency, &f("preferred_periods"));
        let preferred_periods = v.check(periods);
        let duration_months = match input.duration_months {
            0 => None,
            d if DURATION_MONTHS.contains(&d) => Some(d),
            d => {
                v.add(f("duration_months"), format!("must be 1..=120 months, got {d}"));
                None
            }
        };
        v.finish()?;
        let team = super::team::parse_team(&input.team, applicant, &partners, prefix)?;
        let (Some(title), Some(abstract_text), Some(pi_name), Some(orcid), Some(preferred_periods)) =
            (title, abstract_text, pi_name, orcid, preferred_periods)
        else {
            return Err(Error::internal("application validation lost a violation"));
        };
        Ok(Self {
            title,
            abstract_text,
            investigator: Investigator {
                name: pi_name,
                email,
                orcid,
            },
            partners,
            requested: input.requested.clone(),
            duration_months,
            team,
            preferred_periods,
        })
    }
}

/// The fields UpdateApplication may change.
pub const UPDATABLE_FIELDS: [&str; 12] = [
    "title",
    "abstract",
    "principal_investigator",
    "principal_investigator.name",
    "principal_investigator.email",
    "principal_investigator.orcid",
    "partner_institutions",
    "requested_amount",
    "duration_months",
    "team",
    "requested_resource",
    "preferred_periods",
];

/// Merges the masked fields of `input` over `current` (as input), so the
/// result can be validated whole.
pub fn merge_update(current: &Application, input: ApplicationInput, mask: &[String]) -> Result<ApplicationInput> {
    if mask.is_empty() {
        return Err(Error::invalid("update_mask", "must name at least one field, or *"));
    }
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
    let has = |field: &str| mask.iter().any(|m| m == "*" || m == field);
    let pi = |sub: &str| has("principal_investigator") || has(&format!("principal_investigator.{sub}"));
    Ok(ApplicationInput {
        applicant: current.applicant.to_string(),
        title: if has("title") {
            input.title
        } else {
            current.title.clone()
        },
        abstract_text: if has("abstract") {
            input.abstract_text
        } else {
            current.abstract_text.clone()
        },
        investigator_name: if pi("name") {
            input.investigator_name
        } else {
            current.investigator.name.clone()
        },
        investigator_email: if pi("email") {
            input.investigator_email
        } else {
            current.investigator.email.clone()
        },
        investigator_orcid: if pi("orcid") {
            input.investigator_orcid
        } else {
            current
                .investigator
                .orcid
                .as_ref()
                .map(|o| o.as_str().to_owned())
                .unwrap_or_default()
        },
        partners: if has("partner_institutions") {
            input.partners
        } else {
            current.partners.iter().map(|p| p.to_string()).collect()
        },
        requested: if has("requested_amount") || has("requested_resource") {
            input.requested
        } else {
            current.requested.clone()
        },
        duration_months: if has("duration_months") {
            input.duration_months
        } else {
            current.duration_months.unwrap_or(0)
        },
        team: if has("team") {
            input.team
        } else {
            current.team.iter().map(TeamMemberInput::from).collect()
        },
        preferred_periods: if has("preferred_periods") {
            input.preferred_periods
        } else {
            current
                .preferred_periods
                .iter()
                .map(|p| super::facility::PeriodInput {
                    start: Some(p.start),
                    end: Some(p.end),
                })
                .collect()
        },
    })
}

/// Which applications a list returns (the caller's scope is added on top).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationFilter {
    /// `None`: every programme in scope.
    pub programme: Option<super::ids::ProgrammeName>,
    /// Restricts to these programmes (the caller's scope), if set.
    pub programmes_in: Option<Vec<super::ids::ProgrammeName>>,
    pub applicant: Option<InstitutionName>,
    /// An applicant institution's own view: the applications it applied
    /// for or is a partner on (`relation` narrows to one of the two).
    pub involving: Option<InstitutionName>,
    pub relation: Option<Relation>,
    pub state: Option<State>,
    /// Only applications with a live review by this reviewer.
    pub assigned_to: Option<super::ids::ApiKeyName>,
}

impl ApplicationFilter {
    pub fn parse(filter: &str) -> Result<Self> {
        let mut out = Self::default();
        for term in filter::parse(filter, &["state", "applicant_institution", "relation"])? {
            match term.field.as_str() {
                "state" => out.state = Some(State::parse(&term.value, "filter")?),
                "relation" => out.relation = Some(Relation::parse(&term.value, "filter")?),
                _ => out.applicant = Some(InstitutionName::parse(&term.value, "filter")?),
            }
        }
        Ok(out)
    }
}

/// A required reason (for rejections and change requests).
pub fn required_reason(reason: &str) -> Result<String> {
    text::required(reason, "reason", MAX_REASON_CHARS)
}

/// An optional reason.
pub fn optional_reason(reason: &str) -> Result<String> {
    text::optional(reason, "reason", MAX_REASON_CHARS)
}
