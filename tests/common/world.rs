//! A populated Greater Bay Area: institutions in each region, a CNY
//! programme that needs a Guangdong partner, and keys for every role —
//! plus helpers that drive applications through the lifecycle.

use gba_grants::proto::v1;
use gba_grants::proto::v1::api_key::Role;
use tonic::Status;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use super::*;

pub use gba_grants::proto::v1::application_service_client::ApplicationServiceClient;
pub use gba_grants::proto::v1::award_service_client::AwardServiceClient;
pub use gba_grants::proto::v1::review_service_client::ReviewServiceClient;

pub type Apps = ApplicationServiceClient<InterceptedService<Channel, Bearer>>;
pub type Reviews = ReviewServiceClient<InterceptedService<Channel, Bearer>>;
pub type Awards = AwardServiceClient<InterceptedService<Channel, Bearer>>;

#[derive(Clone)]
pub struct World {
    pub hku: String,
    pub um: String,
    pub sysu: String,
    pub programme: v1::Programme,
    pub other_programme: v1::Programme,
    /// Applicant of HKU.
    pub hku_key: String,
    /// Applicant of the University of Macau.
    pub um_key: String,
    /// Applicant of Sun Yat-sen University (Guangdong).
    pub sysu_key: String,
    /// Officer of `programme`, no affiliation.
    pub officer_key: String,
    /// Officer of `programme`, affiliated with HKU.
    pub hku_officer_key: String,
    /// Officer of `other_programme` only.
    pub other_officer_key: String,
    /// Viewer of `programme`.
    pub viewer_key: String,
}

impl TestServer {
    pub fn apps(&self, key: &str) -> Apps {
        ApplicationServiceClient::with_interceptor(self.channel.clone(), Bearer::new(key))
    }

    pub fn reviews(&self, key: &str) -> Reviews {
        ReviewServiceClient::with_interceptor(self.channel.clone(), Bearer::new(key))
    }

    pub fn awards(&self, key: &str) -> Awards {
        AwardServiceClient::with_interceptor(self.channel.clone(), Bearer::new(key))
    }

    pub async fn register(&self, display: &str, local: &str, region: v1::Region) -> String {
        self.institutions(&self.admin_key)
            .create_institution(v1::CreateInstitutionRequest {
                institution: Some(institution(display, local, region, "")),
                request_id: String::new(),
            })
            .await
            .expect("register institution")
            .into_inner()
            .institution
            .expect("institution")
            .name
    }

    pub async fn open_programme(&self, p: v1::Programme) -> v1::Programme {
        self.programmes(&self.admin_key)
            .create_programme(v1::CreateProgrammeRequest {
                programme: Some(p),
                request_id: String::new(),
            })
            .await
            .expect("create programme")
            .into_inner()
            .programme
            .expect("programme")
    }

