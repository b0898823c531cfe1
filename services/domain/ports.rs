//! What the domain needs from storage, in domain types only. The store
//! implements these traits on SQLite and PostgreSQL; every method is one
//! transaction, and idempotency records are written in the same one.

use async_trait::async_trait;

use super::access::{ApiKey, ApiKeyFilter, NewApiKey};
use super::application::{Application, ApplicationFilter};
use super::document::Document;
use super::error::Result;
use super::event::{ApplicationEvent, Cursor, Disbursement, LogId, NewEvent};
use super::ids::{ApiKeyName, ApplicationName, DisbursementName, DocumentName, InstitutionName, ProgrammeName};
use super::institution::{Institution, InstitutionFilter, NewInstitution};
use super::lifecycle::{Outcome, Situation};
use super::money::Currency;
use super::page::PageRequest;
use super::programme::{NewProgramme, Programme, ProgrammeFilter};
use super::review::Review;
use super::time::Timestamp;
use super::watch::{EventScope, ProgrammeSummary};

/// An idempotency record: the caller's `request_id` for one call, and a
/// fingerprint of the whole request so a reused id with another request
/// is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    pub caller: ApiKeyName,
    pub request_id: String,
    pub fingerprint: String,
}

/// A change of a webhook decided by the domain on its current row.
pub type WebhookChange =
    std::sync::Arc<dyn Fn(&super::webhook::Webhook) -> Result<super::webhook::Webhook> + Send + Sync>;
/// Whether the domain allows a deletion of a webhook as it is.
pub type WebhookCheck = std::sync::Arc<dyn Fn(&super::webhook::Webhook) -> Result<()> + Send + Sync>;

/// A change decided by the domain on the current state of an institution.
pub type InstitutionChange = std::sync::Arc<dyn Fn(&Institution) -> Result<Institution> + Send + Sync>;

/// A change decided by the domain on the current state of a programme.
/// Owned, so the store can run the transaction it decides in to its end
/// in a task of its own, whether or not the caller is still there.
pub type ProgrammeChange = std::sync::Arc<dyn Fn(&Programme) -> Result<Programme> + Send + Sync>;

#[async_trait]
pub trait InstitutionStore: Send + Sync {
    /// Inserts, or on an idempotent replay returns the first result.
    async fn create_institution(&self, new: NewInstitution, idem: Option<Idempotency>) -> Result<Institution>;
    async fn get_institution(&self, name: &InstitutionName) -> Result<Option<Institution>>;
    /// Lets `change` decide on the institution's current row (locked) and
    /// saves the result; `Ok(None)` when there is no such institution. A
    /// ROR id another institution has is ALREADY_EXISTS.
    async fn update_institution(
        &self,
        name: &InstitutionName,
        idem: Option<Idempotency>,
        change: InstitutionChange,
    ) -> Result<Option<Institution>>;
    /// Up to `page.fetch_limit()` institutions after `page.after`, by name.
    async fn list_institutions(&self, filter: &InstitutionFilter, page: &PageRequest) -> Result<Vec<Institution>>;
}

#[async_trait]
pub trait ProgrammeStore: Send + Sync {
    async fn create_programme(&self, new: NewProgramme, idem: Option<Idempotency>) -> Result<Programme>;
    async fn get_programme(&self, name: &ProgrammeName) -> Result<Option<Programme>>;
    /// What a new application is checked against: the programme's currency
    /// (`None` when there is no such programme) and whether `institution`
    /// exists. Both facts never change once true (currencies are
    /// immutable, nothing is deleted), so the store may remember them.
    async fn creation_facts(
        &self,
        name: &ProgrammeName,
        institution: &InstitutionName,
    ) -> Result<Option<(Currency, bool)>>;
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
        change: ProgrammeChange,
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
    /// The secret hashes and names of the keys not revoked that were
    /// created at or after `since` (all when `None`), with the newest
    /// creation time among them.
    async fn issued_key_hashes(
        &self,
        since: Option<Timestamp>,
    ) -> Result<(Vec<(String, ApiKeyName)>, Option<Timestamp>)>;
    async fn get_api_key(&self, name: &ApiKeyName) -> Result<Option<ApiKey>>;
    async fn list_api_keys(&self, filter: &ApiKeyFilter, page: &PageRequest) -> Result<Vec<ApiKey>>;
    /// Revokes (idempotently: revoking twice keeps the first time).
    async fn revoke_api_key(&self, name: &ApiKeyName, idem: Option<Idempotency>) -> Result<Option<ApiKey>>;
    /// Creates an admin key if, and only if, no key exists yet; safe when
    /// several processes start at once.
    async fn bootstrap_admin(&self, secret_hash: String) -> Result<Option<ApiKey>>;
}

