//! Rows as stored, and their conversions to and from the domain. Each
//! entity is declared once, with [`entity!`]: its SeaORM model, and the
//! reader of a SQLite row that selects its columns in declaration order
//! (`Column::iter()`). Statements that list columns derive them from the
//! entities ([`columns`]); none restates a list by hand.

pub mod api_key;
pub mod application;
pub mod disbursement;
pub mod document;
pub mod event;
pub mod idempotency;
pub mod institution;
pub mod postaward;
pub mod programme;
pub mod review;
pub mod team;
pub mod webhook;

use sea_orm::{EntityTrait, IdenStatic, Iterable};

use crate::domain::Error;

/// A model read from a SQLite row whose columns are the entity's, in the
/// order of `Column::iter()` (as `Entity::find()` selects them).
pub trait FromSqliteRow: Sized {
    fn from_sqlite_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
}

/// A model read from a PostgreSQL row that selects every column of its
/// entity in declaration order (as `Entity::find()` does), by position:
/// reading by name looks each column up among the row's (measured: a
/// sixth of the server's CPU on a page of 50 applications).
pub trait FromPgRow: Sized {
    fn from_pg_row(row: &sea_orm::QueryResult) -> Result<Self, sea_orm::DbErr>;
}

/// Declares an entity: the SeaORM model (serialisable: responses and
/// snapshots are kept as JSON) and its [`FromSqliteRow`] reader, from one
/// list of fields, so the two cannot disagree.
macro_rules! entity {
    (
        $(#[$model_attr:meta])*
        pub struct Model {
            $( $(#[$field_attr:meta])* pub $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
        $(#[$model_attr])*
        pub struct Model {
            $( $(#[$field_attr])* pub $field: $ty ),*
        }

        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}

        impl $crate::store::rows::FromSqliteRow for Model {
            #[allow(unused_assignments)]
            fn from_sqlite_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                let mut at = 0_usize;
                Ok(Self {
                    $( $field: {
                        let value = row.get(at)?;
                        at += 1;
                        value
                    } ),*
                })
            }
        }

        impl $crate::store::rows::FromPgRow for Model {
            #[allow(unused_assignments)]
            fn from_pg_row(row: &sea_orm::QueryResult) -> Result<Self, sea_orm::DbErr> {
                let mut at = 0_usize;
                Ok(Self {
                    $( $field: {
                        let value = row.try_get_by_index::<$ty>(at)?;
                        at += 1;
                        value
                    } ),*
                })
            }
        }
    };
}
pub(crate) use entity;

/// The column names of `E`, in declaration order.
pub fn columns<E: EntityTrait>() -> Vec<&'static str>
where
    E::Column: IdenStatic,
{
    E::Column::iter().map(|c| c.as_str()).collect()
}

/// The ids in a comma-separated list column.
pub fn ids(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').filter(|s| !s.is_empty())
}

/// A row held data the domain refuses: corruption or a bug, never input.
pub fn corrupt(what: &str, err: Error) -> Error {
    Error::internal(format!("stored {what} is invalid: {err}"))
}

/// JSON kept in a column (a response, a snapshot, settings), decoded.
pub fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|e| Error::internal(format!("stored {what} is invalid: {e}")))
}

/// A value kept as JSON in a column.
pub fn to_json<T: serde::Serialize>(what: &str, value: &T) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|e| Error::internal(format!("cannot encode {what}: {e}")))
}
