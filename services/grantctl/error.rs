//! Failures as one plain sentence and a stable exit code. A gRPC status
//! becomes its code, its `google.rpc.ErrorInfo` reason and every
//! `google.rpc.BadRequest` field violation; nothing echoes the token.

use tonic::{Code, Status};
use tonic_types::StatusExt;

/// Exit codes (documented in `--help` and docs/grantctl.md).
pub mod exit {
    pub const OK: u8 = 0;
    pub const OTHER: u8 = 1;
    pub const NOT_FOUND_OR_DENIED: u8 = 3;
    pub const INVALID: u8 = 4;
    pub const CONFLICT: u8 = 5;
    pub const UNAVAILABLE: u8 = 6;
}

/// What grantctl prints on standard error before exiting with `code`.
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, CliError>;

impl CliError {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// A local input problem (exit 4), naming the flag or field.
    pub fn invalid(field: &str, problem: impl std::fmt::Display) -> Self {
        Self::new(exit::INVALID, format!("invalid {field}: {problem}"))
    }

    pub fn other(message: impl Into<String>) -> Self {
        Self::new(exit::OTHER, message)
    }

    /// Whether this is a refusal of the server with this ErrorInfo reason
    /// (`ABORTED ETAG_MISMATCH: …`).
    pub fn has_reason(&self, reason: &str) -> bool {
        self.message
            .split_once(": ")
            .is_some_and(|(head, _)| head.split(' ').nth(1) == Some(reason))
    }

    /// The sentence and exit code for a failed call to `endpoint`.
    pub fn from_status(status: &Status, endpoint: &str) -> Self {
        let code = exit_code(status.code());
        if let Some(refused) = crate::transient::transport_problem(status) {
            return Self::new(
                exit::UNAVAILABLE,
                format!("UNAVAILABLE: cannot reach {endpoint} ({refused}); is the server running there?"),
            );
        }
        let mut head = code_name(status.code()).to_owned();
        let reason = reason(status);
        if !reason.is_empty() && reason != head {
            head = format!("{head} {reason}");
        }
        let fields: Vec<(String, String)> = status
            .get_details_bad_request()
            .map(|b| {
                b.field_violations
                    .into_iter()
                    .map(|v| (v.field, one_line(&v.description)))
                    .collect()
            })
            .unwrap_or_default();
        let violations: Vec<String> = fields.iter().map(|(f, d)| format!("{f}: {d}")).collect();
        let detail = if violations.is_empty() {
            one_line(status.message())
        } else {
            violations.join("; ")
        };
        let mut detail = if detail.is_empty() { "no details".into() } else { detail };
        if let Some(hint) = hint(&reason).or_else(|| fields.iter().find_map(|(f, _)| field_hint(f))) {
            detail = format!("{detail} ({hint})");
        }
        Self::new(code, format!("{head}: {detail}"))
    }
}

impl From<Status> for CliError {
    fn from(status: Status) -> Self {
        Self::from_status(&status, "the server")
    }
}

pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The `google.rpc.ErrorInfo` reason of a status, or "".
pub fn reason(status: &Status) -> String {
    status.get_details_error_info().map(|i| i.reason).unwrap_or_default()
}

