//! The gRPC layer: translates proto to domain calls and back, and
//! authenticates. No SQL and no business rule lives here.

mod access;
pub mod auth;
mod convert;
pub mod error;
mod institution;
mod pending;
mod programme;

use tonic::service::Routes;

use crate::domain::Grants;
use crate::proto::v1::{
    access_service_server::AccessServiceServer,
    application_service_server::ApplicationServiceServer, award_service_server::AwardServiceServer,
    institution_service_server::InstitutionServiceServer,
    programme_service_server::ProgrammeServiceServer, review_service_server::ReviewServiceServer,
    watch_service_server::WatchServiceServer,
};

/// Every gba.grants.v1 service, ready to serve.
pub fn routes(grants: &Grants) -> Routes {
    let mut builder = Routes::builder();
    builder
        .add_service(InstitutionServiceServer::new(institution::InstitutionApi {
            grants: grants.clone(),
        }))
        .add_service(ProgrammeServiceServer::new(programme::ProgrammeApi {
            grants: grants.clone(),
        }))
        .add_service(AccessServiceServer::new(access::AccessApi {
            grants: grants.clone(),
        }))
        .add_service(ApplicationServiceServer::new(pending::PendingApi))
        .add_service(ReviewServiceServer::new(pending::PendingApi))
        .add_service(AwardServiceServer::new(pending::PendingApi))
        .add_service(WatchServiceServer::new(pending::PendingApi));
    builder.routes()
}
