//! Creating, reading and updating programmes.

use super::{Grants, RequestKey, idempotency};
use crate::domain::access::{Caller, Role};
use crate::domain::error::{Error, Reason, Result};
use crate::domain::ids::ProgrammeName;
use crate::domain::page::{Page, PageRequest};
use crate::domain::ports::ProgrammeChange;
use crate::domain::programme::{NewProgramme, Programme, ProgrammeFilter, ProgrammeInput, apply_update};
use crate::domain::time::Timestamp;

impl Grants {
    pub async fn create_programme(
        &self,
        caller: &Caller,
        input: ProgrammeInput,
        request: Option<RequestKey>,
    ) -> Result<Programme> {
        caller.require(&[Role::Admin], "create programmes")?;
        let idem = idempotency(caller, request)?;
        let new = NewProgramme::parse(input, "programme")?;
        self.store.create_programme(new, idem).await
    }

    /// Out of scope and nonexistent give the same PERMISSION_DENIED.
    pub async fn get_programme(&self, caller: &Caller, name: &ProgrammeName) -> Result<Programme> {
        caller.require_programme(name)?;
        self.store.get_programme(name).await?.ok_or_else(|| Error::NotFound {
            resource: name.to_string(),
        })
    }

    pub async fn list_programmes(
        &self,
        caller: &Caller,
        filter: &str,
        page_size: i32,
        page_token: &str,
    ) -> Result<Page<Programme>> {
        let parsed = ProgrammeFilter::parse(filter, Timestamp::now())?;
        let page = PageRequest::parse(page_size, page_token, "programmes", filter)?;
        let rows = self
            .store
            .list_programmes(&parsed, caller.programme_scope(), &page)
            .await?;
        Ok(Page::from_rows(&page, rows, |p| p.name.id().to_owned()))
    }

    /// Applies the masked fields if `etag` is current (else ABORTED).
    pub async fn update_programme(
        &self,
        caller: &Caller,
        name: &ProgrammeName,
        etag: &str,
        input: ProgrammeInput,
        mask: Vec<String>,
        request: Option<RequestKey>,
    ) -> Result<Programme> {
        caller.require(&[Role::Admin], "update programmes")?;
        let idem = idempotency(caller, request)?;
        if etag.is_empty() {
            return Err(Error::invalid(
                "programme.etag",
                "is required: send the etag you last read",
            ));
        }
        let (name_, etag) = (name.clone(), etag.to_owned());
        let change: ProgrammeChange = std::sync::Arc::new(move |current: &Programme| {
            let name = &name_;
            if current.etag() != etag {
                return Err(Error::Aborted {
                    reason: Reason::EtagMismatch,
                    message: format!(
                        "{name} changed since it was read (etag {}); read it again",
                        current.etag()
                    ),
                });
            }
            apply_update(current, input.clone(), &mask)
        });
        self.store
            .update_programme(name, idem, change)
            .await?
            .ok_or_else(|| Error::NotFound {
                resource: name.to_string(),
            })
    }
}
