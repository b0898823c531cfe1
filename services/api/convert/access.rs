//! API key messages.

use super::common::time_out;
use crate::domain::access::{ApiKey, ApiKeyInput, Role};
use crate::domain::{Error, Result};
use crate::proto::v1;
use crate::proto::v1::api_key::Role as ProtoRole;

pub fn role_in(value: i32, field: &str) -> Result<Option<Role>> {
    match ProtoRole::try_from(value) {
        Ok(ProtoRole::Unspecified) => Ok(None),
        Ok(ProtoRole::Admin) => Ok(Some(Role::Admin)),
        Ok(ProtoRole::Officer) => Ok(Some(Role::Officer)),
        Ok(ProtoRole::Applicant) => Ok(Some(Role::Applicant)),
        Ok(ProtoRole::Viewer) => Ok(Some(Role::Viewer)),
        Ok(ProtoRole::Reviewer) => Ok(Some(Role::Reviewer)),
        Err(_) => Err(Error::invalid(field, format!("{value} is not a role"))),
    }
}

pub fn role_out(value: Role) -> ProtoRole {
    match value {
        Role::Admin => ProtoRole::Admin,
        Role::Officer => ProtoRole::Officer,
        Role::Applicant => ProtoRole::Applicant,
        Role::Viewer => ProtoRole::Viewer,
        Role::Reviewer => ProtoRole::Reviewer,
    }
}

pub fn input(value: Option<v1::ApiKey>) -> Result<ApiKeyInput> {
    let v1::ApiKey {
        name: _,
        role,
        institution,
        programmes,
        all_programmes,
        display_name,
        create_time: _,
        revoke_time: _,
        person,
    } = value.unwrap_or_default();
    let (person_name, person_orcid) = super::team::person_in(person);
    Ok(ApiKeyInput {
        role: role_in(role, "api_key.role")?,
        institution,
        programmes,
        all_programmes,
        display_name,
        person_name,
        person_orcid,
    })
}

pub fn output(value: ApiKey) -> v1::ApiKey {
    let ApiKey {
        name,
        role,
        institution,
        programmes,
        all_programmes,
        display_name,
        create_time,
        revoke_time,
        person,
    } = value;
    v1::ApiKey {
        name: name.to_string(),
        role: role_out(role).into(),
        institution: institution.map(|i| i.to_string()).unwrap_or_default(),
        programmes: programmes.into_iter().map(|p| p.to_string()).collect(),
        all_programmes,
        display_name,
        create_time: Some(time_out(create_time)),
        revoke_time: revoke_time.map(time_out),
        person: person.map(super::team::person_out),
    }
}
