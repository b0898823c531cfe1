//! The gRPC layer: translates proto to domain calls and back, and
//! authenticates. No SQL and no business rule lives here.

mod access;
mod application;
pub mod auth;
mod award;
mod convert;
pub mod cors;
pub mod drain;
pub mod error;
pub mod gate;
pub mod idle;
mod institution;
pub mod limits;
pub mod metrics;
pub mod page;
mod programme;
mod review;
mod watch;
mod watch_encoded;

use tonic::service::Routes;

use crate::domain::Grants;
use crate::proto::v1::{
    access_service_server::AccessServiceServer, application_service_server::ApplicationServiceServer,
    award_service_server::AwardServiceServer, institution_service_server::InstitutionServiceServer,
    programme_service_server::ProgrammeServiceServer, review_service_server::ReviewServiceServer,
};

/// Every gba.grants.v1 service, ready to serve; request messages larger
/// than `max_message_bytes` are refused before they are decoded.
pub fn routes(grants: &Grants, hub: &crate::hub::Hub, max_message_bytes: usize) -> Routes {
    let g = || grants.clone();
    let mut builder = Routes::builder();
    builder
        .add_service(
            InstitutionServiceServer::new(institution::InstitutionApi { grants: g() })
                .max_decoding_message_size(max_message_bytes),
        )
        .add_service(
            ProgrammeServiceServer::new(programme::ProgrammeApi { grants: g() })
                .max_decoding_message_size(max_message_bytes),
        )
        .add_service(
            AccessServiceServer::new(access::AccessApi { grants: g() }).max_decoding_message_size(max_message_bytes),
        )
        .add_service(
            ApplicationServiceServer::new(application::ApplicationApi { grants: g() })
                .max_decoding_message_size(max_message_bytes),
        )
        .add_service(
            ReviewServiceServer::new(review::ReviewApi { grants: g() }).max_decoding_message_size(max_message_bytes),
        )
        .add_service(
            AwardServiceServer::new(award::AwardApi { grants: g() }).max_decoding_message_size(max_message_bytes),
        )
        .add_service(watch_encoded::WatchServer::new(
            watch::WatchApi {
                grants: g(),
                hub: hub.clone(),
                rendered: Default::default(),
                all_programmes: Default::default(),
            },
            max_message_bytes,
        ));
    builder.routes()
}
