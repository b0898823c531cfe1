//! Idempotency records, claimed inside the transaction of the change they
//! guard: a retry finds the record and replays; a concurrent twin blocks
//! on the key and then replays.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseTransaction, EntityTrait};

use super::entity::idempotency_record as rec;
use super::{Db, db_err, is_unique_violation};
use crate::domain::ports::Idempotency;
use crate::domain::time::Timestamp;
use crate::domain::{Error, Reason, Result};

/// Whether this call does the work or replays an earlier one.
pub(crate) enum Claim {
    Fresh,
    /// The resource the first call produced.
    Replay(String),
}

fn check(found: rec::Model, idem: &Idempotency) -> Result<Claim> {
    if found.fingerprint == idem.fingerprint {
        Ok(Claim::Replay(found.resource))
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
        if let Some(found) = rec::Entity::find_by_id(key.clone()).one(txn).await.map_err(db_err)? {
            return check(found, idem);
        }
        let row = rec::ActiveModel {
            caller: Set(key.0.clone()),
            request_id: Set(key.1.clone()),
            fingerprint: Set(idem.fingerprint.clone()),
            resource: Set(resource.to_owned()),
            create_time: Set(Timestamp::now().micros()),
        };
        match row.insert(txn).await {
            Ok(_) => Ok(Claim::Fresh),
            Err(err) if is_unique_violation(&err) => {
                // A concurrent twin committed first: replay what it made.
                match rec::Entity::find_by_id(key).one(self.conn()).await.map_err(db_err)? {
                    Some(found) => check(found, idem),
                    None => Err(Error::internal("idempotency record vanished")),
                }
            }
            Err(err) => Err(db_err(err)),
        }
    }
}
