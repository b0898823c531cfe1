//! `grantctl whoami`: the key in use (AccessService.GetCurrentApiKey) — its
//! role, its scope with the institution's and programmes' names where the
//! key may read them (best effort: a refused lookup shows the name alone),
//! its label, the person who holds it and its name; never its secret.
//! `-o json` prints the ApiKey.

use futures_util::future::join_all;
use gba_grants::proto::v1;
use gba_grants::proto::v1::access_service_client::AccessServiceClient;
use gba_grants::proto::v1::api_key::Role;
use gba_grants::proto::v1::institution_service_client::InstitutionServiceClient;
use gba_grants::proto::v1::programme_service_client::ProgrammeServiceClient;

use super::Ctx;
use crate::error::Result;
use crate::json::out;
use crate::output::{self, Format};
use crate::table;
use crate::views::{role_word, time};

/// `The University of Hong Kong  香港大學`, or "" when it cannot be read.
async fn institution_label(ctx: &Ctx, name: &str) -> String {
    let request = v1::GetInstitutionRequest { name: name.to_owned() };
    match ctx
        .conn
        .call(request, |ch, r| async move {
            InstitutionServiceClient::new(ch).get_institution(r).await
        })
        .await
    {
        Ok(r) => r
            .institution
            .map(|i| both(&i.display_name, &i.local_name))
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

async fn programme_label(ctx: &Ctx, name: &str) -> String {
    let request = v1::GetProgrammeRequest { name: name.to_owned() };
    match ctx
        .conn
        .call(request, |ch, r| async move {
            ProgrammeServiceClient::new(ch).get_programme(r).await
        })
        .await
    {
        Ok(r) => r
            .programme
            .map(|p| both(&p.display_name, &p.local_name))
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

fn both(display: &str, local: &str) -> String {
    [display, local]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("  ")
}

/// `institutions/0193…  The University of Hong Kong  香港大學`.
fn labelled(name: &str, label: &str) -> String {
    if label.is_empty() {
        name.to_owned()
    } else {
        format!("{name}  {label}")
    }
}

/// What the key may reach, in a few words.
fn scope(k: &v1::ApiKey) -> String {
    let programmes = match k.programmes.len() {
        1 => "1 programme".to_owned(),
        n => format!("{n} programmes"),
    };
    match Role::try_from(k.role) {
        Ok(Role::Admin) => "everything".into(),
        Ok(Role::Applicant) => {
            "the applications of its institution, and (read and endorse) those naming it as a partner".into()
        }
        Ok(Role::Viewer) if k.all_programmes => "all programmes (read only)".into(),
        Ok(Role::Viewer) => format!("{programmes} (read only)"),
        Ok(Role::Officer) => programmes,
        Ok(Role::Reviewer) => format!("its assigned reviews in {programmes}"),
        _ if k.all_programmes => "all programmes".into(),
        _ => programmes,
    }
}

pub async fn run(ctx: &Ctx) -> Result<()> {
    let key = ctx
        .conn
        .call(v1::GetCurrentApiKeyRequest {}, |ch, r| async move {
            AccessServiceClient::new(ch).get_current_api_key(r).await
        })
        .await?
        .api_key
        .unwrap_or_default();
    match ctx.format {
        Format::Json => return output::write(&output::pretty(&out::api_key(&key))),
        Format::Jsonl => return output::write(&output::compact(&out::api_key(&key))),
        Format::Name => return output::write(&format!("{}\n", key.name)),
        Format::Table => {}
    }
    let institution = if key.institution.is_empty() {
        String::new()
    } else {
        labelled(&key.institution, &institution_label(ctx, &key.institution).await)
    };
    let labels = join_all(key.programmes.iter().map(|p| programme_label(ctx, p))).await;
    let programmes: Vec<String> = key
        .programmes
        .iter()
        .zip(&labels)
        .map(|(name, label)| labelled(name, label))
        .collect();
    let institution_label = match Role::try_from(key.role) {
        Ok(Role::Applicant) => "Institution",
        _ => "Affiliation",
    };
    let connection = match &ctx.context {
        Some(name) => format!("{} (context {name})", ctx.conn.endpoint()),
        None => ctx.conn.endpoint().to_owned(),
    };
    let fields = vec![
        ("Role", role_word(key.role)),
        ("Scope", scope(&key)),
        (institution_label, institution),
        ("Programmes", programmes.join("\n")),
        ("Label", key.display_name.clone()),
        ("Person", crate::views_team::person_word(key.person.as_ref())),
        ("Key", key.name.clone()),
        ("Issued", time(key.create_time.as_ref())),
        ("Revoked", time(key.revoke_time.as_ref())),
        ("Server", connection),
    ];
    output::write(&table::fields(&fields))
}
