//! Drafting, editing, reading and listing applications, and the shared
//! path of every state change.

use super::{Grants, RequestKey, idempotency};
use crate::domain::access::{Caller, Role};
use crate::domain::application::{
    Application, ApplicationFilter, ApplicationInput, DraftFields, State, View, merge_update,
};
use crate::domain::error::{Error, Reason, Result};
use crate::domain::event::{ApplicationEvent, Cursor, Disbursement, NewEvent};
use crate::domain::ids::{ApplicationName, InstitutionName, ProgrammeName};
use crate::domain::lifecycle::{Outcome, Situation, may_see, not_visible};
use crate::domain::money::Money;
use crate::domain::page::{Page, PageRequest};
use crate::domain::ports::{ApplicationChange, Changed};
use crate::domain::review::Review;
use crate::domain::time::Timestamp;
use crate::domain::watch::WatchFilter;

/// What a state change returns to its caller.
#[derive(Debug, Clone)]
pub struct StateChange {
    pub application: Application,
    pub disbursement: Option<Disbursement>,
    /// The review made or changed, for review actions.
    pub review: Option<Review>,
    /// Its label among the application's reviews, as the first call
    /// answered (`None` for changes recorded before labels were kept).
    pub review_label: Option<String>,
    /// The document stored or deleted, for document actions.
    pub document: Option<crate::domain::document::Document>,
}

impl Grants {
    pub async fn create_application(
        &self,
        caller: &Caller,
        parent: &ProgrammeName,
        input: ApplicationInput,
        request: Option<RequestKey>,
    ) -> Result<Application> {
        caller.require(&[Role::Admin, Role::Applicant], "create applications")?;
        caller.require_programme(parent)?;
        let idem = idempotency(caller, request)?;
        let applicant = match (&caller.institution, input.applicant.as_str()) {
            (Some(own), "") if caller.role == Role::Applicant => own.clone(),
            (Some(own), given) if caller.role == Role::Applicant => {
                let given = InstitutionName::parse(given, "application.applicant_institution")?;
                if &given != own {
                    return Err(Error::denied(
                        Reason::OutOfScope,
                        "applicants apply for their own institution only",
                    ));
                }
                given
            }
            (_, "") => {
                return Err(Error::invalid("application.applicant_institution", "is required"));
            }
            (_, given) => InstitutionName::parse(given, "application.applicant_institution")?,
        };
        let (currency, applicant_exists) =
            self.store
                .creation_facts(parent, &applicant)
                .await?
                .ok_or_else(|| Error::NotFound {
                    resource: parent.to_string(),
                })?;
        if !applicant_exists {
            return Err(Error::invalid(
                "application.applicant_institution",
                format!("{applicant} does not exist"),
            ));
        }
        let fields = DraftFields::parse(&input, &applicant, &currency, "application")?;
        let now = Timestamp::now();
        let application = Application {
            name: ApplicationName::generate(parent.clone()),
            applicant,
            title: fields.title,
            abstract_text: fields.abstract_text,
            investigator: fields.investigator,
            partners: fields.partners,
            requested: fields.requested,
            duration_months: fields.duration_months,
            state: State::Draft,
            version: 1,
            create_time: now,
            update_time: now,
            submit_time: None,
            decision: None,
            award_number: None,
            awarded: None,
            disbursed: Money::zero(currency),
            team: fields.team,
            endorsements: Vec::new(),
            schedule: None,
            reports: Vec::new(),
            closure: None,
            preferred_periods: fields.preferred_periods,
        };
        let event = NewEvent::by(caller, None, State::Draft, String::new());
        Ok(self
            .store
            .create_application(application, event, idem)
            .await?
            .visible_to(caller))
    }

    /// The application if the caller may see it; otherwise the same
    /// PERMISSION_DENIED whether or not it exists (admins get NOT_FOUND).
    pub async fn get_application(&self, caller: &Caller, name: &ApplicationName) -> Result<Application> {
        if caller.role == Role::Reviewer {
            return self.reviewer_application(caller, name).await;
        }
        match self.store.get_application(name).await? {
            Some(a) if may_see(caller, &a) => Ok(a.visible_to(caller)),
            None if caller.role == Role::Admin => Err(Error::NotFound {
                resource: name.to_string(),
            }),
            _ => Err(not_visible(name)),
        }
    }

