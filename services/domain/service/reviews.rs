//! Peer review: assigning reviewers, declared conflicts, reviews, the
//! ranking, and what reviewers may read of the applications assigned to
//! them. Every change runs through the store's application transaction,
//! so a review, its event and the application's state commit together.

use std::sync::Arc;

use super::{Grants, RequestKey, StateChange};
use crate::domain::access::{Caller, Role};
use crate::domain::application::{Application, View};
use crate::domain::error::{Error, Result};
use crate::domain::ids::{ApiKeyName, ApplicationName, ProgrammeName, ReviewName};
use crate::domain::lifecycle::{Situation, not_visible};
use crate::domain::page::{Page, PageRequest};
use crate::domain::ports::ApplicationChange;
use crate::domain::programme::Programme;
use crate::domain::review::{self, Ranking, ReviewInput, ReviewState, ReviewView};
use crate::domain::text;
use crate::domain::time::Timestamp;

impl Grants {
    pub async fn assign_reviewer(
        &self,
        caller: &Caller,
        application: &ApplicationName,
        reviewer: &str,
        request: Option<RequestKey>,
    ) -> Result<ReviewView> {
        caller.require(&[Role::Admin, Role::Officer], "assign reviewers")?;
        // Out of scope reads as such before any key is looked up.
        caller
            .require_programme(&application.programme)
            .map_err(|_| not_visible(application))?;
        if reviewer.is_empty() {
            return Err(Error::invalid(
                "reviewer",
                "is required: the reviewer's key, apiKeys/{api_key}",
            ));
        }
        let reviewer_name = ApiKeyName::parse(reviewer, "reviewer")?;
        let key = self
            .store
            .get_api_key(&reviewer_name)
            .await?
            .ok_or_else(|| Error::invalid("reviewer", format!("{reviewer_name} is not an issued key")))?;
        let name = ReviewName::generate(application.clone());
        let now = Timestamp::now();
        let (who, review_name) = (caller.clone(), name.clone());
        let decide: ApplicationChange =
            Arc::new(move |s: &Situation| review::assign(&who, s, &key, review_name.clone(), now));
        let changed = self
            .apply(caller, application, request, Some(&name), false, decide)
            .await?;
        self.review_out(caller, changed).await
    }

    pub async fn declare_conflict(
        &self,
        caller: &Caller,
        name: &ReviewName,
        reason: &str,
        request: Option<RequestKey>,
    ) -> Result<ReviewView> {
        caller.require(&[Role::Admin, Role::Reviewer], "declare conflicts of interest")?;
        let reason = text::required(reason, "reason", review::MAX_CONFLICT_CHARS)?;
        let now = Timestamp::now();
        let (who, review_name) = (caller.clone(), name.clone());
        let decide: ApplicationChange =
            Arc::new(move |s: &Situation| review::declare_conflict(&who, s, &review_name, reason.clone(), now));
        let changed = self
            .apply(caller, &name.application, request, Some(name), false, decide)
            .await
            .map_err(|e| hide_missing(e, caller, name))?;
        self.review_out(caller, changed).await
    }

    pub async fn submit_review(
        &self,
        caller: &Caller,
        name: &ReviewName,
        input: ReviewInput,
        request: Option<RequestKey>,
    ) -> Result<ReviewView> {
        caller.require(&[Role::Reviewer], "submit reviews")?;
        let now = Timestamp::now();
        // The first review locks the programme's review settings.
        let (who, review_name) = (caller.clone(), name.clone());
        let decide: ApplicationChange =
            Arc::new(move |s: &Situation| review::submit_review(&who, s, &review_name, &input, now));
        let changed = self
            .apply(caller, &name.application, request, Some(name), true, decide)
            .await
            .map_err(|e| hide_missing(e, caller, name))?;
        self.review_out(caller, changed).await
    }

    /// The changed review as the caller may see it, numbered among its
    /// application's (a reviewer who just declared a conflict still gets
    /// its review back, though it reads nothing of the application now).
    async fn review_out(&self, caller: &Caller, changed: StateChange) -> Result<ReviewView> {
        let review = changed
            .review
            .ok_or_else(|| Error::internal("a review change returned no review"))?;
        let programme = self.programme_of(&changed.application).await?;
        // The review as the change (or, on a retry, the first call) left
        // it, labelled as it was then.
        if let Some(label) = changed.review_label {
            return Ok(ReviewView::new(review, label, &programme));
        }
        let reviews = self.store.list_reviews(&changed.application.name).await?;
        review::reviews_for(caller, &changed.application, &programme, reviews)?
            .into_iter()
            .find(|v| v.review.name.id() == review.name.id())
            .ok_or_else(|| Error::internal("a changed review is missing"))
    }

