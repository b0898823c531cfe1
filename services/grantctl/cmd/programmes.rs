//! `grantctl programmes create|get|list|update|ranking`. Update builds the
//! field mask from the flags given (and the fields of `--from-file`) and
//! fetches the current etag unless `--etag` is passed. The peer-review
//! flags change `review_settings` as a whole: on update, the ones not given
//! keep their current values. The document flags (`--require-document`,
//! `--accept-document`) replace `document_requirements` as a whole;
//! `--endorsement-requirement` sets whose sign-off submission needs.
//! A facility-access programme (`--facility`, `--resource`, `--capacity
//! '1,500 beam-h'`) awards a resource instead of money: `--budget` and
//! `--max-award` take an amount in its unit as well (they are `--capacity`
//! and `--max-request` by another name), filling `facility.capacity` and
//! `facility.max_request`. `get` shows a facility programme's usage from
//! its summary (the Programme does not carry it).

use clap::{Args, Subcommand};
use gba_grants::proto::v1;
use gba_grants::proto::v1::programme_service_client::ProgrammeServiceClient as Client;
use gba_grants::proto::v1::watch_service_client::WatchServiceClient as WatchClient;

use super::documents::requirement_arg;
use super::signoff::RequirementArg;
use super::{Amount, Ctx, ListArgs, RegionArg, WriteArgs, amount_arg, programme_arg, time_opt};
use crate::error::{CliError, Result};
use crate::json::input;
use crate::output::{self, Format};
use crate::views::Resource;
use crate::{resource, table};

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Create a programme (admin).
    #[command(
        after_help = "Example:\n  grantctl programmes create --display-name 'GBA Joint Research' --local-name 粤港澳联合研究 \\\n    \
                            --funder 'Guangdong S&T Department' --budget '10,000,000 CNY' --max-award '1,000,000 CNY' \\\n    \
                            --eligible-region hong-kong --eligible-region macao --requires-guangdong-partner \\\n    \
                            --open-time now --close-time +90d\n  \
                            grantctl programmes create --display-name 'CSNS beam time 2026' --local-name 中国散裂中子源机时 \\\n    \
                            --funder 'Guangdong S&T Department' --facility 'China Spallation Neutron Source' \\\n    \
                            --facility-local-name 中国散裂中子源 --resource 'beam time, GPPD' \\\n    \
                            --capacity '1,500 beam-h' --max-request '200 beam-h' --eligible-region hong-kong \\\n    \
                            --eligible-region macao --open-time now --close-time +60d"
    )]
    Create(Fields),
    /// Show one programme.
    #[command(after_help = "Example:\n  grantctl programmes get programmes/0193a1b2c3d4e5f6a7b8c9d0e1f2a3b4")]
    Get {
        /// programmes/ID or the bare ID.
        name: String,
    },
    /// List the programmes you may see.
    #[command(after_help = "Example:\n  grantctl programmes list --filter 'open = true AND eligible_region = MACAO'")]
    List(ListArgs),
    /// Change the fields given (admin); the mask is built from the flags.
    #[command(
        after_help = "Example:\n  grantctl programmes update programmes/0193... --budget '2,000,000 CNY' --close-time +30d\n  \
                            grantctl programmes update programmes/0193... --criterion 'scientific merit=0.5' \\\n    \
                            --criterion feasibility=0.3 --criterion impact=0.2 --required-reviews 2\n  \
                            grantctl programmes update programmes/0193... --require-document proposal:pdf:20MiB \\\n    \
                            --require-document budget:xlsx,csv --accept-document partner-letter:pdf\n  \
                            grantctl programmes update programmes/0193... --endorsement-requirement applicant-and-partners"
    )]
    Update {
        /// programmes/ID or the bare ID.
        name: String,
        /// The etag to send (default: read the current one first).
        #[arg(long)]
        etag: Option<String>,
        /// Stop using peer review: clear the review settings.
        #[arg(long, conflicts_with_all = ["criteria", "max_score", "required_reviews", "reviewers_see_investigator_email"])]
        no_peer_review: bool,
        /// Take documents of any kind again and require none: clear the document requirements.
        #[arg(long, conflicts_with_all = ["require_documents", "accept_documents"])]
        no_document_requirements: bool,
        #[command(flatten)]
        fields: Fields,
    },
    /// The applications under review ranked by weighted mean score, with
    /// the running total of requests and the funding line (officers).
    #[command(after_help = "Example:\n  grantctl programmes ranking programmes/0193...\n  \
                            grantctl programmes ranking programmes/0193... -o json | jq '.entries[] | select(.aboveFundingLine)'")]
    Ranking {
        /// programmes/ID or the bare ID.
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct Fields {
    /// English display name.
    #[arg(long)]
    display_name: Option<String>,
    /// Chinese local name.
    #[arg(long)]
    local_name: Option<String>,
    /// The funding body.
    #[arg(long)]
    funder: Option<String>,
    /// Currency of every amount (create only; default: the budget's).
    #[arg(long)]
    currency: Option<String>,
    /// Total budget, such as "10,000,000 CNY"; of a facility programme,
    /// the cycle's capacity in its unit, such as "1,500 beam-h".
    #[arg(long, visible_alias = "capacity", value_name = "AMOUNT")]
    budget: Option<String>,
    /// Largest award, such as "1,000,000 CNY"; of a facility programme,
    /// the most one application may request, such as "200 beam-h".
    #[arg(long, visible_alias = "max-request", value_name = "AMOUNT")]
    max_award: Option<String>,
    /// A facility-access programme: the facility's English name, such as
    /// 'China Spallation Neutron Source' (create only; with --resource and
    /// --capacity).
    #[arg(long, value_name = "NAME")]
    facility: Option<String>,
    /// The facility's Chinese name, such as 中国散裂中子源 (create only).
    #[arg(long, value_name = "NAME")]
    facility_local_name: Option<String>,
    /// What the facility programme awards, such as 'beam time, GPPD' (create only).
    #[arg(long, value_name = "TEXT")]
    resource: Option<String>,
    /// The facility programme's unit (create only; default: the
    /// capacity's): h, beam-h, core-h, node-h or gpu-h.
    #[arg(long, value_name = "UNIT")]
    unit: Option<String>,
    /// A region whose institutions may apply (repeat for several).
    #[arg(long = "eligible-region", value_enum, ignore_case = true)]
    eligible_regions: Vec<RegionArg>,
    /// Whether applications must name a Guangdong partner.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    requires_guangdong_partner: Option<bool>,
    /// Applications may be submitted from: RFC 3339, a date (midnight UTC),
    /// or relative: now, today, +90d, now-2h (units s, m, h, d, w).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    open_time: Option<String>,
    /// ...until (exclusive); the same forms, such as +90d.
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    close_time: Option<String>,
    /// Peer review: a criterion reviewers score and its weight, such as
    /// 'scientific merit=0.5' (repeat for each; the list replaces the current one).
    #[arg(long = "criterion", value_name = "NAME=WEIGHT")]
    criteria: Vec<String>,
    /// Peer review: the best score; scores run from 1 to it (server default 5).
    #[arg(long, value_name = "N")]
    max_score: Option<i32>,
    /// Peer review: completed reviews an application needs before approval (server default 2).
    #[arg(long, value_name = "N")]
    required_reviews: Option<i32>,
    /// Peer review: whether reviewers see the principal investigator's e-mail.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    reviewers_see_investigator_email: Option<bool>,
    /// Documents: a kind every application must carry to be submitted,
    /// as KIND[:TYPES][:MAXSIZE], such as proposal:pdf:20MiB or
    /// budget:xlsx,csv (types: pdf, png, jpeg, docx, xlsx, csv, txt or
    /// media types; default: all of them; size default: the server's
    /// limit). Repeat for each kind; with --accept-document the list
    /// replaces the current one, and only the kinds listed are taken.
    #[arg(long = "require-document", value_name = "KIND[:TYPES][:MAXSIZE]")]
    require_documents: Vec<String>,
    /// Documents: a kind applications may carry but need not, in the same
    /// form, such as partner-letter:pdf or other.
    #[arg(long = "accept-document", value_name = "KIND[:TYPES][:MAXSIZE]")]
    accept_documents: Vec<String>,
    /// Sign-off: whose endorsement an application needs before it may be
    /// submitted: none, applicant, partners (every partner named), or
    /// applicant-and-partners.
    #[arg(long, value_enum, ignore_case = true, value_name = "WHO")]
    endorsement_requirement: Option<RequirementArg>,
    /// A Programme in proto3 JSON (`-`: standard input); flags override it.
    #[arg(long, value_name = "FILE")]
    from_file: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

/// Output-only fields: never part of an update mask.
const OUTPUT_ONLY: &[&str] = &[
    "name",
    "etag",
    "committed",
    "create_time",
    "update_time",
    "currency_code",
    "facility.step",
    "facility.allocated",
];

/// `scientific merit=0.5`: a criterion and its weight, split at the last `=`.
fn criterion_arg(text: &str) -> Result<v1::ReviewCriterion> {
    let bad = |problem: String| CliError::invalid("--criterion", problem);
    let Some((name, weight)) = text.rsplit_once('=') else {
        return Err(bad(format!(
            "{text:?} is not NAME=WEIGHT, such as 'scientific merit=0.5'"
        )));
    };
    let weight = weight
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|w| w.is_finite())
        .ok_or_else(|| bad(format!("{text:?}: the weight must be a number, such as 0.5")))?;
    Ok(v1::ReviewCriterion {
        name: name.trim().to_owned(),
        weight,
    })
}

impl Fields {
    /// The document requirements of the flags (required ones first), or
    /// `None` when no document flag was given.
    fn document_requirements(&self) -> Result<Option<Vec<v1::DocumentRequirement>>> {
        if self.require_documents.is_empty() && self.accept_documents.is_empty() {
            return Ok(None);
        }
        let mut out: Vec<v1::DocumentRequirement> = Vec::new();
        let given = self
            .require_documents
            .iter()
            .map(|t| ("--require-document", t, true))
            .chain(self.accept_documents.iter().map(|t| ("--accept-document", t, false)));
        for (flag, text, required) in given {
            let r = requirement_arg(flag, text, required)?;
            if out.iter().any(|o| o.kind == r.kind) {
                return Err(CliError::invalid(
                    flag,
                    format!(
                        "{} is given twice: give each kind once",
                        crate::views_doc::kind_word(r.kind)
                    ),
                ));
            }
            out.push(r);
        }
        Ok(Some(out))
    }

    /// Whether a peer-review flag was given.
    fn touches_review(&self) -> bool {
        !self.criteria.is_empty()
            || self.max_score.is_some()
            || self.required_reviews.is_some()
            || self.reviewers_see_investigator_email.is_some()
    }

    /// The programme and the proto names of the fields set. The review
    /// flags apply over the file's review settings, else `current`'s.
    fn build(&self, current: Option<&v1::ReviewSettings>) -> Result<(v1::Programme, Vec<String>)> {
        let (mut p, mut set) = match &self.from_file {
            Some(path) => input::programme(&input::read(path)?)?,
            None => (v1::Programme::default(), Vec::new()),
        };
        if self.touches_review() {
            let mut r = p
                .review_settings
                .take()
                .or_else(|| current.cloned())
                .unwrap_or_default();
            if !self.criteria.is_empty() {
                r.criteria = self.criteria.iter().map(|c| criterion_arg(c)).collect::<Result<_>>()?;
            }
            if let Some(n) = self.max_score {
                r.max_score = n;
            }
            if let Some(n) = self.required_reviews {
                r.required_reviews = n;
            }
            if let Some(b) = self.reviewers_see_investigator_email {
                r.reviewers_see_investigator_email = b;
            }
            r.locked = false;
            p.review_settings = Some(r);
            set.push("review_settings".to_owned());
        }
        if let Some(requirements) = self.document_requirements()? {
            p.document_requirements = requirements;
            set.push("document_requirements".to_owned());
        }
        let mut mark = |field: &str| set.push(field.to_owned());
        if let Some(v) = &self.display_name {
            p.display_name = v.clone();
            mark("display_name");
        }
        if let Some(v) = &self.local_name {
            p.local_name = v.clone();
            mark("local_name");
        }
        if let Some(v) = &self.funder {
            p.funder = v.clone();
            mark("funder");
        }
        if let Some(v) = &self.budget {
            match amount_arg("--budget", v)? {
                Amount::Money(m) => {
                    p.budget = Some(m);
                    mark("budget");
                }
                Amount::Resource(r) => {
                    p.facility.get_or_insert_with(Default::default).capacity = Some(r);
                    mark("facility.capacity");
                }
            }
        }
        if let Some(v) = &self.max_award {
            match amount_arg("--max-award", v)? {
                Amount::Money(m) => {
                    p.max_award = Some(m);
                    mark("max_award");
                }
                Amount::Resource(r) => {
                    p.facility.get_or_insert_with(Default::default).max_request = Some(r);
                    mark("facility.max_request");
                }
            }
        }
        let facility_text = [
            (&self.facility, "facility"),
            (&self.facility_local_name, "local_name"),
            (&self.resource, "resource"),
            (&self.unit, "unit"),
        ];
        for (flag, field) in facility_text {
            let Some(v) = flag else { continue };
            let f = p.facility.get_or_insert_with(Default::default);
            match field {
                "facility" => f.facility = v.clone(),
                "local_name" => f.local_name = v.clone(),
                "resource" => f.resource = v.clone(),
                _ => f.unit = resource::unit(v).map_or_else(|| v.clone(), |u| u.symbol.to_owned()),
            }
            mark(&format!("facility.{field}"));
        }
        if let Some(f) = p.facility.as_mut().filter(|f| f.unit.is_empty()) {
            f.unit = f.capacity.as_ref().map(|c| c.unit.clone()).unwrap_or_default();
        }
        if !self.eligible_regions.is_empty() {
            p.eligible_regions = self.eligible_regions.iter().map(|r| r.proto()).collect();
            mark("eligible_regions");
        }
        if let Some(v) = self.requires_guangdong_partner {
            p.requires_guangdong_partner = v;
            mark("requires_guangdong_partner");
        }
        if let Some(r) = self.endorsement_requirement {
            p.endorsement_requirement = r.proto();
            mark("endorsement_requirement");
        }
        if self.open_time.is_some() {
            p.open_time = time_opt("--open-time", self.open_time.as_ref())?;
            mark("open_time");
        }
        if self.close_time.is_some() {
            p.close_time = time_opt("--close-time", self.close_time.as_ref())?;
            mark("close_time");
        }
        if let Some(c) = &self.currency {
            p.currency_code = c.to_ascii_uppercase();
        } else if p.currency_code.is_empty() && p.facility.is_none() {
            p.currency_code = p.budget.as_ref().map(|b| b.currency_code.clone()).unwrap_or_default();
        }
        // A file's `facility` is the whole message: on update, the paths
        // of the fields that may change (the others are immutable).
        if set.iter().any(|f| f == "facility") {
            set.retain(|f| f != "facility");
            if let Some(f) = &p.facility {
                if f.capacity.is_some() {
                    set.push("facility.capacity".to_owned());
                }
                if f.max_request.is_some() {
                    set.push("facility.max_request".to_owned());
                }
            }
        }
        set.retain(|f| !OUTPUT_ONLY.contains(&f.as_str()));
        set.sort();
        set.dedup();
        Ok((p, set))
    }
}

/// A facility programme's usage recorded, from the first snapshot of its
/// summary (none when it does not come within 5 s or the call fails: the
/// field list goes without it).
async fn facility_used(ctx: &Ctx, programme: &str) -> Option<v1::ResourceAmount> {
    let request = v1::WatchProgrammeSummaryRequest {
        programmes: vec![programme.to_owned()],
    };
    let first = async {
        let mut stream = WatchClient::new(ctx.conn.channel())
            .watch_programme_summary(ctx.conn.request(request))
            .await
            .ok()?
            .into_inner();
        stream.message().await.ok()??.summary?.used
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), first)
        .await
        .ok()
        .flatten()
}

