//! Who may watch what: the scope of an event stream and the programmes of
//! a summary stream.

use super::Grants;
use crate::domain::access::{Caller, Role};
use crate::domain::application::View;
use crate::domain::error::Result;
use crate::domain::ids::ProgrammeName;
use crate::domain::page::{MAX_PAGE_SIZE, PageRequest};
use crate::domain::programme::ProgrammeFilter;
use crate::domain::watch::{EventScope, WatchFilter};

impl Grants {
    /// The events `caller` receives for `filter`, and how much of each it
    /// sees. Naming a programme, institution or application outside the
    /// caller's scope, or one that does not exist, is PERMISSION_DENIED, as
    /// for reads (NOT_FOUND for admins when it does not exist).
    pub async fn watch_scope(&self, caller: &Caller, filter: WatchFilter) -> Result<(EventScope, View)> {
        if let Some(application) = &filter.application {
            self.get_application(caller, application).await?;
        }
        self.require_parents(caller, &filter).await?;
        let mut scope = filter.scope_for(caller)?;
        if caller.role != Role::Reviewer {
            return Ok((scope, View::of(caller)));
        }
        let Some(application) = scope.application.clone() else {
            return Err(super::applications::reviewers_read_assignments_only());
        };
        scope.review = self.store.find_review(&application, &caller.key).await?.map(|r| r.name);
        Ok((scope, self.reviewer_view(&application.programme).await?))
    }

    /// The programme and institution a stream or history names exist and
    /// are the caller's to see.
    pub(super) async fn require_parents(&self, caller: &Caller, filter: &WatchFilter) -> Result<()> {
        if let Some(programme) = &filter.programme {
            self.require_programme_parent(caller, programme).await?;
        }
        if let Some(institution) = &filter.institution {
            if caller.role == Role::Applicant && filter.relation == Some(crate::domain::application::Relation::Partner)
            {
                // Another institution's applications, as their partner:
                // the institution must exist; the scope does the rest.
                if self.store.get_institution(institution).await?.is_none() {
                    return Err(crate::domain::lifecycle::not_visible(institution));
                }
            } else {
                self.require_institution_parent(caller, institution).await?;
            }
        }
        Ok(())
    }

    /// The programmes whose summaries `caller` receives: those requested,
    /// or every programme in scope. Summaries are programme-wide, so
    /// applicants (scoped to one institution) may not watch them.
    pub async fn summary_programmes(&self, caller: &Caller, requested: &[String]) -> Result<Vec<ProgrammeName>> {
        caller.require(&[Role::Admin, Role::Officer, Role::Viewer], "watch programme summaries")?;
        if !requested.is_empty() {
            let mut out = Vec::new();
            for (i, name) in requested.iter().enumerate() {
                let name = ProgrammeName::parse(name, &format!("programmes[{i}]"))?;
                self.require_programme_parent(caller, &name).await?;
                out.push(name);
            }
            out.sort();
            out.dedup();
            return Ok(out);
        }
        let mut out = Vec::new();
        let mut token = String::new();
        loop {
            let page = PageRequest::parse(MAX_PAGE_SIZE as i32, &token, "summaries", "")?;
            let rows = self
                .store
                .list_programmes(&ProgrammeFilter::default(), caller.programme_scope(), &page)
                .await?;
            let page = crate::domain::page::Page::from_rows(&page, rows, |p| p.name.id().to_owned());
            out.extend(page.items.into_iter().map(|p| p.name));
            if page.next_page_token.is_empty() {
                return Ok(out);
            }
            token = page.next_page_token;
        }
    }
}
