//! What this process last read or wrote of applications, programmes and
//! institutions, for a change on PostgreSQL to decide on without a read.
//! Never trusted: the statement that writes a change is guarded by the
//! versions it decided on (`optimistic`), so a stale entry (another
//! replica wrote since) costs a fresh read, never a wrong write. A change
//! refused on what is remembered is decided again on a fresh read.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::domain::application::Application;
use crate::domain::document::DocumentSummary;
use crate::domain::ids::ApplicationName;
use crate::domain::institution::Institution;
use crate::domain::lifecycle::Situation;
use crate::domain::programme::Programme;

/// Entries kept of each kind; beyond, that kind starts over (a bound on
/// memory, not an eviction policy: a miss costs one read).
const MAX_ENTRIES: usize = 4_096;

#[derive(Debug, Default)]
pub(crate) struct Recent(Mutex<Rows>);

#[derive(Debug, Default)]
struct Rows {
    /// Each application with its documents.
    applications: HashMap<String, (Application, Vec<DocumentSummary>)>,
    programmes: HashMap<String, Programme>,
    institutions: HashMap<String, Institution>,
}

/// Keeps `value` unless a newer version of it is kept (concurrent
/// changes may report out of order).
fn keep<T>(map: &mut HashMap<String, T>, id: &str, value: T, version: impl Fn(&T) -> i64) {
    if let Some(kept) = map.get(id)
        && version(kept) > version(&value)
    {
        return;
    }
    if map.len() >= MAX_ENTRIES && !map.contains_key(id) {
        map.clear();
    }
    map.insert(id.to_owned(), value);
}

impl Recent {
    fn rows(&self) -> std::sync::MutexGuard<'_, Rows> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The situation of `name` as last seen, if all of it is known (its
    /// reviews are not kept: peer review always reads).
    pub(crate) fn situation(&self, name: &ApplicationName) -> Option<Situation> {
        let rows = self.rows();
        let (application, documents) = rows.applications.get(name.id())?;
        if application.name.programme != name.programme {
            return None;
        }
        let programme = rows.programmes.get(name.programme.id())?;
        let applicant = rows.institutions.get(application.applicant.id())?;
        let partners = application
            .partners
            .iter()
            .map(|p| rows.institutions.get(p.id()).map(|i| (p.clone(), Some(i.clone()))))
            .collect::<Option<Vec<_>>>()?;
        Some(Situation {
            application: application.clone(),
            programme: programme.clone(),
            applicant: Some(applicant.clone()),
            partners,
            reviews: Vec::new(),
            documents: documents.clone(),
        })
    }

    /// Remembers what a change read (institutions that exist only).
    pub(crate) fn read(&self, s: &Situation) {
        let mut rows = self.rows();
        keep(
            &mut rows.applications,
            s.application.name.id(),
            (s.application.clone(), s.documents.clone()),
            |(a, _)| a.version,
        );
        keep(&mut rows.programmes, s.programme.name.id(), s.programme.clone(), |p| {
            p.version
        });
        let named = s
            .applicant
            .iter()
            .chain(s.partners.iter().filter_map(|(_, i)| i.as_ref()));
        for i in named {
            // Institutions never change.
            keep(&mut rows.institutions, i.name.id(), i.clone(), |_| 0);
        }
    }

    /// Remembers what a change wrote: the application as written, with
    /// its documents after the write.
    pub(crate) fn wrote(
        &self,
        application: &Application,
        programme: Option<&Programme>,
        documents: Vec<DocumentSummary>,
    ) {
        let mut rows = self.rows();
        keep(
            &mut rows.applications,
            application.name.id(),
            (application.clone(), documents),
            |(a, _)| a.version,
        );
        if let Some(p) = programme {
            keep(&mut rows.programmes, p.name.id(), p.clone(), |p| p.version);
        }
    }

    /// Forgets an application (seen stale).
    pub(crate) fn forget(&self, name: &ApplicationName) {
        self.rows().applications.remove(name.id());
    }
}
