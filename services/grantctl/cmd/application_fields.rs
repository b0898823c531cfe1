//! The fields of an application as flags (and `--from-file`), for
//! `applications create` and `applications update`: the message, and the
//! update mask of the fields given. `--member` gives the team, as a whole.

use clap::Args;
use gba_grants::proto::v1;

use super::{WriteArgs, institution_arg, money_opt, team};
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
    /// Amount requested, such as "800,000 CNY".
    #[arg(long)]
    requested: Option<String>,
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
        if self.requested.is_some() {
            a.requested_amount = money_opt("--requested", self.requested.as_ref())?;
            set.push("requested_amount".into());
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
