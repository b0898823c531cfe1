//! Views of webhooks and their delivery attempts (see views.rs for the
//! other resources). States, kinds and outcomes read as the API's value
//! names without their prefix (`PAUSED`, `STATE_CHANGE`, `DELIVERED`),
//! which `--kind` takes back in any case; cursors, opaque and long, are
//! shortened to their last characters in tables (`-o json` and `get` show
//! them whole).

use gba_grants::proto::v1;
use serde_json::Value;

use crate::json::webhook as json;
use crate::table;
use crate::views::{Resource, time};

/// The value name without its prefix: `STATE_PAUSED` → `PAUSED`; empty
/// for the zero value, the number for one grantctl does not know.
fn word(v: i32, name: Option<&'static str>, prefix: &str) -> String {
    match (v, name) {
        (0, _) => String::new(),
        (_, Some(n)) => n.trim_start_matches(prefix).to_owned(),
        (v, None) => v.to_string(),
    }
}

/// `ACTIVE`, `PAUSED` or `DISABLED`.
pub fn state_word(v: i32) -> String {
    word(v, json::state_name(v), "STATE_")
}

/// `DELIVERED`, `FAILED` or `SKIPPED`.
pub fn outcome_word(v: i32) -> String {
    word(v, json::outcome_name(v), "OUTCOME_")
}

/// `STATE_CHANGE, REPORT`; `all` when the webhook sends every kind.
pub fn kinds_word(kinds: &[i32]) -> String {
    if kinds.is_empty() {
        return "all".to_owned();
    }
    kinds
        .iter()
        .map(|k| word(*k, json::kind_name(*k), "WEBHOOK_EVENT_KIND_"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The programme or institution whose events are sent, or `all` (what
/// the creating key may see).
pub fn scope_word(w: &v1::Webhook) -> String {
    if !w.programme.is_empty() {
        w.programme.clone()
    } else if !w.institution.is_empty() {
        w.institution.clone()
    } else {
        "all".to_owned()
    }
}

/// The last 12 characters of a cursor, after `…` (the part that differs
/// from one event to the next).
pub fn short_cursor(cursor: &str) -> String {
    let chars: Vec<char> = cursor.chars().collect();
    if chars.len() <= 16 {
        return cursor.to_owned();
    }
    let tail: String = chars[chars.len() - 12..].iter().collect();
    format!("…{tail}")
}

fn yes(b: bool) -> String {
    if b { "yes".into() } else { String::new() }
}

impl Resource for v1::Webhook {
    const PLURAL: &'static str = "webhooks";

    fn name(&self) -> String {
        self.name.clone()
    }

    fn json(&self) -> Value {
        json::webhook(self)
    }

    fn header() -> &'static [&'static str] {
        &["NAME", "URL", "SCOPE", "KINDS", "STATE", "FAILURES", "CURSOR"]
    }

    fn row(&self) -> Vec<String> {
        vec![
            self.name.clone(),
            table::truncate(&self.url, 60),
            scope_word(self),
            kinds_word(&self.event_kinds),
            state_word(self.state),
            self.consecutive_failures.to_string(),
            short_cursor(&self.cursor),
        ]
    }

    fn details(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Name", self.name.clone()),
            ("URL", self.url.clone()),
            ("Scope", scope_word(self)),
            ("Event kinds", kinds_word(&self.event_kinds)),
            ("State", state_word(self.state)),
            ("Disabled because", self.disabled_reason.clone()),
            ("Failures in a row", self.consecutive_failures.to_string()),
            ("Cursor", self.cursor.clone()),
            ("Creator", self.creator.clone()),
            (
                "Previous secret signs until",
                time(self.previous_secret_expire_time.as_ref()),
            ),
            ("Created", time(self.create_time.as_ref())),
            ("Updated", time(self.update_time.as_ref())),
            ("Etag", self.etag.clone()),
        ]
    }
}

impl Resource for v1::WebhookDelivery {
    const PLURAL: &'static str = "deliveries";

    fn name(&self) -> String {
        self.name.clone()
    }

    fn json(&self) -> Value {
        json::delivery(self)
    }

    fn header() -> &'static [&'static str] {
        &[
            "TIME",
            "EVENT",
            "ATTEMPT",
            "OUTCOME",
            "CODE",
            "LATENCY",
            "DETAIL",
            "REDELIVERY",
        ]
    }

    fn row(&self) -> Vec<String> {
        vec![
            time(self.attempt_time.as_ref()),
            short_cursor(&self.event),
            self.attempt.to_string(),
            outcome_word(self.outcome),
            code(self.response_code),
            format!("{} ms", self.latency_ms),
            table::truncate(&crate::error::one_line(&self.detail), 40),
            yes(self.redelivery),
        ]
    }

    fn details(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Name", self.name.clone()),
            ("Event", self.event.clone()),
            ("Attempt", self.attempt.to_string()),
            ("Outcome", outcome_word(self.outcome)),
            ("Response code", code(self.response_code)),
            ("Latency", format!("{} ms", self.latency_ms)),
            ("Detail", self.detail.clone()),
            ("Time", time(self.attempt_time.as_ref())),
            ("Redelivery", if self.redelivery { "yes" } else { "no" }.to_owned()),
        ]
    }
}

/// The HTTP status, or empty when none was received.
fn code(v: i32) -> String {
    if v == 0 { String::new() } else { v.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_keep_their_tail_and_kinds_read_as_flags_take_them() {
        assert_eq!(short_cursor("short"), "short");
        assert_eq!(short_cursor("Z2JlMjowMTIzNDU2Nzg5YWJjZGVmOjEyMzQ1"), "…ZGVmOjEyMzQ1");
        assert_eq!(kinds_word(&[]), "all");
        let kinds = [
            v1::WebhookEventKind::StateChange as i32,
            v1::WebhookEventKind::Report as i32,
        ];
        assert_eq!(kinds_word(&kinds), "STATE_CHANGE, REPORT");
        assert_eq!(state_word(v1::webhook::State::Paused as i32), "PAUSED");
        assert_eq!(
            outcome_word(v1::webhook_delivery::Outcome::Delivered as i32),
            "DELIVERED"
        );
    }
}
