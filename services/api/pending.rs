//! Services of the contract whose behaviour is not built yet: they answer
//! UNIMPLEMENTED (after authentication) so clients can discover them.

use std::pin::Pin;

use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::proto::v1::{
    self, application_service_server::ApplicationService, award_service_server::AwardService,
    review_service_server::ReviewService, watch_service_server::WatchService,
};

fn pending(method: &str) -> Status {
    Status::unimplemented(format!("{method} is not available yet"))
}

/// Placeholder for the application, review, award and watch services.
pub struct PendingApi;

macro_rules! unary {
    ($service:ident { $($name:ident($req:ident) -> $resp:ident;)* }) => {
        #[tonic::async_trait]
        impl $service for PendingApi {
            $(
                async fn $name(&self, _request: Request<v1::$req>) -> Result<Response<v1::$resp>, Status> {
                    Err(pending(stringify!($name)))
                }
            )*
        }
    };
}

unary! {
    ApplicationService {
        create_application(CreateApplicationRequest) -> CreateApplicationResponse;
        get_application(GetApplicationRequest) -> GetApplicationResponse;
        list_applications(ListApplicationsRequest) -> ListApplicationsResponse;
        update_application(UpdateApplicationRequest) -> UpdateApplicationResponse;
        submit_application(SubmitApplicationRequest) -> SubmitApplicationResponse;
        withdraw_application(WithdrawApplicationRequest) -> WithdrawApplicationResponse;
        list_application_events(ListApplicationEventsRequest) -> ListApplicationEventsResponse;
    }
}

unary! {
    ReviewService {
        start_review(StartReviewRequest) -> StartReviewResponse;
        request_changes(RequestChangesRequest) -> RequestChangesResponse;
        approve_application(ApproveApplicationRequest) -> ApproveApplicationResponse;
        reject_application(RejectApplicationRequest) -> RejectApplicationResponse;
    }
}

unary! {
    AwardService {
        record_disbursement(RecordDisbursementRequest) -> RecordDisbursementResponse;
        list_disbursements(ListDisbursementsRequest) -> ListDisbursementsResponse;
        close_grant(CloseGrantRequest) -> CloseGrantResponse;
    }
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl WatchService for PendingApi {
    type WatchApplicationEventsStream = BoxStream<v1::WatchApplicationEventsResponse>;
    type WatchProgrammeSummaryStream = BoxStream<v1::WatchProgrammeSummaryResponse>;

    async fn watch_application_events(
        &self,
        _request: Request<v1::WatchApplicationEventsRequest>,
    ) -> Result<Response<Self::WatchApplicationEventsStream>, Status> {
        Err(pending("watch_application_events"))
    }

    async fn watch_programme_summary(
        &self,
        _request: Request<v1::WatchProgrammeSummaryRequest>,
    ) -> Result<Response<Self::WatchProgrammeSummaryStream>, Status> {
        Err(pending("watch_programme_summary"))
    }
}
