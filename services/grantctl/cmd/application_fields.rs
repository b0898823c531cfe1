//! The fields of an application as flags (and `--from-file`), for
//! `applications create` and `applications update`: the message, and the
//! update mask of the fields given. `--member` gives the team, as a whole.
//! `--requested` takes money (`800,000 CNY`) or, for a facility programme,
//! an amount of its resource (`96.5 beam-h`, filling `requested_resource`);
//! `--preferred-period` gives the preferred periods, as a whole.

use clap::Args;
use gba_grants::proto::v1;

use super::{Amount, WriteArgs, amount_arg, institution_arg, period_arg, team};
use crate::error::Result;
use crate::json::input;

#[derive(Debug, Args)]
pub struct Fields {
    /// The applying institution (default for applicant keys: their own).
    #[arg(long)]
    institution: Option<String>,
    /// Title.
    #[arg(long)]
    title: Option<String>,
    /// Abstract.
    #[arg(long = "abstract")]
    abstract_text: Option<String>,
    /// Principal investigator's name.
    #[arg(long)]
    pi_name: Option<String>,
    /// Principal investigator's e-mail.
    #[arg(long)]
    pi_email: Option<String>,
    /// Principal investigator's ORCID iD.
    #[arg(long)]
    pi_orcid: Option<String>,
    /// A partner institution (repeat for several).
    #[arg(long = "partner")]
    partners: Vec<String>,
    /// Amount requested, such as "800,000 CNY"; of a facility programme,
    /// in its unit, such as "96.5 beam-h".
    #[arg(long, value_name = "AMOUNT")]
    requested: Option<String>,
    /// Facility programmes: when the team would prefer to use the
    /// resource, START/END in RFC 3339 (or a date, or relative such as
    /// +30d/+32d); repeat for each (at most 10). The list replaces the
    /// current one.
    #[arg(long = "preferred-period", value_name = "START/END", allow_hyphen_values = true)]
    preferred_periods: Vec<String>,
    /// Duration of the project in months.
    #[arg(long)]
    duration_months: Option<i32>,
    /// A person of the team, as 'NAME;ROLE;INSTITUTION[;ORCID[;EMAIL]]'
    /// (ROLE: pi, co-pi, co-i, collaborator); repeat for each. The list
    /// replaces the whole team (to add or remove one: applications team).
    #[arg(long = "member", value_name = "NAME;ROLE;INSTITUTION[;ORCID[;EMAIL]]")]
    members: Vec<String>,
    /// An Application in proto3 JSON (`-`: standard input); flags override it.
    #[arg(long, value_name = "FILE")]
    from_file: Option<String>,
    #[command(flatten)]
    pub write: WriteArgs,
}

const UPDATABLE: &[&str] = &[
    "title",
    "abstract",
    "principal_investigator",
    "partner_institutions",
    "requested_amount",
    "duration_months",
    "team",
    "requested_resource",
    "preferred_periods",
];

impl Fields {
    /// The application and the proto names of the fields set.
    pub fn build(&self) -> Result<(v1::Application, Vec<String>)> {
        let (mut a, mut set) = match &self.from_file {
            Some(path) => input::application(&input::read(path)?)?,
            None => (v1::Application::default(), Vec::new()),
        };
        if let Some(v) = &self.institution {
            a.applicant_institution = institution_arg("--institution", v)?;
        }
        let mut text = |flag: &Option<String>, field: &mut String, path: &str| {
            if let Some(v) = flag {
                *field = v.clone();
                set.push(path.to_owned());
            }
        };
        text(&self.title, &mut a.title, "title");
        text(&self.abstract_text, &mut a.r#abstract, "abstract");
        let pi = a.principal_investigator.get_or_insert_with(Default::default);
        text(&self.pi_name, &mut pi.name, "principal_investigator.name");
        text(&self.pi_email, &mut pi.email, "principal_investigator.email");
        text(&self.pi_orcid, &mut pi.orcid, "principal_investigator.orcid");
        if !self.partners.is_empty() {
            a.partner_institutions = self
                .partners
                .iter()
                .map(|p| institution_arg("--partner", p))
                .collect::<Result<_>>()?;
            set.push("partner_institutions".into());
        }
        if let Some(v) = &self.requested {
            match amount_arg("--requested", v)? {
                Amount::Money(m) => {
                    a.requested_amount = Some(m);
                    set.push("requested_amount".into());
                }
                Amount::Resource(r) => {
                    a.requested_resource = Some(r);
                    set.push("requested_resource".into());
                }
            }
        }
        if !self.preferred_periods.is_empty() {
            a.preferred_periods = self
                .preferred_periods
                .iter()
                .map(|p| period_arg("--preferred-period", p))
                .collect::<Result<_>>()?;
            set.push("preferred_periods".into());
        }
        if let Some(m) = self.duration_months {
            a.duration_months = m;
            set.push("duration_months".into());
        }
        if !self.members.is_empty() {
            a.team = self
                .members
                .iter()
                .map(|m| team::member_arg(m))
                .collect::<Result<_>>()?;
            set.push("team".into());
        }
        let whole_pi = set.iter().any(|f| f == "principal_investigator");
        set.retain(|f| UPDATABLE.contains(&f.as_str()) || (!whole_pi && f.starts_with("principal_investigator.")));
        set.sort();
        set.dedup();
        Ok((a, set))
    }
}