    /// `parent` is `programmes/{programme}` or `programmes/-` (all).
    pub async fn list_applications(
        &self,
        caller: &Caller,
        parent: &str,
        filter: &str,
        page_size: i32,
        page_token: &str,
    ) -> Result<Page<Application>> {
        let mut parsed = ApplicationFilter::parse(filter)?;
        let page = PageRequest::parse(page_size, page_token, parent, filter)?;
        if parent != "programmes/-" {
            let programme = ProgrammeName::parse(parent, "parent")?;
            self.require_programme_parent(caller, &programme).await?;
            parsed.programme = Some(programme);
        }
        if caller.role != Role::Applicant && parsed.relation.is_some() {
            // For other roles, `relation` qualifies the institution named.
            parsed.involving = parsed.applicant.take();
            if parsed.involving.is_none() {
                return Err(Error::invalid(
                    "filter",
                    "relation needs applicant_institution to say whose relation it is",
                ));
            }
        }
        match caller.role {
            Role::Admin => {}
            Role::Applicant => {
                // Its own applications and those naming it as a partner
                // (`relation` narrows to one); `applicant_institution`
                // then picks among them.
                parsed.involving = Some(
                    caller
                        .institution
                        .clone()
                        .unwrap_or_else(|| InstitutionName::from_id("-")),
                );
            }
            Role::Officer | Role::Viewer => parsed.programmes_in = caller.programme_scope().map(<[_]>::to_vec),
            Role::Reviewer => {
                parsed.programmes_in = caller.programme_scope().map(<[_]>::to_vec);
                parsed.assigned_to = Some(caller.key.clone());
            }
        }
        let rows = self.store.list_applications(&parsed, &page).await?;
        let rows = if caller.role == Role::Reviewer {
            let mut views: Vec<(ProgrammeName, View)> = Vec::new();
            let mut out = Vec::with_capacity(rows.len());
            for a in rows {
                let programme = a.name.programme.clone();
                let view = match views.iter().find(|(p, _)| *p == programme) {
                    Some((_, v)) => *v,
                    None => {
                        let v = self.reviewer_view(&programme).await?;
                        views.push((programme, v));
                        v
                    }
                };
                out.push(a.in_view(view));
            }
            out
        } else {
            rows.into_iter().map(|a| a.visible_to(caller)).collect()
        };
        Ok(Page::from_rows(&page, rows, |a: &Application| a.name.id().to_owned()))
    }

    /// Edits a DRAFT or CHANGES_REQUESTED application; `etag` must be current.
    pub async fn update_application(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        etag: &str,
        input: ApplicationInput,
        mask: Vec<String>,
        request: Option<RequestKey>,
    ) -> Result<Application> {
        caller.require(&[Role::Admin, Role::Applicant], "edit applications")?;
        if etag.is_empty() {
            return Err(Error::invalid(
                "application.etag",
                "is required: send the etag you last read",
            ));
        }
        let now = Timestamp::now();
        let (who, etag) = (caller.clone(), etag.to_owned());
        let decide: ApplicationChange = std::sync::Arc::new(move |s: &Situation| {
            let current = &s.application;
            if !may_see(&who, current) {
                return Err(not_visible(&current.name));
            }
            crate::domain::lifecycle::require_own(&who, current, "edit it")?;
            if !current.state.is_editable() {
                return Err(Error::precondition(
                    Reason::InvalidState,
                    format!("cannot edit an application in state {}", current.state.as_str()),
                ));
            }
            if current.etag() != etag {
                return Err(Error::Aborted {
                    reason: Reason::EtagMismatch,
                    message: format!(
                        "{} changed since it was read (etag {}); read it again",
                        current.name,
                        current.etag()
                    ),
                });
            }
            let merged = merge_update(current, input.clone(), &mask)?;
            let fields = DraftFields::parse(&merged, &current.applicant, &s.programme.currency, "application")?;
            crate::domain::signoff::edit(&who, s, fields, now)
        });
        Ok(self
            .apply(caller, name, request, None, false, decide)
            .await?
            .application)
    }

    /// Runs a state change through the store, mapping replays and misses.
    pub(super) async fn apply(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        request: Option<RequestKey>,
        claim: Option<&(dyn std::fmt::Display + Sync)>,
        changes_programme: bool,
        decide: ApplicationChange,
    ) -> Result<StateChange> {
        let idem = idempotency(caller, request)?;
        self.apply_idem(caller, name, idem, claim, changes_programme, decide)
            .await
    }

