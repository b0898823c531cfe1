//! What a change of an application decides on, read in one query on
//! PostgreSQL: the application, its programme, the institutions it names
//! and its documents (each a LATERAL `json_agg`); every column listed from
//! the entities.

use sea_orm::{FromQueryResult, IdenStatic, Iterable};

use crate::domain::lifecycle::Situation;
use crate::domain::{Error, Result};
use crate::store::rows::{application, document, institution, programme};

/// What a change reads, as one row: the institutions as a JSON array.
#[derive(Debug, Clone)]
pub(crate) struct ChangeRead {
    pub(crate) application: application::Model,
    programme: programme::Model,
    institutions: String,
    documents: String,
}

impl FromQueryResult for ChangeRead {
    fn from_query_result(found: &sea_orm::QueryResult, _: &str) -> std::result::Result<Self, sea_orm::DbErr> {
        Ok(Self {
            application: application::Model::from_query_result(found, "a_")?,
            programme: programme::Model::from_query_result(found, "p_")?,
            institutions: found.try_get("", "institutions")?,
            documents: found.try_get("", "documents")?,
        })
    }
}

impl ChangeRead {
    /// The situation it tells (without the reviews, which only peer
    /// review reads, under its locks).
    pub(crate) fn into_situation(self) -> Result<Situation> {
        let named: Vec<institution::Model> = serde_json::from_str(&self.institutions)
            .map_err(|e| Error::internal(format!("institutions read for a change are invalid: {e}")))?;
        let documents: Vec<document::Model> = serde_json::from_str(&self.documents)
            .map_err(|e| Error::internal(format!("documents read for a change are invalid: {e}")))?;
        crate::store::shared::situation(self.application, self.programme, named, &documents)
    }
}

/// The query of what a change reads, for the applications `condition`
/// selects (`a` the application, `p` its programme).
pub(crate) fn change_read_sql(condition: &str) -> String {
    fn columns<C: IdenStatic + Iterable>(prefix: &str) -> String {
        C::iter()
            .map(|c| format!("{prefix}.\"{}\" AS {prefix}_{}", c.as_str(), c.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }
    format!(
        "SELECT {}, {}, inst.rows::text AS institutions, docs.rows::text AS documents FROM application a \
         JOIN programme p ON p.id = a.programme_id \
         LEFT JOIN LATERAL (SELECT COALESCE(json_agg(i), '[]') AS rows FROM institution i \
         WHERE i.id = a.applicant_institution_id \
         OR i.id = ANY(string_to_array(a.partner_institution_ids, ','))) inst ON TRUE \
         LEFT JOIN LATERAL (SELECT COALESCE(json_agg(d), '[]') AS rows FROM document d \
         WHERE d.application_id = a.id) docs ON TRUE \
         WHERE {condition}",
        columns::<application::Column>("a"),
        columns::<programme::Column>("p"),
    )
}
