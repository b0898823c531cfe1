//! The demo's two facilities, modelled on public figures: the China
//! Spallation Neutron Source in Dongguan (about 500 user projects run,
//! more than 10 % of them from Hong Kong and Macao) and the National
//! Supercomputer Center in Guangzhou (more than 200 Hong Kong and Macao
//! users). A CSNS beam-time cycle takes 320 proposals, one in eight from
//! Hong Kong or Macao; an NSCC-GZ core-hours programme makes 220 awards,
//! each to a different Hong Kong or Macao principal investigator. Both
//! go through the same domain operations, with request ids, as the rest.

use std::collections::HashMap;

use super::{Demo, orcid, request};
use crate::domain::application::ApplicationInput;
use crate::domain::facility::{PeriodInput, UsageInput};
use crate::domain::ids::{InstitutionName, ProgrammeName};
use crate::domain::institution::Region;
use crate::domain::money::Money;
use crate::domain::programme::{FacilityInput, ProgrammeInput};
use crate::domain::service::Approval;
use crate::domain::team::EndorsementRequirement;
use crate::domain::time::Timestamp;
use crate::domain::{Error, Result};

const DAY: i64 = 86_400_000_000;

/// CSNS proposals, and how many of them come from Hong Kong or Macao
/// (every eighth).
pub const CSNS_PROPOSALS: usize = 320;
/// NSCC-GZ awards, each to its own Hong Kong or Macao investigator.
pub const NSCC_AWARDS: usize = 220;

const SURNAMES: [&str; 16] = [
    "Chan", "Wong", "Lee", "Cheung", "Lau", "Ng", "Ho", "Leung", "Lam", "Tang", "Chow", "Yeung", "Ieong", "Lei",
    "Choi", "Kuok",
];
const GIVEN: [&str; 14] = [
    "Ka Wai",
    "Siu Ming",
    "Wing Yan",
    "Chi Keung",
    "Hoi Ling",
    "Tsz Ho",
    "Man Kit",
    "Pui Shan",
    "Kin Fai",
    "Sio Man",
    "Weng Kei",
    "Hou In",
    "Cheng Hin",
    "Mei Lan",
];

const CSNS_TOPICS: [&str; 8] = [
    "Lithium-ion conduction in garnet solid electrolytes",
    "Magnetic order in kagome-lattice antiferromagnets",
    "Residual stress in additively manufactured turbine blades",
    "Hydrogen sites in metal–organic frameworks",
    "Protein hydration dynamics by quasi-elastic scattering",
    "Phonon softening in thermoelectric tellurides",
    "Polymer electrolyte membranes under humidity cycling",
    "Texture of high-entropy alloys after severe deformation",
];

const NSCC_TOPICS: [&str; 8] = [
    "Typhoon storm-surge ensembles for the Pearl River Delta",
    "First-principles screening of sodium-ion cathodes",
    "Large-eddy simulation of urban heat islands in Hong Kong",
    "Molecular dynamics of amyloid aggregation",
    "Genome assembly of South China Sea corals",
    "Lattice QCD at finite density",
    "Training Cantonese speech recognition models",
    "Seismic imaging of the Macao reclamation land",
];

/// The investigator of the `n`th facility project: a name no other
/// project of the demo uses.
fn investigator(n: usize) -> String {
    let surname = SURNAMES[n % SURNAMES.len()];
    let given = GIVEN[(n / SURNAMES.len()) % GIVEN.len()];
    let generation = n / (SURNAMES.len() * GIVEN.len());
    match generation {
        0 => format!("Dr {surname} {given}"),
        g => format!("Dr {surname} {given} ({})", g + 1),
    }
}

fn steps(unit: &str, count: i64) -> Result<Money> {
    Money::from_steps(unit, count, "demo")
}