/// What to do about a refusal, in grantctl's own flags, for the reasons
/// whose server message names proto fields instead.
pub fn hint(reason: &str) -> Option<&'static str> {
    match reason {
        "REVIEWS_INCOMPLETE" => {
            Some("to decide anyway: grantctl reviews approve ... --override-incomplete-reviews --reason TEXT")
        }
        "REVIEW_NOT_CONFIGURED" => {
            Some("give the programme review settings first: grantctl programmes update P --criterion NAME=WEIGHT ...")
        }
        "DOCUMENTS_MISSING" => Some("upload them first: grantctl documents upload P/A FILE --kind KIND"),
        "MEDIA_TYPE_MISMATCH" => {
            Some("the file's content is not of that media type: check the file, or give --media-type for what it is")
        }
        "CHECKSUM_MISMATCH" | "SIZE_MISMATCH" => Some("did the file change while it was uploaded? upload it again"),
        "ENDORSEMENTS_MISSING" => Some(
            "each institution named signs first, with a key of its own: grantctl applications endorse P/A; \
             grantctl applications get P/A shows who has signed",
        ),
        "PARTNER_READ_ONLY" => Some(
            "a partner's key reads, watches, downloads and endorses; the applicant institution's key edits, \
             uploads, submits and withdraws",
        ),
        "NOT_ENDORSED" => Some("nothing to withdraw: grantctl applications get P/A shows who has signed"),
        "REPORT_NOT_ACCEPTED" => Some(
            "the tranche waits for that report: the applicant submits it with grantctl reports submit P/A \
             --number N --document D, and an officer accepts it with grantctl reports accept P/A/N; \
             grantctl reports schedule P/A shows where each report stands",
        ),
        "REPORT_NOT_SUBMITTED" => {
            Some("only a report waiting for a decision is accepted or returned: grantctl reports schedule P/A")
        }
        "REPORT_NOT_OPEN" => Some(
            "it waits for the officer's decision or is accepted; a returned report is submitted again: \
             grantctl reports schedule P/A",
        ),
        "TRANCHE_PAID" => Some(
            "a revision keeps each paid tranche as it is: grantctl reports schedule P/A -o json > schedule.json, \
             change the others, then grantctl reports revise P/A --schedule schedule.json",
        ),
        "USAGE_EXCEEDS_ALLOCATION" => Some(
            "grantctl applications get P/A shows the allocation, what was used and what is left; \
             grantctl awards usage list P/A what was recorded",
        ),
        "DUPLICATE_USAGE_REFERENCE" => Some(
            "each usage record has a reference of its own; to retry one, send it again with the same \
             --request-id: grantctl awards usage list P/A shows those recorded",
        ),
        _ => None,
    }
}

/// What to do about a field the server refused, in grantctl's own flags,
/// where its message alone would not say (the first such field wins).
pub fn field_hint(field: &str) -> Option<&'static str> {
    match field {
        "webhook.url" => Some(
            "--url takes an https:// URL of a public host; plain http:// and loopback or private \
             addresses only when the server runs with --webhook-allow-http and --webhook-allow-private",
        ),
        "overlap_seconds" => Some("--overlap takes 0 to 7d, such as 24h or 90m"),
        "event" => Some(
            "give the event's whole cursor: the `event` of grantctl webhooks deliveries W -o json; \
             tables shorten it",
        ),
        _ => None,
    }
}

/// The exit code of a gRPC status code.
pub fn exit_code(code: Code) -> u8 {
    match code {
        Code::Ok => exit::OK,
        Code::NotFound | Code::PermissionDenied | Code::Unauthenticated => exit::NOT_FOUND_OR_DENIED,
        Code::InvalidArgument | Code::OutOfRange => exit::INVALID,
        Code::FailedPrecondition | Code::Aborted | Code::AlreadyExists => exit::CONFLICT,
        Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted => exit::UNAVAILABLE,
        _ => exit::OTHER,
    }
}

