//! The gRPC layer: translates proto to domain calls and back, and
//! authenticates. No SQL and no business rule lives here.

mod access;
mod application;
pub mod auth;
mod award;
mod convert;
pub mod drain;
pub mod error;
pub mod gate;
mod institution;
mod programme;
mod review;
mod watch;

use tonic::service::Routes;

use crate::domain::Grants;
use crate::proto::v1::{
    access_service_server::AccessServiceServer, application_service_server::ApplicationServiceServer,
    award_service_server::AwardServiceServer, institution_service_server::InstitutionServiceServer,
    programme_service_server::ProgrammeServiceServer, review_service_server::ReviewServiceServer,
    watch_service_server::WatchServiceServer,
};

/// Every gba.grants.v1 service, ready to serve.
pub fn routes(grants: &Grants, hub: &crate::hub::Hub) -> Routes {
    let mut builder = Routes::builder();
    builder
        .add_service(InstitutionServiceServer::new(institution::InstitutionApi {
            grants: grants.clone(),
        }))
        .add_service(ProgrammeServiceServer::new(programme::ProgrammeApi {
            grants: grants.clone(),
        }))
        .add_service(AccessServiceServer::new(access::AccessApi { grants: grants.clone() }))
        .add_service(ApplicationServiceServer::new(application::ApplicationApi {
            grants: grants.clone(),
        }))
        .add_service(ReviewServiceServer::new(review::ReviewApi { grants: grants.clone() }))
        .add_service(AwardServiceServer::new(award::AwardApi { grants: grants.clone() }))
        .add_service(WatchServiceServer::new(watch::WatchApi {
            grants: grants.clone(),
            hub: hub.clone(),
        }));
    builder.routes()
}
