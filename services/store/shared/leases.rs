//! Background jobs that only one replica may run at a time hold a lease
//! in `job_lease`, taken and renewed by one conditional upsert (the same
//! statement on both databases); and the overdue job's work list, read
//! through the index on `application.next_report_due`.

use async_trait::async_trait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::HasSea;
use crate::domain::Result;
use crate::domain::ids::{ApplicationName, ProgrammeName};
use crate::domain::ports::LeaseStore;
use crate::domain::time::Timestamp;
use crate::store::faults::db_err;
use crate::store::rows::application::{Column, Entity};

#[async_trait]
impl<T: HasSea + Send + Sync> LeaseStore for T {
    async fn take_lease(&self, job: &str, holder: &str, until: Timestamp, now: Timestamp) -> Result<bool> {
        let sea = self.sea().clone();
        let table = Alias::new("job_lease");
        let (name, holder_col, until_col) = (Alias::new("name"), Alias::new("holder"), Alias::new("until_time"));
        // Inserted when no one holds it; taken over when it expired;
        // renewed by its holder; otherwise left as it is (0 rows).
        let upsert = Query::insert()
            .into_table(table.clone())
            .columns([name.clone(), holder_col.clone(), until_col.clone()])
            .values_panic([job.into(), holder.into(), until.micros().into()])
            .on_conflict(
                OnConflict::column(name)
                    .update_columns([holder_col.clone(), until_col.clone()])
                    .action_and_where(
                        Expr::col((table.clone(), holder_col))
                            .eq(holder)
                            .or(Expr::col((table, until_col)).lt(now.micros())),
                    )
                    .to_owned(),
            )
            .to_owned();
        sea.clone()
            .detached(async move {
                let txn = sea.begin_write().await?;
                let done = txn.execute(&upsert).await.map_err(db_err)?;
                txn.commit().await.map_err(db_err)?;
                Ok(done.rows_affected() == 1)
            })
            .await
    }

    async fn reports_due_by(&self, now: Timestamp, limit: u64) -> Result<Vec<ApplicationName>> {
        let rows: Vec<(String, String)> = Entity::find()
            .select_only()
            .column(Column::Id)
            .column(Column::ProgrammeId)
            .filter(Column::NextReportDue.lte(now.micros()))
            .order_by_asc(Column::NextReportDue)
            .limit(limit)
            .into_tuple()
            .all(&self.sea().conn)
            .await
            .map_err(db_err)?;
        Ok(rows
            .into_iter()
            .map(|(id, programme)| ApplicationName::new(ProgrammeName::from_id(programme), id))
            .collect())
    }
}
