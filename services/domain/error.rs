//! The one error type of the domain: every failure a caller can see, with
//! the stable reason that travels to clients. The gRPC layer maps it to a
//! status code in one exhaustive match.

use std::fmt;

/// A field that failed validation: the field path as the client sent it
/// (`programme.budget.units`) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// Stable, machine-readable reasons (sent as `google.rpc.ErrorInfo.reason`).
/// The catalogue, with what each means, is the `ErrorReason` enum of the
/// proto; a test keeps the two equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    InvalidField,
    RequestIdReused,
    PayeeAmountMismatch,
    ChecksumMismatch,
    SizeMismatch,
    MediaTypeMismatch,
    MissingCredentials,
    InvalidCredentials,
    KeyRevoked,
    RoleNotAllowed,
    OutOfScope,
    ConflictOfInterest,
    NotFound,
    AlreadyExists,
    DuplicatePaymentReference,
    EtagMismatch,
    InvalidState,
    BudgetExceeded,
    BudgetBelowCommitted,
    DisbursementExceedsAward,
    ProgrammeNotOpen,
    ReviewsIncomplete,
    ReviewSettingsLocked,
    ReviewNotConfigured,
    AssignmentEnded,
    AwardAboveMaxAward,
    DocumentsMissing,
    EndorsementsMissing,
    NotEndorsed,
    ReportNotAccepted,
    TranchePaid,
    ReportNotSubmitted,
    ReportNotOpen,
    UsageExceedsAllocation,
    DuplicateUsageReference,
    PartnerReadOnly,
    CursorExpired,
    CursorAhead,
    CursorUnknownLog,
    WatcherTooSlow,
    TooManyCallsPerKey,
    TooManyStreamsPerKey,
    TooManyStreamsPerConnection,
    TooManyItems,
    MessageTooLarge,
    TooManyFailedAuthentications,
    DocumentTooLarge,
    TooManyDocuments,
    TooManyUploadsPerKey,
    ShuttingDown,
    StorageUnavailable,
    DocumentStoreUnavailable,
    Starting,
    Internal,
}

impl Reason {
    pub const ALL: [Reason; 54] = [
        Reason::InvalidField,
        Reason::RequestIdReused,
        Reason::PayeeAmountMismatch,
        Reason::ChecksumMismatch,
        Reason::SizeMismatch,
        Reason::MediaTypeMismatch,
        Reason::MissingCredentials,
        Reason::InvalidCredentials,
        Reason::KeyRevoked,
        Reason::RoleNotAllowed,
        Reason::OutOfScope,
        Reason::ConflictOfInterest,
        Reason::NotFound,
        Reason::AlreadyExists,
        Reason::DuplicatePaymentReference,
        Reason::EtagMismatch,
        Reason::InvalidState,
        Reason::BudgetExceeded,
        Reason::BudgetBelowCommitted,
        Reason::DisbursementExceedsAward,
        Reason::ProgrammeNotOpen,
        Reason::ReviewsIncomplete,
        Reason::ReviewSettingsLocked,
        Reason::ReviewNotConfigured,
        Reason::AssignmentEnded,
        Reason::AwardAboveMaxAward,
        Reason::DocumentsMissing,
        Reason::EndorsementsMissing,
        Reason::NotEndorsed,
        Reason::ReportNotAccepted,
        Reason::TranchePaid,
        Reason::ReportNotSubmitted,
        Reason::ReportNotOpen,
        Reason::UsageExceedsAllocation,
        Reason::DuplicateUsageReference,
        Reason::PartnerReadOnly,
        Reason::CursorExpired,
        Reason::CursorAhead,
        Reason::CursorUnknownLog,
        Reason::WatcherTooSlow,
        Reason::TooManyCallsPerKey,
        Reason::TooManyStreamsPerKey,
        Reason::TooManyStreamsPerConnection,
        Reason::TooManyItems,
        Reason::MessageTooLarge,
        Reason::TooManyFailedAuthentications,
        Reason::DocumentTooLarge,
        Reason::TooManyDocuments,
        Reason::TooManyUploadsPerKey,
        Reason::ShuttingDown,
        Reason::StorageUnavailable,
        Reason::DocumentStoreUnavailable,
        Reason::Starting,
        Reason::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::InvalidField => "INVALID_FIELD",
            Reason::RequestIdReused => "REQUEST_ID_REUSED",
            Reason::PayeeAmountMismatch => "PAYEE_AMOUNT_MISMATCH",
            Reason::ChecksumMismatch => "CHECKSUM_MISMATCH",
            Reason::SizeMismatch => "SIZE_MISMATCH",
            Reason::MediaTypeMismatch => "MEDIA_TYPE_MISMATCH",
            Reason::MissingCredentials => "MISSING_CREDENTIALS",
            Reason::InvalidCredentials => "INVALID_CREDENTIALS",
            Reason::KeyRevoked => "KEY_REVOKED",
            Reason::RoleNotAllowed => "ROLE_NOT_ALLOWED",
            Reason::OutOfScope => "OUT_OF_SCOPE",
            Reason::ConflictOfInterest => "CONFLICT_OF_INTEREST",
            Reason::NotFound => "NOT_FOUND",
            Reason::AlreadyExists => "ALREADY_EXISTS",
            Reason::DuplicatePaymentReference => "DUPLICATE_PAYMENT_REFERENCE",
            Reason::EtagMismatch => "ETAG_MISMATCH",
            Reason::InvalidState => "INVALID_STATE",
            Reason::BudgetExceeded => "BUDGET_EXCEEDED",
            Reason::BudgetBelowCommitted => "BUDGET_BELOW_COMMITTED",
            Reason::DisbursementExceedsAward => "DISBURSEMENT_EXCEEDS_AWARD",
            Reason::ProgrammeNotOpen => "PROGRAMME_NOT_OPEN",
            Reason::ReviewsIncomplete => "REVIEWS_INCOMPLETE",
            Reason::ReviewSettingsLocked => "REVIEW_SETTINGS_LOCKED",
            Reason::ReviewNotConfigured => "REVIEW_NOT_CONFIGURED",
            Reason::AssignmentEnded => "ASSIGNMENT_ENDED",
            Reason::AwardAboveMaxAward => "AWARD_ABOVE_MAX_AWARD",
            Reason::DocumentsMissing => "DOCUMENTS_MISSING",
            Reason::EndorsementsMissing => "ENDORSEMENTS_MISSING",
            Reason::NotEndorsed => "NOT_ENDORSED",
            Reason::ReportNotAccepted => "REPORT_NOT_ACCEPTED",
            Reason::TranchePaid => "TRANCHE_PAID",
            Reason::ReportNotSubmitted => "REPORT_NOT_SUBMITTED",
            Reason::ReportNotOpen => "REPORT_NOT_OPEN",
            Reason::UsageExceedsAllocation => "USAGE_EXCEEDS_ALLOCATION",
            Reason::DuplicateUsageReference => "DUPLICATE_USAGE_REFERENCE",
            Reason::PartnerReadOnly => "PARTNER_READ_ONLY",
            Reason::CursorExpired => "CURSOR_EXPIRED",
            Reason::CursorAhead => "CURSOR_AHEAD",
            Reason::CursorUnknownLog => "CURSOR_UNKNOWN_LOG",
            Reason::WatcherTooSlow => "WATCHER_TOO_SLOW",
            Reason::TooManyCallsPerKey => "TOO_MANY_CALLS_PER_KEY",
            Reason::TooManyStreamsPerKey => "TOO_MANY_STREAMS_PER_KEY",
            Reason::TooManyStreamsPerConnection => "TOO_MANY_STREAMS_PER_CONNECTION",
            Reason::TooManyItems => "TOO_MANY_ITEMS",
            Reason::MessageTooLarge => "MESSAGE_TOO_LARGE",
            Reason::TooManyFailedAuthentications => "TOO_MANY_FAILED_AUTHENTICATIONS",
            Reason::DocumentTooLarge => "DOCUMENT_TOO_LARGE",
            Reason::TooManyDocuments => "TOO_MANY_DOCUMENTS",
            Reason::TooManyUploadsPerKey => "TOO_MANY_UPLOADS_PER_KEY",
            Reason::ShuttingDown => "SHUTTING_DOWN",
            Reason::StorageUnavailable => "STORAGE_UNAVAILABLE",
            Reason::DocumentStoreUnavailable => "DOCUMENT_STORE_UNAVAILABLE",
            Reason::Starting => "STARTING",
            Reason::Internal => "INTERNAL",
        }
    }
}