/// `NOT_FOUND`, as the gRPC spec spells codes.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tonic_types::ErrorDetails;

    use super::*;

    fn status(code: Code, reason: &str, violations: &[(&str, &str)]) -> Status {
        let mut details = ErrorDetails::with_error_info(reason, "grants.gba", HashMap::new());
        for (field, description) in violations {
            details.add_bad_request_violation(*field, *description);
        }
        Status::with_error_details(code, "the message", details)
    }

    #[test]
    fn one_sentence_with_code_reason_and_every_field() {
        let s = status(
            Code::InvalidArgument,
            "INVALID_FIELD",
            &[
                ("institution.region", "is required"),
                ("institution.ror_id", "is not\na ROR id"),
            ],
        );
        let e = CliError::from_status(&s, "http://x");
        assert_eq!(e.code, exit::INVALID);
        assert_eq!(
            e.message,
            "INVALID_ARGUMENT INVALID_FIELD: institution.region: is required; institution.ror_id: is not a ROR id"
        );
        let e = CliError::from_status(&status(Code::NotFound, "NOT_FOUND", &[]), "http://x");
        assert_eq!(
            (e.code, e.message.as_str()),
            (exit::NOT_FOUND_OR_DENIED, "NOT_FOUND: the message")
        );
    }

    #[test]
    fn peer_review_refusals_say_what_to_do_in_grantctl_terms() {
        let s = Status::with_error_details(
            Code::FailedPrecondition,
            "1 of the 2 required reviews are complete; approve with override_incomplete_reviews and a reason",
            ErrorDetails::with_error_info("REVIEWS_INCOMPLETE", "grants.gba", HashMap::new()),
        );
        let e = CliError::from_status(&s, "http://x");
        assert_eq!(e.code, exit::CONFLICT);
        assert!(
            e.message
                .starts_with("FAILED_PRECONDITION REVIEWS_INCOMPLETE: 1 of the 2 required reviews"),
            "{}",
            e.message
        );
        assert!(
            e.message.contains("--override-incomplete-reviews --reason"),
            "{}",
            e.message
        );
        let e = CliError::from_status(&status(Code::FailedPrecondition, "INVALID_STATE", &[]), "http://x");
        assert_eq!(e.message, "FAILED_PRECONDITION INVALID_STATE: the message");
    }

    #[test]
    fn document_refusals_say_what_to_do_in_grantctl_terms() {
        let e = CliError::from_status(&status(Code::FailedPrecondition, "DOCUMENTS_MISSING", &[]), "http://x");
        assert_eq!(e.code, exit::CONFLICT);
        assert!(
            e.message.starts_with(
                "FAILED_PRECONDITION DOCUMENTS_MISSING: the message (upload them first: grantctl documents upload"
            ),
            "{}",
            e.message
        );
        let s = status(
            Code::InvalidArgument,
            "MEDIA_TYPE_MISMATCH",
            &[("upload.media_type", "the content is not application/pdf")],
        );
        let e = CliError::from_status(&s, "http://x");
        assert_eq!(e.code, exit::INVALID);
        assert!(
            e.message.starts_with(
                "INVALID_ARGUMENT MEDIA_TYPE_MISMATCH: upload.media_type: the content is not application/pdf (the file's"
            ),
            "{}",
            e.message
        );
        let e = CliError::from_status(&status(Code::ResourceExhausted, "DOCUMENT_TOO_LARGE", &[]), "http://x");
        assert_eq!(e.code, exit::UNAVAILABLE);
    }

    #[test]
    fn sign_off_refusals_say_what_to_do_in_grantctl_terms() {
        let e = CliError::from_status(
            &status(Code::FailedPrecondition, "ENDORSEMENTS_MISSING", &[]),
            "http://x",
        );
        assert_eq!(e.code, exit::CONFLICT);
        assert!(e.has_reason("ENDORSEMENTS_MISSING") && !e.has_reason("NOT_ENDORSED"));
        assert!(
            e.message.starts_with(
                "FAILED_PRECONDITION ENDORSEMENTS_MISSING: the message (each institution named signs first"
            ) && e.message.contains("grantctl applications endorse P/A"),
            "{}",
            e.message
        );
        let e = CliError::from_status(&status(Code::PermissionDenied, "PARTNER_READ_ONLY", &[]), "http://x");
        assert_eq!(e.code, exit::NOT_FOUND_OR_DENIED);
        assert!(e.message.contains("a partner's key reads"), "{}", e.message);
        let e = CliError::from_status(&status(Code::FailedPrecondition, "NOT_ENDORSED", &[]), "http://x");
        assert!(e.message.contains("nothing to withdraw"), "{}", e.message);
        assert!(!CliError::invalid("--name", "x: y").has_reason("y"));
    }

    #[test]
    fn post_award_refusals_say_what_to_do_in_grantctl_terms() {
        let e = CliError::from_status(
            &status(Code::FailedPrecondition, "REPORT_NOT_ACCEPTED", &[]),
            "http://x",
        );
        assert_eq!(e.code, exit::CONFLICT);
        assert!(e.has_reason("REPORT_NOT_ACCEPTED"));
        assert!(
            e.message
                .starts_with("FAILED_PRECONDITION REPORT_NOT_ACCEPTED: the message (the tranche waits")
                && e.message.contains("grantctl reports accept P/A/N"),
            "{}",
            e.message
        );
        for reason in ["REPORT_NOT_SUBMITTED", "REPORT_NOT_OPEN", "TRANCHE_PAID"] {
            let e = CliError::from_status(&status(Code::FailedPrecondition, reason, &[]), "http://x");
            assert!(e.message.contains("grantctl reports"), "{}", e.message);
        }
    }

    #[test]
    fn usage_refusals_say_what_to_do_in_grantctl_terms() {
        let e = CliError::from_status(
            &status(Code::FailedPrecondition, "USAGE_EXCEEDS_ALLOCATION", &[]),
            "http://x",
        );
        assert_eq!(e.code, exit::CONFLICT);
        assert!(
            e.message.starts_with(
                "FAILED_PRECONDITION USAGE_EXCEEDS_ALLOCATION: the message (grantctl applications get P/A"
            ),
            "{}",
            e.message
        );
        let e = CliError::from_status(
            &status(Code::AlreadyExists, "DUPLICATE_USAGE_REFERENCE", &[]),
            "http://x",
        );
        assert_eq!(e.code, exit::CONFLICT);
        assert!(e.message.contains("--request-id"), "{}", e.message);
    }

    #[test]
    fn webhook_refusals_say_what_to_do_in_grantctl_terms() {
        let s = status(
            Code::InvalidArgument,
            "INVALID_FIELD",
            &[(
                "webhook.url",
                "must be https:// (this server does not send webhooks over plain http)",
            )],
        );
        let e = CliError::from_status(&s, "http://x");
        assert_eq!(e.code, exit::INVALID);
        assert!(
            e.message
                .starts_with("INVALID_ARGUMENT INVALID_FIELD: webhook.url: must be https://")
                && e.message.contains("--webhook-allow-http"),
            "{}",
            e.message
        );
        let s = status(Code::InvalidArgument, "INVALID_FIELD", &[("event", "is not a cursor")]);
        let e = CliError::from_status(&s, "http://x");
        assert!(e.message.contains("-o json"), "{}", e.message);
        // A reason's hint wins over a field's.
        let s = status(Code::FailedPrecondition, "DOCUMENTS_MISSING", &[("webhook.url", "x")]);
        let e = CliError::from_status(&s, "http://x");
        assert!(e.message.contains("upload them first") && !e.message.contains("--url"));
        let e = CliError::from_status(
            &status(
                Code::InvalidArgument,
                "INVALID_FIELD",
                &[("institution.region", "is required")],
            ),
            "http://x",
        );
        assert_eq!(
            e.message,
            "INVALID_ARGUMENT INVALID_FIELD: institution.region: is required"
        );
    }

    #[test]
    fn every_code_has_its_exit_code() {
        let cases = [
            (Code::NotFound, 3),
            (Code::PermissionDenied, 3),
            (Code::Unauthenticated, 3),
            (Code::InvalidArgument, 4),
            (Code::OutOfRange, 4),
            (Code::FailedPrecondition, 5),
            (Code::Aborted, 5),
            (Code::AlreadyExists, 5),
            (Code::Unavailable, 6),
            (Code::DeadlineExceeded, 6),
            (Code::ResourceExhausted, 6),
            (Code::Internal, 1),
            (Code::Unknown, 1),
        ];
        for (code, exit) in cases {
            assert_eq!(exit_code(code), exit, "{code:?}");
        }
    }
}
