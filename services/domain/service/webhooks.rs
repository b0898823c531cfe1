//! Webhooks: their owners' methods, and what the sender asks of the
//! domain — the events a webhook is owed, as its key may see them now.

use std::sync::Arc;

use super::{Grants, RequestKey, idempotency};
use crate::domain::access::{Caller, Role};
use crate::domain::application::View;
use crate::domain::error::{Error, Reason, Result, Violations};
use crate::domain::event::{ApplicationEvent, Cursor};
use crate::domain::lifecycle::not_visible;
use crate::domain::page::{Page, PageRequest};
use crate::domain::ports::{WebhookChange, WebhookCheck};
use crate::domain::time::Timestamp;
use crate::domain::watch::WatchFilter;
use crate::domain::webhook::{
    DEFAULT_OVERLAP_SECONDS, Delivery, MAX_OVERLAP_SECONDS, Secret, Webhook, WebhookInput, WebhookName, WebhookScope,
    check_url, parse_kinds, parse_scope,
};

/// What may be changed with UpdateWebhook.
pub const UPDATABLE: [&str; 3] = ["url", "event_kinds", "paused"];

/// The events a webhook is owed next, each as its key sees it.
pub struct Owed {
    /// Events after the webhook's cursor that it sends, in commit order.
    pub events: Vec<ApplicationEvent>,
    /// How much of each event the key sees (one rendering serves every
    /// webhook with the same view).
    pub view: View,
    /// The position read up to (events it does not send included): the
    /// cursor may move there once `events` are delivered.
    pub through: i64,
}

/// Why a webhook cannot deliver now.
pub enum Blocked {
    /// Its key was revoked or lost the scope: disable it with this reason.
    Disable(String),
}

fn may_own_webhooks(caller: &Caller) -> Result<()> {
    caller.require(
        &[Role::Admin, Role::Officer, Role::Applicant, Role::Viewer],
        "manage webhooks",
    )
}

impl Grants {
    /// The webhook if `caller` owns it (admins: any), else the same
    /// PERMISSION_DENIED as for one that does not exist.
    async fn owned_webhook(&self, caller: &Caller, name: &WebhookName) -> Result<Webhook> {
        may_own_webhooks(caller)?;
        match self.store.get_webhook(name).await? {
            Some(w) if caller.role == Role::Admin || w.creator == caller.key => Ok(w),
            None if caller.role == Role::Admin => Err(Error::NotFound {
                resource: name.to_string(),
            }),
            _ => Err(not_visible(name)),
        }
    }

    /// The stream filter a webhook's scope stands for.
    pub(super) fn webhook_filter(scope: &WebhookScope) -> WatchFilter {
        WatchFilter {
            programme: match scope {
                WebhookScope::Programme(p) => Some(p.clone()),
                _ => None,
            },
            institution: match scope {
                WebhookScope::Institution(i) => Some(i.clone()),
                _ => None,
            },
            application: None,
            relation: None,
        }
    }

    pub async fn create_webhook(
        &self,
        caller: &Caller,
        input: WebhookInput,
        request: Option<RequestKey>,
    ) -> Result<(Webhook, Option<String>)> {
        may_own_webhooks(caller)?;
        let idem = idempotency(caller, request)?;
        let mut v = Violations::new();
        let url = check_url(&input.url, "webhook.url", self.webhook_policy(), &mut v);
        let scope = parse_scope(&input, &mut v);
        let kinds = parse_kinds(&input.kinds, &mut v);
        v.finish()?;
        let url = url.ok_or_else(|| Error::internal("a checked URL went missing"))?;
        // The scope must be the key's to see, as for a stream.
        self.watch_scope(caller, Self::webhook_filter(&scope)).await?;
        let now = Timestamp::now();
        let secret = Secret::generate();
        let webhook = Webhook {
            name: WebhookName::generate(),
            url,
            scope,
            kinds,
            paused: input.paused,
            disabled: None,
            creator: caller.key.clone(),
            // Events committed from now on.
            cursor: self.store.event_head().await?.seq,
            failures: 0,
            secret: secret.clone(),
            previous: None,
            version: 1,
            create_time: now,
            update_time: now,
        };
        let (stored, created) = self.store.create_webhook(&webhook, idem).await?;
        self.webhook_changed();
        Ok((stored, created.then(|| secret.reveal())))
    }

    pub async fn get_webhook(&self, caller: &Caller, name: &WebhookName) -> Result<Webhook> {
        self.owned_webhook(caller, name).await
    }

