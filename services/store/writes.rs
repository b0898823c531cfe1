//! Statements of one transaction sent to the database together. On SQLite
//! every statement is a hand-off to the driver's worker thread and back
//! (two context switches); the batch goes as one multi-statement query,
//! whose arguments the driver binds statement by statement. PostgreSQL's
//! extended protocol takes one statement per query, so there they run one
//! after the other.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement, Value};

use super::db_err;
use crate::domain::Result;

/// Writes to run in one transaction, in order.
#[derive(Debug, Default)]
pub(crate) struct Writes(Vec<Statement>);

impl Writes {
    pub(crate) fn push(&mut self, statement: Statement) {
        self.0.push(statement);
    }

    pub(crate) async fn run(self, txn: &DatabaseTransaction) -> Result<()> {
        if txn.get_database_backend() != DbBackend::Sqlite || self.0.len() < 2 {
            for statement in self.0 {
                txn.execute_raw(statement).await.map_err(db_err)?;
            }
            return Ok(());
        }
        let mut sql = String::new();
        let mut values: Vec<Value> = Vec::new();
        for statement in self.0 {
            if !sql.is_empty() {
                sql.push_str(";\n");
            }
            sql.push_str(&statement.sql);
            values.extend(statement.values.map(|v| v.0).unwrap_or_default());
        }
        txn.execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, sql, values))
            .await
            .map_err(db_err)?;
        Ok(())
    }
}
