//! The write ceiling: raw sqlx inserting the same application row and its
//! event in one transaction, on the same database and the same pool shape
//! as gba-grants (SQLite: one writer connection, WAL, synchronous=NORMAL;
//! PostgreSQL: 16 connections, no global lock), from 64 tasks.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::{self, Pool, Postgres, Sqlite};

use super::load::{Stats, drive};

const APPLICATION: &str = "INSERT INTO application (id, programme_id, applicant_institution_id, title, abstract, \
    pi_name, pi_email, pi_orcid, partner_institution_ids, currency_code, requested_minor, duration_months, state, \
    version, create_time, update_time, submit_time, decision_reason, decision_actor, decision_time, award_number, \
    awarded_minor, disbursed_minor) VALUES ({p}, {p}, {p}, 'Bench', '', '', '', NULL, '', 'CNY', NULL, NULL, 'DRAFT', \
    1, {p}, {p}, NULL, NULL, NULL, NULL, NULL, NULL, 0)";

const EVENT: &str = "INSERT INTO application_event (application_id, programme_id, institution_id, previous_state, \
    new_state, actor_key, actor_role, reason, event_time, disbursement_id, snapshot) VALUES ({p}, {p}, {p}, NULL, \
    'DRAFT', 'bench', 'ADMIN', '', {p}, NULL, {p})";

/// `sql` with its placeholders numbered for PostgreSQL or `?` for SQLite.
fn placeholders(sql: &str, postgres: bool) -> String {
    let mut out = String::new();
    let mut n = 0;
    for (i, part) in sql.split("{p}").enumerate() {
        if i > 0 {
            n += 1;
            out.push_str(&if postgres { format!("${n}") } else { "?".to_owned() });
        }
        out.push_str(part);
    }
    out
}

fn snapshot() -> String {
    format!(
        "{{\"id\":\"{}\",\"title\":\"Bench\",\"state\":\"DRAFT\",\"pad\":\"{}\"}}",
        uuid::Uuid::now_v7(),
        "x".repeat(500)
    )
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

/// Inserts one application and its event in one transaction.
async fn insert<DB>(
    pool: &Pool<DB>,
    sql: &(String, String),
    programme: &str,
    institution: &str,
) -> Result<(), sqlx::Error>
where
    DB: sqlx::Database,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'a> &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let id = uuid::Uuid::now_v7().simple().to_string();
    let t = now();
    let mut txn = pool.begin().await?;
    sqlx::query::<DB>(sqlx::AssertSqlSafe(sql.0.as_str()))
        .bind(id.clone())
        .bind(programme.to_owned())
        .bind(institution.to_owned())
        .bind(t)
        .bind(t)
        .execute(&mut *txn)
        .await?;
    sqlx::query::<DB>(sqlx::AssertSqlSafe(sql.1.as_str()))
        .bind(id)
        .bind(programme.to_owned())
        .bind(institution.to_owned())
        .bind(t)
        .bind(snapshot())
        .execute(&mut *txn)
        .await?;
    txn.commit().await
}

/// `sql` is the pair of inserts; on PostgreSQL the event's position is
/// given as gba-grants gives it (its transaction's id plus the log's
/// offset), so that it can never collide with the server's events.
async fn run<DB>(pool: Pool<DB>, sql: (String, String), programme: &str, institution: &str, how_long: Duration) -> Stats
where
    DB: sqlx::Database,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'a> &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let shared = Arc::new((pool.clone(), sql, programme.to_owned(), institution.to_owned()));
    let stats = drive(64, how_long, None, move |_| {
        let shared = shared.clone();
        async move {
            let (pool, sql, programme, institution) = &*shared;
            let result = insert(pool, sql, programme, institution).await;
            if let Err(err) = &result {
                static TOLD: std::sync::Once = std::sync::Once::new();
                TOLD.call_once(|| eprintln!("raw sqlx: first failed insert: {err}"));
            }
            result.is_ok()
        }
    })
    .await;
    pool.close().await;
    stats
}

pub async fn sqlite(url: &str, programme: &str, institution: &str, how_long: Duration) -> Result<Stats, sqlx::Error> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
    let options: SqliteConnectOptions = url
        .parse::<SqliteConnectOptions>()?
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(30));
    let pool: Pool<Sqlite> = SqlitePoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .connect_with(options)
        .await?;
    let sql = (placeholders(APPLICATION, false), placeholders(EVENT, false));
    Ok(run(pool, sql, programme, institution, how_long).await)
}

pub async fn postgres(url: &str, programme: &str, institution: &str, how_long: Duration) -> Result<Stats, sqlx::Error> {
    use sqlx::postgres::PgPoolOptions;
    let pool: Pool<Postgres> = PgPoolOptions::new()
        .max_connections(16)
        .test_before_acquire(false)
        .connect(url)
        .await?;
    let offset: i64 = sqlx::query_scalar("SELECT pos_offset FROM event_log_state WHERE id = 1")
        .fetch_one(&pool)
        .await?;
    let event = placeholders(EVENT, true)
        .replacen("(application_id,", "(seq, application_id,", 1)
        .replacen(
            "VALUES (",
            &format!("VALUES (pg_current_xact_id()::text::bigint + {offset}, "),
            1,
        );
    let sql = (placeholders(APPLICATION, true), event);
    Ok(run(pool, sql, programme, institution, how_long).await)
}