/// Every failure of a domain operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Bad input; nothing was changed.
    InvalidArgument {
        reason: Reason,
        violations: Vec<FieldViolation>,
    },
    /// No or unknown credentials.
    Unauthenticated { reason: Reason, message: String },
    /// Outside the caller's role or scope (also for objects that do not
    /// exist, where existence is not the caller's to know).
    PermissionDenied { reason: Reason, message: String },
    /// The object does not exist (only where the caller may know that).
    NotFound { resource: String },
    /// An object with the same unique key exists.
    AlreadyExists { reason: Reason, message: String },
    /// The etag sent is not the current one.
    Aborted { reason: Reason, message: String },
    /// The change is not allowed in the current state.
    FailedPrecondition { reason: Reason, message: String },
    /// A cursor older than what is retained.
    OutOfRange { reason: Reason, message: String },
    /// The caller cannot keep up, or a limit was hit.
    ResourceExhausted { reason: Reason, message: String },
    /// Try again later, possibly elsewhere.
    Unavailable { reason: Reason, message: String },
    /// A bug or an unexpected storage failure; details are logged, not sent.
    Internal { message: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Error::InvalidArgument {
            reason: Reason::InvalidField,
            violations: vec![FieldViolation::new(field, description)],
        }
    }

    pub fn invalid_all(violations: Vec<FieldViolation>) -> Self {
        Error::InvalidArgument {
            reason: Reason::InvalidField,
            violations,
        }
    }

    pub fn denied(reason: Reason, message: impl Into<String>) -> Self {
        Error::PermissionDenied {
            reason,
            message: message.into(),
        }
    }

    pub fn precondition(reason: Reason, message: impl Into<String>) -> Self {
        Error::FailedPrecondition {
            reason,
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Error::Internal {
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument { violations, .. } => {
                let parts: Vec<String> = violations
                    .iter()
                    .map(|v| format!("{}: {}", v.field, v.description))
                    .collect();
                f.write_str(&parts.join("; "))
            }
            Error::NotFound { resource } => write!(f, "{resource} not found"),
            Error::Unauthenticated { message, .. }
            | Error::PermissionDenied { message, .. }
            | Error::AlreadyExists { message, .. }
            | Error::Aborted { message, .. }
            | Error::FailedPrecondition { message, .. }
            | Error::OutOfRange { message, .. }
            | Error::ResourceExhausted { message, .. }
            | Error::Unavailable { message, .. }
            | Error::Internal { message } => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

/// Collects field violations so that one response names every bad field.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation::new(field, description));
    }

    /// Runs a check; on error, keeps its violations and returns `None`.
    pub fn check<T>(&mut self, result: Result<T>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(Error::InvalidArgument { violations, .. }) => {
                self.0.extend(violations);
                None
            }
            Err(other) => {
                self.0.push(FieldViolation::new("", other.to_string()));
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was added, else the error naming every field.
    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::invalid_all(self.0))
        }
    }
}
