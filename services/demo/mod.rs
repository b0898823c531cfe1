//! `gba-grants demo`: fills a database with the Greater Bay Area of
//! [`picture`] through the same domain operations the API uses (never raw
//! SQL), as a key of its own. Every operation carries a request id derived
//! from what it does, so a second run replays instead of duplicating. With
//! `live`, it then keeps acting as officers and applicants at a modest
//! rate, so a dashboard moves.

pub mod facilities;
mod live;
pub mod picture;

use std::collections::HashMap;

use crate::domain::access::{ApiKeyInput, Caller, Role};
use crate::domain::application::{Application, ApplicationInput};
use crate::domain::event::DisbursementInput;
use crate::domain::ids::{ApplicationName, ProgrammeName};
use crate::domain::institution::{InstitutionInput, Region};
use crate::domain::money::Money;
use crate::domain::programme::ProgrammeInput;
use crate::domain::service::RequestKey;
use crate::domain::team::{EndorsementRequirement, TeamMemberInput, TeamRole};
use crate::domain::time::Timestamp;
use crate::domain::{Error, Grants, Result};
use picture::{Fate, INSTITUTIONS, PROGRAMMES, PROJECTS};

pub use live::live;

/// The label of the demo's own admin key; later runs find and reuse it.
pub const DEMO_KEY_LABEL: &str = "gba-grants demo";

/// What a fill made.
#[derive(Debug)]
pub struct Filled {
    /// A new viewer key for every programme (shown once).
    pub viewer_secret: String,
    pub programmes: Vec<ProgrammeName>,
    pub applications: usize,
}

/// The demo's actor: its admin key, and request ids tied to it.
pub struct Demo {
    pub grants: Grants,
    pub caller: Caller,
}

fn request(id: &str) -> Option<RequestKey> {
    Some(RequestKey {
        request_id: format!("demo-{id}"),
        // The demo is this key's only user: its ids name what they do.
        fingerprint: id.to_owned(),
    })
}

fn money(currency: &str, units: i64) -> Result<Money> {
    Money::from_parts(currency, units, 0, "demo")
}

