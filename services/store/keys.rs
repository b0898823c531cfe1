//! API keys on SQL, found by the hash of their secret.

use async_trait::async_trait;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Statement,
};

use super::entity::api_key::{self as row, Column};
use super::idempotency::{Claim, stored};
use super::{Db, OnlyRow, corrupt, db_err, page_by_id};
use crate::domain::access::{ApiKey, ApiKeyFilter, NewApiKey, Revocation, Role};
use crate::domain::ids::{ApiKeyName, InstitutionName, ProgrammeName};
use crate::domain::page::PageRequest;
use crate::domain::ports::{Idempotency, KeyStore};
use crate::domain::time::Timestamp;
use crate::domain::{Error, Result};

/// The PostgreSQL channel on which key revocations are announced.
pub const KEYS_CHANNEL: &str = "gba_grants_keys";

/// Names the advisory lock taken while bootstrapping the first admin key.
const BOOTSTRAP_LOCK: i64 = 0x6762_615f_626f_6f74; // "gba_boot"

fn to_domain(m: row::Model) -> Result<ApiKey> {
    let row::Model {
        id,
        secret_hash: _,
        role,
        institution_id,
        programme_ids,
        all_programmes,
        display_name,
        create_time,
        revoke_time,
    } = m;
    Ok(ApiKey {
        name: ApiKeyName::from_id(id),
        role: Role::parse(&role, "role").map_err(|e| corrupt("api key", e))?,
        institution: institution_id.map(InstitutionName::from_id),
        programmes: programme_ids
            .split(',')
            .filter(|s| !s.is_empty())
            .map(ProgrammeName::from_id)
            .collect(),
        all_programmes,
        display_name,
        create_time: Timestamp::from_micros(create_time),
        revoke_time: revoke_time.map(Timestamp::from_micros),
    })
}

/// A row as kept for replays: without the secret's hash.
fn without_hash(m: &row::Model) -> row::Model {
    row::Model {
        secret_hash: String::new(),
        ..m.clone()
    }
}

fn new_row(name: &ApiKeyName, new: NewApiKey, secret_hash: String) -> row::ActiveModel {
    let NewApiKey {
        role,
        institution,
        programmes,
        all_programmes,
        display_name,
    } = new;
    row::ActiveModel {
        id: Set(name.id().to_owned()),
        secret_hash: Set(secret_hash),
        role: Set(role.as_str().to_owned()),
        institution_id: Set(institution.map(|i| i.id().to_owned())),
        programme_ids: Set(programmes.iter().map(|p| p.id()).collect::<Vec<_>>().join(",")),
        all_programmes: Set(all_programmes),
        display_name: Set(display_name),
        create_time: Set(Timestamp::now().micros()),
        revoke_time: Set(None),
    }
}

#[async_trait]
impl KeyStore for Db {
    async fn create_api_key(
        &self,
        new: NewApiKey,
        secret_hash: String,
        idem: Option<Idempotency>,
    ) -> Result<(ApiKey, bool)> {
        let db = self.clone();
        self.detached(async move { db.create_api_key_now(new, secret_hash, idem).await })
            .await
    }

    async fn find_api_key_by_hash(&self, secret_hash: &str) -> Result<Option<ApiKey>> {
        row::Entity::find()
            .filter(Column::SecretHash.eq(secret_hash))
            .only(self.conn())
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
        let rows: Vec<(String, String, i64)> = query.into_tuple().all(self.conn()).await.map_err(db_err)?;
        let newest = rows.iter().map(|(_, _, t)| *t).max().map(Timestamp::from_micros);
        Ok((
            rows.into_iter()
                .map(|(hash, id, _)| (hash, ApiKeyName::from_id(id)))
                .collect(),
            newest,
        ))
    }