/// A change of one application decided by the domain on what it sees.
/// Owned, for the same reason as [`ProgrammeChange`].
pub type ApplicationChange = std::sync::Arc<dyn Fn(&Situation) -> Result<Outcome> + Send + Sync>;

/// A borrowed [`ApplicationChange`], as the store's write paths pass it on.
pub type Decide<'a> = &'a (dyn Fn(&Situation) -> Result<Outcome> + Send + Sync);

/// The result of [`ApplicationStore::change_application`].
#[derive(Debug)]
pub enum Changed {
    /// Applied and committed, with its event appended.
    Applied(Box<Outcome>),
    /// An idempotent replay: what the first call returned.
    Replayed {
        application: Box<Application>,
        disbursement: Option<Box<Disbursement>>,
        review: Option<Box<Review>>,
        review_label: Option<String>,
        document: Option<Box<Document>>,
    },
    /// No such application.
    Missing,
}

#[async_trait]
pub trait ApplicationStore: Send + Sync {
    /// Inserts a new application and its creation event.
    async fn create_application(
        &self,
        application: Application,
        event: NewEvent,
        idem: Option<Idempotency>,
    ) -> Result<Application>;
    async fn get_application(&self, name: &ApplicationName) -> Result<Option<Application>>;
    async fn list_applications(&self, filter: &ApplicationFilter, page: &PageRequest) -> Result<Vec<Application>>;
    /// In one transaction: claims `idem` for `claim`, locks the application
    /// (and its programme when `changes_programme`: only then may the
    /// outcome change it), reads the institutions it names, lets `change`
    /// decide, and writes the outcome with its event.
    async fn change_application(
        &self,
        name: &ApplicationName,
        idem: Option<Idempotency>,
        claim: &str,
        changes_programme: bool,
        change: ApplicationChange,
    ) -> Result<Changed>;
    /// Events of one application after `after`, oldest first.
    async fn list_application_events(
        &self,
        application: &ApplicationName,
        after: Option<Cursor>,
        limit: u64,
    ) -> Result<Vec<ApplicationEvent>>;
}

/// Payments of applications.
#[async_trait]
pub trait PaymentStore: Send + Sync {
    async fn get_disbursement(&self, name: &DisbursementName) -> Result<Option<Disbursement>>;
    /// A page of one application's payments, by id (none when the
    /// application does not exist).
    async fn list_disbursements(&self, application: &ApplicationName, page: &PageRequest) -> Result<Vec<Disbursement>>;
}

/// Peer review's reads (its writes are changes of the application).
#[async_trait]
pub trait ReviewStore: Send + Sync {
    /// Every review of one application, in assignment order.
    async fn list_reviews(&self, application: &ApplicationName) -> Result<Vec<Review>>;
    /// The review of `reviewer` on one application, if assigned (even if
    /// the assignment ended).
    async fn find_review(&self, application: &ApplicationName, reviewer: &ApiKeyName) -> Result<Option<Review>>;
    /// The programme's applications UNDER_REVIEW, each with its reviews.
    async fn ranking_candidates(&self, programme: &ProgrammeName) -> Result<Vec<(Application, Vec<Review>)>>;
}