    /// [`Self::apply`] with the request id already checked.
    pub(super) async fn apply_idem(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        idem: Option<crate::domain::ports::Idempotency>,
        claim: Option<&(dyn std::fmt::Display + Sync)>,
        changes_programme: bool,
        decide: ApplicationChange,
    ) -> Result<StateChange> {
        let claim_name = claim.map_or_else(|| name.to_string(), ToString::to_string);
        match self
            .store
            .change_application(name, idem, &claim_name, changes_programme, decide)
            .await?
        {
            Changed::Applied(outcome) => {
                let Outcome {
                    application,
                    disbursement,
                    review,
                    review_label,
                    document,
                    ..
                } = *outcome;
                Ok(StateChange {
                    application: application.visible_to(caller),
                    disbursement,
                    review,
                    review_label,
                    document: document.map(|d| d.document().clone()),
                })
            }
            Changed::Replayed {
                application,
                disbursement,
                review,
                review_label,
                document,
            } => Ok(StateChange {
                application: application.visible_to(caller),
                disbursement: disbursement.map(|d| *d),
                review: review.map(|r| *r),
                review_label,
                document: document.map(|d| *d),
            }),
            Changed::Missing if caller.role == Role::Admin => Err(Error::NotFound {
                resource: name.to_string(),
            }),
            Changed::Missing => Err(not_visible(name)),
        }
    }

    /// History, oldest first, of `parent`: one application
    /// (`programmes/{p}/applications/{a}`), a programme (`programmes/{p}`),
    /// an institution's applications (`institutions/{i}`) or everything the
    /// caller may see (`programmes/-`). Scope rules are those of watching.
    pub async fn list_events(
        &self,
        caller: &Caller,
        parent: &str,
        page_size: i32,
        page_token: &str,
    ) -> Result<Page<ApplicationEvent>> {
        if caller.role == Role::Reviewer && !parent.contains("/applications/") {
            return Err(reviewers_read_assignments_only());
        }
        let filter = if parent == "programmes/-" {
            WatchFilter::default()
        } else if parent.starts_with("institutions/") {
            WatchFilter {
                institution: Some(InstitutionName::parse(parent, "parent")?),
                ..WatchFilter::default()
            }
        } else if parent.contains("/applications/") {
            let name = ApplicationName::parse(parent, "parent")?;
            return self.list_application_events(caller, &name, page_size, page_token).await;
        } else {
            WatchFilter {
                programme: Some(ProgrammeName::parse(parent, "parent")?),
                ..WatchFilter::default()
            }
        };
        self.require_parents(caller, &filter).await?;
        let scope = filter.scope_for(caller)?;
        let page = PageRequest::parse(page_size, page_token, parent, "")?;
        let after = self.page_position(page.after.as_deref())?;
        let after = after.unwrap_or_else(|| Cursor::new(self.store.event_log(), 0));
        self.store.settle().await?;
        let rows = self.store.events_after(after, &scope, page.fetch_limit()).await?;
        Ok(self.event_page(View::of(caller), &page, rows))
    }

    fn page_position(&self, after: Option<&str>) -> Result<Option<Cursor>> {
        after
            .map(|a| {
                a.parse::<i64>()
                    .map(|seq| Cursor::new(self.store.event_log(), seq))
                    .map_err(|_| Error::invalid("page_token", "is not valid"))
            })
            .transpose()
    }

    fn event_page(&self, view: View, page: &PageRequest, rows: Vec<ApplicationEvent>) -> Page<ApplicationEvent> {
        let rows = rows.into_iter().map(|e| e.in_view(view)).collect();
        Page::from_rows(page, rows, |e: &ApplicationEvent| e.cursor.seq.to_string())
    }

    /// One application's history, oldest first.
    async fn list_application_events(
        &self,
        caller: &Caller,
        name: &ApplicationName,
        page_size: i32,
        page_token: &str,
    ) -> Result<Page<ApplicationEvent>> {
        self.get_application(caller, name).await?;
        let view = if caller.role == Role::Reviewer {
            self.reviewer_view(&name.programme).await?
        } else {
            View::of(caller)
        };
        let page = PageRequest::parse(page_size, page_token, &name.to_string(), "")?;
        let after = self.page_position(page.after.as_deref())?;
        let rows = self
            .store
            .list_application_events(name, after, page.fetch_limit())
            .await?;
        Ok(self.event_page(view, &page, rows))
    }
}

/// Reviewers read the history of one application at a time, one that is
/// assigned to them.
pub(super) fn reviewers_read_assignments_only() -> Error {
    Error::denied(
        Reason::OutOfScope,
        "reviewers read the events of the applications assigned to them, one application at a time",
    )
}