    pub async fn list_webhooks(&self, caller: &Caller, page_size: i32, page_token: &str) -> Result<Page<Webhook>> {
        may_own_webhooks(caller)?;
        let page = PageRequest::parse(page_size, page_token, &caller.key.to_string(), "")?;
        let creator = (caller.role != Role::Admin).then_some(&caller.key);
        let rows = self.store.list_webhooks(creator, &page).await?;
        Ok(Page::from_rows(&page, rows, |w| w.name.id().to_owned()))
    }

    /// Changes `url`, `event_kinds` or `paused` (`update_mask`); resuming
    /// a disabled webhook clears its failures. A stale etag is ABORTED.
    pub async fn update_webhook(
        &self,
        caller: &Caller,
        name: &WebhookName,
        input: WebhookInput,
        etag: &str,
        mask: &[String],
    ) -> Result<Webhook> {
        // Without an etag the change applies to the webhook as it is: if
        // the sender moved its cursor meanwhile, it is applied again.
        let mut tries = 0;
        loop {
            tries += 1;
            match self.update_once(caller, name, &input, etag, mask).await {
                Err(Error::Aborted { .. }) if etag.is_empty() && tries < 5 => continue,
                other => return other,
            }
        }
    }

    async fn update_once(
        &self,
        caller: &Caller,
        name: &WebhookName,
        input: &WebhookInput,
        etag: &str,
        mask: &[String],
    ) -> Result<Webhook> {
        let current = self.owned_webhook(caller, name).await?;
        if !etag.is_empty() && etag != current.etag() {
            return Err(stale(&current));
        }
        let mut v = Violations::new();
        if mask.is_empty() {
            v.add("update_mask", format!("is required: any of {}", UPDATABLE.join(", ")));
        }
        for path in mask {
            if !UPDATABLE.contains(&path.as_str()) {
                v.add(
                    "update_mask",
                    format!("{path} cannot be changed (only {})", UPDATABLE.join(", ")),
                );
            }
        }
        let mut next = current.clone();
        if mask.iter().any(|p| p == "url")
            && let Some(url) = check_url(&input.url, "webhook.url", self.webhook_policy(), &mut v)
        {
            next.url = url;
        }
        if mask.iter().any(|p| p == "event_kinds") {
            next.kinds = parse_kinds(&input.kinds, &mut v);
        }
        if mask.iter().any(|p| p == "paused") {
            next.paused = input.paused;
            if !input.paused && next.disabled.is_some() {
                // Resumed: deliver what it missed, from its cursor.
                next.disabled = None;
                next.failures = 0;
            }
        }
        v.finish()?;
        self.replace(caller, current, next).await
    }

    async fn replace(&self, caller: &Caller, current: Webhook, mut next: Webhook) -> Result<Webhook> {
        next.version = current.version + 1;
        next.update_time = Timestamp::now();
        if !self.store.replace_webhook(&next, current.version).await? {
            // Changed meanwhile (by another call, or the sender disabling
            // it): tell the owner to read it again.
            let now = self.owned_webhook(caller, &current.name).await?;
            return Err(stale(&now));
        }
        self.webhook_changed();
        Ok(next)
    }

    /// Deletes the webhook and its delivery log. Under a request id a
    /// retry answers as the first call did, also once it is gone.
    pub async fn delete_webhook(&self, caller: &Caller, name: &WebhookName, request: Option<RequestKey>) -> Result<()> {
        may_own_webhooks(caller)?;
        let idem = idempotency(caller, request)?;
        let owner = Owner::of(caller);
        let check: WebhookCheck = Arc::new(move |current: &Webhook| owner.check(current));
        if !self.store.delete_webhook(name, idem, check).await? {
            return Err(Owner::of(caller).missing(name));
        }
        self.webhook_changed();
        Ok(())
    }

    /// A new secret; the old one signs beside it for `overlap_seconds`.
    /// Under a request id a retry hands out the same secret and webhook
    /// as the first call, and replaces nothing.
    pub async fn rotate_webhook_secret(
        &self,
        caller: &Caller,
        name: &WebhookName,
        overlap_seconds: Option<i64>,
        request: Option<RequestKey>,
    ) -> Result<(Webhook, String)> {
        may_own_webhooks(caller)?;
        let idem = idempotency(caller, request)?;
        let overlap = overlap_seconds.unwrap_or(DEFAULT_OVERLAP_SECONDS);
        if !(0..=MAX_OVERLAP_SECONDS).contains(&overlap) {
            return Err(Error::invalid(
                "overlap_seconds",
                format!("must be 0 to {MAX_OVERLAP_SECONDS} seconds"),
            ));
        }
        let owner = Owner::of(caller);
        let secret = Secret::generate();
        let change: WebhookChange = Arc::new(move |current: &Webhook| {
            owner.check(current)?;
            let now = Timestamp::now();
            let mut next = current.clone();
            next.previous = (overlap > 0).then(|| {
                (
                    current.secret.clone(),
                    now.plus(std::time::Duration::from_secs(overlap.unsigned_abs())),
                )
            });
            next.secret = secret.clone();
            next.version = current.version + 1;
            next.update_time = now;
            Ok(next)
        });
        let Some((webhook, fresh)) = self.store.change_webhook(name, idem, change).await? else {
            return Err(Owner::of(caller).missing(name));
        };
        if fresh {
            self.webhook_changed();
        }
        let secret = webhook.secret.reveal();
        Ok((webhook, secret))
    }