    async fn get_api_key(&self, name: &ApiKeyName) -> Result<Option<ApiKey>> {
        row::Entity::find_by_id(name.id().to_owned())
            .only(self.conn())
            .await
            .map_err(db_err)?
            .map(to_domain)
            .transpose()
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
        let rows = page_by_id(query, Column::Id, page, self.conn()).await?;
        rows.into_iter().map(to_domain).collect()
    }

    async fn revoke_api_key(&self, name: &ApiKeyName, idem: Option<Idempotency>) -> Result<Option<ApiKey>> {
        let name = name.clone();
        let db = self.clone();
        self.detached(async move { db.revoke_api_key_now(&name, idem).await })
            .await
    }

    async fn bootstrap_admin(&self, secret_hash: String) -> Result<Option<ApiKey>> {
        let db = self.clone();
        self.detached(async move { db.bootstrap_admin_now(secret_hash).await })
            .await
    }
}

impl Db {
    async fn create_api_key_now(
        &self,
        new: NewApiKey,
        secret_hash: String,
        idem: Option<Idempotency>,
    ) -> Result<(ApiKey, bool)> {
        let name = ApiKeyName::generate();
        let txn = self.begin_write().await?;
        if let Claim::Replay { resource, response } = self.claim(&txn, idem.as_ref(), name.id()).await? {
            drop(txn);
            let found = match response {
                Some(response) => stored(&response)?,
                None => row::Entity::find_by_id(resource)
                    .only(self.conn())
                    .await
                    .map_err(db_err)?
                    .ok_or_else(|| Error::internal("replayed api key is missing"))?,
            };
            return Ok((to_domain(found)?, false));
        }
        let inserted = new_row(&name, new, secret_hash).insert(&txn).await.map_err(db_err)?;
        self.remember(&txn, idem.as_ref(), &without_hash(&inserted)).await?;
        txn.commit().await.map_err(db_err)?;
        Ok((to_domain(inserted)?, true))
    }
}

impl Db {
    async fn revoke_api_key_now(&self, name: &ApiKeyName, idem: Option<Idempotency>) -> Result<Option<ApiKey>> {
        let txn = self.begin_write().await?;
        if let Claim::Replay {
            response: Some(response),
            ..
        } = self.claim(&txn, idem.as_ref(), name.id()).await?
        {
            return to_domain(stored(&response)?).map(Some);
        }
        let Some(current) = row::Entity::find_by_id(name.id().to_owned())
            .only(&txn)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        if current.revoke_time.is_some() {
            // Revoking twice keeps the first time.
            self.remember(&txn, idem.as_ref(), &without_hash(&current)).await?;
            txn.commit().await.map_err(db_err)?;
            return to_domain(current).map(Some);
        }
        let mut active: row::ActiveModel = current.into();
        active.revoke_time = Set(Some(Timestamp::now().micros()));
        let saved = active.update(&txn).await.map_err(db_err)?;
        self.remember(&txn, idem.as_ref(), &without_hash(&saved)).await?;
        if self.is_postgres() {
            // Delivered to every LISTENing replica when the transaction
            // commits: they end the key's streams.
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [KEYS_CHANNEL.into(), name.id().into()],
            ))
            .await
            .map_err(db_err)?;
        }
        txn.commit().await.map_err(db_err)?;
        // Nobody listening is fine.
        let _ = self.revocations.send(Revocation::Key(name.clone()));
        to_domain(saved).map(Some)
    }
}

impl Db {
    async fn bootstrap_admin_now(&self, secret_hash: String) -> Result<Option<ApiKey>> {
        let txn = self.begin_write().await?;
        if self.is_postgres() {
            let lock = format!("SELECT pg_advisory_xact_lock({BOOTSTRAP_LOCK})");
            txn.execute_raw(Statement::from_string(txn.get_database_backend(), lock))
                .await
                .map_err(db_err)?;
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
        };
        let inserted = new_row(&ApiKeyName::generate(), new, secret_hash)
            .insert(&txn)
            .await
            .map_err(db_err)?;
        txn.commit().await.map_err(db_err)?;
        to_domain(inserted).map(Some)
    }
}
