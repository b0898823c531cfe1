//! Webhooks: the events a key may see, sent to a URL in commit order,
//! signed per the Standard Webhooks specification. What a webhook is and
//! which changes are allowed; the sending is `crate::webhooks`'.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::error::{Error, Result, Violations};
use super::ids::{ApiKeyName, InstitutionName, ProgrammeName};
use super::time::Timestamp;

pub const MAX_URL_CHARS: usize = 2_000;
/// The longest overlap of two secrets after a rotation: a week.
pub const MAX_OVERLAP_SECONDS: i64 = 7 * 86_400;
pub const DEFAULT_OVERLAP_SECONDS: i64 = 86_400;
const SECRET_BYTES: usize = 32;
const SECRET_PREFIX: &str = "whsec_";

/// `webhooks/{webhook}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WebhookName(String);

impl WebhookName {
    pub fn parse(name: &str, field: &str) -> Result<Self> {
        match name.strip_prefix("webhooks/") {
            Some(id)
                if !id.is_empty()
                    && id.len() <= 63
                    && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) =>
            {
                Ok(Self(id.to_owned()))
            }
            _ => Err(Error::invalid(
                field,
                format!("{} is not of the form webhooks/{{webhook}}", super::text::excerpt(name)),
            )),
        }
    }

    pub fn from_id(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    pub fn generate() -> Self {
        Self(super::ids::new_id())
    }

    pub fn id(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for WebhookName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "webhooks/{}", self.0)
    }
}

/// Which events a webhook sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    StateChange,
    Disbursement,
    Review,
    Document,
    Team,
    Report,
}

impl EventKind {
    pub const ALL: [EventKind; 6] = [
        EventKind::StateChange,
        EventKind::Disbursement,
        EventKind::Review,
        EventKind::Document,
        EventKind::Team,
        EventKind::Report,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::StateChange => "STATE_CHANGE",
            EventKind::Disbursement => "DISBURSEMENT",
            EventKind::Review => "REVIEW",
            EventKind::Document => "DOCUMENT",
            EventKind::Team => "TEAM",
            EventKind::Report => "REPORT",
        }
    }

    pub fn from_str_exact(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }

    /// The kind of an event: what it carries, else a change of state.
    pub fn of(event: &super::event::ApplicationEvent) -> Self {
        if event.disbursement.is_some() {
            EventKind::Disbursement
        } else if event.review.is_some() {
            EventKind::Review
        } else if event.document.is_some() {
            EventKind::Document
        } else if event.team.is_some() {
            EventKind::Team
        } else if event.report.is_some() {
            EventKind::Report
        } else {
            EventKind::StateChange
        }
    }
}

/// What a webhook sends: everything its key sees, or one programme's or
/// one institution's applications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookScope {
    All,
    Programme(ProgrammeName),
    Institution(InstitutionName),
}

/// A signing secret: 32 random bytes, shown as `whsec_` and base64.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret {
    pub fn generate() -> Self {
        use rand::RngCore;
        let mut bytes = vec![0_u8; SECRET_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The form shown once to its owner: `whsec_` and base64.
    pub fn reveal(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// The bytes HMAC is keyed with.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// As stored (base64, no prefix).
    pub fn stored(&self) -> String {
        STANDARD.encode(&self.0)
    }

    pub fn from_stored(text: &str) -> Result<Self> {
        STANDARD
            .decode(text)
            .map(Self)
            .map_err(|e| Error::internal(format!("stored webhook secret is invalid: {e}")))
    }
}

/// A webhook as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub name: WebhookName,
    pub url: String,
    pub scope: WebhookScope,
    /// Empty: every kind.
    pub kinds: Vec<EventKind>,
    pub paused: bool,
    /// Why the server stopped it; `None` while it may deliver.
    pub disabled: Option<String>,
    pub creator: ApiKeyName,
    /// The position of the last event delivered or given up on.
    pub cursor: i64,
    pub failures: i32,
    pub secret: Secret,
    /// The secret before the last rotation, and when it stops signing.
    pub previous: Option<(Secret, Timestamp)>,
    pub version: i64,
    pub create_time: Timestamp,
    pub update_time: Timestamp,
}

/// Where a webhook stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookState {
    Active,
    Paused,
    Disabled,
}

impl Webhook {
    pub fn state(&self) -> WebhookState {
        match (&self.disabled, self.paused) {
            (Some(_), _) => WebhookState::Disabled,
            (None, true) => WebhookState::Paused,
            (None, false) => WebhookState::Active,
        }
    }

    pub fn etag(&self) -> String {
        format!("W/\"{}\"", self.version)
    }

    /// Whether it sends events of `kind`.
    pub fn sends(&self, kind: EventKind) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }

    /// The secrets that sign at `now`: the current one, and the previous
    /// one during a rotation's overlap.
    pub fn signing_secrets(&self, now: Timestamp) -> Vec<&Secret> {
        let mut out = vec![&self.secret];
        if let Some((previous, until)) = &self.previous
            && *until > now
        {
            out.push(previous);
        }
        out
    }
}

/// How the server lets webhooks reach the network.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    /// `http://` URLs are taken (tests on loopback; never in production).
    pub allow_http: bool,
    /// Loopback, private, link-local and other non-public addresses are
    /// reached (checked again at every connection).
    pub allow_private: bool,
}

