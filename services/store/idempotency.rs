//! Idempotency records, claimed inside the transaction of the change they
//! guard: a retry finds the record and replays the first call's response;
//! a concurrent twin blocks on the key and then replays. The response is
//! stored (as the JSON of the rows the call returned) in the same
//! transaction, so a retry gets exactly what the first call got, however
//! the resource changed since.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::entity::idempotency_record as rec;
use super::{Db, OnlyRow, db_err, is_unique_violation};
use crate::domain::ports::Idempotency;
use crate::domain::time::Timestamp;
use crate::domain::{Error, Reason, Result};

/// Whether this call does the work or replays an earlier one.
pub(crate) enum Claim {
    Fresh,
    /// The first call's response, or `None` for a record written before
    /// responses were kept (then: the resource it made or changed).
    Replay {
        resource: String,
        response: Option<String>,
    },
}

fn check(found: rec::Model, idem: &Idempotency) -> Result<Claim> {
    if found.fingerprint == idem.fingerprint {
        metrics::counter!("gba_grants_idempotent_replays_total").increment(1);
        Ok(Claim::Replay {
            resource: found.resource,
            response: found.response,
        })
    } else {
        Err(Error::InvalidArgument {
            reason: Reason::RequestIdReused,
            violations: vec![crate::domain::FieldViolation::new(
                "request_id",
                "was already used for a different request; use a new request_id",
            )],
        })
    }
}

/// Decodes a stored response.
pub(crate) fn stored<T: DeserializeOwned>(response: &str) -> Result<T> {
    serde_json::from_str(response).map_err(|e| Error::internal(format!("stored response is invalid: {e}")))
}

impl Db {
    /// Claims `idem` for `resource` inside `txn`, or finds who has it.
    pub(crate) async fn claim(
        &self,
        txn: &DatabaseTransaction,
        idem: Option<&Idempotency>,
        resource: &str,
    ) -> Result<Claim> {
        let Some(idem) = idem else {
            return Ok(Claim::Fresh);
        };
        let key = (idem.caller.id().to_owned(), idem.request_id.clone());
        if let Some(found) = rec::Entity::find_by_id(key.clone()).only(txn).await.map_err(db_err)? {
            return check(found, idem);
        }
        let row = rec::ActiveModel {
            caller: Set(key.0.clone()),
            request_id: Set(key.1.clone()),
            fingerprint: Set(idem.fingerprint.clone()),
            resource: Set(resource.to_owned()),
            create_time: Set(Timestamp::now().micros()),
            response: Set(None),
        };
        match rec::Entity::insert(row).exec_without_returning(txn).await {
            Ok(_) => Ok(Claim::Fresh),
            Err(err) if is_unique_violation(&err) => {
                // A concurrent twin committed first: replay what it made.
                match rec::Entity::find_by_id(key).only(self.conn()).await.map_err(db_err)? {
                    Some(found) => check(found, idem),
                    None => Err(Error::internal("idempotency record vanished")),
                }
            }
            Err(err) => Err(db_err(err)),
        }
    }

    /// Stores the response of the call that claimed `idem`, in its
    /// transaction, for retries to replay.
    pub(crate) async fn remember<T: Serialize>(
        &self,
        txn: &DatabaseTransaction,
        idem: Option<&Idempotency>,
        response: &T,
    ) -> Result<()> {
        let Some(idem) = idem else {
            return Ok(());
        };
        let json =
            serde_json::to_string(response).map_err(|e| Error::internal(format!("cannot encode response: {e}")))?;
        rec::Entity::update_many()
            .col_expr(rec::Column::Response, Expr::value(json))
            .filter(rec::Column::Caller.eq(idem.caller.id()))
            .filter(rec::Column::RequestId.eq(idem.request_id.as_str()))
            .exec(txn)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    /// Deletes records older than `before`: a retry after that is a new
    /// request. Returns how many.
    pub async fn prune_request_ids(&self, before: Timestamp) -> Result<u64> {
        let deleted = rec::Entity::delete_many()
            .filter(rec::Column::CreateTime.lt(before.micros()))
            .exec(&self.writer)
            .await
            .map_err(db_err)?;
        Ok(deleted.rows_affected)
    }
}