impl Demo {
    /// Paints both facilities; `institutions` maps the picture's keys to
    /// the names and regions made.
    pub(super) async fn facilities(
        &self,
        institutions: &HashMap<&'static str, (InstitutionName, Region)>,
    ) -> Result<(Vec<ProgrammeName>, usize)> {
        let mut cross_border: Vec<&(InstitutionName, Region)> = institutions
            .values()
            .filter(|(_, r)| matches!(r, Region::HongKong | Region::Macao))
            .collect();
        let mut guangdong: Vec<&(InstitutionName, Region)> =
            institutions.values().filter(|(_, r)| *r == Region::Guangdong).collect();
        // A stable order, whatever the map's.
        cross_border.sort_by_key(|a| a.0.to_string());
        guangdong.sort_by_key(|a| a.0.to_string());
        if cross_border.is_empty() || guangdong.is_empty() {
            return Err(Error::internal(
                "demo: the facilities need institutions of every region",
            ));
        }
        let csns = self.csns(&cross_border, &guangdong).await?;
        let nscc = self.nscc(&cross_border).await?;
        Ok((vec![csns, nscc], CSNS_PROPOSALS + NSCC_AWARDS + 10))
    }

    async fn facility_programme(&self, key: &str, input: ProgrammeInput) -> Result<ProgrammeName> {
        let made = self
            .grants
            .create_programme(&self.caller, input, request(&format!("programme-{key}")))
            .await?;
        Ok(made.name)
    }

    async fn csns(
        &self,
        cross_border: &[&(InstitutionName, Region)],
        guangdong: &[&(InstitutionName, Region)],
    ) -> Result<ProgrammeName> {
        let now = Timestamp::now().micros();
        let programme = self
            .facility_programme(
                "csns",
                ProgrammeInput {
                    display_name: "CSNS 2026–2027 General User Programme".to_owned(),
                    local_name: "中国散裂中子源 2026–2027 年度普通用户课题".to_owned(),
                    funder: "Institute of High Energy Physics, Chinese Academy of Sciences".to_owned(),
                    eligible_regions: vec![Region::HongKong, Region::Macao, Region::Guangdong],
                    open_time: Some(Timestamp::from_micros(now - 90 * DAY)),
                    close_time: Some(Timestamp::from_micros(now + 300 * DAY)),
                    endorsement: EndorsementRequirement::None,
                    facility: Some(FacilityInput {
                        facility: "China Spallation Neutron Source (CSNS), Dongguan".to_owned(),
                        local_name: "中国散裂中子源（东莞）".to_owned(),
                        resource: "Neutron beam time on the user instruments".to_owned(),
                        unit: "beam-h".to_owned(),
                        capacity: Some(steps("beam-h", 24_000)?),
                        max_request: Some(steps("beam-h", 192)?),
                    }),
                    ..ProgrammeInput::default()
                },
            )
            .await?;
        for n in 0..CSNS_PROPOSALS {
            let (applicant, _) = match n % 8 {
                0 => cross_border[(n / 8) % cross_border.len()],
                _ => guangdong[n % guangdong.len()],
            };
            // 12 to 60 hours, some with a half hour.
            let requested = 24 + (n % 9) as i64 * 12 + (n % 2) as i64;
            let start = now + (30 + (n % 200) as i64) * DAY;
            let input = ApplicationInput {
                applicant: applicant.to_string(),
                title: format!("{} (CSNS proposal {})", CSNS_TOPICS[n % CSNS_TOPICS.len()], n + 1),
                abstract_text: "Neutron scattering at the China Spallation Neutron Source.".to_owned(),
                investigator_name: investigator(n),
                investigator_email: format!("csns{n}@users.example.org"),
                investigator_orcid: orcid(100_000 + n as u64),
                duration_months: 12,
                requested: Some(steps("beam-h", requested)?),
                preferred_periods: vec![PeriodInput {
                    start: Some(Timestamp::from_micros(start)),
                    end: Some(Timestamp::from_micros(start + 3 * DAY)),
                }],
                ..ApplicationInput::default()
            };
            let accepted = n % 5 != 4;
            let used = (n % 3 == 0).then_some(requested * 3 / 5);
            self.facility_project(
                &programme,
                &format!("csns-{n}"),
                input,
                accepted,
                requested,
                used,
                n % 10 == 1,
            )
            .await?;
        }
        Ok(programme)
    }

