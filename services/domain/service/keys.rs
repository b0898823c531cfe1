//! Issuing, listing and revoking API keys (admin only).

use super::{Grants, RequestKey, idempotency};
use crate::domain::access::{ApiKey, ApiKeyFilter, ApiKeyInput, Caller, NewApiKey, Role, generate_secret};
use crate::domain::error::{Error, Result};
use crate::domain::ids::ApiKeyName;
use crate::domain::page::{Page, PageRequest};

/// A key just issued: the secret is present only when this call issued it
/// (an idempotent replay cannot show it again).
#[derive(Debug, Clone)]
pub struct IssuedKey {
    pub key: ApiKey,
    pub secret: Option<String>,
}

impl Grants {
    pub async fn create_api_key(
        &self,
        caller: &Caller,
        input: ApiKeyInput,
        request: Option<RequestKey>,
    ) -> Result<IssuedKey> {
        caller.require(&[Role::Admin], "issue API keys")?;
        let idem = idempotency(caller, request)?;
        self.issue_key(input, idem).await
    }

    /// Issues a key without a caller: for the offline `keys create` command.
    pub async fn create_api_key_offline(&self, input: ApiKeyInput) -> Result<IssuedKey> {
        self.issue_key(input, None).await
    }

    async fn issue_key(
        &self,
        input: ApiKeyInput,
        idem: Option<crate::domain::ports::Idempotency>,
    ) -> Result<IssuedKey> {
        let new = NewApiKey::parse(input, "api_key")?;
        if let Some(institution) = &new.institution
            && self.store.get_institution(institution).await?.is_none()
        {
            return Err(Error::invalid(
                "api_key.institution",
                format!("{institution} does not exist"),
            ));
        }
        for (i, programme) in new.programmes.iter().enumerate() {
            if self.store.get_programme(programme).await?.is_none() {
                return Err(Error::invalid(
                    format!("api_key.programmes[{i}]"),
                    format!("{programme} does not exist"),
                ));
            }
        }
        let (secret, hash) = generate_secret();
        let (key, created) = self.store.create_api_key(new, hash.clone(), idem).await?;
        if created {
            self.issued_here(hash, key.name.clone()).await;
        }
        Ok(IssuedKey {
            key,
            secret: created.then_some(secret),
        })
    }

    /// The caller's own key (every role may read it).
    pub async fn current_api_key(&self, caller: &Caller) -> Result<ApiKey> {
        self.store
            .get_api_key(&caller.key)
            .await?
            .ok_or_else(|| Error::internal("an authenticated key is missing"))
    }

    pub async fn list_api_keys(
        &self,
        caller: &Caller,
        filter: &str,
        page_size: i32,
        page_token: &str,
    ) -> Result<Page<ApiKey>> {
        caller.require(&[Role::Admin], "list API keys")?;
        let parsed = ApiKeyFilter::parse(filter)?;
        let page = PageRequest::parse(page_size, page_token, "apiKeys", filter)?;
        let rows = self.store.list_api_keys(&parsed, &page).await?;
        Ok(Page::from_rows(&page, rows, |k| k.name.id().to_owned()))
    }

    pub async fn revoke_api_key(
        &self,
        caller: &Caller,
        name: &ApiKeyName,
        request: Option<RequestKey>,
    ) -> Result<ApiKey> {
        caller.require(&[Role::Admin], "revoke API keys")?;
        let idem = idempotency(caller, request)?;
        let revoked = self
            .store
            .revoke_api_key(name, idem)
            .await?
            .ok_or_else(|| Error::NotFound {
                resource: name.to_string(),
            })?;
        // At once here; other replicas hear of it through the store.
        self.forget_key(&crate::domain::access::Revocation::Key(name.clone()));
        Ok(revoked)
    }
}
