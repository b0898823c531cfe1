//! Statements of one transaction sent to the database together. On SQLite
//! every statement is a hand-off to the driver's worker thread and back
//! (two context switches); the batch goes as one multi-statement query,
//! whose arguments the driver binds statement by statement. PostgreSQL's
//! extended protocol takes one statement per query, so there the writes
//! become one statement of data-modifying CTEs.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement, Value};

use super::db_err;
use crate::domain::Result;

/// Writes to run in one transaction, in order.
#[derive(Debug, Default)]
pub(crate) struct Writes(Vec<Statement>, Option<usize>);

impl Writes {
    pub(crate) fn push(&mut self, statement: Statement) {
        self.0.push(statement);
    }

    /// An event append; on PostgreSQL it returns the event's position
    /// (`RETURNING seq`), which [`Writes::run`] hands back.
    pub(crate) fn push_event(&mut self, statement: Statement) {
        self.1 = Some(self.0.len());
        self.0.push(statement);
    }

    /// The statements, in order (for a group commit, which runs them
    /// itself).
    pub(crate) fn into_statements(self) -> Vec<Statement> {
        self.0
    }

    /// Runs the writes; returns the appended event's position where the
    /// database reports it (PostgreSQL).
    pub(crate) async fn run(self, txn: &DatabaseTransaction) -> Result<Option<i64>> {
        let Writes(statements, event) = self;
        if statements.is_empty() {
            return Ok(None);
        }
        if txn.get_database_backend() == DbBackend::Postgres {
            return run_as_one(txn, statements, event).await;
        }
        let mut sql = String::new();
        let mut values: Vec<Value> = Vec::new();
        for statement in statements {
            if !sql.is_empty() {
                sql.push_str(";\n");
            }
            sql.push_str(&statement.sql);
            values.extend(statement.values.map(|v| v.0).unwrap_or_default());
        }
        txn.execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, sql, values))
            .await
            .map_err(db_err)?;
        Ok(None)
    }
}

/// On PostgreSQL, several writes as one statement: every write but the
/// last in a data-modifying CTE, so the batch costs one round trip. (The
/// writes touch different rows, so that they share one snapshot does not
/// matter.) Placeholders are renumbered to follow one another.
async fn run_as_one(
    txn: &DatabaseTransaction,
    statements: Vec<Statement>,
    event: Option<usize>,
) -> Result<Option<i64>> {
    let last = statements.len() - 1;
    let mut sql = String::from(if last > 0 { "WITH " } else { "" });
    let mut values: Vec<Value> = Vec::new();
    for (i, statement) in statements.into_iter().enumerate() {
        let renumbered = renumber(&statement.sql, values.len());
        values.extend(statement.values.map(|v| v.0).unwrap_or_default());
        if i < last {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("w{i} AS ({renumbered})"));
        } else {
            if last > 0 {
                sql.push(' ');
            }
            sql.push_str(&renumbered);
        }
    }
    let statement = Statement::from_sql_and_values(DbBackend::Postgres, sql, values);
    if event == Some(last) {
        let row = txn.query_one_raw(statement).await.map_err(db_err)?;
        return row.map(|r| r.try_get::<i64>("", "seq")).transpose().map_err(db_err);
    }
    txn.execute_raw(statement).await.map_err(db_err)?;
    Ok(None)
}

/// `$n` placeholders of `sql` shifted by `by`. The statements are built by
/// the query builder (every value a placeholder) or by this crate with no
/// `$` in literals.
pub(super) fn renumber(sql: &str, by: usize) -> String {
    if by == 0 {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let digits = rest[at + 1..].bytes().take_while(u8::is_ascii_digit).count();
        match rest[at + 1..at + 1 + digits].parse::<usize>() {
            Ok(n) => out.push_str(&format!("${}", n + by)),
            Err(_) => out.push('$'),
        }
        rest = &rest[at + 1 + digits..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::renumber;

    #[test]
    fn placeholders_are_shifted() {
        assert_eq!(
            renumber("SET a = $1, b = $12 WHERE $2", 3),
            "SET a = $4, b = $15 WHERE $5"
        );
        assert_eq!(renumber("x $ y", 2), "x $ y");
        assert_eq!(renumber("$1", 0), "$1");
    }
}
