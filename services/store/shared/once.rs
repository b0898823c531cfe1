//! The one helper that runs a write under a request id in a transaction
//! of the shared pools (institutions, programmes, keys): claim the id and
//! replay the first call's response, or do the work and keep its response
//! in the same transaction. (Creates and changes of applications keep
//! their records on their backend's write path, in the same way.)

use sea_orm::{ActiveModelTrait, DatabaseTransaction, EntityTrait};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Sea;
use crate::domain::ports::Idempotency;
use crate::domain::time::Timestamp;
use crate::domain::{Error, Result};
use crate::store::faults::{db_err, is_unique_violation};
use crate::store::rows::idempotency::{self as record, Replay};
use crate::store::rows::{from_json, to_json};

/// The work of [`once`] in a transaction: a future that may borrow it.
pub(crate) type InTxn<'t, R> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Option<R>>> + Send + 't>>;

/// What [`once`] did.
pub(crate) enum Once<R> {
    /// The work, done and committed.
    Done(R),
    /// A retry: the first call's response.
    Replayed(R),
}

impl<R> Once<R> {
    pub(crate) fn into_inner(self) -> R {
        match self {
            Once::Done(r) | Once::Replayed(r) => r,
        }
    }
}

/// Runs `work` in a write transaction under `idem`: a request id used
/// before replays the first response (decoded from what was kept; for a
/// record written before responses were kept, `old` reads the resource
/// now); otherwise `work` runs and its response is kept with the record,
/// and both commit together. `work` answers `None` when what it changes
/// does not exist (nothing is then written). `resource` names what the
/// call makes or changes. `kept` is the response as kept: the row `work`
/// returns, or less of it (a key's row without its hash).
pub(crate) async fn once<R: Serialize + DeserializeOwned + Send>(
    sea: &Sea,
    idem: Option<&Idempotency>,
    resource: &str,
    work: impl for<'t> Fn(&'t DatabaseTransaction) -> InTxn<'t, R> + Send + Sync,
    kept: impl Fn(&R) -> R + Send + Sync,
    old: impl Fn(String) -> InTxn<'static, R> + Send + Sync,
) -> Result<Option<Once<R>>> {
    // At most twice: a concurrent twin that committed first makes the
    // second attempt a replay.
    for _ in 0..2 {
        let txn = sea.begin_write().await?;
        if let Some(idem) = idem
            && let Some(found) = find(&txn, idem).await?
        {
            drop(txn);
            let Replay { resource, response } = record::replay(found, idem)?;
            return match response {
                Some(text) => Ok(Some(Once::Replayed(from_json("response", &text)?))),
                None => Ok(old(resource).await?.map(Once::Replayed)),
            };
        }
        let Some(done) = work(&txn).await? else {
            return Ok(None);
        };
        if let Some(idem) = idem {
            let response = to_json("response", &kept(&done))?;
            let row = record::record(idem, resource, response, Timestamp::now());
            match record::ActiveModel::from(row).reset_all().insert(&txn).await {
                Ok(_) => {}
                // A twin with the same request id committed first (its
                // record waited for it): this one is rolled back and
                // replays it.
                Err(err) if is_unique_violation(&err) => continue,
                Err(err) => return Err(db_err(err)),
            }
        }
        txn.commit().await.map_err(db_err)?;
        return Ok(Some(Once::Done(done)));
    }
    Err(Error::internal("a request id was claimed twice without a record"))
}

/// The record kept under `idem`, if the request id was used: what it
/// names, and the first response if it was kept. The same id with another
/// request is REQUEST_ID_REUSED.
pub(crate) async fn replayed<R: DeserializeOwned>(
    sea: &Sea,
    idem: &Idempotency,
) -> Result<Option<(String, Option<R>)>> {
    use crate::store::shared::reads::OnlyRow;
    let found = record::Entity::find_by_id((idem.caller.id().to_owned(), idem.request_id.clone()))
        .only(&sea.conn)
        .await
        .map_err(db_err)?;
    let Some(found) = found else {
        return Ok(None);
    };
    let Replay { resource, response } = record::replay(found, idem)?;
    let response = response.map(|text| from_json("response", &text)).transpose()?;
    Ok(Some((resource, response)))
}

async fn find(txn: &DatabaseTransaction, idem: &Idempotency) -> Result<Option<record::Model>> {
    use crate::store::shared::reads::OnlyRow;
    record::Entity::find_by_id((idem.caller.id().to_owned(), idem.request_id.clone()))
        .only(txn)
        .await
        .map_err(db_err)
}
