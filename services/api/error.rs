//! The one mapping from domain errors to gRPC statuses, with
//! `google.rpc.ErrorInfo` on every error and `google.rpc.BadRequest` on
//! INVALID_ARGUMENT. Exhaustive: a new variant forces a decision here.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::domain::{Error, Reason};

/// `google.rpc.ErrorInfo.domain` of every error this service sends.
pub const ERROR_DOMAIN: &str = "grants.gba";

fn status(code: Code, reason: Reason, message: String) -> Status {
    let details = ErrorDetails::with_error_info(reason.as_str(), ERROR_DOMAIN, HashMap::new());
    Status::with_error_details(code, message, details)
}

pub fn to_status(err: Error) -> Status {
    let message = err.to_string();
    match err {
        Error::InvalidArgument { reason, violations } => {
            let mut details = ErrorDetails::with_error_info(reason.as_str(), ERROR_DOMAIN, HashMap::new());
            for v in violations {
                details.add_bad_request_violation(v.field, v.description);
            }
            Status::with_error_details(Code::InvalidArgument, message, details)
        }
        Error::Unauthenticated { reason, .. } => status(Code::Unauthenticated, reason, message),
        Error::PermissionDenied { reason, .. } => status(Code::PermissionDenied, reason, message),
        Error::NotFound { .. } => status(Code::NotFound, Reason::NotFound, message),
        Error::AlreadyExists { reason, .. } => status(Code::AlreadyExists, reason, message),
        Error::Aborted { reason, .. } => status(Code::Aborted, reason, message),
        Error::FailedPrecondition { reason, .. } => status(Code::FailedPrecondition, reason, message),
        Error::OutOfRange { reason, .. } => status(Code::OutOfRange, reason, message),
        Error::ResourceExhausted { reason, .. } => status(Code::ResourceExhausted, reason, message),
        Error::Unavailable { reason, .. } => status(Code::Unavailable, reason, message),
        Error::Internal { message } => {
            tracing::error!(%message, "internal error");
            status(
                Code::Internal,
                Reason::Internal,
                "internal error; it has been logged".into(),
            )
        }
    }
}

/// Shorthand for handlers: `result.map_err(to_status)`.
pub trait IntoStatus<T> {
    fn status(self) -> Result<T, Status>;
}

impl<T> IntoStatus<T> for Result<T, Error> {
    fn status(self) -> Result<T, Status> {
        self.map_err(to_status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::v1::ErrorReason;

    #[test]
    fn every_reason_is_in_the_proto_catalogue_and_back() {
        for reason in Reason::ALL {
            assert!(
                ErrorReason::from_str_name(reason.as_str()).is_some(),
                "{} is missing from the ErrorReason enum of error.proto",
                reason.as_str()
            );
        }
        let mut value = 1;
        let mut seen = 0;
        while value < 1_000 {
            if let Ok(proto) = ErrorReason::try_from(value) {
                let name = proto.as_str_name();
                assert!(
                    Reason::ALL.iter().any(|r| r.as_str() == name),
                    "{name} is in error.proto but the server never sends it"
                );
                seen += 1;
            }
            value += 1;
        }
        assert_eq!(seen, Reason::ALL.len());
    }
}
