//! The gRPC layer: translates proto to domain calls and back, and
//! authenticates. No SQL and no business rule lives here.

mod access;
mod application;
pub mod auth;
mod award;
pub(crate) mod convert;
pub mod cors;
mod document;
pub mod drain;
pub mod error;
pub mod gate;
pub mod idle;
mod institution;
pub mod limits;
pub mod metrics;
pub mod page;
mod programme;
mod report;
mod review;
mod watch;
mod watch_encoded;
mod webhook;

use tonic::service::Routes;
use tower::Layer;

use auth::AuthLayer;
use gate::Gated;

use crate::domain::Grants;
use crate::proto::v1::{
    access_service_server::AccessServiceServer, application_service_server::ApplicationServiceServer,
    award_service_server::AwardServiceServer, document_service_server::DocumentServiceServer,
    institution_service_server::InstitutionServiceServer, programme_service_server::ProgrammeServiceServer,
    report_service_server::ReportServiceServer, review_service_server::ReviewServiceServer,
    webhook_service_server::WebhookServiceServer,
};

type Institutions = InstitutionServiceServer<institution::InstitutionApi>;
type Programmes = ProgrammeServiceServer<programme::ProgrammeApi>;
type Access = AccessServiceServer<access::AccessApi>;
type Applications = ApplicationServiceServer<application::ApplicationApi>;
type Reviews = ReviewServiceServer<review::ReviewApi>;
type Awards = AwardServiceServer<award::AwardApi>;
type Documents = DocumentServiceServer<document::DocumentApi>;
type Reports = ReportServiceServer<report::ReportApi>;
type Webhooks = WebhookServiceServer<webhook::WebhookApi>;

/// Every gba.grants.v1 service, each routed from the start behind its
/// own readiness gate (`gate.rs`), and opened once the store is ready.
#[derive(Clone, Default)]
pub struct Services {
    institutions: Gated<Institutions>,
    programmes: Gated<Programmes>,
    access: Gated<Access>,
    applications: Gated<Applications>,
    reviews: Gated<Reviews>,
    awards: Gated<Awards>,
    documents: Gated<Documents>,
    reports: Gated<Reports>,
    webhooks: Gated<Webhooks>,
    watch: Gated<watch_encoded::WatchServer>,
}

impl Services {
    /// Routes every service (closed until [`Services::open`]) beside `routes`.
    pub fn add_to(&self, routes: Routes) -> Routes {
        routes
            .add_service(self.institutions.clone())
            .add_service(self.programmes.clone())
            .add_service(self.access.clone())
            .add_service(self.applications.clone())
            .add_service(self.reviews.clone())
            .add_service(self.awards.clone())
            .add_service(self.documents.clone())
            .add_service(self.reports.clone())
            .add_service(self.webhooks.clone())
            .add_service(self.watch.clone())
    }

    /// Opens every service, each behind `auth`; request messages larger
    /// than `max_message_bytes` are refused before they are decoded.
    pub fn open(
        &self,
        grants: &Grants,
        hub: &crate::hub::Hub,
        auth: &AuthLayer,
        max_message_bytes: usize,
        deliverer: Option<crate::webhooks::Deliverer>,
    ) {
        let g = || grants.clone();
        let max = max_message_bytes;
        self.institutions.open(
            auth.layer(Institutions::new(institution::InstitutionApi { grants: g() }).max_decoding_message_size(max)),
        );
        self.programmes
            .open(auth.layer(Programmes::new(programme::ProgrammeApi { grants: g() }).max_decoding_message_size(max)));
        self.access
            .open(auth.layer(Access::new(access::AccessApi { grants: g() }).max_decoding_message_size(max)));
        self.applications.open(
            auth.layer(Applications::new(application::ApplicationApi { grants: g() }).max_decoding_message_size(max)),
        );
        self.reviews
            .open(auth.layer(Reviews::new(review::ReviewApi { grants: g() }).max_decoding_message_size(max)));
        self.awards
            .open(auth.layer(Awards::new(award::AwardApi { grants: g() }).max_decoding_message_size(max)));
        self.documents
            .open(auth.layer(Documents::new(document::DocumentApi { grants: g() }).max_decoding_message_size(max)));
        self.reports
            .open(auth.layer(Reports::new(report::ReportApi { grants: g() }).max_decoding_message_size(max)));
        self.webhooks.open(
            auth.layer(Webhooks::new(webhook::WebhookApi { grants: g(), deliverer }).max_decoding_message_size(max)),
        );
        self.watch.open(auth.layer(watch_encoded::WatchServer::new(
            watch::WatchApi {
                grants: g(),
                hub: hub.clone(),
                rendered: Default::default(),
                all_programmes: Default::default(),
            },
            max,
        )));
    }
}
