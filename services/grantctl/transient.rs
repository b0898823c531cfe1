//! Which failures are transient: a connection that could not be made or
//! dropped, UNAVAILABLE, DEADLINE_EXCEEDED. Calls retry them; watches
//! resume after them (and after WATCHER_TOO_SLOW) from their last cursor.

use tonic::{Code, Status};

use crate::error::{code_name, one_line, reason};

/// A connection-level failure (refused, reset, DNS, TLS) behind a status,
/// described briefly; `None` for an answer from the server.
pub fn transport_problem(status: &Status) -> Option<String> {
    use std::error::Error;
    // Statuses the server sent have no source; the client's own do.
    let first = status.source()?;
    let mut source = Some(first);
    let mut last = first.to_string();
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(match io.kind() {
                std::io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
                _ => one_line(&io.to_string()),
            });
        }
        last = err.to_string();
        source = err.source();
    }
    Some(one_line(&last))
}

/// What a watch does after its stream failed with a status.
#[derive(Debug, PartialEq, Eq)]
pub enum StreamAction {
    /// Reconnect after backoff and resume from the last cursor; says why.
    Resume(String),
    /// The cursor cannot be resumed from (pruned, ahead, another log).
    CursorGone(String),
    /// Report the error and exit.
    Fail,
}

pub fn stream_action(status: &Status) -> StreamAction {
    let reason = reason(status);
    match (status.code(), reason.as_str()) {
        (Code::ResourceExhausted, "WATCHER_TOO_SLOW") => StreamAction::Resume("this watcher fell behind".into()),
        (Code::OutOfRange, "CURSOR_EXPIRED" | "CURSOR_AHEAD" | "CURSOR_UNKNOWN_LOG") => {
            StreamAction::CursorGone(reason)
        }
        _ if is_transient(status) => StreamAction::Resume(format!(
            "{} {}",
            code_name(status.code()),
            transport_problem(status).unwrap_or_else(|| one_line(status.message()))
        )),
        _ => StreamAction::Fail,
    }
}

/// Whether a failed call or stream may be retried or resumed: the server
/// is (re)starting, the network dropped, or a deadline passed.
pub fn is_transient(status: &Status) -> bool {
    match status.code() {
        Code::Unavailable | Code::DeadlineExceeded => true,
        Code::Unknown | Code::Internal | Code::Cancelled => transport_problem(status).is_some(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tonic_types::{ErrorDetails, StatusExt};

    use super::*;

    fn status(code: Code, reason: &str) -> Status {
        let details = ErrorDetails::with_error_info(reason, "grants.gba", HashMap::new());
        Status::with_error_details(code, "the message", details)
    }

    #[test]
    fn watches_resume_after_restarts_and_slowness_but_not_lost_cursors() {
        let slow = status(Code::ResourceExhausted, "WATCHER_TOO_SLOW");
        assert!(matches!(stream_action(&slow), StreamAction::Resume(_)));
        let down = status(Code::Unavailable, "SHUTTING_DOWN");
        assert!(matches!(stream_action(&down), StreamAction::Resume(_)));
        let expired = status(Code::OutOfRange, "CURSOR_EXPIRED");
        assert_eq!(
            stream_action(&expired),
            StreamAction::CursorGone("CURSOR_EXPIRED".into())
        );
        let many = status(Code::ResourceExhausted, "TOO_MANY_STREAMS_PER_KEY");
        assert_eq!(stream_action(&many), StreamAction::Fail);
        assert_eq!(
            stream_action(&status(Code::PermissionDenied, "OUT_OF_SCOPE")),
            StreamAction::Fail
        );
    }
}