/// What each database library buys, measured on the same loaded database
/// with the server stopped, 64 tasks reading applications by id:
///
/// - SQLite: sqlx (every statement a hand-off to the connection's worker
///   thread) against rusqlite read in place on a pool of read-only
///   connections, as the server reads;
/// - PostgreSQL: sqlx's pool (it pings a connection that comes back
///   before it hands it out again) against connections detached from it
///   and kept in a list, as the server's kept connections (bound through
///   sea-query-sqlx) are.
pub mod drivers {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use sea_orm::sqlx::{self, Connection, PgConnection};

    use super::super::load::{Stats, drive};

    const BY_ID: &str = "SELECT id, title, state, version FROM application WHERE id = ";

    pub async fn sqlite_sqlx(url: &str, ids: Arc<Vec<String>>, how_long: Duration) -> Result<Stats, sqlx::Error> {
        use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .connect_with(url.parse::<SqliteConnectOptions>()?.read_only(true))
            .await?;
        let sql: Arc<str> = Arc::from(format!("{BY_ID}?"));
        let shared = pool.clone();
        let stats = drive(64, how_long, None, move |i| {
            let (pool, sql, id) = (shared.clone(), sql.clone(), ids[i % ids.len().max(1)].clone());
            async move {
                sqlx::query(sqlx::AssertSqlSafe(sql.as_ref()))
                    .bind(id)
                    .fetch_optional(&pool)
                    .await
                    .is_ok_and(|r| r.is_some())
            }
        })
        .await;
        pool.close().await;
        Ok(stats)
    }

    pub async fn sqlite_rusqlite(path: &str, ids: Arc<Vec<String>>, how_long: Duration) -> Stats {
        let idle: Arc<Mutex<Vec<rusqlite::Connection>>> = Arc::default();
        let (path, sql): (Arc<str>, Arc<str>) = (Arc::from(path), Arc::from(format!("{BY_ID}?1")));
        drive(64, how_long, None, move |i| {
            let (idle, path, sql, id) = (
                idle.clone(),
                path.clone(),
                sql.clone(),
                ids[i % ids.len().max(1)].clone(),
            );
            async move {
                let pooled = idle.lock().ok().and_then(|mut v| v.pop());
                let conn = match pooled {
                    Some(conn) => conn,
                    None => {
                        let flags =
                            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
                        match rusqlite::Connection::open_with_flags(path.as_ref(), flags) {
                            Ok(conn) => conn,
                            Err(_) => return false,
                        }
                    }
                };
                let found = conn
                    .prepare_cached(&sql)
                    .and_then(|mut s| s.query_row([id.as_str()], |r| r.get::<_, String>(0)))
                    .is_ok();
                if let Ok(mut v) = idle.lock()
                    && v.len() < 8
                {
                    v.push(conn);
                }
                found
            }
        })
        .await
    }

    pub async fn postgres_pool(url: &str, ids: Arc<Vec<String>>, how_long: Duration) -> Result<Stats, sqlx::Error> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .connect(url)
            .await?;
        let sql: Arc<str> = Arc::from(format!("{BY_ID}$1"));
        let shared = pool.clone();
        let stats = drive(64, how_long, None, move |i| {
            let (pool, sql, id) = (shared.clone(), sql.clone(), ids[i % ids.len().max(1)].clone());
            async move {
                sqlx::query(sqlx::AssertSqlSafe(sql.as_ref()))
                    .bind(id)
                    .fetch_optional(&pool)
                    .await
                    .is_ok_and(|r| r.is_some())
            }
        })
        .await;
        pool.close().await;
        Ok(stats)
    }

    pub async fn postgres_kept(url: &str, ids: Arc<Vec<String>>, how_long: Duration) -> Result<Stats, sqlx::Error> {
        let mut kept = Vec::new();
        for _ in 0..8 {
            kept.push(PgConnection::connect(url).await?);
        }
        let idle = Arc::new(Mutex::new(kept));
        let wake = Arc::new(tokio::sync::Semaphore::new(8));
        let sql: Arc<str> = Arc::from(format!("{BY_ID}$1"));
        Ok(drive(64, how_long, None, move |i| {
            let (idle, wake, sql, id) = (
                idle.clone(),
                wake.clone(),
                sql.clone(),
                ids[i % ids.len().max(1)].clone(),
            );
            async move {
                let Ok(_permit) = wake.acquire().await else {
                    return false;
                };
                let Some(mut conn) = idle.lock().ok().and_then(|mut v| v.pop()) else {
                    return false;
                };
                let found = sqlx::query(sqlx::AssertSqlSafe(sql.as_ref()))
                    .bind(id)
                    .fetch_optional(&mut conn)
                    .await
                    .is_ok_and(|r| r.is_some());
                if let Ok(mut v) = idle.lock() {
                    v.push(conn);
                }
                found
            }
        })
        .await)
    }
}