impl Demo {
    /// The demo's admin key, issued on the first run and reused after.
    pub async fn new(grants: Grants) -> Result<Self> {
        let root = Caller {
            key: crate::domain::ids::ApiKeyName::from_id("demo"),
            role: Role::Admin,
            institution: None,
            programmes: crate::domain::access::ProgrammeScope::All,
            person: None,
        };
        let mut token = String::new();
        loop {
            let page = grants.list_api_keys(&root, "", 1_000, &token).await?;
            if let Some(key) = page
                .items
                .iter()
                .find(|k| k.display_name == DEMO_KEY_LABEL && k.role == Role::Admin && k.revoke_time.is_none())
            {
                let caller = Caller::from_key(key);
                return Ok(Self { grants, caller });
            }
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        let issued = grants
            .create_api_key_offline(ApiKeyInput {
                role: Some(Role::Admin),
                display_name: DEMO_KEY_LABEL.to_owned(),
                ..ApiKeyInput::default()
            })
            .await?;
        let caller = Caller::from_key(&issued.key);
        Ok(Self { grants, caller })
    }

    /// Paints the picture (or replays it) and issues a viewer key.
    pub async fn fill(&self) -> Result<Filled> {
        let (g, c) = (&self.grants, &self.caller);
        let mut institutions = HashMap::new();
        for i in &INSTITUTIONS {
            let input = InstitutionInput {
                display_name: i.display_name.to_owned(),
                local_name: i.local_name.to_owned(),
                region: Some(i.region),
                ror_id: i.ror_id.to_owned(),
            };
            let made = g
                .create_institution(c, input, request(&format!("institution-{}", i.key)))
                .await?;
            institutions.insert(i.key, (made.name, i.region));
        }
        // The facilities first, so the money projects' events are the
        // latest a dashboard's feed shows.
        let (facilities, facility_applications) = self.facilities(&institutions).await?;
        let now = Timestamp::now().micros();
        let day = 86_400_000_000;
        let mut programmes = HashMap::new();
        for p in &PROGRAMMES {
            let input = ProgrammeInput {
                display_name: p.display_name.to_owned(),
                local_name: p.local_name.to_owned(),
                funder: p.funder.to_owned(),
                currency_code: p.currency.to_owned(),
                budget: Some(money(p.currency, p.budget)?),
                eligible_regions: p.regions.to_vec(),
                requires_guangdong_partner: p.requires_partner,
                max_award: Some(money(p.currency, p.max_award)?),
                open_time: Some(Timestamp::from_micros(now - 60 * day)),
                close_time: Some(Timestamp::from_micros(now + 365 * day)),
                review: None,
                documents: Vec::new(),
                // Joint schemes ask both sides' research offices to sign.
                endorsement: if p.requires_partner {
                    EndorsementRequirement::ApplicantAndPartners
                } else {
                    EndorsementRequirement::Applicant
                },
                facility: None,
            };
            let made = g
                .create_programme(c, input, request(&format!("programme-{}", p.key)))
                .await?;
            programmes.insert(p.key, (made.name, p.currency));
        }
        for (n, project) in PROJECTS.iter().enumerate() {
            let lookup = |k: &str| {
                institutions
                    .get(k)
                    .cloned()
                    .ok_or_else(|| Error::internal(format!("demo: no institution {k}")))
            };
            let (programme, currency) = programmes
                .get(project.programme)
                .cloned()
                .ok_or_else(|| Error::internal("demo: unknown programme"))?;
            let (applicant, region) = lookup(project.applicant)?;
            let partners = match project.partner {
                "" => Vec::new(),
                k => vec![lookup(k)?.0.to_string()],
            };
            // The PI at the applicant; a co-investigator at the partner.
            let mut team = vec![TeamMemberInput {
                name: project.investigator.to_owned(),
                orcid: orcid(n as u64),
                email: format!("pi{n}@{}.example.org", project.applicant),
                institution: applicant.to_string(),
                role: Some(TeamRole::PrincipalInvestigator),
            }];
            if let Some(partner) = partners.first() {
                team.push(TeamMemberInput {
                    name: format!("Co-investigator of project {}", n + 1),
                    orcid: String::new(),
                    email: String::new(),
                    institution: partner.clone(),
                    role: Some(TeamRole::CoInvestigator),
                });
            }
            let input = ApplicationInput {
                applicant: applicant.to_string(),
                title: project.title.to_owned(),
                abstract_text: format!("{} — a Greater Bay Area collaboration.", project.title),
                investigator_name: project.investigator.to_owned(),
                investigator_email: format!("pi{n}@{}.example.org", project.applicant),
                investigator_orcid: orcid(n as u64),
                partners,
                requested: Some(money(currency, project.requested)?),
                duration_months: 36,
                team,
                preferred_periods: Vec::new(),
            };
            let draft = g
                .create_application(c, &programme, input, request(&format!("project-{n}")))
                .await?;
            let payee = Payee::of(currency, region);
            self.advance(&draft, n, project.fate, currency, payee).await?;
        }
        let viewer = g
            .create_api_key(
                c,
                ApiKeyInput {
                    role: Some(Role::Viewer),
                    all_programmes: true,
                    display_name: "demo viewer".to_owned(),
                    ..ApiKeyInput::default()
                },
                None,
            )
            .await?;
        Ok(Filled {
            viewer_secret: viewer.secret.unwrap_or_default(),
            programmes: programmes
                .into_values()
                .map(|(name, _)| name)
                .chain(facilities)
                .collect(),
            applications: PROJECTS.len() + facility_applications,
        })
    }

    /// Moves a new draft to where `fate` says.
    async fn advance(&self, draft: &Application, n: usize, fate: Fate, currency: &str, payee: Payee) -> Result<()> {
        let (g, c) = (&self.grants, &self.caller);
        let name = &draft.name;
        let id = |step: &str| request(&format!("project-{n}-{step}"));
        if matches!(fate, Fate::Draft) {
            return Ok(());
        }
        if matches!(fate, Fate::Withdrawn) {
            g.withdraw_application(c, name, "The team joined another consortium", "", id("withdraw"))
                .await?;
            return Ok(());
        }
        // Each research office on the application signs it first, as
        // joint schemes ask (each at the etag the one before left).
        let mut etag = draft.etag();
        for (k, institution) in std::iter::once(&draft.applicant).chain(&draft.partners).enumerate() {
            let signed = g
                .endorse_application(c, name, &etag, &institution.to_string(), id(&format!("endorse-{k}")))
                .await?;
            etag = signed.application.etag();
        }
        g.submit_application(c, name, "", id("submit")).await?;
        if matches!(fate, Fate::Submitted) {
            return Ok(());
        }
        g.start_review(c, name, id("review")).await?;
        let (award, paid, closed) = match fate {
            Fate::UnderReview => return Ok(()),
            Fate::ChangesRequested => {
                g.request_changes(c, name, "Please add a data management plan", id("changes"))
                    .await?;
                return Ok(());
            }
            Fate::Rejected => {
                g.reject_application(c, name, "Below the funding line this round", id("reject"))
                    .await?;
                return Ok(());
            }
            Fate::Approved(award) => (award, 0, false),
            Fate::Active(award, paid) => (award, paid, false),
            Fate::Closed(award, paid) => (award, paid, true),
            Fate::Draft | Fate::Submitted | Fate::Withdrawn => return Ok(()),
        };
        let approval = crate::domain::service::Approval {
            awarded: Some(money(currency, award)?),
            ..Default::default()
        };
        g.approve_application(c, name, approval, id("approve")).await?;
        if paid > 0 {
            self.pay(name, n, currency, paid, payee).await?;
        }
        if closed {
            g.close_grant(c, name, "Project completed", id("close")).await?;
        }
        Ok(())
    }

    /// One payment of `units` (programme currency), received in the
    /// payee's currency at the demo's rate.
    pub async fn pay(&self, name: &ApplicationName, n: usize, currency: &str, units: i64, payee: Payee) -> Result<()> {
        let amount = money(currency, units)?;
        let received = Money::from_minor(
            crate::domain::money::Currency::parse(payee.currency, "demo")?,
            half_even(amount.minor(), payee.rate_per_10k),
        );
        let input = DisbursementInput {
            amount: Some(amount),
            payee_amount: Some(received),
            bank_charges: None,
            exchange_rate: format!("{}.{:04}", payee.rate_per_10k / 10_000, payee.rate_per_10k % 10_000),
            pay_time: None,
            reference: format!("GBA-DEMO-{n:04}-{units}"),
            tranche: 0,
        };
        let id = request(&format!("project-{n}-pay-{units}"));
        self.grants.record_disbursement(&self.caller, name, input, id).await?;
        Ok(())
    }
}

/// How a payee receives money: its currency and the rate from the
/// programme's currency, in ten-thousandths.
#[derive(Debug, Clone, Copy)]
pub struct Payee {
    pub currency: &'static str,
    pub rate_per_10k: i64,
}

impl Payee {
    /// Hong Kong payees receive HKD, Macao payees MOP.
    pub fn of(programme_currency: &str, region: Region) -> Self {
        match (programme_currency, region) {
            ("CNY", Region::Macao) => Self {
                currency: "MOP",
                rate_per_10k: 11_167,
            },
            ("CNY", _) => Self {
                currency: "HKD",
                rate_per_10k: 10_842,
            },
            ("HKD", Region::Macao) => Self {
                currency: "MOP",
                rate_per_10k: 10_300,
            },
            (other, _) => Self {
                currency: if other == "MOP" { "MOP" } else { "HKD" },
                rate_per_10k: 10_000,
            },
        }
    }
}

/// A well-formed ORCID iD for the demo's `n`th investigator (fictional:
/// `0000-0002-5…`, with its ISO 7064 11,2 check digit).
pub fn orcid(n: u64) -> String {
    let base = format!("000000025{:06}", n % 1_000_000);
    let mut total = 0_u32;
    for d in base.chars().filter_map(|c| c.to_digit(10)) {
        total = (total + d) * 2;
    }
    let check = match (12 - total % 11) % 11 {
        10 => 'X',
        d => char::from_digit(d, 10).unwrap_or('0'),
    };
    format!(
        "{}-{}-{}-{}{check}",
        &base[0..4],
        &base[4..8],
        &base[8..12],
        &base[12..15]
    )
}

/// `minor × rate / 10,000`, rounded half to even (both currencies have two
/// decimals).
fn half_even(minor: i64, rate_per_10k: i64) -> i64 {
    let product = i128::from(minor) * i128::from(rate_per_10k);
    let (q, r) = (product / 10_000, product % 10_000);
    let q = match r.cmp(&5_000) {
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal if q % 2 == 1 => q + 1,
        _ => q,
    };
    i64::try_from(q).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::{half_even, orcid};
    use crate::domain::ids::OrcidId;

    #[test]
    fn demo_orcid_ids_are_valid() {
        for n in [0, 1, 7, 42, 999_999] {
            let id = orcid(n);
            assert!(OrcidId::parse(&id, "orcid").is_ok(), "{id}");
        }
    }

    #[test]
    fn payee_amounts_round_half_to_even() {
        assert_eq!(half_even(100, 10_842), 108);
        assert_eq!(half_even(50, 10_100), 50); // 50.5 → 50
        assert_eq!(half_even(150, 10_100), 152); // 151.5 → 152
        assert_eq!(half_even(1_000_000_000, 11_167), 1_116_700_000);
    }
}
