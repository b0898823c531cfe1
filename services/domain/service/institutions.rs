//! Registering and reading institutions.

use super::{Grants, RequestKey, idempotency};
use crate::domain::access::{Caller, Role};
use crate::domain::error::{Error, Result};
use crate::domain::ids::InstitutionName;
use crate::domain::institution::{Institution, InstitutionFilter, InstitutionInput, NewInstitution};
use crate::domain::page::{Page, PageRequest};
use crate::domain::ports::InstitutionChange;
use crate::domain::time::Timestamp;

impl Grants {
    pub async fn create_institution(
        &self,
        caller: &Caller,
        input: InstitutionInput,
        request: Option<RequestKey>,
    ) -> Result<Institution> {
        caller.require(&[Role::Admin], "register institutions")?;
        let idem = idempotency(caller, request)?;
        let new = NewInstitution::parse(input, "institution")?;
        self.store.create_institution(new, idem).await
    }

    /// Changes the masked names or ROR id, if `etag` is current.
    pub async fn update_institution(
        &self,
        caller: &Caller,
        name: &InstitutionName,
        etag: &str,
        input: InstitutionInput,
        mask: Vec<String>,
        request: Option<RequestKey>,
    ) -> Result<Institution> {
        caller.require(&[Role::Admin], "update institutions")?;
        let idem = idempotency(caller, request)?;
        if etag.is_empty() {
            return Err(Error::invalid(
                "institution.etag",
                "is required: send the etag you last read",
            ));
        }
        let (etag, now) = (etag.to_owned(), Timestamp::now());
        let change: InstitutionChange =
            std::sync::Arc::new(move |current: &Institution| current.updated(&etag, input.clone(), &mask, now));
        self.store
            .update_institution(name, idem, change)
            .await?
            .ok_or_else(|| Error::NotFound {
                resource: name.to_string(),
            })
    }

    /// Institutions are public to every role.
    pub async fn get_institution(&self, _caller: &Caller, name: &InstitutionName) -> Result<Institution> {
        self.store.get_institution(name).await?.ok_or_else(|| Error::NotFound {
            resource: name.to_string(),
        })
    }

    pub async fn list_institutions(
        &self,
        _caller: &Caller,
        filter: &str,
        page_size: i32,
        page_token: &str,
    ) -> Result<Page<Institution>> {
        let parsed = InstitutionFilter::parse(filter)?;
        let page = PageRequest::parse(page_size, page_token, "institutions", filter)?;
        let rows = self.store.list_institutions(&parsed, &page).await?;
        Ok(Page::from_rows(&page, rows, |i| i.name.id().to_owned()))
    }
}