    pub async fn get_review(&self, caller: &Caller, name: &ReviewName) -> Result<ReviewView> {
        let views = self.review_views(caller, &name.application).await?;
        views
            .into_iter()
            .find(|v| v.review.name.id() == name.id())
            .ok_or_else(|| match caller.role {
                Role::Admin => Error::NotFound {
                    resource: name.to_string(),
                },
                _ => not_visible(name),
            })
    }

    pub async fn list_reviews(
        &self,
        caller: &Caller,
        application: &ApplicationName,
        page_size: i32,
        page_token: &str,
    ) -> Result<Page<ReviewView>> {
        let page = PageRequest::parse(page_size, page_token, &application.to_string(), "")?;
        let views = self.review_views(caller, application).await?;
        let after = page.after.clone();
        let rows: Vec<ReviewView> = views
            .into_iter()
            .filter(|v| after.as_deref().is_none_or(|a| v.review.name.id() > a))
            .take(usize::try_from(page.fetch_limit()).unwrap_or(usize::MAX))
            .collect();
        Ok(Page::from_rows(&page, rows, |v: &ReviewView| {
            v.review.name.id().to_owned()
        }))
    }

    /// Every review of `application` the caller may see.
    async fn review_views(&self, caller: &Caller, application: &ApplicationName) -> Result<Vec<ReviewView>> {
        caller.require(
            &[Role::Admin, Role::Officer, Role::Applicant, Role::Reviewer],
            "read reviews",
        )?;
        let found = self.get_application(caller, application).await?;
        let programme = self.programme_of(&found).await?;
        let reviews = self.store.list_reviews(application).await?;
        review::reviews_for(caller, &found, &programme, reviews)
    }

    async fn programme_of(&self, application: &Application) -> Result<Programme> {
        self.store
            .get_programme(&application.name.programme)
            .await?
            .ok_or_else(|| Error::internal("application without its programme"))
    }

    pub async fn review_ranking(&self, caller: &Caller, programme: &ProgrammeName) -> Result<Ranking> {
        caller.require(&[Role::Admin, Role::Officer], "rank applications")?;
        caller.require_programme(programme)?;
        let found = self
            .store
            .get_programme(programme)
            .await?
            .ok_or_else(|| Error::NotFound {
                resource: programme.to_string(),
            })?;
        let candidates = self.store.ranking_candidates(programme).await?;
        Ok(review::rank(&found, candidates, Timestamp::now()))
    }

    /// A reviewer's read of an application: only while assigned to it (an
    /// ended assignment reads nothing), e-mails as the programme allows.
    pub(super) async fn reviewer_application(&self, caller: &Caller, name: &ApplicationName) -> Result<Application> {
        let Some(found) = self.store.get_application(name).await? else {
            return Err(not_visible(name));
        };
        if !caller.may_see_programme(&name.programme) || !self.is_assigned(caller, &found).await? {
            return Err(not_visible(name));
        }
        let view = self.reviewer_view(&name.programme).await?;
        Ok(found.in_view(view))
    }

    /// Whether the reviewer holds a live assignment to `application`: not
    /// ended by a declared conflict, and not conflicted since (partners
    /// may have changed).
    pub(super) async fn is_assigned(&self, caller: &Caller, application: &Application) -> Result<bool> {
        Ok(self
            .store
            .find_review(&application.name, &caller.key)
            .await?
            .is_some_and(|r| {
                r.state != ReviewState::ConflictDeclared
                    && review::conflict_with(&r.reviewer_institution, application).is_none()
            }))
    }

    /// For a reviewer's stream, once its start is fixed: whether the
    /// assignment still holds. An assignment ended before the start would
    /// never show its ending event on the stream, so the stream is refused;
    /// one ended after it shows the event, which ends the stream.
    pub async fn still_watching(&self, caller: &Caller, scope: &crate::domain::watch::EventScope) -> Result<()> {
        let (Role::Reviewer, Some(application)) = (caller.role, &scope.application) else {
            return Ok(());
        };
        self.reviewer_application(caller, application).await.map(drop)
    }

    /// What a reviewer sees of the applications of `programme`.
    pub(super) async fn reviewer_view(&self, programme: &ProgrammeName) -> Result<View> {
        let emails = self
            .store
            .get_programme(programme)
            .await?
            .and_then(|p| p.review)
            .is_some_and(|r| r.reviewers_see_email);
        Ok(View {
            emails,
            reviewers: false,
        })
    }
}

/// A review the caller may not act on, or that does not exist, reads as
/// out of scope (administrators learn it does not exist).
fn hide_missing(err: Error, caller: &Caller, name: &ReviewName) -> Error {
    match err {
        Error::NotFound { .. } if caller.role != Role::Admin => not_visible(name),
        other => other,
    }
}
