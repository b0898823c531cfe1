//! The ceiling: a bare tonic server answering GetProgramme and
//! GetApplication with a ready message of the same shape as gba-grants'
//! (no authentication, no database), run as `unary echo-server` in its own
//! process so its CPU can be measured alone.

use gba_grants::proto::v1::{
    self, application_service_server::ApplicationServiceServer, programme_service_server::ProgrammeServiceServer,
};
use tonic::transport::Server;
use tonic::{Request, Response, Status};

use super::Res;

fn money(units: i64) -> Option<v1::Money> {
    Some(v1::Money {
        currency_code: "CNY".into(),
        units,
        nanos: 0,
    })
}

fn ts() -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: 1_795_000_000,
        nanos: 123_456_000,
    })
}

pub fn programme() -> v1::Programme {
    v1::Programme {
        name: "programmes/01a227e38498712280a48f35512888e9".into(),
        display_name: "Greater Bay Area Joint Research".into(),
        local_name: "粤港澳联合研究".into(),
        funder: "Guangdong Provincial Science and Technology Department".into(),
        currency_code: "CNY".into(),
        budget: money(10_000_000),
        committed: money(150_000),
        eligible_regions: vec![1, 2],
        requires_guangdong_partner: true,
        max_award: money(1_000_000),
        open_time: ts(),
        close_time: ts(),
        etag: "3".into(),
        create_time: ts(),
        update_time: ts(),
        review_settings: None,
        document_requirements: Vec::new(),
        endorsement_requirement: 0,
        facility: None,
    }
}

pub fn application() -> v1::Application {
    v1::Application {
        name: "programmes/01a227e38498712280a48f35512888e9/applications/01a227e384e272d68d9d0f3f494691fe".into(),
        applicant_institution: "institutions/01a227e3849c7021b3e5d9002ad989c1".into(),
        title: "Typhoon-resilient coastal infrastructure for the Pearl River Delta".into(),
        r#abstract: "We model storm surge across Hong Kong, Macao and Guangdong.".into(),
        principal_investigator: Some(v1::Investigator {
            name: "Dr Chan Tai Man".into(),
            email: "tmchan@hku.hk".into(),
            orcid: "0000-0002-1825-0097".into(),
        }),
        partner_institutions: vec!["institutions/01a227e38499701789f93102f3fb5ebf".into()],
        requested_amount: money(100_000),
        duration_months: 24,
        state: 1,
        etag: "1".into(),
        create_time: ts(),
        update_time: ts(),
        disbursed_amount: money(0),
        ..Default::default()
    }
}

struct Echo;

#[tonic::async_trait]
impl v1::programme_service_server::ProgrammeService for Echo {
    async fn create_programme(
        &self,
        _: Request<v1::CreateProgrammeRequest>,
    ) -> Result<Response<v1::CreateProgrammeResponse>, Status> {
        Err(Status::unimplemented("echo"))
    }

    async fn get_programme(
        &self,
        _: Request<v1::GetProgrammeRequest>,
    ) -> Result<Response<v1::GetProgrammeResponse>, Status> {
        Ok(Response::new(v1::GetProgrammeResponse {
            programme: Some(programme()),
        }))
    }

    async fn list_programmes(
        &self,
        _: Request<v1::ListProgrammesRequest>,
    ) -> Result<Response<v1::ListProgrammesResponse>, Status> {
        Err(Status::unimplemented("echo"))
    }

    async fn update_programme(
        &self,
        _: Request<v1::UpdateProgrammeRequest>,
    ) -> Result<Response<v1::UpdateProgrammeResponse>, Status> {
        Err(Status::unimplemented("echo"))
    }
}

#[tonic::async_trait]
impl v1::application_service_server::ApplicationService for Echo {
    async fn create_application(
        &self,
        _: Request<v1::CreateApplicationRequest>,
    ) -> Result<Response<v1::CreateApplicationResponse>, Status> {
        Err(Status::unimplemented("echo"))
    }

    async fn list_applications(
        &self,
        _: Request<v1::ListApplicationsRequest>,
    ) -> Result<Response<v1::ListApplicationsResponse>, Status> {
        Err(Status::unimplemented("echo"))
    }

    async fn update_application(
        &self,
        _: Request<v1::UpdateApplicationRequest>,
    ) -> Result<Response<v1::UpdateApplicationResponse>, Status> {
        Err(Status::unimplemented("echo"))
    }

    async fn submit_application(
        &self,
        _: Request<v1::SubmitApplicationRequest>,
    ) -> Result<Response<v1::SubmitApplicationResponse>, Status> {
        Err(Status::unimplemented("echo"))
    }

    async fn withdraw_application(
        &self,
        _: Request<v1::WithdrawApplicationRequest>,
    ) -> Result<Response<v1::WithdrawApplicationResponse>, Status> {
        Err(Status::unimplemented("echo"))
    }

    async fn endorse_application(
        &self,
        _: Request<v1::EndorseApplicationRequest>,
    ) -> Result<Response<v1::EndorseApplicationResponse>, Status> {
        Err(Status::unimplemented("echo"))
    }

    async fn withdraw_endorsement(
        &self,
        _: Request<v1::WithdrawEndorsementRequest>,
    ) -> Result<Response<v1::WithdrawEndorsementResponse>, Status> {
        Err(Status::unimplemented("echo"))
    }

    async fn list_application_events(
        &self,
        _: Request<v1::ListApplicationEventsRequest>,
    ) -> Result<Response<v1::ListApplicationEventsResponse>, Status> {
        Err(Status::unimplemented("echo"))
    }

    async fn get_application(
        &self,
        _: Request<v1::GetApplicationRequest>,
    ) -> Result<Response<v1::GetApplicationResponse>, Status> {
        Ok(Response::new(v1::GetApplicationResponse {
            application: Some(application()),
        }))
    }
}

/// Serves until killed; prints the port first.
pub async fn echo_server() -> Res<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?.port());
    Server::builder()
        .add_service(ProgrammeServiceServer::new(Echo))
        .add_service(ApplicationServiceServer::new(Echo))
        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)))
        .await?;
    Ok(())
}
