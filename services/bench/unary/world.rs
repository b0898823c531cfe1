//! The data a backend is measured on: institutions, programmes and
//! applications made through the API, as a client would.

use std::sync::Arc;

use gba_grants::proto::v1;

use super::{Authed, CONNECTIONS, IN_FLIGHT, Res};

fn ts(offset_s: i64) -> Option<prost_types::Timestamp> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    Some(prost_types::Timestamp {
        seconds: now + offset_s,
        nanos: 0,
    })
}

pub fn cny(units: i64) -> Option<v1::Money> {
    Some(v1::Money {
        currency_code: "CNY".into(),
        units,
        nanos: 0,
    })
}

pub fn draft(applicant: &str, partner: &str) -> v1::Application {
    v1::Application {
        applicant_institution: applicant.into(),
        title: "Typhoon-resilient coastal infrastructure for the Pearl River Delta".into(),
        r#abstract: "We model storm surge across Hong Kong, Macao and Guangdong.".into(),
        principal_investigator: Some(v1::Investigator {
            name: "Dr Chan Tai Man".into(),
            email: "tmchan@hku.hk".into(),
            orcid: "0000-0002-1825-0097".into(),
        }),
        partner_institutions: vec![partner.into()],
        requested_amount: cny(100_000),
        duration_months: 24,
        ..Default::default()
    }
}

/// The world a backend's measurements run in.
pub struct World {
    pub institutions: [String; 3],
    pub programme: String,
    pub spread: Vec<String>,
}

pub async fn world(c: &[Authed]) -> Res<World> {
    let mut institutions = Vec::new();
    for (name, local, region) in [
        ("The University of Hong Kong", "香港大學", v1::Region::HongKong),
        ("University of Macau", "澳門大學", v1::Region::Macao),
        ("Sun Yat-sen University", "中山大学", v1::Region::Guangdong),
    ] {
        let created = v1::institution_service_client::InstitutionServiceClient::new(c[0].clone())
            .create_institution(v1::CreateInstitutionRequest {
                institution: Some(v1::Institution {
                    display_name: name.into(),
                    local_name: local.into(),
                    region: region.into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await?;
        institutions.push(created.into_inner().institution.ok_or("institution")?.name);
    }
    let mut programmes = Vec::new();
    for i in 0..17 {
        let created = v1::programme_service_client::ProgrammeServiceClient::new(c[0].clone())
            .create_programme(v1::CreateProgrammeRequest {
                programme: Some(v1::Programme {
                    display_name: format!("Greater Bay Area Joint Research {i}"),
                    local_name: "粤港澳联合研究".into(),
                    funder: "Guangdong Provincial Science and Technology Department".into(),
                    currency_code: "CNY".into(),
                    budget: cny(1_000_000_000_000),
                    max_award: cny(1_000_000),
                    eligible_regions: vec![v1::Region::HongKong.into(), v1::Region::Macao.into()],
                    requires_guangdong_partner: true,
                    open_time: ts(-3_600),
                    close_time: ts(86_400),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await?;
        programmes.push(created.into_inner().programme.ok_or("programme")?.name);
    }
    let programme = programmes.remove(0);
    let [a, b, g]: [String; 3] = institutions.try_into().map_err(|_| "three institutions")?;
    Ok(World {
        institutions: [a, b, g],
        programme,
        spread: programmes,
    })
}

/// Creates `n` drafts in `programmes` (round robin) with 64 in flight;
/// returns their names.
pub async fn create_many(c: &[Authed], w: &World, programmes: &[String], n: usize) -> Vec<String> {
    let names = Arc::new(std::sync::Mutex::new(Vec::with_capacity(n)));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tasks: Vec<_> = (0..IN_FLIGHT)
        .map(|t| {
            let (names, next) = (names.clone(), next.clone());
            let mut client = v1::application_service_client::ApplicationServiceClient::new(c[t % CONNECTIONS].clone());
            let programmes = programmes.to_vec();
            let (hku, um, sysu) = (
                w.institutions[0].clone(),
                w.institutions[1].clone(),
                w.institutions[2].clone(),
            );
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= n {
                        return;
                    }
                    let applicant = if i % 2 == 0 { &hku } else { &um };
                    let made = client
                        .create_application(v1::CreateApplicationRequest {
                            parent: programmes[i % programmes.len()].clone(),
                            application: Some(draft(applicant, &sysu)),
                            request_id: String::new(),
                        })
                        .await;
                    if let Ok(made) = made
                        && let Some(a) = made.into_inner().application
                    {
                        names
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push(a.name);
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.ok();
    }
    Arc::try_unwrap(names)
        .map(|m| m.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner))
        .unwrap_or_default()
}