/// The event log as a stream source, and what summaries are made of.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Up to `limit` events after `after` in `scope`, in commit order.
    async fn events_after(&self, after: Cursor, scope: &EventScope, limit: u64) -> Result<Vec<ApplicationEvent>>;
    /// The identity of this database's event log.
    fn event_log(&self) -> LogId;
    /// Waits until every event committed before the call is one that
    /// `events_after` returns (read your writes), briefly.
    async fn settle(&self) -> Result<()>;
    /// The position of the newest committed event (0 when there is none).
    async fn event_head(&self) -> Result<Cursor>;
}

/// The event log's retention, and the summaries made of what is stored.
#[async_trait]
pub trait HistoryStore: Send + Sync {
    /// Events up to this position were pruned (0 when none were).
    async fn pruned_through(&self) -> Result<Cursor>;
    /// Deletes events older than `before`; returns how many.
    async fn prune_events(&self, before: Timestamp) -> Result<u64>;
    /// Counts and totals of one programme, computed now.
    async fn programme_summary(&self, programme: &ProgrammeName) -> Result<Option<ProgrammeSummary>>;
}

/// Documents' metadata, and the claims that keep their content in the
/// object store. A document's row is written with a change of its
/// application (`Outcome::document`); its content before, under a claim.
#[async_trait]
pub trait DocumentStore: Send + Sync {
    async fn get_document(&self, name: &DocumentName) -> Result<Option<Document>>;
    /// A page of one application's documents by kind then version (the
    /// latest of each kind only, unless `all_versions`).
    async fn list_documents(
        &self,
        application: &ApplicationName,
        all_versions: bool,
        page: &PageRequest,
    ) -> Result<Vec<Document>>;
    /// Claims the object of `sha256` until `until`: the sweeper leaves a
    /// claimed object alone. Waits while the sweeper is removing it.
    async fn claim_object(&self, sha256: &str, until: Timestamp) -> Result<()>;
    /// The objects' claims that ran out before `now`, at most `limit`.
    async fn expired_claims(&self, now: Timestamp, limit: u64) -> Result<Vec<String>>;
    /// If the claim on `sha256` ran out before `now` and no document names
    /// it: runs `remove` (which deletes the object) and forgets the claim,
    /// with no claim taken meanwhile. Whether it was removed.
    async fn sweep_object(&self, sha256: &str, now: Timestamp, remove: BlobRemoval) -> Result<bool>;
}

/// Deletes one object, for [`DocumentStore::sweep_object`].
pub type BlobRemoval = Box<dyn FnOnce() -> futures_util::future::BoxFuture<'static, Result<()>> + Send>;

/// Where documents' content is kept, addressed by SHA-256 (a directory or
/// an S3-compatible store).
#[async_trait]
pub trait Blobs: Send + Sync {
    /// Starts writing the object of `sha256`; nothing is visible under its
    /// key until [`BlobWriter::finish`].
    async fn writer(&self, sha256: &str) -> Result<Box<dyn BlobWriter>>;
    /// The object's bytes from `offset`, in pieces.
    async fn read(
        &self,
        sha256: &str,
        offset: u64,
    ) -> Result<futures_util::stream::BoxStream<'static, Result<bytes::Bytes>>>;
    async fn delete(&self, sha256: &str) -> Result<()>;
    /// Every object: its SHA-256 and when it was last written.
    async fn list(&self) -> Result<Vec<(String, Timestamp)>>;
    /// Removes what uploads cut off by a crash left behind, written before
    /// `before`; how many pieces.
    async fn tidy(&self, before: Timestamp) -> Result<u64>;
}

/// One object being written.
#[async_trait]
pub trait BlobWriter: Send {
    /// Appends bytes; returns once they are taken (bounded buffering).
    async fn write(&mut self, bytes: bytes::Bytes) -> Result<()>;
    /// Makes the object visible, whole.
    async fn finish(self: Box<Self>) -> Result<()>;
    /// Gives up: nothing becomes visible, nothing is left behind.
    async fn abort(self: Box<Self>) -> Result<()>;
}

