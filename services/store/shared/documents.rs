//! Documents' reads and the claims on their objects, the same on both
//! backends. A document's row is written with a change of its application
//! (each backend's write path); here are its reads, and the claims that
//! keep the sweeper off an object between its upload and that row.
//!
//! A claim and a sweep of one object serialise on the object's lock (on
//! SQLite the write transaction's own lock): the sweeper removes an
//! object only while no claim is live and no document names it, and an
//! upload that claims while the sweeper holds the lock waits until the
//! object is gone, then writes it again.

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::HasSea;
use super::Lock;
use super::reads::{OnlyRow, page_by_id};
use crate::domain::Result;
use crate::domain::document::Document;
use crate::domain::ids::{ApplicationName, DocumentName};
use crate::domain::page::PageRequest;
use crate::domain::ports::{BlobRemoval, DocumentStore};
use crate::domain::time::Timestamp;
use crate::store::faults::db_err;
use crate::store::rows::document::{self as row, Column, object};

/// The latest version of each kind: no later version of its kind exists.
fn is_latest() -> sea_orm::sea_query::SimpleExpr {
    Expr::cust(
        "NOT EXISTS (SELECT 1 FROM document later WHERE later.application_id = document.application_id \
         AND later.kind = document.kind AND later.version > document.version)",
    )
}

/// The latest version of each kind of an application's documents.
async fn latest_versions(conn: &impl ConnectionTrait, application: &ApplicationName) -> Result<Vec<(String, i32)>> {
    row::Entity::find()
        .select_only()
        .column(Column::Kind)
        .column_as(Column::Version.max(), "version")
        .filter(Column::ApplicationId.eq(application.id()))
        .group_by(Column::Kind)
        .into_tuple::<(String, i32)>()
        .all(conn)
        .await
        .map_err(db_err)
}

fn superseded(latest: &[(String, i32)], m: &row::Model) -> bool {
    latest
        .iter()
        .any(|(kind, version)| *kind == m.kind && *version > m.version)
}

#[async_trait]
impl<T: HasSea + Send + Sync> DocumentStore for T {
    async fn get_document(&self, name: &DocumentName) -> Result<Option<Document>> {
        let conn = &self.sea().conn;
        let Some(found) = row::Entity::find_by_id(name.id().to_owned())
            .filter(Column::ApplicationId.eq(name.application.id()))
            .filter(Column::ProgrammeId.eq(name.application.programme.id()))
            .only(conn)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        let latest = latest_versions(conn, &name.application).await?;
        let superseded = superseded(&latest, &found);
        row::to_domain(found, superseded).map(Some)
    }

    async fn list_documents(
        &self,
        application: &ApplicationName,
        all_versions: bool,
        page: &PageRequest,
    ) -> Result<Vec<Document>> {
        let conn = &self.sea().conn;
        let mut query = row::Entity::find()
            .filter(Column::ApplicationId.eq(application.id()))
            .filter(Column::ProgrammeId.eq(application.programme.id()));
        if !all_versions {
            query = query.filter(is_latest());
        }
        let rows = page_by_id(query, Column::Id, page, conn).await?;
        let latest = match all_versions {
            true => latest_versions(conn, application).await?,
            false => Vec::new(),
        };
        rows.into_iter()
            .map(|m| {
                let superseded = superseded(&latest, &m);
                row::to_domain(m, superseded)
            })
            .collect()
    }

    async fn claim_object(&self, sha256: &str, until: Timestamp) -> Result<()> {
        let sea = self.sea().clone();
        let lock = self.lock(Lock::Object(sha256));
        let sha256 = sha256.to_owned();
        sea.clone()
            .detached(async move {
                let txn = sea.begin_write().await?;
                if let Some(lock) = lock {
                    txn.execute_raw(lock).await.map_err(db_err)?;
                }
                let found = object::Entity::find_by_id(sha256.clone())
                    .only(&txn)
                    .await
                    .map_err(db_err)?;
                match found {
                    Some(claim) if claim.claimed_until >= until.micros() => {}
                    Some(claim) => {
                        let mut active: object::ActiveModel = claim.into();
                        active.claimed_until = sea_orm::ActiveValue::Set(until.micros());
                        active.update(&txn).await.map_err(db_err)?;
                    }
                    None => {
                        object::ActiveModel::from(object::Model {
                            sha256,
                            claimed_until: until.micros(),
                        })
                        .reset_all()
                        .insert(&txn)
                        .await
                        .map_err(db_err)?;
                    }
                }
                txn.commit().await.map_err(db_err)
            })
            .await
    }

    async fn expired_claims(&self, now: Timestamp, limit: u64) -> Result<Vec<String>> {
        object::Entity::find()
            .select_only()
            .column(object::Column::Sha256)
            .filter(object::Column::ClaimedUntil.lt(now.micros()))
            .limit(limit)
            .into_tuple::<String>()
            .all(&self.sea().conn)
            .await
            .map_err(db_err)
    }

    async fn sweep_object(&self, sha256: &str, now: Timestamp, remove: BlobRemoval) -> Result<bool> {
        let sea = self.sea().clone();
        let lock = self.lock(Lock::Object(sha256));
        let sha256 = sha256.to_owned();
        sea.clone()
            .detached(async move {
                let txn = sea.begin_write().await?;
                if let Some(lock) = lock {
                    txn.execute_raw(lock).await.map_err(db_err)?;
                }
                let claim = object::Entity::find_by_id(sha256.clone())
                    .only(&txn)
                    .await
                    .map_err(db_err)?;
                if claim.as_ref().is_some_and(|c| c.claimed_until >= now.micros()) {
                    return Ok(false);
                }
                let named = row::Entity::find()
                    .filter(Column::Sha256.eq(sha256.as_str()))
                    .limit(1)
                    .only(&txn)
                    .await
                    .map_err(db_err)?
                    .is_some();
                if !named {
                    remove().await?;
                }
                if claim.is_some() {
                    object::Entity::delete_by_id(sha256.clone())
                        .exec(&txn)
                        .await
                        .map_err(db_err)?;
                }
                txn.commit().await.map_err(db_err)?;
                Ok(!named)
            })
            .await
    }
}