    pub async fn list_webhook_deliveries(
        &self,
        caller: &Caller,
        name: &WebhookName,
        page_size: i32,
        page_token: &str,
    ) -> Result<Page<Delivery>> {
        self.owned_webhook(caller, name).await?;
        let page = PageRequest::parse(page_size, page_token, &name.to_string(), "")?;
        let rows = self.store.list_deliveries(name, &page).await?;
        Ok(Page::from_rows(&page, rows, |d| d.id.clone()))
    }

    /// The webhook and one event of its scope, by cursor, for a
    /// redelivery (the owner's check, the event's visibility).
    pub async fn redelivery(
        &self,
        caller: &Caller,
        name: &WebhookName,
        event: &str,
    ) -> Result<(Webhook, ApplicationEvent)> {
        let webhook = self.owned_webhook(caller, name).await?;
        let cursor = Cursor::parse(event, "event")?;
        if cursor.log != self.store.event_log() {
            return Err(Error::invalid("event", "is a cursor of another event log"));
        }
        let owed = match self.owed_from(&webhook, cursor.seq - 1, 1).await? {
            Ok(owed) => owed,
            Err(Blocked::Disable(why)) => return Err(Error::precondition(Reason::InvalidState, why)),
        };
        match owed.events.into_iter().next() {
            Some(e) if e.cursor.seq == cursor.seq => Ok((webhook, e)),
            _ => Err(Error::NotFound {
                resource: format!("{name} event {event}"),
            }),
        }
    }

    async fn owed_from(&self, webhook: &Webhook, after: i64, limit: u64) -> Result<std::result::Result<Owed, Blocked>> {
        let entitled = match self.webhook_entitlement(webhook).await? {
            Ok(entitled) => entitled,
            Err(blocked) => return Ok(Err(blocked)),
        };
        let read = self.log_after(after, limit).await?;
        let through = read.last().map_or(after, |e| e.cursor.seq);
        let view = entitled.view;
        let events = read
            .into_iter()
            .filter(|e| entitled.sends(webhook, e))
            .map(|e| e.in_view(view))
            .collect();
        Ok(Ok(Owed { events, view, through }))
    }

    /// The attempt a redelivery under this request id made before, if
    /// it was made (then nothing is sent again).
    pub async fn redelivery_replay(&self, caller: &Caller, request: Option<RequestKey>) -> Result<Option<Delivery>> {
        match idempotency(caller, request)? {
            Some(idem) => self.store.redelivery_replay(&idem).await,
            None => Ok(None),
        }
    }

    /// Records a redelivery's attempt (under its request id: a twin's
    /// recorded first is the answer).
    pub async fn record_redelivery(
        &self,
        caller: &Caller,
        delivery: &Delivery,
        request: Option<RequestKey>,
    ) -> Result<Delivery> {
        let idem = idempotency(caller, request)?;
        self.store.record_redelivery(delivery, idem).await
    }
}

/// Who may change a webhook: its creator, or an admin.
struct Owner {
    key: crate::domain::ids::ApiKeyName,
    admin: bool,
}

impl Owner {
    fn of(caller: &Caller) -> Self {
        Self {
            key: caller.key.clone(),
            admin: caller.role == Role::Admin,
        }
    }

    fn check(&self, webhook: &Webhook) -> Result<()> {
        if self.admin || webhook.creator == self.key {
            Ok(())
        } else {
            Err(not_visible(&webhook.name))
        }
    }

    /// What a missing webhook answers (to a non-admin, as one not theirs).
    fn missing(&self, name: &WebhookName) -> Error {
        if self.admin {
            Error::NotFound {
                resource: name.to_string(),
            }
        } else {
            not_visible(name)
        }
    }
}

fn stale(current: &Webhook) -> Error {
    Error::Aborted {
        reason: Reason::EtagMismatch,
        message: format!("{} changed since it was read (etag {})", current.name, current.etag()),
    }
}