/// Jobs one replica at a time runs, and the overdue job's work list.
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Takes or renews the lease of `job` for `holder` until `until`:
    /// true when `holder` now holds it (it was free, expired at `now`, or
    /// already `holder`'s).
    async fn take_lease(&self, job: &str, holder: &str, until: Timestamp, now: Timestamp) -> Result<bool>;
    /// Applications with a report due by `now` that is not yet marked
    /// overdue, earliest first.
    async fn reports_due_by(&self, now: Timestamp, limit: u64) -> Result<Vec<ApplicationName>>;
}

/// Webhooks and their delivery log.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Stores a new webhook under `idem`; a retry answers the first one
    /// without its secret (`false`: replayed).
    async fn create_webhook(
        &self,
        new: &super::webhook::Webhook,
        idem: Option<Idempotency>,
    ) -> Result<(super::webhook::Webhook, bool)>;
    async fn get_webhook(&self, name: &super::webhook::WebhookName) -> Result<Option<super::webhook::Webhook>>;
    /// `creator`'s webhooks (`None`: everyone's), by id.
    async fn list_webhooks(
        &self,
        creator: Option<&ApiKeyName>,
        page: &PageRequest,
    ) -> Result<Vec<super::webhook::Webhook>>;
    /// Writes `new` if the stored version is still `expected_version`;
    /// its cursor is left as stored (only the sender moves it, with
    /// [`Self::record_progress`]).
    async fn replace_webhook(&self, new: &super::webhook::Webhook, expected_version: i64) -> Result<bool>;
    /// Changes a webhook by `change` (the domain's decision on the row as
    /// it is, under its lock) under `idem`: `None` when there is none; the
    /// flag is false for a replay (the first call's webhook, kept whole).
    async fn change_webhook(
        &self,
        name: &super::webhook::WebhookName,
        idem: Option<Idempotency>,
        change: WebhookChange,
    ) -> Result<Option<(super::webhook::Webhook, bool)>>;
    /// Deletes a webhook and its delivery log if `check` allows it, under
    /// `idem`; false if there was none.
    async fn delete_webhook(
        &self,
        name: &super::webhook::WebhookName,
        idem: Option<Idempotency>,
        check: WebhookCheck,
    ) -> Result<bool>;
    /// Records a redelivery's attempt under `idem`; a twin's that was
    /// recorded first is the answer.
    async fn record_redelivery(
        &self,
        delivery: &super::webhook::Delivery,
        idem: Option<Idempotency>,
    ) -> Result<super::webhook::Delivery>;
    /// The attempt a redelivery under `idem` made, if it was made.
    async fn redelivery_replay(&self, idem: &Idempotency) -> Result<Option<super::webhook::Delivery>>;
    /// Webhooks neither paused nor disabled.
    async fn deliverable_webhooks(&self) -> Result<Vec<super::webhook::Webhook>>;
    /// The sender's batch, in one transaction: its attempts, and each
    /// webhook's cursor moved forward (never back) and failures set.
    async fn record_progress(
        &self,
        deliveries: &[super::webhook::Delivery],
        moves: &[super::webhook::Progress],
    ) -> Result<()>;
    /// Deletes a webhook's attempts but its newest `keep`; how many went.
    async fn prune_deliveries(&self, webhook: &super::webhook::WebhookName, keep: u64) -> Result<u64>;
    /// A webhook's attempts, newest first.
    async fn list_deliveries(
        &self,
        webhook: &super::webhook::WebhookName,
        page: &PageRequest,
    ) -> Result<Vec<super::webhook::Delivery>>;
}

/// Everything the domain stores.
pub trait Store:
    InstitutionStore
    + ProgrammeStore
    + KeyStore
    + ApplicationStore
    + PaymentStore
    + ReviewStore
    + EventStore
    + HistoryStore
    + DocumentStore
    + LeaseStore
    + WebhookStore
{
}

impl<T> Store for T where
    T: InstitutionStore
        + ProgrammeStore
        + KeyStore
        + ApplicationStore
        + PaymentStore
        + ReviewStore
        + EventStore
        + HistoryStore
        + DocumentStore
        + LeaseStore
        + WebhookStore
{
}