/// Checks a webhook URL's form: `https://` (or `http://` when allowed),
/// a host, no user or password, at most [`MAX_URL_CHARS`]. Whether the
/// host's addresses are public is checked at every connection.
pub fn check_url(url: &str, field: &str, policy: UrlPolicy, v: &mut Violations) -> Option<String> {
    let url = url.trim();
    if url.is_empty() {
        v.add(field, "is required");
        return None;
    }
    if url.chars().count() > MAX_URL_CHARS {
        v.add(field, format!("must be at most {MAX_URL_CHARS} characters"));
        return None;
    }
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => {
            v.add(field, format!("{} is not an absolute URL", super::text::excerpt(url)));
            return None;
        }
    };
    match scheme.as_str() {
        "https" => {}
        "http" if policy.allow_http => {}
        "http" => {
            v.add(
                field,
                "must be https:// (this server does not send webhooks over plain http)",
            );
            return None;
        }
        _ => {
            v.add(field, format!("must be https://, not {scheme}://"));
            return None;
        }
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        v.add(field, "must name a host, with no user, password or spaces");
        return None;
    }
    Some(url.to_owned())
}

/// A webhook as its owner sends it.
#[derive(Debug, Clone, Default)]
pub struct WebhookInput {
    pub url: String,
    pub programme: String,
    pub institution: String,
    pub kinds: Vec<Option<EventKind>>,
    pub paused: bool,
}

/// The scope and kinds of `input`, checked for form.
pub fn parse_scope(input: &WebhookInput, v: &mut Violations) -> WebhookScope {
    match (input.programme.is_empty(), input.institution.is_empty()) {
        (true, true) => WebhookScope::All,
        (false, true) => v
            .check(ProgrammeName::parse(&input.programme, "webhook.programme"))
            .map_or(WebhookScope::All, WebhookScope::Programme),
        (true, false) => v
            .check(InstitutionName::parse(&input.institution, "webhook.institution"))
            .map_or(WebhookScope::All, WebhookScope::Institution),
        (false, false) => {
            v.add("webhook.institution", "give a programme or an institution, not both");
            WebhookScope::All
        }
    }
}

/// The kinds sent, each once and known.
pub fn parse_kinds(kinds: &[Option<EventKind>], v: &mut Violations) -> Vec<EventKind> {
    let mut out = Vec::new();
    for (i, k) in kinds.iter().enumerate() {
        match k {
            None => v.add(format!("webhook.event_kinds[{i}]"), "is not an event kind"),
            Some(k) if out.contains(k) => v.add(format!("webhook.event_kinds[{i}]"), "is given twice"),
            Some(k) => out.push(*k),
        }
    }
    out.sort();
    out
}

/// A webhook's progress, as the sender writes it once per batch: its
/// cursor (moved forward only) and its failures in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub webhook: WebhookName,
    pub cursor: i64,
    pub failures: i32,
}

/// One attempt to deliver one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    pub webhook: WebhookName,
    pub event_seq: i64,
    pub attempt: i32,
    pub outcome: DeliveryOutcome,
    pub response_code: i32,
    pub detail: String,
    pub latency_ms: i64,
    pub time: Timestamp,
    pub redelivery: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered,
    Failed,
    Skipped,
}

impl DeliveryOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryOutcome::Delivered => "DELIVERED",
            DeliveryOutcome::Failed => "FAILED",
            DeliveryOutcome::Skipped => "SKIPPED",
        }
    }

    pub fn from_str_exact(value: &str) -> Option<Self> {
        [
            DeliveryOutcome::Delivered,
            DeliveryOutcome::Failed,
            DeliveryOutcome::Skipped,
        ]
        .into_iter()
        .find(|o| o.as_str() == value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_https_with_a_host() {
        let strict = UrlPolicy::default();
        let ok = |u: &str, p| {
            let mut v = Violations::new();
            check_url(u, "url", p, &mut v).is_some() && v.finish().is_ok()
        };
        assert!(ok("https://erp.hku.hk/hooks/grants", strict));
        assert!(!ok("http://erp.hku.hk/hooks", strict));
        assert!(ok(
            "http://127.0.0.1:8080/hooks",
            UrlPolicy {
                allow_http: true,
                allow_private: true
            }
        ));
        for bad in [
            "",
            "erp.hku.hk",
            "ftp://x.org",
            "https://",
            "https://user:pw@x.org/",
            "https://x.org/a b",
        ] {
            assert!(!ok(bad, strict), "{bad:?}");
        }
    }

    #[test]
    fn a_rotated_secret_signs_until_its_overlap_ends() {
        let now = Timestamp::from_micros(1_000_000);
        let mut w = Webhook {
            name: WebhookName::from_id("w"),
            url: "https://x.org".into(),
            scope: WebhookScope::All,
            kinds: vec![],
            paused: false,
            disabled: None,
            creator: ApiKeyName::from_id("k"),
            cursor: 0,
            failures: 0,
            secret: Secret::generate(),
            previous: None,
            version: 1,
            create_time: now,
            update_time: now,
        };
        assert_eq!(w.signing_secrets(now).len(), 1);
        w.previous = Some((Secret::generate(), Timestamp::from_micros(2_000_000)));
        assert_eq!(w.signing_secrets(now).len(), 2);
        assert_eq!(w.signing_secrets(Timestamp::from_micros(2_000_000)).len(), 1);
        assert!(w.secret.reveal().starts_with("whsec_"));
    }
}
