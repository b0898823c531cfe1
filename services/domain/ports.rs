//! What the domain needs from storage, in domain types only. The store
//! implements these traits on SQLite and PostgreSQL; every method is one
//! transaction, and idempotency records are written in the same one.

use async_trait::async_trait;

use super::access::{ApiKey, ApiKeyFilter, NewApiKey};
use super::error::Result;
use super::ids::{ApiKeyName, InstitutionName, ProgrammeName};
use super::institution::{Institution, InstitutionFilter, NewInstitution};
use super::page::PageRequest;
use super::programme::{NewProgramme, Programme, ProgrammeFilter};

/// An idempotency record: the caller's `request_id` for one call, and a
/// fingerprint of the whole request so a reused id with another request
/// is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    pub caller: ApiKeyName,
    pub request_id: String,
    pub fingerprint: String,
}

/// A change decided by the domain on the current state of a programme.
pub type ProgrammeChange<'a> = &'a (dyn Fn(&Programme) -> Result<Programme> + Send + Sync);

#[async_trait]
pub trait InstitutionStore: Send + Sync {
    /// Inserts, or on an idempotent replay returns the first result.
    async fn create_institution(
        &self,
        new: NewInstitution,
        idem: Option<Idempotency>,
    ) -> Result<Institution>;
    async fn get_institution(&self, name: &InstitutionName) -> Result<Option<Institution>>;
    /// Up to `page.fetch_limit()` institutions after `page.after`, by name.
    async fn list_institutions(
        &self,
        filter: &InstitutionFilter,
        page: &PageRequest,
    ) -> Result<Vec<Institution>>;
}

#[async_trait]
pub trait ProgrammeStore: Send + Sync {
    async fn create_programme(
        &self,
        new: NewProgramme,
        idem: Option<Idempotency>,
    ) -> Result<Programme>;
    async fn get_programme(&self, name: &ProgrammeName) -> Result<Option<Programme>>;
    /// `scope`: `None` for all programmes, else only those named.
    async fn list_programmes(
        &self,
        filter: &ProgrammeFilter,
        scope: Option<&[ProgrammeName]>,
        page: &PageRequest,
    ) -> Result<Vec<Programme>>;
    /// Locks the programme, lets `change` decide on its current state, and
    /// saves the result. `Ok(None)` when it does not exist.
    async fn update_programme(
        &self,
        name: &ProgrammeName,
        idem: Option<Idempotency>,
        change: ProgrammeChange<'_>,
    ) -> Result<Option<Programme>>;
}

#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Stores a key by the hash of its secret. Returns the key and whether
    /// this call created it (`false` on an idempotent replay).
    async fn create_api_key(
        &self,
        new: NewApiKey,
        secret_hash: String,
        idem: Option<Idempotency>,
    ) -> Result<(ApiKey, bool)>;
    async fn find_api_key_by_hash(&self, secret_hash: &str) -> Result<Option<ApiKey>>;
    async fn list_api_keys(&self, filter: &ApiKeyFilter, page: &PageRequest)
    -> Result<Vec<ApiKey>>;
    /// Revokes (idempotently: revoking twice keeps the first time).
    async fn revoke_api_key(
        &self,
        name: &ApiKeyName,
        idem: Option<Idempotency>,
    ) -> Result<Option<ApiKey>>;
    /// Creates an admin key if, and only if, no key exists yet; safe when
    /// several processes start at once.
    async fn bootstrap_admin(&self, secret_hash: String) -> Result<Option<ApiKey>>;
}

/// Everything the domain stores.
pub trait Store: InstitutionStore + ProgrammeStore + KeyStore {}

impl<T: InstitutionStore + ProgrammeStore + KeyStore> Store for T {}
