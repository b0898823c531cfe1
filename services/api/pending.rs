//! Services of the contract whose behaviour is not built yet: they answer
//! UNIMPLEMENTED (after authentication) so clients can discover them.

use std::pin::Pin;

use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::proto::v1::{self, watch_service_server::WatchService};

fn pending(method: &str) -> Status {
    Status::unimplemented(format!("{method} is not available yet"))
}

/// Placeholder for the watch service.
pub struct PendingApi;

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
