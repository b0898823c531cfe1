//! API keys, the same on both backends: found by the hash of their
//! secret; a revocation is announced to this process at once, and (by
//! the backend's notice) to the others when it commits.

use async_trait::async_trait;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};

use super::once::once;
use super::reads::{OnlyRow, page_by_id};
use super::{HasSea, Lock, Sea};
use crate::domain::access::{ApiKey, ApiKeyFilter, NewApiKey, Revocation, Role};
use crate::domain::ids::ApiKeyName;
use crate::domain::page::PageRequest;
use crate::domain::ports::{Idempotency, KeyStore};
use crate::domain::time::Timestamp;
use crate::domain::{Error, Result};
use crate::store::faults::db_err;
use crate::store::rows::api_key::{self as row, Column, new_row, to_domain, without_hash};

#[async_trait]
impl<T: HasSea + Send + Sync> KeyStore for T {
    async fn create_api_key(
        &self,
        new: NewApiKey,
        secret_hash: String,
        idem: Option<Idempotency>,
    ) -> Result<(ApiKey, bool)> {
        let sea = self.sea().clone();
        let name = ApiKeyName::generate();
        let model = new_row(&name, new, secret_hash, Timestamp::now());
        self.sea()
            .detached(async move {
                let done = once(
                    &sea,
                    idem.as_ref(),
                    name.id(),
                    move |txn| {
                        let model = model.clone();
                        Box::pin(async move {
                            row::ActiveModel::from(model)
                                .reset_all()
                                .insert(txn)
                                .await
                                .map(Some)
                                .map_err(db_err)
                        })
                    },
                    without_hash,
                    old(&sea),
                )
                .await?
                .ok_or_else(|| Error::internal("replayed api key is missing"))?;
                let created = matches!(done, super::once::Once::Done(_));
                Ok((to_domain(done.into_inner())?, created))
            })
            .await
    }

    async fn find_api_key_by_hash(&self, secret_hash: &str) -> Result<Option<ApiKey>> {
        row::Entity::find()
            .filter(Column::SecretHash.eq(secret_hash))
            .only(&self.sea().conn)
            .await
            .map_err(db_err)?
            .map(to_domain)
            .transpose()
    }

    async fn issued_key_hashes(
        &self,
        since: Option<Timestamp>,
    ) -> Result<(Vec<(String, ApiKeyName)>, Option<Timestamp>)> {
        let mut query = row::Entity::find()
            .select_only()
            .columns([Column::SecretHash, Column::Id, Column::CreateTime])
            .filter(Column::RevokeTime.is_null());
        if let Some(since) = since {
            query = query.filter(Column::CreateTime.gte(since.micros()));
        }
        let rows: Vec<(String, String, i64)> = query.into_tuple().all(&self.sea().conn).await.map_err(db_err)?;
        let newest = rows.iter().map(|(_, _, t)| *t).max().map(Timestamp::from_micros);
        let hashes = rows
            .into_iter()
            .map(|(hash, id, _)| (hash, ApiKeyName::from_id(id)))
            .collect();
        Ok((hashes, newest))
    }

    async fn get_api_key(&self, name: &ApiKeyName) -> Result<Option<ApiKey>> {
        get(self.sea(), name.id()).await?.map(to_domain).transpose()
    }

    async fn list_api_keys(&self, filter: &ApiKeyFilter, page: &PageRequest) -> Result<Vec<ApiKey>> {
        let mut query = row::Entity::find();
        if let Some(role) = filter.role {
            query = query.filter(Column::Role.eq(role.as_str()));
        }
        match filter.revoked {
            Some(true) => query = query.filter(Column::RevokeTime.is_not_null()),
            Some(false) => query = query.filter(Column::RevokeTime.is_null()),
            None => {}
        }
        let rows = page_by_id(query, Column::Id, page, &self.sea().conn).await?;
        rows.into_iter().map(to_domain).collect()
    }

    async fn revoke_api_key(&self, name: &ApiKeyName, idem: Option<Idempotency>) -> Result<Option<ApiKey>> {
        let sea = self.sea().clone();
        let notice = self.revoked_notice(name);
        let name = name.clone();
        self.sea()
            .detached(async move {
                let done = once(
                    &sea,
                    idem.as_ref(),
                    name.id(),
                    {
                        let (name, notice) = (name.clone(), notice.clone());
                        move |txn| {
                            let (name, notice) = (name.clone(), notice.clone());
                            Box::pin(async move {
                                let Some(current) = row::Entity::find_by_id(name.id().to_owned())
                                    .only(txn)
                                    .await
                                    .map_err(db_err)?
                                else {
                                    return Ok(None);
                                };
                                // Revoking twice keeps the first time.
                                if current.revoke_time.is_some() {
                                    return Ok(Some(current));
                                }
                                let mut active: row::ActiveModel = current.into();
                                active.revoke_time = Set(Some(Timestamp::now().micros()));
                                let saved = active.update(txn).await.map_err(db_err)?;
                                if let Some(notice) = notice {
                                    txn.execute_raw(notice).await.map_err(db_err)?;
                                }
                                Ok(Some(saved))
                            })
                        }
                    },
                    without_hash,
                    old(&sea),
                )
                .await?;
                let Some(done) = done else { return Ok(None) };
                // This process's streams of the key end now (nobody
                // listening is fine).
                let _ = sea.revocations.send(Revocation::Key(name.clone()));
                to_domain(done.into_inner()).map(Some)
            })
            .await
    }

    async fn bootstrap_admin(&self, secret_hash: String) -> Result<Option<ApiKey>> {
        let sea = self.sea().clone();
        let lock = self.lock(Lock::Bootstrap);
        self.sea()
            .detached(async move {
                let txn = sea.begin_write().await?;
                if let Some(lock) = lock {
                    txn.execute_raw(lock).await.map_err(db_err)?;
                }
                if row::Entity::find().count(&txn).await.map_err(db_err)? > 0 {
                    return Ok(None);
                }
                let new = NewApiKey {
                    role: Role::Admin,
                    institution: None,
                    programmes: Vec::new(),
                    all_programmes: false,
                    display_name: "bootstrap admin".into(),
                    person: None,
                };
                let model = new_row(&ApiKeyName::generate(), new, secret_hash, Timestamp::now());
                let inserted = row::ActiveModel::from(model)
                    .reset_all()
                    .insert(&txn)
                    .await
                    .map_err(db_err)?;
                txn.commit().await.map_err(db_err)?;
                to_domain(inserted).map(Some)
            })
            .await
    }
}

/// Reads a key by its id, for a replay of a record written before
/// responses were kept.
fn old(sea: &std::sync::Arc<Sea>) -> impl Fn(String) -> super::once::InTxn<'static, row::Model> + Send + Sync {
    let sea = sea.clone();
    move |id| {
        let sea = sea.clone();
        Box::pin(async move { get(&sea, &id).await })
    }
}

async fn get(sea: &Sea, id: &str) -> Result<Option<row::Model>> {
    row::Entity::find_by_id(id.to_owned())
        .only(&sea.conn)
        .await
        .map_err(db_err)
}