    async fn nscc(&self, cross_border: &[&(InstitutionName, Region)]) -> Result<ProgrammeName> {
        let now = Timestamp::now().micros();
        let programme = self
            .facility_programme(
                "nscc-gz",
                ProgrammeInput {
                    display_name: "NSCC-GZ Computing Allocations for Hong Kong and Macao Researchers".to_owned(),
                    local_name: "国家超级计算广州中心港澳科研用户机时资助".to_owned(),
                    funder: "National Supercomputer Center in Guangzhou, Sun Yat-sen University".to_owned(),
                    eligible_regions: vec![Region::HongKong, Region::Macao],
                    open_time: Some(Timestamp::from_micros(now - 120 * DAY)),
                    close_time: Some(Timestamp::from_micros(now + 240 * DAY)),
                    endorsement: EndorsementRequirement::None,
                    facility: Some(FacilityInput {
                        facility: "National Supercomputer Center in Guangzhou (NSCC-GZ)".to_owned(),
                        local_name: "国家超级计算广州中心".to_owned(),
                        resource: "CPU core-hours on Tianhe-2".to_owned(),
                        unit: "core-h".to_owned(),
                        capacity: Some(steps("core-h", 80_000_000)?),
                        max_request: Some(steps("core-h", 500_000)?),
                    }),
                    ..ProgrammeInput::default()
                },
            )
            .await?;
        // Ten more wait for review, so the cycle is still moving.
        for n in 0..NSCC_AWARDS + 10 {
            let (applicant, _) = cross_border[n % cross_border.len()];
            let requested = 100_000 + (n % 16) as i64 * 25_000;
            let input = ApplicationInput {
                applicant: applicant.to_string(),
                title: format!("{} (NSCC-GZ project {})", NSCC_TOPICS[n % NSCC_TOPICS.len()], n + 1),
                abstract_text: "Computation on Tianhe-2 at the National Supercomputer Center in Guangzhou.".to_owned(),
                investigator_name: investigator(1_000 + n),
                investigator_email: format!("nscc{n}@users.example.org"),
                investigator_orcid: orcid(200_000 + n as u64),
                duration_months: 12,
                requested: Some(steps("core-h", requested)?),
                ..ApplicationInput::default()
            };
            let awarded = n < NSCC_AWARDS;
            let used = (n % 2 == 0).then_some(requested * (4 + (n % 5) as i64) / 10);
            self.facility_project(&programme, &format!("nscc-{n}"), input, awarded, requested, used, false)
                .await?;
        }
        Ok(programme)
    }

    /// One facility project: created and submitted; then allocated in
    /// full (or rejected), `used` recorded, and closed if `close`. Left
    /// under review when `decide` is false and it was not rejected.
    #[allow(clippy::too_many_arguments)]
    async fn facility_project(
        &self,
        programme: &ProgrammeName,
        id: &str,
        input: ApplicationInput,
        decide: bool,
        requested: i64,
        used: Option<i64>,
        close: bool,
    ) -> Result<()> {
        let (g, c) = (&self.grants, &self.caller);
        let step = |s: &str| request(&format!("{id}-{s}"));
        let unit = input
            .requested
            .as_ref()
            .map(|r| r.currency().code().to_owned())
            .unwrap_or_default();
        let draft = g.create_application(c, programme, input, step("create")).await?;
        let name = &draft.name;
        g.submit_application(c, name, "", step("submit")).await?;
        g.start_review(c, name, step("review")).await?;
        if !decide {
            if id.starts_with("csns") {
                g.reject_application(c, name, "Not scheduled this cycle", step("reject"))
                    .await?;
            }
            return Ok(());
        }
        let approval = Approval {
            awarded: Some(steps(&unit, requested)?),
            ..Approval::default()
        };
        g.approve_application(c, name, approval, step("approve")).await?;
        if let Some(used) = used.filter(|u| *u > 0) {
            let now = Timestamp::now().micros();
            let usage = UsageInput {
                amount: Some(steps(&unit, used)?),
                period: Some(PeriodInput {
                    start: Some(Timestamp::from_micros(now - 20 * DAY)),
                    end: Some(Timestamp::from_micros(now - 17 * DAY)),
                }),
                reference: format!("{}-{id}", if unit == "beam-h" { "CSNS-EXP" } else { "TH2-JOB" }),
            };
            g.record_usage(c, name, usage, step("use")).await?;
        }
        if close {
            g.close_grant(c, name, "Experiment completed", step("close")).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_facility_investigator_has_a_name_of_their_own() {
        let names: std::collections::HashSet<String> = (0..2_000).map(investigator).collect();
        assert_eq!(names.len(), 2_000);
    }
}