    pub async fn key(&self, role: Role, institution: &str, programmes: &[&str]) -> String {
        self.access(&self.admin_key)
            .create_api_key(v1::CreateApiKeyRequest {
                api_key: Some(v1::ApiKey {
                    role: role.into(),
                    institution: institution.into(),
                    programmes: programmes.iter().map(|p| p.to_string()).collect(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("issue key")
            .into_inner()
            .secret
    }

    pub async fn world(&self) -> World {
        let hku = self
            .register("The University of Hong Kong", "香港大學", v1::Region::HongKong)
            .await;
        let um = self
            .register("University of Macau", "澳門大學", v1::Region::Macao)
            .await;
        let sysu = self
            .register("Sun Yat-sen University", "中山大学", v1::Region::Guangdong)
            .await;
        let programme = self.open_programme(programme(10_000_000, 1_000_000)).await;
        let other_programme = self.open_programme(programme_without_partner(5_000_000, 500_000)).await;
        World {
            hku_key: self.key(Role::Applicant, &hku, &[]).await,
            um_key: self.key(Role::Applicant, &um, &[]).await,
            sysu_key: self.key(Role::Applicant, &sysu, &[]).await,
            officer_key: self.key(Role::Officer, "", &[&programme.name]).await,
            hku_officer_key: self.key(Role::Officer, &hku, &[&programme.name]).await,
            other_officer_key: self.key(Role::Officer, "", &[&other_programme.name]).await,
            viewer_key: self.key(Role::Viewer, "", &[&programme.name]).await,
            hku,
            um,
            sysu,
            programme,
            other_programme,
        }
    }
}

/// A programme open to Hong Kong and Macao that needs no partner.
pub fn programme_without_partner(budget: i64, max_award: i64) -> v1::Programme {
    v1::Programme {
        requires_guangdong_partner: false,
        display_name: "Macao–HK Young Scholars".into(),
        ..programme(budget, max_award)
    }
}

/// A complete application, ready to submit.
pub fn application(applicant: &str, partners: &[&str], requested: i64) -> v1::Application {
    v1::Application {
        applicant_institution: applicant.into(),
        title: "Typhoon-resilient coastal infrastructure for the Pearl River Delta".into(),
        r#abstract: "We model storm surge across Hong Kong, Macao and Guangdong.".into(),
        principal_investigator: Some(v1::Investigator {
            name: "Dr Chan Tai Man".into(),
            email: "tmchan@hku.hk".into(),
            orcid: "0000-0002-1825-0097".into(),
        }),
        partner_institutions: partners.iter().map(|p| p.to_string()).collect(),
        requested_amount: Some(money("CNY", requested, 0)),
        duration_months: 24,
        ..Default::default()
    }
}

impl World {
    /// A draft by HKU, partnered with SYSU, in the main programme.
    pub async fn draft(&self, server: &TestServer, requested: i64) -> v1::Application {
        server
            .apps(&self.hku_key)
            .create_application(v1::CreateApplicationRequest {
                parent: self.programme.name.clone(),
                application: Some(application(&self.hku, &[&self.sysu], requested)),
                request_id: String::new(),
            })
            .await
            .expect("create draft")
            .into_inner()
            .application
            .expect("application")
    }

    pub async fn submitted(&self, server: &TestServer, requested: i64) -> v1::Application {
        let draft = self.draft(server, requested).await;
        submit(server, &self.hku_key, &draft.name).await.expect("submit")
    }

    pub async fn under_review(&self, server: &TestServer, requested: i64) -> v1::Application {
        let submitted = self.submitted(server, requested).await;
        start_review(server, &self.officer_key, &submitted.name)
            .await
            .expect("start review")
    }

    pub async fn approved(&self, server: &TestServer, requested: i64, awarded: i64) -> v1::Application {
        let reviewed = self.under_review(server, requested).await;
        approve(server, &self.officer_key, &reviewed.name, awarded, "")
            .await
            .expect("approve")
    }
}

pub async fn get(server: &TestServer, key: &str, name: &str) -> Result<v1::Application, Status> {
    let r = server
        .apps(key)
        .get_application(v1::GetApplicationRequest { name: name.into() })
        .await?;
    Ok(r.into_inner().application.unwrap_or_default())
}

pub async fn submit(server: &TestServer, key: &str, name: &str) -> Result<v1::Application, Status> {
    let r = server
        .apps(key)
        .submit_application(v1::SubmitApplicationRequest {
            name: name.into(),
            ..Default::default()
        })
        .await?;
    Ok(r.into_inner().application.unwrap_or_default())
}

pub async fn withdraw(server: &TestServer, key: &str, name: &str) -> Result<v1::Application, Status> {
    let r = server
        .apps(key)
        .withdraw_application(v1::WithdrawApplicationRequest {
            name: name.into(),
            ..Default::default()
        })
        .await?;
    Ok(r.into_inner().application.unwrap_or_default())
}

pub async fn start_review(server: &TestServer, key: &str, name: &str) -> Result<v1::Application, Status> {
    let r = server
        .reviews(key)
        .start_review(v1::StartReviewRequest {
            name: name.into(),
            request_id: String::new(),
        })
        .await?;
    Ok(r.into_inner().application.unwrap_or_default())
}

pub async fn request_changes(
    server: &TestServer,
    key: &str,
    name: &str,
    reason: &str,
) -> Result<v1::Application, Status> {
    let r = server
        .reviews(key)
        .request_changes(v1::RequestChangesRequest {
            name: name.into(),
            reason: reason.into(),
            request_id: String::new(),
        })
        .await?;
    Ok(r.into_inner().application.unwrap_or_default())
}

pub async fn approve(
    server: &TestServer,
    key: &str,
    name: &str,
    awarded: i64,
    id: &str,
) -> Result<v1::Application, Status> {
    let r = server
        .reviews(key)
        .approve_application(v1::ApproveApplicationRequest {
            awarded_resource: None,
            name: name.into(),
            awarded_amount: Some(money("CNY", awarded, 0)),
            reason: "Strong cross-border team".into(),
            request_id: id.into(),
            override_incomplete_reviews: false,
            schedule: None,
        })
        .await?;
    Ok(r.into_inner().application.unwrap_or_default())
}

pub async fn reject(server: &TestServer, key: &str, name: &str, reason: &str) -> Result<v1::Application, Status> {
    let r = server
        .reviews(key)
        .reject_application(v1::RejectApplicationRequest {
            name: name.into(),
            reason: reason.into(),
            request_id: String::new(),
        })
        .await?;
    Ok(r.into_inner().application.unwrap_or_default())
}

pub fn payment(amount: i64, hkd: i64, hkd_nanos: i32, rate: &str) -> v1::Disbursement {
    v1::Disbursement {
        amount: Some(money("CNY", amount, 0)),
        payee_amount: Some(money("HKD", hkd, hkd_nanos)),
        exchange_rate: rate.into(),
        // Unique within the programme, as the service requires.
        reference: format!("FPS-{}", uuid::Uuid::now_v7().simple()),
        ..Default::default()
    }
}

pub async fn disburse(
    server: &TestServer,
    key: &str,
    name: &str,
    d: v1::Disbursement,
    id: &str,
) -> Result<v1::RecordDisbursementResponse, Status> {
    let r = server
        .awards(key)
        .record_disbursement(v1::RecordDisbursementRequest {
            parent: name.into(),
            disbursement: Some(d),
            request_id: id.into(),
        })
        .await?;
    Ok(r.into_inner())
}

pub async fn close(server: &TestServer, key: &str, name: &str) -> Result<v1::Application, Status> {
    let r = server
        .awards(key)
        .close_grant(v1::CloseGrantRequest {
            name: name.into(),
            reason: "Project completed".into(),
            request_id: String::new(),
        })
        .await?;
    Ok(r.into_inner().application.unwrap_or_default())
}

pub async fn events(server: &TestServer, key: &str, name: &str) -> Vec<v1::ApplicationEvent> {
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let page = server
            .apps(key)
            .list_application_events(v1::ListApplicationEventsRequest {
                parent: name.into(),
                page_size: 3,
                page_token: token,
            })
            .await
            .expect("list events")
            .into_inner();
        out.extend(page.events);
        if page.next_page_token.is_empty() {
            return out;
        }
        token = page.next_page_token;
    }
}

pub async fn committed(server: &TestServer, programme: &str) -> v1::Money {
    server
        .programmes(&server.admin_key)
        .get_programme(v1::GetProgrammeRequest { name: programme.into() })
        .await
        .expect("get programme")
        .into_inner()
        .programme
        .and_then(|p| p.committed)
        .unwrap_or_default()
}

pub fn state(s: v1::application::State) -> i32 {
    s as i32
}
