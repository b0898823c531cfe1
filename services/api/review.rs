//! ReviewService: officers' decisions and peer review.

use tonic::{Request, Response, Status};

use super::auth::caller;
use super::convert::{application as conv, common::request_key, review as rconv};
use super::error::IntoStatus;
use crate::domain::Grants;
use crate::domain::ids::{ApplicationName, ProgrammeName, ReviewName};
use crate::domain::service::Approval;
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
            override_incomplete_reviews,
            schedule,
            awarded_resource,
        } = message;
        let name = ApplicationName::parse(&name, "name").status()?;
        let awarded = crate::api::convert::common::amount_in(
            awarded_amount,
            awarded_resource,
            "awarded_amount",
            "awarded_resource",
        )
        .status()?;
        let schedule = crate::api::convert::report::schedule_in(schedule).status()?;
        let changed = self
            .grants
            .approve_application(
                &caller,
                &name,
                Approval {
                    awarded,
                    reason,
                    override_reviews: override_incomplete_reviews,
                    schedule,
                },
                key,
            )
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

    async fn assign_reviewer(
        &self,
        request: Request<v1::AssignReviewerRequest>,
    ) -> Result<Response<v1::AssignReviewerResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("AssignReviewer", &message.request_id, &message);
        let v1::AssignReviewerRequest {
            parent,
            reviewer,
            request_id: _,
        } = message;
        let parent = ApplicationName::parse(&parent, "parent").status()?;
        let review = self
            .grants
            .assign_reviewer(&caller, &parent, &reviewer, key)
            .await
            .status()?;
        Ok(Response::new(v1::AssignReviewerResponse {
            review: Some(rconv::output(review)),
        }))
    }

    async fn declare_conflict(
        &self,
        request: Request<v1::DeclareConflictRequest>,
    ) -> Result<Response<v1::DeclareConflictResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("DeclareConflict", &message.request_id, &message);
        let v1::DeclareConflictRequest {
            name,
            reason,
            request_id: _,
        } = message;
        let name = ReviewName::parse(&name, "name").status()?;
        let review = self
            .grants
            .declare_conflict(&caller, &name, &reason, key)
            .await
            .status()?;
        Ok(Response::new(v1::DeclareConflictResponse {
            review: Some(rconv::output(review)),
        }))
    }

    async fn submit_review(
        &self,
        request: Request<v1::SubmitReviewRequest>,
    ) -> Result<Response<v1::SubmitReviewResponse>, Status> {
        let caller = caller(&request)?;
        let message = request.into_inner();
        let key = request_key("SubmitReview", &message.request_id, &message);
        let v1::SubmitReviewRequest { review, request_id: _ } = message;
        let (name, input) = rconv::input(review).status()?;
        let name = ReviewName::parse(&name, "review.name").status()?;
        let review = self.grants.submit_review(&caller, &name, input, key).await.status()?;
        Ok(Response::new(v1::SubmitReviewResponse {
            review: Some(rconv::output(review)),
        }))
    }

    async fn get_review(
        &self,
        request: Request<v1::GetReviewRequest>,
    ) -> Result<Response<v1::GetReviewResponse>, Status> {
        let caller = caller(&request)?;
        let v1::GetReviewRequest { name } = request.into_inner();
        let name = ReviewName::parse(&name, "name").status()?;
        let review = self.grants.get_review(&caller, &name).await.status()?;
        Ok(Response::new(v1::GetReviewResponse {
            review: Some(rconv::output(review)),
        }))
    }

    async fn list_reviews(
        &self,
        request: Request<v1::ListReviewsRequest>,
    ) -> Result<Response<v1::ListReviewsResponse>, Status> {
        let caller = caller(&request)?;
        let v1::ListReviewsRequest {
            parent,
            page_size,
            page_token,
        } = request.into_inner();
        let parent = ApplicationName::parse(&parent, "parent").status()?;
        let page = self
            .grants
            .list_reviews(&caller, &parent, page_size, &page_token)
            .await
            .status()?;
        Ok(Response::new(v1::ListReviewsResponse {
            reviews: page.items.into_iter().map(rconv::output).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn get_review_ranking(
        &self,
        request: Request<v1::GetReviewRankingRequest>,
    ) -> Result<Response<v1::GetReviewRankingResponse>, Status> {
        let caller = caller(&request)?;
        let v1::GetReviewRankingRequest { programme } = request.into_inner();
        if programme.is_empty() {
            return Err(crate::domain::Error::invalid(
                "programme",
                "is required: programmes/{programme}",
            ))
            .status();
        }
        let programme = ProgrammeName::parse(&programme, "programme").status()?;
        let ranking = self.grants.review_ranking(&caller, &programme).await.status()?;
        Ok(Response::new(v1::GetReviewRankingResponse {
            ranking: Some(rconv::ranking_out(ranking)),
        }))
    }
}
