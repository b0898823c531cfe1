//! ReviewService: officers' decisions.

use tonic::{Request, Response, Status};

use super::auth::caller;
use super::convert::{application as conv, common::money_in, common::request_key};
use super::error::IntoStatus;
use crate::domain::Grants;
use crate::domain::ids::ApplicationName;
use crate::proto::v1::{self, review_service_server::ReviewService};

pub struct ReviewApi {
    pub grants: Grants,
}

#[tonic::async_trait]
impl ReviewService for ReviewApi {
    async fn start_review(
        &self,
        request: Request<v1::StartReviewRequest>,
    ) -> Result<Response<v1::StartReviewResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("StartReview", &message.request_id, &message);
        let v1::StartReviewRequest { name, request_id: _ } = message;
        let name = ApplicationName::parse(&name, "name").status()?;
        let changed = self.grants.start_review(&caller, &name, key).await.status()?;
        Ok(Response::new(v1::StartReviewResponse {
            application: Some(conv::output(changed.application)),
        }))
    }

    async fn request_changes(
        &self,
        request: Request<v1::RequestChangesRequest>,
    ) -> Result<Response<v1::RequestChangesResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("RequestChanges", &message.request_id, &message);
        let v1::RequestChangesRequest {
            name,
            reason,
            request_id: _,
        } = message;
        let name = ApplicationName::parse(&name, "name").status()?;
        let changed = self
            .grants
            .request_changes(&caller, &name, &reason, key)
            .await
            .status()?;
        Ok(Response::new(v1::RequestChangesResponse {
            application: Some(conv::output(changed.application)),
        }))
    }

    async fn approve_application(
        &self,
        request: Request<v1::ApproveApplicationRequest>,
    ) -> Result<Response<v1::ApproveApplicationResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("ApproveApplication", &message.request_id, &message);
        let v1::ApproveApplicationRequest {
            name,
            awarded_amount,
            reason,
            request_id: _,
        } = message;
        let name = ApplicationName::parse(&name, "name").status()?;
        let awarded = money_in(awarded_amount, "awarded_amount").status()?;
        let changed = self
            .grants
            .approve_application(&caller, &name, awarded, &reason, key)
            .await
            .status()?;
        Ok(Response::new(v1::ApproveApplicationResponse {
            application: Some(conv::output(changed.application)),
        }))
    }

    async fn reject_application(
        &self,
        request: Request<v1::RejectApplicationRequest>,
    ) -> Result<Response<v1::RejectApplicationResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("RejectApplication", &message.request_id, &message);
        let v1::RejectApplicationRequest {
            name,
            reason,
            request_id: _,
        } = message;
        let name = ApplicationName::parse(&name, "name").status()?;
        let changed = self
            .grants
            .reject_application(&caller, &name, &reason, key)
            .await
            .status()?;
        Ok(Response::new(v1::RejectApplicationResponse {
            application: Some(conv::output(changed.application)),
        }))
    }
}