async fn get(ctx: &Ctx, name: String) -> Result<v1::Programme> {
    let r = ctx
        .conn
        .call(v1::GetProgrammeRequest { name }, |ch, r| async move {
            Client::new(ch).get_programme(r).await
        })
        .await?;
    Ok(r.programme.unwrap_or_default())
}

pub async fn run(ctx: &Ctx, cmd: Cmd) -> Result<()> {
    match cmd {
        Cmd::Create(f) => {
            let (programme, _) = f.build(None)?;
            let request = v1::CreateProgrammeRequest {
                programme: Some(programme),
                request_id: f.write.id(),
            };
            let r = ctx
                .conn
                .call(
                    request,
                    |ch, r| async move { Client::new(ch).create_programme(r).await },
                )
                .await?;
            output::one(ctx.format, &r.programme.unwrap_or_default())
        }
        Cmd::Get { name } => {
            let p = get(ctx, programme_arg("NAME", &name)?).await?;
            if ctx.format != Format::Table || p.facility.is_none() {
                return output::one(ctx.format, &p);
            }
            // The usage recorded is in the programme's summary, not in it.
            let mut fields = p.details();
            if let Some(used) = facility_used(ctx, &p.name).await {
                let at = fields
                    .iter()
                    .position(|(label, _)| *label == "Free")
                    .unwrap_or(fields.len());
                fields.insert(at, ("Used", resource::format(&used)));
            }
            output::write(&table::fields(&fields))
        }
        Cmd::List(l) => {
            let items = l
                .paging()
                .collect(|page_size, page_token| {
                    let request = v1::ListProgrammesRequest {
                        page_size,
                        page_token,
                        filter: l.filter(),
                    };
                    async move {
                        let r = ctx
                            .conn
                            .call(request, |ch, r| async move { Client::new(ch).list_programmes(r).await })
                            .await?;
                        Ok((r.programmes, r.next_page_token))
                    }
                })
                .await?;
            output::list(ctx.format, &items)
        }
        Cmd::Update {
            name,
            etag,
            no_peer_review,
            no_document_requirements,
            fields,
        } => {
            let name = programme_arg("NAME", &name)?;
            // Review flags given alone keep the other review settings.
            let current = if fields.touches_review() {
                Some(get(ctx, name.clone()).await?)
            } else {
                None
            };
            let (mut programme, mut mask) = fields.build(current.as_ref().and_then(|c| c.review_settings.as_ref()))?;
            if no_peer_review {
                programme.review_settings = None;
                mask.push("review_settings".to_owned());
            }
            if no_document_requirements {
                programme.document_requirements = Vec::new();
                mask.push("document_requirements".to_owned());
            }
            mask.sort();
            mask.dedup();
            if mask.is_empty() {
                return Err(CliError::invalid(
                    "update",
                    "give at least one field to change, such as --budget",
                ));
            }
            programme.name = name.clone();
            programme.etag = match (etag, current) {
                (Some(e), _) => e,
                (None, _) if !programme.etag.is_empty() => programme.etag,
                (None, Some(c)) => c.etag,
                (None, None) => get(ctx, name).await?.etag,
            };
            let request = v1::UpdateProgrammeRequest {
                programme: Some(programme),
                update_mask: Some(prost_types::FieldMask { paths: mask }),
                request_id: fields.write.id(),
            };
            let r = ctx
                .conn
                .call(
                    request,
                    |ch, r| async move { Client::new(ch).update_programme(r).await },
                )
                .await?;
            output::one(ctx.format, &r.programme.unwrap_or_default())
        }
        Cmd::Ranking { name } => super::reviews::ranking(ctx, programme_arg("NAME", &name)?).await,
    }
}
